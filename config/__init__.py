"""TaskFlow's project package; importing it loads the Celery app, so jobs can be enqueued."""

from config.celery import app as celery_app

__all__ = ("celery_app",)
