"""Settings shared by every environment; values come from the environment.

`production.py`, `demo.py` and `test.py` override little. Nothing here reads a
secret with a default that could reach production: those are required in
`production.py`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF

from config import env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env.string("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env.boolean("DEBUG", default=False)
SECRET_KEY = env.string("SECRET_KEY", "")
ALLOWED_HOSTS = env.string_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    # Django's admin, on an OTP-requiring site (config/admin_site.py).
    "config.admin_site.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "knox",
    "csp",
    "nrm",
    "indicators",
    "referral",
    # Exercises on the real workflow (training/); its pages and clock are on
    # only in a training mechanism, its marker table is in every database.
    "training",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the app servers (compressed, cache-busting
    # names), so any reverse proxy in front will do.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "config.middleware.UserLanguageMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    # Inside the security headers, so a replayed answer carries them too.
    "nrm.idempotency.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Marks every export of a training mechanism (training/middleware.py).
    "training.middleware.TrainingExportMiddleware",
    # Last, so it sees the lockout flag set during authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "nrm.views.page_context",
                "training.views.band_context",
            ],
        },
    },
]

DATABASES = {
    "default": env.database(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.integer("CONN_MAX_AGE", 0))

# A training mechanism (training/): its own database, marked as such when
# it is created; the band "TRAINING - NOT REAL PEOPLE" on every page, export
# and notification; the workflow's clock is the exercise clock. A training
# mechanism refuses a database with real cases and production refuses a
# training database (training/guard.py).
NRM_TRAINING = env.boolean("NRM_TRAINING", default=False)
# The workflow's clock (core/clock.py): empty is the real clock.
NRM_CLOCK = "training.clock.exercise_now" if NRM_TRAINING else ""
# Where the scenario packs are (training/packs/); more folders may be added.
TRAINING_PACK_DIRS = env.string_list("TRAINING_PACK_DIRS")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "nrm.User"
# Who counts as signed in, for the API's door (core/permissions.py).
SIGNED_IN_GATE = "nrm.auth.is_signed_in"
# The home page's work panels, by app: callables (request) -> list of panels,
# named here so that nrm does not import the apps that build on it.
HOME_PANELS = ["referral.views.home.panels"]

AUTHENTICATION_BACKENDS = [
    # First: refuses every attempt while its username+IP is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Object permissions (django-guardian's tables) are only ever checked through
# referral/policy.py, never through has_perm: no object-permission backend.
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]  # deliberate, see above
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# NIST SP 800-63B: length over complexity. At least 15 characters (the
# minimum for a password that is the only factor, as for rapporteurs and
# administrators), up to 256 (at least 64 must be allowed), no composition
# rules; refused when it is in Django's list of 20,000 common passwords
# (drawn from breach corpora; no maintained offline breached-password
# package exists on PyPI) or too close to the user's own attributes.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 15},
    },
    {"NAME": "nrm.auth.MaximumLengthValidator", "OPTIONS": {"max_length": 256}},
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский"), ("el", "Ελληνικά")]
# English dates day-first (30 Nov 2026), not US-style; config/formats/en/.
FORMAT_MODULE_PATH = ["config.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.string("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Saving on every request restarts the idle clock, in one UPDATE (nrm/sessions.py).
SESSION_ENGINE = "nrm.sessions"
SESSION_COOKIE_AGE = env.integer("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True
# The language cookie: no script reads it, no other site sends it
# (production adds Secure).
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "nrm.views.csrf_failure"
# No inline script or style anywhere: the pages' JS and CSS are static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# Sign-in (nrm/auth.py, nrm/views.py; docs in nrm/auth.py's docstring).
LOGIN_URL = "sign-in"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "sign-in"
# The page warns this many seconds before an idle session expires.
SESSION_WARNING_SECONDS = env.integer("SESSION_WARNING_SECONDS", 60)
# Second factor (django-otp, TOTP): required for every role that reads
# personal data (nrm.roles.PERSONAL_DATA_ROLES), used by anyone who has one.
OTP_TOTP_ISSUER = env.string("OTP_TOTP_ISSUER", "NRM")
# Whether a user who needs a second factor and has none may set one up right
# after the password step. Off: an administrator sets devices up.
OTP_SELF_ENROLMENT = env.boolean("OTP_SELF_ENROLMENT", default=True)
# Lockout (django-axes): 5 failures (password or one-time code) for one
# username from one client address lock that pair for 30 minutes. The pair,
# not the username alone, so nobody can lock a colleague out from elsewhere;
# every failure and lockout is in the audit trail. Axes stores a keyed hash
# of the typed username (nrm.auth.lockout_username), never the text, which
# may be a person's name typed into the wrong field.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "nrm.auth.AuditedAxesHandler"
AXES_USERNAME_CALLABLE = "nrm.auth.lockout_username"
AXES_CLIENT_IP_CALLABLE = "nrm.auth.client_ip"
AXES_LOCKOUT_CALLABLE = "nrm.views.locked_out"
AXES_SENSITIVE_PARAMETERS = ["username", "password", "otp_token", "ip_address"]
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False
# Reverse proxies in front of the app that append to X-Forwarded-For; 0 trusts
# only REMOTE_ADDR (the header would be the client's to forge).
TRUSTED_PROXY_COUNT = env.integer("TRUSTED_PROXY_COUNT", 0)
# API tokens (django-rest-knox): stored as a SHA-512 digest, expiring, revocable.
REST_KNOX = {
    "TOKEN_TTL": timedelta(seconds=env.integer("API_TOKEN_TTL_SECONDS", 8 * 3600)),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Knox tokens (hashed, expiring, revocable; nrm/auth.py) or the session.
        "nrm.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: every view states its own policy.
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.DenyAll"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # The unauthenticated transnational inbox only (referral/transnational_api.py).
    "DEFAULT_THROTTLE_RATES": {
        "transnational-inbox": env.string("TRANSNATIONAL_INBOX_RATE", "120/minute"),
    },
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# How long the first answer to a POST with an Idempotency-Key is kept
# (nrm/idempotency.py).
IDEMPOTENCY_KEY_TTL_SECONDS = env.integer("IDEMPOTENCY_KEY_TTL_SECONDS", 24 * 3600)

SPECTACULAR_SETTINGS = {
    "TITLE": "NRM reception API",
    "DESCRIPTION": "Identification and referral of victims of trafficking "
    "within the migrant and refugee reception framework.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per set of codes, wherever a field carries it.
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "referral.models.CaseState",
        "ReferralStateEnum": "referral.models.ReferralState",
        "AuditStateEnum": "referral.serializers.STATES",
        "OutcomeEnum": "referral.serializers.OUTCOMES",
        "DeadlineKindEnum": "referral.models.DeadlineKind",
        "DecisionKindEnum": "referral.models.DecisionKind",
        "OrganisationKindEnum": "nrm.choices.OrganisationKind",
        "CloseReasonEnum": "referral.models.CloseReason",
        "SuspendReasonEnum": "referral.models.SuspendReason",
        "DeclineReasonEnum": "referral.models.DeclineReason",
        "DuplicateOutcomeEnum": "referral.models.DuplicateOutcome",
        "PersonRequestKindEnum": "referral.models.PersonRequestKind",
        "RiskLevelEnum": "referral.models.RiskLevel",
        "ReturnKindEnum": "referral.models.ReturnKind",
        "ResidencePermitStatusEnum": "referral.models.ResidencePermitStatus",
        "HandoverKindEnum": "referral.models.HandoverKind",
        "HandoverStatusEnum": "referral.models.HandoverStatus",
        "HandoverDirectionEnum": "referral.models.HandoverDirection",
        "HandoverDeclineReasonEnum": "referral.models.HandoverDeclineReason",
    },
    # Error answers, documented once for every operation (config/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.document_idempotency",
        "config.schema.add_error_responses",
    ],
}

EMAIL_BACKEND = env.string(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "nrm@localhost")
SERVER_EMAIL = env.string("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Error mails go to these addresses (comma-separated), through the filters in
# config/error_reports.py and config/logs.py: no request data, no variables.
ADMINS = [("NRM administrators", a) for a in env.string_list("ADMINS")]
DEFAULT_EXCEPTION_REPORTER = "config.error_reports.PersonalDataExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.error_reports.PersonalDataReporterFilter"

# Vault keys: a key file (JSON) or the environment; never the database.
# See referral/vault/ (its package docstring) for the format.
VAULT_KEY_FILE = env.string("VAULT_KEY_FILE", "")
# The transnational exchange (referral/transnational.py): this mechanism's
# signing and encryption keys, in a key file beside the vault's (created by
# `manage.py transnational_keygen`), and its identifier in the packages
# (default: the active country profile's country code).
TRANSNATIONAL_KEY_FILE = env.string("TRANSNATIONAL_KEY_FILE", "")
TRANSNATIONAL_MECHANISM_ID = env.string("TRANSNATIONAL_MECHANISM_ID", "")

INDICATOR_CATALOGUE_DIRS = env.string_list("INDICATOR_CATALOGUE_DIRS")

LOG_LEVEL = env.string("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "no_personal_data": {"()": "config.logs.PersonalDataFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {"json": {"()": "config.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["no_personal_data"],
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "formatter": "json",
            "filters": ["require_debug_false", "no_personal_data"],
        },
    },
    "root": {"handlers": ["console", "mail_admins"], "level": LOG_LEVEL},
    "loggers": {
        "django": {
            "handlers": ["console", "mail_admins"],
            "level": LOG_LEVEL,
            "propagate": False,
        },
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "ERROR"},  # failures are in the audit trail
    },
}

# The audit trail's MAC keys (nrm/audit_keys.py): a key file beside the vault
# keys, never the database. Required in production.
AUDIT_KEY_FILE = env.string("AUDIT_KEY_FILE", "")
AUDIT_CREATE_KEY_FILE = False
# Where `manage.py audit_anchor` appends the chain's head (keep it off the
# database server: write-once storage, another host, a printed log).
AUDIT_ANCHOR_FILE = env.string("AUDIT_ANCHOR_FILE", "")
# ...and to these addresses (comma-separated), outside the service's reach.
AUDIT_ANCHOR_MAIL = env.string_list("AUDIT_ANCHOR_MAIL")
# The test runner's flush may empty the audit tables (see
# nrm/management/commands/flush.py); only the test settings turn this on.
AUDIT_FLUSH_BYPASSES_TRIGGERS = False
