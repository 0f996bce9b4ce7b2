from django.urls import path, re_path

from tasks.views import dashboard, data, notes
from tasks.views import tasks as task_pages

app_name = "tasks"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("tasks/", task_pages.task_list, name="list"),
    path("tasks/new/", task_pages.task_create, name="create"),
    path("tasks/<int:pk>/", task_pages.task_detail, name="detail"),
    path("tasks/<int:pk>/row/", task_pages.task_row, name="row"),
    path("tasks/<int:pk>/row/edit/", task_pages.task_row_edit, name="row-edit"),
    path("tasks/<int:pk>/done/", task_pages.task_set_done, name="set-done"),
    path("tasks/<int:pk>/delete/", task_pages.task_delete, name="delete"),
    path("tasks/<int:pk>/restore/", task_pages.task_restore, name="restore"),
    path("notes/", notes.note_list, name="note-list"),
    path("notes/new/", notes.note_create, name="note-create"),
    path("notes/<int:pk>/", notes.note_detail, name="note-detail"),
    path("notes/<int:pk>/delete/", notes.note_delete, name="note-delete"),
    path("notes/pick-task/", notes.task_pick, name="task-pick"),
    path("export/", data.data_export, name="export"),
    path("import/", data.data_import, name="import"),
    path("data/jobs/<uuid:pk>/", data.data_job, name="data-job"),
    path("data/jobs/<uuid:pk>/download/", data.data_job_download, name="data-job-download"),
    path("calendar/reset/", data.calendar_reset, name="calendar-reset"),
    # The token is secrets.token_urlsafe(32): anything else is a 404 without a query.
    re_path(
        r"^calendar/(?P<token>[A-Za-z0-9_-]{20,64})\.ics$",
        data.calendar_feed,
        name="calendar-feed",
    ),
]
