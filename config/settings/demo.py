"""The local demo: one process, SQLite, a generated local vault key file."""

from config import env
from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR

DEBUG = env.boolean("DEBUG", default=True)
SECRET_KEY = env.string("SECRET_KEY", "") or (
    "django-insecure-demo-only-never-use-this-key-in-production-0123456789"
)
# `load_demo` creates the demo key file on first run, and says so.
VAULT_KEY_FILE = env.string("VAULT_KEY_FILE", str(VAR_DIR / "demo-vault-keys.json"))
VAULT_KEYS = ""
VAULT_CREATE_KEY_FILE = True
AUDIT_KEY_FILE = env.string("AUDIT_KEY_FILE", str(VAR_DIR / "demo-audit-keys.json"))
TRANSNATIONAL_KEY_FILE = env.string(
    "TRANSNATIONAL_KEY_FILE", str(VAR_DIR / "demo-exchange-keys.json")
)
TRANSNATIONAL_CREATE_KEY_FILE = True
AUDIT_CREATE_KEY_FILE = True

# Static files from the source folders, without `collectstatic`.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

VAR_DIR.mkdir(parents=True, exist_ok=True)
# Synthetic past cases `load_demo` adds for the statistics dashboard.
DEMO_HISTORY_CASES = 1200
