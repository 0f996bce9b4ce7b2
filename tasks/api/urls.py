from django.urls import path
from rest_framework.routers import SimpleRouter

from tasks.api import datajobs, views

app_name = "tasks-api"

# Names: tasks-api:task-list, task-detail, task-complete, task-reopen, task-stats,
# note-list, note-detail, tag-list, tag-detail.
router = SimpleRouter()
router.register("tasks", views.TaskViewSet, basename="task")
router.register("notes", views.NoteViewSet, basename="note")
router.register("tags", views.TagViewSet, basename="tag")

urlpatterns = router.urls

# Names: tasks-api:data-export, data-import, data-job, data-job-download, calendar,
# calendar-reset.
urlpatterns += [
    path("export/", datajobs.DataExportView.as_view(), name="data-export"),
    path("import/", datajobs.DataImportView.as_view(), name="data-import"),
    path("jobs/<str:pk>/", datajobs.DataJobView.as_view(), name="data-job"),
    path(
        "jobs/<str:pk>/download/",
        datajobs.DataJobDownloadView.as_view(),
        name="data-job-download",
    ),
    path("calendar/", views.CalendarLinkView.as_view(), name="calendar"),
    path("calendar/reset/", views.CalendarResetView.as_view(), name="calendar-reset"),
]
