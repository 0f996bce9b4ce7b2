from django.urls import path
from rest_framework.routers import SimpleRouter

from tasks.api import views

app_name = "tasks-api"

# Names: tasks-api:task-list, task-detail, task-complete, task-reopen, task-stats,
# note-list, note-detail, tag-list, tag-detail.
router = SimpleRouter()
router.register("tasks", views.TaskViewSet, basename="task")
router.register("notes", views.NoteViewSet, basename="note")
router.register("tags", views.TagViewSet, basename="tag")

urlpatterns = router.urls

# Names: tasks-api:data-export, data-import, calendar, calendar-reset.
urlpatterns += [
    path("export/", views.DataExportView.as_view(), name="data-export"),
    path("import/", views.DataImportView.as_view(), name="data-import"),
    path("calendar/", views.CalendarLinkView.as_view(), name="calendar"),
    path("calendar/reset/", views.CalendarResetView.as_view(), name="calendar-reset"),
]
