"""The Celery app: background jobs live in <app>/jobs.py; settings are CELERY_* in Django's.

Run workers with `celery -A config worker` and exactly one scheduler with `celery -A config
beat` (its schedule in the database: CELERY_BEAT_SCHEDULER). Without a broker (REDIS_URL
unset) jobs run eagerly, in the process that enqueues them.
"""

import os

from celery import Celery

# Like wsgi.py: a deployed process; set DJANGO_SETTINGS_MODULE to run a worker locally.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("taskflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")


@app.task(ignore_result=False)
def ping() -> str:
    """Answer "pong": proves a worker is consuming and the result backend answers."""
    return "pong"
