"""Django settings. Everything that varies comes from telcost.env."""

from pathlib import Path

from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from telcost import env

BASE_DIR = env.BASE_DIR
VAR_DIR = Path(env.env_str("TELCOST_VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

# No default: a known key would sign anyone's session. `make demo` and the tests set their own.
SECRET_KEY = env.env_required(
    "TELCOST_SECRET_KEY",
    "Set it to a long random value, e.g. the output of "
    "python -c 'import secrets; print(secrets.token_urlsafe(50))' (README: Security).",
)
# Keys retired from TELCOST_SECRET_KEY (comma-separated): sessions and signatures made with
# them stay valid while users move over; remove them after SESSION_COOKIE_AGE (two weeks).
SECRET_KEY_FALLBACKS = [
    key.strip() for key in env.env_str("TELCOST_SECRET_KEY_FALLBACKS").split(",") if key.strip()
]
DEBUG = env.env_bool("TELCOST_DEBUG", False)
ALLOWED_HOSTS = [
    h
    for h in env.env_str("TELCOST_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h
]
TELCOST_BASE_URL = env.env_url("TELCOST_BASE_URL", "http://127.0.0.1:8000")
CSRF_TRUSTED_ORIGINS = [TELCOST_BASE_URL]

# HTTPS (README: Security). TELCOST_HTTPS when the site is served over TLS: Secure cookies,
# HSTS and a redirect of plain HTTP. TELCOST_BEHIND_PROXY when a reverse proxy terminates TLS
# and sets X-Forwarded-Proto and X-Forwarded-For (never without one: clients could forge them).
HTTPS = env.env_bool("TELCOST_HTTPS", False)
BEHIND_PROXY = env.env_bool("TELCOST_BEHIND_PROXY", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env.env_bool("TELCOST_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = env.env_int("TELCOST_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.env_bool("TELCOST_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env.env_bool("TELCOST_HSTS_PRELOAD", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy on every response: scripts only from our own static files (no
# inline script or on* handler anywhere: telcost/web/static/web/telcost.js binds them), no
# plugins, no framing. data: images for the inline favicon and Swagger UI's icons.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rules.apps.AutodiscoverRulesConfig",
    "django_htmx",
    "ninja",  # serves the Swagger UI assets itself: /api/docs works offline
    "django_tasks_db",
    "telcost.web",
    "telcost.accounts",
    "telcost.audit",
    "telcost.customers",
    "telcost.jobs",
    "telcost.usage",
    "telcost.addons",
    "telcost.alerts",
    "telcost.syncs",
    "telcost.exports",
    "telcost.devices",
    "telcost.reports",
    "telcost.idempotency",
    "telcost.integrations",
    "telcost.outbox",
    "telcost.simulators",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "telcost.web.middleware.DutchFirstLocaleMiddleware",
    "telcost.web.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "telcost.audit.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "telcost.web.middleware.JsonErrorMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

ROOT_URLCONF = "telcost.urls"
WSGI_APPLICATION = "telcost.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "telcost.web.context_processors.navigation",
            ],
        },
    },
]

# A connection pooler in transaction mode before PostgreSQL (docs/deploy.md): no WITH HOLD cursors,
# no LISTEN (below), per-key locks held in a transaction of their own (jobs/locks.py).
DB_POOLER = env.database_pooler()
DATABASES = {"default": env.database_config(VAR_DIR, DB_POOLER)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
    }
}

# The jobs app: how long a running step may go without a heartbeat before another
# worker takes it over, and how often workers beat and sweep.
JOBS_HEARTBEAT_SECONDS = env.env_float("TELCOST_JOBS_HEARTBEAT_SECONDS", 5.0, minimum=0.05)
JOBS_STALE_AFTER_SECONDS = env.env_float("TELCOST_JOBS_STALE_AFTER_SECONDS", 60.0, minimum=0.1)
JOBS_SWEEP_SECONDS = env.env_float("TELCOST_JOBS_SWEEP_SECONDS", 5.0, minimum=0.05)
JOBS_WORKER_INTERVAL = env.env_float("TELCOST_JOBS_WORKER_INTERVAL", 0.1, minimum=0.0)
# PostgreSQL: idle workers LISTEN for queued steps (jobs/wakeup.py); off behind a pooler in
# transaction mode, where a session's LISTEN is lost: there it defaults to off and cannot be on.
JOBS_LISTEN = env.env_bool("TELCOST_JOBS_LISTEN", DB_POOLER != "transaction")
if JOBS_LISTEN and DB_POOLER == "transaction":
    raise env.SettingsError(
        "TELCOST_JOBS_LISTEN",
        "true",
        "LISTEN cannot work behind TELCOST_DB_POOLER=transaction (the pooler drops notifications)",
    )
# The engine's test steps (Probe, Noop): only for the workers of tests and benchmarks.
JOBS_DIAGNOSTIC_STEPS = env.env_bool("TELCOST_JOBS_DIAGNOSTIC_STEPS", False)
# Finished django-tasks-db rows are kept this long for debugging, then deleted by a timer.
JOBS_TASK_ROWS_KEEP_DAYS = env.env_int("TELCOST_JOBS_TASK_ROWS_KEEP_DAYS", 7, minimum=0)

# Rating on PostgreSQL: a month's devices are rated in this many parts at once, each in its own
# connection (a PostgreSQL statement runs on one core; see usage.rating). 1 rates in one statement.
RATING_PARALLEL_PARTS = env.env_int("TELCOST_RATING_PARALLEL_PARTS", 2, minimum=1)

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "telcost" / "locale"]
TIME_ZONE = "Europe/Amsterdam"
# Pages write numbers, money and dates in the language's format (telcost.core.formatting);
# English dates are day-first with a 24-hour clock (telcost/web/locale_formats/en).
FORMAT_MODULE_PATH = ["telcost.web.locale_formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(
    exist_ok=True
)  # whitenoise serves from the finders; it only wants the folder to exist
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "files")},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Mail: SMTP when EMAIL_HOST is set, otherwise one file per message under var/mail.
# (Django 6.1's MAILERS; the EMAIL_* settings are deprecated, the environment keeps their names.)
if env.env_str("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env.env_str("EMAIL_HOST"),
                "port": env.env_int("EMAIL_PORT", 25, minimum=1),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }
DEFAULT_FROM_EMAIL = env.env_str("TELCOST_FROM_EMAIL", "telcost@localhost")

# Provider credentials: Fernet keys of their own, the first encrypts, all decrypt
# (telcost.syncs.credentials; `telcost rotate_credentials` re-encrypts with the first).
_NEW_CREDENTIALS_KEY = (
    "Generate one with python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())' (README: Security)."
)
if env.env_str("TELCOST_CREDENTIALS_KEY"):
    raise SystemExit(
        "telcost: TELCOST_CREDENTIALS_KEY is replaced by TELCOST_CREDENTIALS_KEYS (Fernet keys). "
        "To read credentials stored under the old key, set TELCOST_CREDENTIALS_LEGACY_SECRET to "
        "its value (or to the old TELCOST_SECRET_KEY if it was empty), run "
        "`telcost rotate_credentials`, then remove both old settings. " + _NEW_CREDENTIALS_KEY
    )
TELCOST_CREDENTIALS_KEYS = env.env_fernet_keys("TELCOST_CREDENTIALS_KEYS", _NEW_CREDENTIALS_KEY)
# The secret credentials were sealed with before (its SHA-256 was the key): decrypt-only, for
# the one `telcost rotate_credentials` after upgrading; leave it empty otherwise.
TELCOST_CREDENTIALS_LEGACY_SECRET = env.env_str("TELCOST_CREDENTIALS_LEGACY_SECRET")

# API tokens end after this many days (and with a password change). Failed logins (the login
# page and POST /api/auth/token count together) are throttled per username and per client
# address: after that many failures within the window, every try waits for the window's end.
API_TOKEN_DAYS = env.env_int("TELCOST_API_TOKEN_DAYS", 30, minimum=1)
LOGIN_FAILURES_PER_USERNAME = env.env_int("TELCOST_LOGIN_FAILURES_PER_USERNAME", 10, minimum=1)
LOGIN_FAILURES_PER_ADDRESS = env.env_int("TELCOST_LOGIN_FAILURES_PER_ADDRESS", 50, minimum=1)
LOGIN_THROTTLE_SECONDS = env.env_int("TELCOST_LOGIN_THROTTLE_SECONDS", 900, minimum=1)

# How long an export's download link works; the worker removes the file after that.
TELCOST_EXPORT_TTL_DAYS = env.env_int("TELCOST_EXPORT_TTL_DAYS", 7, minimum=1)
# An export's mail that could not go out is tried again: first after this many seconds, then
# twice as long each time (at most an hour), for this many hours (never past the link's end).
TELCOST_EXPORT_MAIL_RETRY_FIRST_SECONDS = env.env_float(
    "TELCOST_EXPORT_MAIL_RETRY_FIRST_SECONDS", 300.0, minimum=0.1
)
TELCOST_EXPORT_MAIL_RETRY_HOURS = env.env_float(
    "TELCOST_EXPORT_MAIL_RETRY_HOURS", 24.0, minimum=0.0
)
# CDR uploads: the largest body accepted (413 above it, before it is stored), and how many days a
# stored upload is kept after its import job ended, for support (0: removed when the job ends).
UPLOAD_MAX_MB = env.env_int("TELCOST_UPLOAD_MAX_MB", 500, minimum=1)
IMPORT_UPLOADS_KEEP_DAYS = env.env_int("TELCOST_IMPORT_UPLOADS_KEEP_DAYS", 0, minimum=0)
FILE_UPLOAD_HANDLERS = [
    "telcost.usage.imports.services.UploadSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# file_drop profiles read only folders under this one (symlinks resolved).
TELCOST_DROP_ROOT = str(env.env_dir("TELCOST_DROP_ROOT", VAR_DIR / "drop"))
# http_api profiles may call loopback, link-local and private addresses only where this is true
# (the demo and the tests, whose simulators listen on loopback).
TELCOST_ALLOW_PRIVATE_PROVIDER_URLS = env.env_bool("TELCOST_ALLOW_PRIVATE_PROVIDER_URLS", False)
NINA_API_URL = env.env_url("NINA_API_URL", "http://127.0.0.1:8101")
NINA_API_KEY = env.env_str("NINA_API_KEY", "nina-demo-key")
NINA_API_TIMEOUT = env.env_float("NINA_API_TIMEOUT", 10.0, minimum=0.1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "telcost": {"handlers": ["console"], "level": env.env_str("TELCOST_LOG_LEVEL", "INFO")},
        # Every uncaught exception (a 500) with its traceback; Django's default shows them only
        # under DEBUG. Its own logger: not also printed again through "django".
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
