import json

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from tests.tasks.data_helpers import api_export

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_is_valid(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")


AUTH_PUBLIC = (
    "/api/v1/auth/register/",
    "/api/v1/auth/token/",
    "/api/v1/auth/token/refresh/",
    "/api/v1/auth/logout/",
    "/api/v1/auth/password/reset/",
    "/api/v1/auth/password/reset/confirm/",
    "/api/v1/auth/email/verify/",
)
AUTH_SIGNED_IN = (
    "/api/v1/auth/me/",
    "/api/v1/auth/password/change/",
    "/api/v1/auth/email/verify/resend/",
    "/api/v1/auth/2fa/setup/",
    "/api/v1/auth/2fa/confirm/",
    "/api/v1/auth/2fa/disable/",
    "/api/v1/auth/2fa/backup-codes/",
)


def test_the_schema_describes_the_auth_api_and_jwt(client):
    schema = yaml.safe_load(client.get(reverse("api-schema")).content)
    paths = schema["paths"]
    for path in AUTH_PUBLIC + AUTH_SIGNED_IN:
        assert path in paths
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"
    me = paths["/api/v1/auth/me/"]["get"]
    assert {"jwtAuth": []} in me["security"]
    assert "401" in me["responses"]
    register = paths["/api/v1/auth/register/"]["post"]
    assert "400" in register["responses"]
    assert register.get("security") in (None, [], [{}])


def test_the_schema_describes_every_auth_operation_with_its_errors(schema):
    paths = schema["paths"]
    for path in AUTH_PUBLIC + AUTH_SIGNED_IN:
        for method, operation in paths[path].items():
            assert operation["tags"] == ["auth"], path
            throttled = operation["responses"]["429"]
            assert throttled["content"]["application/json"]["schema"]["$ref"].endswith("/Error"), (
                path
            )
            assert "Retry-After" in throttled["headers"], path
            if path in AUTH_SIGNED_IN:
                assert {"jwtAuth": []} in operation["security"], path
                assert "401" in operation["responses"], path
            else:
                assert operation.get("security") in (None, [], [{}]), path
            if method != "get" and path != "/api/v1/auth/email/verify/resend/":
                assert "400" in operation["responses"], (path, method)
    login = paths["/api/v1/auth/token/"]["post"]
    assert "otp" in schema["components"]["schemas"]["TokenObtainRequest"]["properties"]
    assert "otp" not in schema["components"]["schemas"]["TokenObtainRequest"]["required"]
    examples = login["responses"]["401"]["content"]["application/json"]["examples"]
    assert {example["value"]["code"] for example in examples.values()} == {
        "invalid_credentials",
        "otp_required",
        "otp_invalid",
    }
    assert "email_verified" in schema["components"]["schemas"]["User"]["required"]
    assert set(schema["components"]["schemas"]["OtpSetup"]["properties"]) == {
        "secret",
        "otpauth_uri",
        "qr_svg",
    }


TASKS_API = {
    "/api/v1/tasks/": {"get", "post"},
    "/api/v1/tasks/{id}/": {"get", "put", "patch", "delete"},
    "/api/v1/tasks/{id}/complete/": {"post"},
    "/api/v1/tasks/{id}/reopen/": {"post"},
    "/api/v1/tasks/stats/": {"get"},
    "/api/v1/notes/": {"get", "post"},
    "/api/v1/notes/{id}/": {"get", "put", "patch", "delete"},
    "/api/v1/tags/": {"get", "post"},
    "/api/v1/tags/{id}/": {"get", "put", "patch", "delete"},
}


@pytest.fixture
def schema(client):
    return yaml.safe_load(client.get(reverse("api-schema")).content)


def test_the_schema_describes_every_tasks_api_operation_with_auth_errors(schema):
    paths = schema["paths"]
    for path, methods in TASKS_API.items():
        assert set(paths[path]) - {"parameters"} == methods, path
        for method in methods:
            operation = paths[path][method]
            assert operation["tags"] == [path.split("/")[3]]
            assert {"jwtAuth": []} in operation["security"]
            assert "401" in operation["responses"]
            if "{id}" in path:
                assert "404" in operation["responses"], (path, method)
            if method in ("post", "put", "patch") and not path.endswith(("complete/", "reopen/")):
                assert "400" in operation["responses"], (path, method)


def test_every_operation_names_429_and_503_with_retry_after_and_has_a_summary(schema):
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    ]
    assert len(operations) >= 40
    for path, method, operation in operations:
        for status in ("429", "503"):
            answer = operation["responses"][status]
            assert "Retry-After" in answer["headers"], (path, method, status)
            assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
        assert operation["summary"].strip(), (path, method)
    summaries = [operation["summary"] for _, _, operation in operations]
    assert len(set(summaries)) == len(summaries)  # each says what that operation does


def test_field_errors_map_each_field_to_messages(schema):
    field_errors = schema["components"]["schemas"]["FieldErrors"]
    messages, nested = field_errors["additionalProperties"]["anyOf"]
    assert messages == {"type": "array", "items": {"type": "string"}}
    assert nested["type"] == "object"  # a list field's errors, by index
    assert {"detail", "code"} <= set(field_errors["properties"])  # a body that is not JSON


def test_task_note_and_tag_bodies_refuse_unknown_fields_and_a_put_names_every_field(schema):
    components = schema["components"]["schemas"]
    for name in ("TaskRequest", "PatchedTaskRequest", "TaskReplaceRequest", "NoteRequest"):
        assert components[name]["additionalProperties"] is False, name
    replace = components["TaskReplaceRequest"]
    assert set(replace["required"]) == set(replace["properties"])
    put = schema["paths"]["/api/v1/tasks/{id}/"]["put"]["requestBody"]["content"]
    assert put["application/json"]["schema"]["$ref"].endswith("/TaskReplaceRequest")
    assert "additionalProperties" not in components["TokenObtainRequest"]


def test_the_schema_describes_etags_and_conditional_requests(schema):
    for path in ("/api/v1/tasks/{id}/", "/api/v1/notes/{id}/"):
        detail = schema["paths"][path]
        assert "ETag" in detail["get"]["responses"]["304"]["headers"]
        assert "412" in detail["patch"]["responses"]
    detail = schema["paths"]["/api/v1/tasks/{id}/"]
    get = detail["get"]
    assert "If-None-Match" in [p["name"] for p in get["parameters"] if p["in"] == "header"]
    assert "ETag" in get["responses"]["200"]["headers"]
    assert "ETag" in get["responses"]["304"]["headers"]
    for method in ("put", "patch", "delete"):
        operation = detail[method]
        assert "If-Match" in [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert "ETag" in operation["responses"]["412"]["headers"]
    complete = schema["paths"]["/api/v1/tasks/{id}/complete/"]["post"]
    assert "412" in complete["responses"]
    assert "ETag" in schema["paths"]["/api/v1/tasks/"]["post"]["responses"]["201"]["headers"]


def test_the_schema_describes_filters_pagination_and_shapes(schema):
    task_list = schema["paths"]["/api/v1/tasks/"]["get"]
    parameters = {p["name"]: p for p in task_list["parameters"]}
    for name in (
        "status",
        "priority",
        "tag",
        "search",
        "due_before",
        "due_after",
        "overdue",
        "updated_after",
        "ordering",
        "page",
        "page_size",
    ):
        assert parameters[name]["in"] == "query", name
    assert set(parameters["priority"]["schema"]["enum"]) == {"low", "medium", "high"}
    assert "-priority" in parameters["ordering"]["schema"]["enum"]
    assert parameters["updated_after"]["schema"]["format"] == "date-time"
    note_list = schema["paths"]["/api/v1/notes/"]["get"]
    assert {"search", "task", "tag", "page", "page_size"} <= {
        p["name"] for p in note_list["parameters"]
    }
    components = schema["components"]["schemas"]
    assert set(components["PaginatedTaskList"]["properties"]) == {
        "count",
        "next",
        "previous",
        "results",
    }
    assert set(components["Task"]["required"]) == {
        "id",
        "title",
        "description",
        "status",
        "priority",
        "due_date",
        "tags",
        "created_at",
        "updated_at",
        "completed_at",
        "archived_at",
        "version",
    }
    assert components["TaskRequest"]["required"] == ["title"]
    assert components["TaskRequest"]["properties"]["tags"]["items"]["type"] == "string"
    assert set(components["TaskStats"]["properties"]) == {
        "total",
        "by_status",
        "by_priority",
        "overdue",
        "due_today",
        "due_this_week",
    }


def test_swagger_ui_is_served_with_local_assets(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn." not in html


def test_every_paginated_list_documents_its_400_and_a_positive_page_size(schema):
    lists = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            names = {p["name"]: p for p in operation.get("parameters", [])}
            if "page_size" not in names:
                continue
            lists += 1
            assert "400" in operation["responses"], (method, path)
            assert names["page_size"]["schema"]["minimum"] == 1, (method, path)
    assert lists >= 3


def test_only_the_import_takes_a_non_json_body(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" not in operation:
                continue
            types = set(operation["requestBody"]["content"])
            expected = (
                {"multipart/form-data"} if path == "/api/v1/import/" else {"application/json"}
            )
            assert types == expected, (method, path)


def test_the_task_and_user_components_name_exactly_the_answers_keys(schema, jwt_client, user):
    components = schema["components"]["schemas"]
    created = jwt_client.post("/api/v1/tasks/", {"title": "Shape", "tags": ["a"]}, format="json")
    assert created.status_code == 201
    task_id = created.json()["id"]
    answers = [
        created.json(),
        jwt_client.get(f"/api/v1/tasks/{task_id}/").json(),
        jwt_client.get("/api/v1/tasks/").json()["results"][0],
        jwt_client.get("/api/v1/tasks/?cursor=").json()["results"][0],
    ]
    for answer in answers:
        assert set(answer) == set(components["Task"]["properties"])
    me = jwt_client.get("/api/v1/auth/me/").json()
    assert set(me) == set(components["User"]["properties"])


def test_the_export_components_name_exactly_the_exported_records_keys(schema, jwt_client, user):
    task = jwt_client.post("/api/v1/tasks/", {"title": "Out", "tags": ["a"]}, format="json")
    note = {"title": "Note", "task": task.json()["id"]}
    assert jwt_client.post("/api/v1/notes/", note, format="json").status_code == 201
    exported = json.loads(b"".join(api_export(jwt_client).streaming_content))
    components = schema["components"]["schemas"]
    assert set(exported) == set(components["Export"]["properties"])
    assert set(exported["tasks"][0]) == set(components["ExportTask"]["properties"])
    assert set(exported["notes"][0]) == set(components["ExportNote"]["properties"])
