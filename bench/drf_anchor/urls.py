from django.urls import include, path
from rest_framework.routers import DefaultRouter

from bench.drf_anchor import views

router = DefaultRouter()
router.register("tasks", views.TaskViewSet, basename="task")

# The product's paths, so the same wrk scripts run against both.
urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("health/", views.health),
]
