from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views
from core.http import errors, health
from core.observability import metrics

api_v1 = [
    path("auth/", include("accounts.api.urls")),
    path("", include("tasks.api.urls")),
]

urlpatterns = [
    # First: the most requested prefix, and "" below would try every page pattern first.
    path("api/v1/", include(api_v1)),
    path("", include("tasks.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/login/", account_views.admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("health/", health.health, name="health"),
    path("ready/", health.ready, name="ready"),
    # What Render and Railway poll: the database only (core.http.health.ready_database).
    path("ready/database/", health.ready_database, name="ready-database"),
    # Prometheus scrape; 404 unless METRICS_TOKEN is set (docs/operations.md#monitoring).
    path("metrics", metrics.metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # Last: any other /api/ URL is the API's JSON 404, under DEBUG too (Django's debug
    # 404 page would bypass handler404).
    re_path(r"^api/", errors.api_not_found),
]

# Errors no view handled: JSON under /api/, a 503 while the database is unreachable
# (core.http.errors).
handler400 = "core.http.errors.bad_request"
handler404 = "core.http.errors.page_not_found"
handler500 = "core.http.errors.server_error"
