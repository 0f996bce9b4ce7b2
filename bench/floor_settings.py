"""The FLOOR: the cheapest Django response gunicorn can serve on this machine.

One bare JSON view, no middleware, no authentication, no database, no installed apps.
bench/run.py serves it with the same gunicorn.conf.py (same workers and threads) as the
product, on another port, and divides each endpoint's throughput by this one's.
Not a product URL: only bench/run.py ever loads this module.
"""

from django.http import JsonResponse
from django.urls import path

SECRET_KEY = "bench-floor-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
ROOT_URLCONF = "bench.floor_settings"
USE_TZ = True
LOGGING_CONFIG = None


def floor(request):
    return JsonResponse({"ok": True})


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("floor/", floor),
    path("health/", health),
]
