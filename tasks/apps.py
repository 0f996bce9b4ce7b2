from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Tasks"

    def ready(self):
        from tasks import signals  # noqa: F401 (connects the receivers)
