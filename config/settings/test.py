"""The test suite runs on PostgreSQL, the production database.

`scripts/test.sh` finds or starts one and exports DATABASE_URL; without it the
suite refuses to start rather than fall back to SQLite.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from config import env
from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR

DEBUG = False
SECRET_KEY = "test-only-secret-key-0123456789-0123456789-0123456789-abcdef"  # noqa: S105
DATABASES = {"default": env.database("DATABASE_URL")}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured(
        "The DATABASE_URL environment variable must point at PostgreSQL for the "
        "test suite (run scripts/test.sh, which finds or starts one)."
    )
# Off for the suite; tests/support/gunicorn.py turns it on for its server, as
# production does, so a worker keeps its connection between requests.
DATABASES["default"]["CONN_MAX_AGE"] = env.integer("CONN_MAX_AGE", 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_MAX_AGE"] > 0
# Several test runs (and benchmarks) may share one server: each process gets
# its own throwaway database, so none destroys another's.
DATABASES["default"]["TEST"] = {
    "NAME": env.string("TEST_DATABASE_NAME", f"test_nrm_{os.getpid()}")
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A test-only key file in var/ (git-ignored), generated on first use.
VAULT_KEY_FILE = env.string("VAULT_KEY_FILE", str(VAR_DIR / "test-vault-keys.json"))
VAULT_KEYS = ""
VAULT_CREATE_KEY_FILE = True
AUDIT_KEY_FILE = env.string("AUDIT_KEY_FILE", str(VAR_DIR / "test-audit-keys.json"))
TRANSNATIONAL_KEY_FILE = env.string(
    "TRANSNATIONAL_KEY_FILE", str(VAR_DIR / "test-exchange-keys.json")
)
TRANSNATIONAL_CREATE_KEY_FILE = True
AUDIT_CREATE_KEY_FILE = True
# Between transactional tests the runner empties every table with TRUNCATE,
# which the audit tables' triggers refuse: the flush runs with the triggers
# off (needs the superuser the suite connects as).
AUDIT_FLUSH_BYPASSES_TRIGGERS = True
LOG_LEVEL = "WARNING"
# Static files from the source folders, without `collectstatic`.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# `load_demo` in tests adds no history unless a test asks (--history N).
DEMO_HISTORY_CASES = 0
# The inbox's rate limit is tested on its own (tests/referral/test_transnational.py);
# the rest of the suite (the schema fuzzer included) posts faster than a partner.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"transnational-inbox": "100000/minute"},
}
