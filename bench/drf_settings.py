"""The DEFAULT-DRF ANCHOR: the task list and create as DRF's documentation builds them.

bench/run.py serves it with the same gunicorn.conf.py (same workers and threads) as the
product, on another port, over the same database, and divides the product's throughput
by this one's. What a new project gets from `django-admin startproject` plus DRF's
tutorial, nothing tuned:

- Django's default middleware list (as startproject writes it);
- a ModelSerializer, a ModelViewSet, DRF's PageNumberPagination (20 per page, a COUNT per
  page) and DRF's default renderers and parsers;
- simplejwt's stock JWTAuthentication (one user query per request), with the product's
  SIMPLE_JWT settings and secret, so the product's access tokens work here unchanged
  (CHECK_REVOKE_TOKEN: the token's password-hash claim is checked against the row);
- no throttles, no cache (Django's default per-process local memory, unused).

It shares the product's DATABASES entry (persistent connections with health checks) so
that connection handling, a known 4.8x (PITFALLS), is not part of the difference.
Not a product URL: only bench/run.py ever loads this module.
"""

import os

from config.settings.base import SIMPLE_JWT, database_config

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]  # the product's: its tokens verify here
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # accounts' models and signal receivers import django-otp's device models. (simplejwt's
    # token_blacklist models, which accounts.tokens imports, name their app themselves and
    # load without it; nothing here reads them.)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "accounts",
    "tasks",
]

# Django 5.2's startproject list.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "bench.drf_anchor.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

DATABASES = {"default": database_config(os.environ["DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
}
SIMPLE_JWT = SIMPLE_JWT  # the product's (lifetimes, header type, revoke claim)
