"""Production: every secret from the environment, HTTPS-only flags on.

Refuses to start (ImproperlyConfigured) when a required variable is missing.
"""

from .base import *  # noqa: F403
from .base import DATABASES, database_config, env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
# Keeps base.py's optional "replica" alias (DATABASE_REPLICA_URL).
DATABASES = {**DATABASES, "default": database_config(env.str("DATABASE_URL"))}
if not env.str("REDIS_URL", default=""):
    # Rate limits and caches must be shared by every worker and instance.
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set the REDIS_URL environment variable")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "data": DATA_STORAGE,  # noqa: F405
}

# Render and Railway terminate TLS at their proxy and say so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Platform health checks speak plain HTTP inside the private network.
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^ready/$", r"^ready/database/$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# --- Observability: error reports to Sentry when SENTRY_DSN is set (docs/operations.md) ---
from core.observability import sentry  # noqa: E402

SENTRY_ENABLED = sentry.sentry_init(
    dsn=env.str("SENTRY_DSN", default=""),
    environment=env.str("SENTRY_ENVIRONMENT", default="production"),
    traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
)
