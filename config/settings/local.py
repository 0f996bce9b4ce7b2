"""Developer machine: debug pages, console email, the browsable API."""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK

DEBUG = True
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
