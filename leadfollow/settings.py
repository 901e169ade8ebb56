"""Settings for LeadFollow. The only module that reads the environment.

Every setting has a safe development default (or none, for secrets), so a fresh checkout runs with
nothing configured: SQLite in the project folder, Celery tasks executed in-process, email printed to
the console. Production sets DEBUG=false and the variables listed in .env.example.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off: set it to a long random string."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
BASE_URL = env.str("BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by us: the docs need no CDN
    "django_htmx",
    "axes",
    "leadfollow",
    "leads",
    "scoring",
    "cadences",
    "channels",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "leadfollow.middleware.WorkspaceMiddleware",
    # Axes last: it must see the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "leadfollow.urls"
WSGI_APPLICATION = "leadfollow.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "leadfollow.context_processors.workspace",
            ],
        },
    },
]

FORM_RENDERER = "leadfollow.form_renderer.FormRenderer"

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs the web server and the scheduler side by side on one file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "leadfollow.User"
LOGIN_URL = "leadfollow:login"
LOGIN_REDIRECT_URL = "leadfollow:home"
LOGOUT_REDIRECT_URL = "leadfollow:login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a day

# Login throttling: five failures for one address from one IP lock that pair for 15 minutes.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # the login form posts the email as `username`
AXES_LOCKOUT_TEMPLATE = "leadfollow/lockout.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploaded files (CSV imports). Never served over HTTP: they hold personal data and are read only
# by the app and its workers. Workers on other machines need the same storage (a shared volume, or
# an S3-compatible backend in STORAGES["default"]).
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# Email: console in development; EMAIL_URL=smtp://user:pass@host:587/?tls=True in production.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="LeadFollow <noreply@leadfollow.local>")

# Redis is optional: without it Celery runs tasks in-process and the cache is local memory.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {}

CACHES = {
    "default": (
        {"BACKEND": "leadfollow.cache.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["leadfollow.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["leadfollow.authentication.HasWorkspaceKey"],
    "DEFAULT_THROTTLE_CLASSES": ["leadfollow.throttling.ApiKeyThrottle"],
    "DEFAULT_PAGINATION_CLASS": "leadfollow.pagination.Cursor",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "leadfollow.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}

# The OpenAPI schema (/api/schema/) and its docs (/api/docs/). Both are public: they describe the
# API, they hold no workspace data.
SPECTACULAR_SETTINGS = {
    "TITLE": "LeadFollow API",
    "DESCRIPTION": (
        "Send leads to LeadFollow and read them back. Authenticate with an API key from "
        "Settings → API keys: `Authorization: Bearer lf_…`. Errors are JSON: field errors as "
        '`{"field": ["message"]}`, other errors as `{"code": "…", "detail": "…"}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",  # tags by the segment after it: leads, workspace
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to validator.swagger.io: the docs page talks to this server only.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "PREPROCESSING_HOOKS": ["leadfollow.schema.only_documented_endpoints"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "leadfollow.schema.refuse_unknown_fields",
    ],
    "ENUM_NAME_OVERRIDES": {
        "LeadStatusEnum": "leads.models.Lead.Status",
        "BulkItemStatusEnum": ["created", "merged", "invalid"],
    },
}

# Security. Secure cookies and HSTS whenever DEBUG is off; TLS is usually terminated by a proxy.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = 0 if DEBUG else env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

# Scripts and styles come only from our own static files: no CDN, no inline code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

INVITATION_TTL = timedelta(days=7)
API_KEY_LAST_USED_GRANULARITY = timedelta(seconds=60)
# How long a found API key (with its workspace) is kept in the cache; revoking it clears it.
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=10)

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Intake: steps after a lead is saved (scoring, routing, cadences) retry this often, this late.
INTAKE_STEP_MAX_ATTEMPTS = 4
INTAKE_STEP_RETRY_SECONDS = 60

# API limits.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="1200/min")  # per API key
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
IDEMPOTENCY_TTL = timedelta(hours=24)

# Public web forms: posts allowed per visitor address per form within the window (429 beyond).
FORM_RATE_LIMIT = env.int("FORM_RATE_LIMIT", default=10)
FORM_RATE_WINDOW_SECONDS = env.int("FORM_RATE_WINDOW_SECONDS", default=600)
# Reverse proxies in front of the app that append to X-Forwarded-For. 0 trusts only the socket
# address: otherwise any visitor could forge the header and dodge the per-address form limit.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# CSV import of leads: the largest file accepted, and how many rows commit together.
LEAD_IMPORT_MAX_BYTES = env.int("LEAD_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
LEAD_IMPORT_BATCH_ROWS = env.int("LEAD_IMPORT_BATCH_ROWS", default=200)

# Channels. Provider secrets are encrypted with CHANNEL_SECRETS_KEY (comma-separated to rotate:
# the first key encrypts, all decrypt). Development derives one from SECRET_KEY.
CHANNEL_SECRETS_KEYS = env.list("CHANNEL_SECRETS_KEY", default=[])
if not CHANNEL_SECRETS_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "CHANNEL_SECRETS_KEY is required when DEBUG is off: it encrypts provider credentials."
        )
    CHANNEL_SECRETS_KEYS = [f"channels:{SECRET_KEY}"]
# Provider API base URLs, overridable for a staging mock (the tests point them at local servers).
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="https://api.twilio.com")
SENDGRID_API_HOST = env.str("SENDGRID_API_HOST", default="https://api.sendgrid.com")
DROPCOWBOY_API_BASE_URL = env.str(
    "DROPCOWBOY_API_BASE_URL", default="https://api-v2.dropcowboy.com"
)
PROVIDER_TIMEOUT_SECONDS = env.float("PROVIDER_TIMEOUT_SECONDS", default=10.0)
# A send that failed for a reason worth retrying is tried this many times in all.
SEND_MAX_ATTEMPTS = 3

# Cadences: automated sends allowed per workspace, channel and second (carriers accept about
# one text a second from a number). Touches over the limit wait for the next tick.
CADENCE_SEND_RATES = {"sms": 1, "call": 1, "voicemail": 5, "email": 20}

# Reports: the channels report warns about deliverability above these rates (percent of sent).
REPORTS_BOUNCE_WARNING_PERCENT = 5.0
REPORTS_OPT_OUT_WARNING_PERCENT = 2.0
