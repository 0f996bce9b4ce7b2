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
