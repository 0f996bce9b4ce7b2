"""Developer machine: debug pages, console email, the browsable API."""

from .base import *  # noqa: F403
from .base import LOGGING, REST_FRAMEWORK, env

DEBUG = True
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

# Readable lines in the terminal; production and tests keep JSON (DJANGO_LOG_FORMAT).
LOGGING["handlers"]["console"]["formatter"] = env.str("DJANGO_LOG_FORMAT", default="plain")
