from django.urls import path, re_path

from tasks import views

app_name = "tasks"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tasks/", views.task_list, name="list"),
    path("tasks/new/", views.task_create, name="create"),
    path("tasks/<int:pk>/", views.task_detail, name="detail"),
    path("tasks/<int:pk>/row/", views.task_row, name="row"),
    path("tasks/<int:pk>/row/edit/", views.task_row_edit, name="row-edit"),
    path("tasks/<int:pk>/done/", views.task_set_done, name="set-done"),
    path("tasks/<int:pk>/delete/", views.task_delete, name="delete"),
    path("tasks/<int:pk>/restore/", views.task_restore, name="restore"),
    path("notes/", views.note_list, name="note-list"),
    path("notes/new/", views.note_create, name="note-create"),
    path("notes/<int:pk>/", views.note_detail, name="note-detail"),
    path("notes/<int:pk>/delete/", views.note_delete, name="note-delete"),
    path("export/", views.data_export, name="export"),
    path("import/", views.data_import, name="import"),
    path("calendar/reset/", views.calendar_reset, name="calendar-reset"),
    # The token is secrets.token_urlsafe(32): anything else is a 404 without a query.
    re_path(
        r"^calendar/(?P<token>[A-Za-z0-9_-]{20,64})\.ics$",
        views.calendar_feed,
        name="calendar-feed",
    ),
]
