import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_is_valid(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")


def test_the_schema_describes_the_auth_api_and_jwt(client):
    schema = yaml.safe_load(client.get(reverse("api-schema")).content)
    paths = schema["paths"]
    for path in (
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/auth/logout/",
        "/api/v1/auth/me/",
        "/api/v1/auth/password/change/",
    ):
        assert path in paths
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"
    me = paths["/api/v1/auth/me/"]["get"]
    assert {"jwtAuth": []} in me["security"]
    assert "401" in me["responses"]
    register = paths["/api/v1/auth/register/"]["post"]
    assert "400" in register["responses"]
    assert register.get("security") in (None, [], [{}])


def test_swagger_ui_is_served_with_local_assets(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn." not in html
