"""Settings shared by every environment, switched by environment variables.

With no environment at all the app runs on SQLite, the local-memory cache and the
console email backend. See `.env.example` and the README for every variable.
"""

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
    "django.middleware.security.SecurityMiddleware",
    # Above whitenoise so static files get them too; CORS first to answer preflights.
    "corsheaders.middleware.CorsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.HtmxLoginRedirectMiddleware",
    "config.middleware.NoStoreAuthenticatedMiddleware",
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

# --- Cache --------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="taskflow"),
            "OPTIONS": {
                # A hung Redis must not hang workers: fail fast instead.
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
                "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=0.5),
                # Redis down degrades caching to misses instead of 500s; /ready/ reports it.
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The database session engine survives a Redis outage and never resurrects a
# logged-out session (see docs/operations.md).
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Auth ---------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "tasks:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Argon2 first; older hashes are upgraded to it at the next successful login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
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
BACKUP_CODE_COUNT = 10

# --- Rate limits (django-ratelimit and DRF throttles share the cache) -------------
# How many proxies in front of the app append to X-Forwarded-For (Render/Railway: 1).
# 0 trusts nobody: the TCP peer is the client, and a forged header changes nothing.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
RATELIMIT_IP_META_KEY = "accounts.ratelimits.client_ip_from_request"
# Redis unreachable: limits stop counting rather than blocking every sign-in.
RATELIMIT_FAIL_OPEN = env.bool("RATELIMIT_FAIL_OPEN", default=True)
RATE_LOGIN_FAILURES_PER_ACCOUNT = env.str("RATE_LOGIN_FAILURES_PER_ACCOUNT", default="5/m")
RATE_LOGIN_FAILURES_PER_IP = env.str("RATE_LOGIN_FAILURES_PER_IP", default="20/m")
RATE_REGISTRATION_PER_IP = env.str("RATE_REGISTRATION_PER_IP", default="10/h")
RATE_PASSWORD_RESET_PER_IP = env.str("RATE_PASSWORD_RESET_PER_IP", default="5/h")
RATE_PASSWORD_RESET_PER_EMAIL = env.str("RATE_PASSWORD_RESET_PER_EMAIL", default="5/h")
RATE_OTP_CHECKS_PER_USER = env.str("RATE_OTP_CHECKS_PER_USER", default="5/m")
RATE_VERIFICATION_RESEND_PER_USER = env.str("RATE_VERIFICATION_RESEND_PER_USER", default="3/h")
RATE_API_ANON = env.str("RATE_API_ANON", default="60/min")
RATE_API_USER = env.str("RATE_API_USER", default="600/min")
if not REDIS_URL:
    # Local memory is per process: fine for runserver and tests, never for gunicorn
    # workers (production requires REDIS_URL).
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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Email --------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="TaskFlow <noreply@taskflow.local>")

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
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After"]

# --- API ------------------------------------------------------------------------
REST_FRAMEWORK = {
    # No BasicAuthentication: a Basic header would cost a full password hash per request.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # `page` and `page_size` (default 20, at most 100) on every list.
    "DEFAULT_PAGINATION_CLASS": "config.api.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": RATE_API_ANON, "user": RATE_API_USER},
    # The same trusted-proxy rule as django-ratelimit (accounts.ratelimits).
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
}

# --- Logging ------------------------------------------------------------------
LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Demo account created by `make run` (manage.py ensure_demo_user).
DEMO_USER_EMAIL = env.str("DEMO_USER_EMAIL", default="demo@taskflow.local")
DEMO_USER_PASSWORD = env.str("DEMO_USER_PASSWORD", default="taskflow-demo-2024")
