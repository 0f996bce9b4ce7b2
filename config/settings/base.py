"""Settings shared by every environment, switched by environment variables.

With no environment at all the app runs on SQLite, the local-memory cache and the
console email backend. See `.env.example` and the README for every variable.
"""

import json
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A developer's `.env` is read when present; real environments set variables directly.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-local-development-key-only")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_celery_beat",
    "django_ratelimit",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "accounts",
    "tasks",
]

MIDDLEWARE = [
    # First: ids, logs and metrics cover whatever the others answer (redirects included).
    "core.http.middleware.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Above whitenoise so static files get them too; CORS first to answer preflights.
    "corsheaders.middleware.CorsMiddleware",
    "core.http.csp.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.http.middleware.UserTimezoneMiddleware",  # the user's "today" (issue 5)
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.http.middleware.HtmxLoginRedirectMiddleware",
    "core.http.middleware.NoStoreAuthenticatedMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASE_POOL = env.bool("DATABASE_POOL", default=False)
DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=4)
DATABASE_CONN_MAX_AGE = env.int("DATABASE_CONN_MAX_AGE", default=60)


def database_config(url: str) -> dict:
    """Build one DATABASES entry: persistent connections, or psycopg's pool on PostgreSQL."""
    config = env.db_url_config(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        return config
    if DATABASE_POOL:
        # Django's pool needs CONN_MAX_AGE = 0; the pool itself keeps connections alive.
        config["CONN_MAX_AGE"] = 0
        config.setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DATABASE_POOL_MAX_SIZE,
            "timeout": 10,
        }
    else:
        config["CONN_MAX_AGE"] = DATABASE_CONN_MAX_AGE
        # A connection kept across requests is checked once per request, so a
        # PostgreSQL restart costs no failed request.
        config["CONN_HEALTH_CHECKS"] = True
    config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    return config


DATABASES = {"default": database_config(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Read replica -----------------------------------------------------------------
# Optional. GET/HEAD/OPTIONS requests read from the replica; writes, other requests, jobs
# and commands use the primary; a browser that just wrote reads the primary for
# DATABASE_REPLICA_PIN_SECONDS (core/routers.py, docs/operations.md).
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=5)
if DATABASE_REPLICA_URL:
    # Under tests the replica is the test database itself, like a replica with no lag.
    DATABASES["replica"] = {
        **database_config(DATABASE_REPLICA_URL),
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["core.routers.PrimaryReplicaRouter"]
    # First, so every database read of the request (session, user, view) is routed.
    MIDDLEWARE = ["core.routers.ReplicaRoutingMiddleware", *MIDDLEWARE]

# --- Cache --------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")


def redis_cache(url: str, **options) -> dict:
    """A django-redis cache at `url` that fails fast: a hung Redis must not hang workers."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="taskflow"),
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
            "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=0.5),
            **options,
        },
    }


if REDIS_URL:
    # Redis down degrades caching to misses instead of 500s; /ready/ reports it.
    CACHES = {"default": redis_cache(REDIS_URL, IGNORE_EXCEPTIONS=True)}
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Rate-limit counters get a cache of their own, so no amount of cached pages can evict
# one: Redis applies maxmemory-policy per server, so production points this at a second
# server set to noeviction (render.yaml, docker-compose.yml). Errors are not ignored here:
# core.ratelimit catches redis-py's and decides (RATELIMIT_FAIL_OPEN, docs/security.md).
RATELIMIT_REDIS_URL = env.str("RATELIMIT_REDIS_URL", default=REDIS_URL)
if RATELIMIT_REDIS_URL:
    CACHES["ratelimit"] = redis_cache(RATELIMIT_REDIS_URL)
else:
    CACHES["ratelimit"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "ratelimit",  # not the default cache's store
    }

# The database session engine survives a Redis outage and never resurrects a
# logged-out session (see docs/operations.md).
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Auth ---------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# ModelBackend, except that each request's user comes from the cache (accounts.cache).
AUTHENTICATION_BACKENDS = ["accounts.authentication.CachedUserBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "tasks:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Argon2 first; older hashes are upgraded to it at the next successful login.
PASSWORD_HASHERS = [
    # Django's Argon2 ("argon2$" hashes), run on a low-priority thread (accounts.hashers).
    "accounts.hashers.BackgroundArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Two-factor authentication (django-otp) ------------------------------------
OTP_TOTP_ISSUER = "TaskFlow"
OTP_THROTTLE_FACTOR = 1  # seconds, doubling after each failed code on a device
# How long a staff member's two-factor enrolment link works (accounts.services.staff_enrolment).
STAFF_ENROLMENT_LINK_HOURS = env.int("STAFF_ENROLMENT_LINK_HOURS", default=24)
BACKUP_CODE_COUNT = 10

# --- Rate limits (core.ratelimit; the DRF throttles count in the same cache) ---------
# How many proxies in front of the app append to X-Forwarded-For (Render/Railway: 1).
# 0 trusts nobody: the TCP peer is the client, and a forged header changes nothing.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# django-ratelimit's settings, read by core.ratelimit too: the counters' cache (its system
# check refuses a per-process cache there), the client address for its decorator, and
# what an unreachable counter means. Fail open: the sign-in and reset limits stop counting
# rather than refusing everyone (false: they refuse); API throttles always let requests by.
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_IP_META_KEY = "core.ratelimit.client_ip_from_request"
RATELIMIT_FAIL_OPEN = env.bool("RATELIMIT_FAIL_OPEN", default=True)
# Failed passwords: tight per account from one network, so a stranger elsewhere cannot
# lock the owner out; looser per account from anywhere, against guessing from many networks.
RATE_LOGIN_FAILURES_PER_ACCOUNT_NETWORK = env.str(
    "RATE_LOGIN_FAILURES_PER_ACCOUNT_NETWORK", default="5/m"
)
RATE_LOGIN_FAILURES_PER_ACCOUNT = env.str("RATE_LOGIN_FAILURES_PER_ACCOUNT", default="100/h")
RATE_LOGIN_FAILURES_PER_IP = env.str("RATE_LOGIN_FAILURES_PER_IP", default="20/m")
RATE_REGISTRATION_PER_IP = env.str("RATE_REGISTRATION_PER_IP", default="10/h")
RATE_PASSWORD_RESET_PER_IP = env.str("RATE_PASSWORD_RESET_PER_IP", default="5/h")
RATE_PASSWORD_RESET_PER_EMAIL = env.str("RATE_PASSWORD_RESET_PER_EMAIL", default="5/h")
RATE_OTP_CHECKS_PER_USER = env.str("RATE_OTP_CHECKS_PER_USER", default="5/m")
RATE_VERIFICATION_RESEND_PER_USER = env.str("RATE_VERIFICATION_RESEND_PER_USER", default="3/h")
RATE_TASK_PICK_PER_USER = env.str("RATE_TASK_PICK_PER_USER", default="120/m")
RATE_DATA_JOBS_PER_USER = env.str("RATE_DATA_JOBS_PER_USER", default="30/h")
RATE_API_ANON = env.str("RATE_API_ANON", default="60/min")
RATE_API_USER = env.str("RATE_API_USER", default="600/min")
if not RATELIMIT_REDIS_URL:
    # Local memory is per process: fine for runserver and tests, never for gunicorn
    # workers (production requires REDIS_URL, which RATELIMIT_REDIS_URL defaults to).
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# --- Password reset and email verification ----------------------------------------
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
EMAIL_VERIFICATION_TIMEOUT = env.int("EMAIL_VERIFICATION_TIMEOUT", default=3 * 86400)

# --- Internationalisation --------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files (whitenoise) ------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Only our own pages load these files: no "Access-Control-Allow-Origin: *" (whitenoise's
# default) on them, as on every page (CORS is for the API alone).
WHITENOISE_ALLOW_ALL_ORIGINS = False
# Import uploads and export files (tasks.models.DataJob), never served as static media:
# only their owner downloads them, through the app. Web and worker processes must share
# this storage: one machine's folder here, an object store (django-storages) on platforms
# whose services have separate disks (docs/operations.md).
DATA_FILES_ROOT = env.path("DATA_FILES_ROOT", default=BASE_DIR / "media" / "data")
# Blank (as a platform's unset variable arrives) means the default.
DATA_STORAGE_BACKEND = (
    env.str("DATA_STORAGE_BACKEND", default="") or "django.core.files.storage.FileSystemStorage"
)
_data_storage_options = env.str("DATA_STORAGE_OPTIONS", default="")
DATA_STORAGE = {
    "BACKEND": DATA_STORAGE_BACKEND,
    "OPTIONS": json.loads(_data_storage_options)
    if _data_storage_options
    else {"location": str(DATA_FILES_ROOT)}
    if DATA_STORAGE_BACKEND.endswith("FileSystemStorage")
    else {},
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "data": DATA_STORAGE,
}

# --- Email --------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="TaskFlow <noreply@taskflow.local>")

# --- Background jobs (Celery) ------------------------------------------------------
# config/celery.py reads every CELERY_* setting; jobs live in <app>/jobs.py. Without a
# broker, jobs run eagerly in the process that enqueues them: `make run` needs no worker.
from celery.schedules import crontab  # noqa: E402 - lowercase: not a setting itself

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = CELERY_BROKER_URL or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
# Eager jobs still take a (never connected) producer: an in-memory one, not amqp://localhost.
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
# A job is acknowledged when it finishes, so a worker that dies mid-job leaves it to another
# (every job is idempotent); each worker process takes one job at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_TASKS_PER_CHILD = 1000
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Jobs are fire-and-forget (their outcome is in the logs): enqueueing never waits on the
# result store. A caller that wants a result asks for it (config.celery.ping does).
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers log through LOGGING below, like the web processes, not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Redis redelivers a job nobody acknowledged after this long (visibility_timeout): longer
# than any job, and than the longest retry delay (Celery's retry_backoff caps at 10 minutes).
# A page must not hang when Redis does: enqueueing gives up within seconds (core.emails
# then sends inline).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
# beat runs as a process of its own (Procfile `beat:`), with the schedule in the database:
# it survives restarts and deploys, and staff edit it in the admin. The entries below are
# written there when beat starts.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "daily-reminders": {
        "task": "tasks.jobs.send_daily_reminders",
        "schedule": crontab(minute=0),  # hourly: each user's local reminder hour comes once
    },
    "cleanup": {"task": "accounts.jobs.cleanup", "schedule": crontab(hour=3, minute=15)},
    "archive-done-tasks": {
        "task": "tasks.jobs.archive_done_tasks",
        "schedule": crontab(hour=3, minute=30),
    },
    "prune-data-jobs": {"task": "tasks.jobs.prune_data_jobs", "schedule": crontab(minute=40)},
}
# Local hour (each user's User.timezone) at which daily reminders go out.
REMINDER_HOUR = env.int("REMINDER_HOUR", default=8)
# Done tasks untouched for this many days are archived by the nightly job.
ARCHIVE_AFTER_DAYS = env.int("ARCHIVE_AFTER_DAYS", default=30)
# Security events (AuditEvent) older than this are deleted by the nightly cleanup.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)

# --- Data import ----------------------------------------------------------------
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)  # larger uploads: 413
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=20_000)  # tasks + notes per file
IMPORT_MAX_NEW_TAGS = env.int("IMPORT_MAX_NEW_TAGS", default=500)  # tags one file may create
TAGS_PER_ACCOUNT_MAX = env.int("TAGS_PER_ACCOUNT_MAX", default=5_000)
# An export's file can be downloaded for this long; then it is deleted (prune-data-jobs).
DATA_EXPORT_KEEP_HOURS = env.int("DATA_EXPORT_KEEP_HOURS", default=24)
# Finished jobs (their status and counts) are listed for this long.
DATA_JOB_KEEP_DAYS = env.int("DATA_JOB_KEEP_DAYS", default=7)

# --- Security headers (production.py adds HTTPS-only flags) -------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Content Security Policy, Permissions-Policy, CORS ---------------------------
# Scripts and styles come only from our static files: no inline code, no eval. htmx keeps to
# that with allowEval and includeIndicatorStyles off (templates/base.html). The one inline
# script and style, Swagger UI's at /api/docs/, carry this response's nonce
# (templates/drf_spectacular/swagger_ui.html); no other page reads the nonce, so no other
# page's header has one.
from csp import constants as csp_values  # noqa: E402 - lowercase: not a setting itself

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_values.SELF],
        "script-src": [csp_values.SELF, csp_values.NONCE],
        "style-src": [csp_values.SELF, csp_values.NONCE],
        # Pico CSS draws checkboxes, radios and select arrows as data: SVG images.
        "img-src": [csp_values.SELF, "data:"],
        "object-src": [csp_values.NONE],
        "base-uri": [csp_values.NONE],
        "frame-ancestors": [csp_values.NONE],
        "form-action": [csp_values.SELF],
    }
}

# Powerful browser features the app never uses, denied to it and to anything it embeds.
# Only names Chromium knows: an unknown one logs a console warning on every page.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# Cross-origin browser clients may call the JSON API only; pages, admin and forms stay
# same-origin. The API authenticates with bearer tokens, never cookies: no credentials.
INSTALLED_APPS += ["corsheaders"]  # its system checks validate the settings below
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = ["authorization", "content-type", "if-match", "if-none-match"]
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After", "X-Request-ID"]

# --- API ------------------------------------------------------------------------
REST_FRAMEWORK = {
    # No BasicAuthentication: a Basic header would cost a full password hash per request.
    # simplejwt's JWTAuthentication, with the user read through accounts.cache.
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.CachedUserJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies only: form encodings read differently (empty values, booleans, lists), so
    # the same request would mean two things. A view that takes a file says so itself.
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.StrictJSONParser"],
    # `page` and `page_size` (default 20, at most 100) on every list.
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    # DRF's scopes and rates, counted in fixed windows (one increment, not a history list).
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttles.AnonRateThrottle",
        "core.api.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": RATE_API_ANON, "user": RATE_API_USER},
    # The same trusted-proxy rule as django-ratelimit (core.ratelimit).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_TOKEN_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry a hash of the password: changing it kills every token at once.
    "CHECK_REVOKE_TOKEN": True,
}
# Rotation extends a refresh chain; this caps it, counted from the password login.
JWT_REFRESH_MAX_DAYS = env.int("JWT_REFRESH_MAX_DAYS", default=30)

SPECTACULAR_SETTINGS = {
    "TITLE": "TaskFlow API",
    "DESCRIPTION": (
        "JSON API for TaskFlow's mobile clients. Authenticate with `POST /api/v1/auth/token/` "
        "and send the access token as `Authorization: Bearer <token>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Two choice sets are called `status`: a task's and an import or export job's.
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "tasks.models.Task.Status",
        "DataJobStatusEnum": "tasks.models.DataJob.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.closed_request_bodies",
        "core.api.schema.documented_errors",
    ],
}
# Whose request bodies refuse unknown fields (tasks.api.views.OwnedViewSet).
API_CLOSED_BODY_PATHS = ["/api/v1/tasks/", "/api/v1/notes/", "/api/v1/tags/"]

# --- Logging ------------------------------------------------------------------
# One JSON object per line (timestamp, level, logger, message, pid, request_id and each
# request's fields: core.http.middleware). DJANGO_LOG_FORMAT=plain for reading in a terminal.
from core.observability import logging as observability  # noqa: E402 - used by the two sections below

LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.observability.logging.RequestIdFilter"}},
    "formatters": {
        "json": observability.json_formatter(),
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Each request already logs one line with its status; Django's own "Not Found: /x"
        # warnings would only repeat it. Errors (5xx, with the traceback) still log.
        "django.request": {"level": "ERROR"},
    },
}

# --- Observability (docs/operations.md#monitoring) ---------------------------------
# Connects the metric receivers: failed sign-ins, Celery task outcomes.
INSTALLED_APPS += ["core"]
# Bearer token Prometheus sends to /metrics; unset, the endpoint answers 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Count the default cache's hits and misses (core.observability.metrics), whichever backend it is.
if REDIS_URL:
    CACHES["default"]["OPTIONS"]["CLIENT_CLASS"] = "core.observability.metrics.RedisClient"
else:
    CACHES["default"]["BACKEND"] = "core.observability.metrics.LocMemCache"

# Demo account created by `make run` (manage.py ensure_demo_user).
DEMO_USER_EMAIL = env.str("DEMO_USER_EMAIL", default="demo@taskflow.local")
DEMO_USER_PASSWORD = env.str("DEMO_USER_PASSWORD", default="taskflow-demo-2024")
