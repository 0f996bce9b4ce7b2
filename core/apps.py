from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Infrastructure: rate limits, API and HTTP glue, observability, backup and restore.

    Imports no app. Its ready() connects the metric receivers (login failures, Celery jobs)
    in web and worker processes.
    """

    name = "core"
    verbose_name = "Infrastructure"

    def ready(self):
        from core.observability import metrics

        metrics.connect_signals()
