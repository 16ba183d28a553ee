"""Production: secrets are required, cookies and transport are secure."""

import os

from config import env
from config.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = env.string("SECRET_KEY")
if len(SECRET_KEY) < 50:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "The SECRET_KEY environment variable must be at least 50 characters."
    )
ALLOWED_HOSTS = env.string_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set the ALLOWED_HOSTS environment variable.")
DATABASES = {"default": env.database("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.integer("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# The vault's keys: a key file, or its JSON content in VAULT_KEYS (see
# referral/vault.py). Without them the service does not start.
VAULT_KEY_FILE = env.string("VAULT_KEY_FILE", "")
VAULT_KEYS = env.string("VAULT_KEYS", "")
VAULT_CREATE_KEY_FILE = False
if not VAULT_KEY_FILE and not VAULT_KEYS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "Set the VAULT_KEY_FILE environment variable to the vault key file (or "
        "VAULT_KEYS to its JSON content); the service does not start without keys."
    )
if VAULT_KEY_FILE and VAULT_KEYS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "Set the VAULT_KEY_FILE or the VAULT_KEYS environment variable, not both."
    )
if VAULT_KEY_FILE and not os.access(VAULT_KEY_FILE, os.R_OK):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "The VAULT_KEY_FILE environment variable names no readable file."
    )

# The audit trail's MAC keys (nrm/audit_keys.py), beside the vault keys.
AUDIT_KEY_FILE = env.string("AUDIT_KEY_FILE")
AUDIT_CREATE_KEY_FILE = False
if not os.access(AUDIT_KEY_FILE, os.R_OK):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "The AUDIT_KEY_FILE environment variable names no readable file "
        "(create it with `manage.py audit_keygen`)."
    )

# `manage.py collectstatic` writes hashed, compressed copies that whitenoise
# serves with far-future cache headers.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
# The __Host- prefix: the browser keeps these cookies only when set over HTTPS
# for this exact host and path /, so no subdomain can plant or read them.
SESSION_COOKIE_NAME = "__Host-nrm-session"
CSRF_COOKIE_NAME = "__Host-nrm-csrf"
CSRF_TRUSTED_ORIGINS = env.string_list("CSRF_TRUSTED_ORIGINS")

# A password alone must not enrol the second factor of a personal-data
# account: administrators set devices up unless explicitly allowed.
OTP_SELF_ENROLMENT = env.boolean("OTP_SELF_ENROLMENT", default=False)
