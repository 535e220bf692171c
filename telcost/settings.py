"""Django settings. Everything that varies comes from telcost.env."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from telcost import env

BASE_DIR = env.BASE_DIR
VAR_DIR = Path(env.env_str("TELCOST_VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env.env_str("TELCOST_SECRET_KEY") or "telcost-insecure-development-key-change-me"
DEBUG = env.env_bool("TELCOST_DEBUG", False)
ALLOWED_HOSTS = [h for h in env.env_str("TELCOST_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
TELCOST_BASE_URL = env.env_url("TELCOST_BASE_URL", "http://127.0.0.1:8000")
CSRF_TRUSTED_ORIGINS = [TELCOST_BASE_URL]

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
    "telcost.customers",
    "telcost.jobs",
    "telcost.usage",
    "telcost.addons",
    "telcost.syncs",
    "telcost.exports",
    "telcost.integrations",
    "telcost.simulators",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "telcost.web.middleware.DutchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
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

DATABASES = {"default": env.database_config(VAR_DIR)}
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

# Rating on PostgreSQL: a month's devices are rated in this many parts at once, each in its own
# connection (a PostgreSQL statement runs on one core; see usage.rating). 1 rates in one statement.
RATING_PARALLEL_PARTS = env.env_int("TELCOST_RATING_PARALLEL_PARTS", 2, minimum=1)

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "telcost" / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves from the finders; it only wants the folder to exist
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
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": {
        "host": env.env_str("EMAIL_HOST"), "port": env.env_int("EMAIL_PORT", 25, minimum=1), "timeout": 10}}}
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                           "OPTIONS": {"file_path": str(VAR_DIR / "mail")}}}
DEFAULT_FROM_EMAIL = env.env_str("TELCOST_FROM_EMAIL", "telcost@localhost")

# Provider credentials are encrypted with this (TELCOST_SECRET_KEY when empty).
TELCOST_CREDENTIALS_KEY = env.env_str("TELCOST_CREDENTIALS_KEY")

# How long an export's download link works; the worker removes the file after that.
TELCOST_EXPORT_TTL_DAYS = env.env_int("TELCOST_EXPORT_TTL_DAYS", 7, minimum=1)

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
    },
}
