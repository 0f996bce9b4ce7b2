"""Issue 4: strict headers on every response, no-store for signed-in users, CORS for the API."""

import json
import re

import pytest
from django.urls import reverse

from tests.tasks.factories import TaskFactory
from tests.test_settings import PRODUCTION_ENV, manage

pytestmark = pytest.mark.django_db

ALLOWED_ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://evil.example.net"
CORS_HEADERS = [
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Headers",
    "Access-Control-Allow-Methods",
    "Access-Control-Expose-Headers",
]
DENIED_FEATURES = ["camera", "microphone", "geolocation", "payment", "usb", "serial", "midi"]


def policy_of(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} given twice"
        directives[name] = sources
    return directives


def policy(response) -> dict[str, list[str]]:
    return policy_of(response["Content-Security-Policy"])


def assert_strict_headers(response) -> None:
    """The headers every page, fragment, API answer and error page carries."""
    assert policy(response) == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    features = dict(item.split("=", 1) for item in response["Permissions-Policy"].split(", "))
    for feature in DENIED_FEATURES:
        assert features[feature] == "()", feature
    assert set(features.values()) == {"()"}  # nothing is granted, to us or to any frame


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def test_a_full_page(logged_in):
    response = logged_in.get(reverse("tasks:list"))
    assert response.status_code == 200
    assert b"<html" in response.content
    assert_strict_headers(response)


def test_an_htmx_fragment(logged_in, user):
    TaskFactory(owner=user)
    response = logged_in.get(reverse("tasks:list"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert_strict_headers(response)


def test_an_api_response(jwt_client, user):
    response = jwt_client.get(reverse("auth-api:me"))
    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert_strict_headers(response)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/accounts/login/", 200),
        ("get", "/no-such-page/", 404),
        ("post", "/health/", 405),
        ("get", "/api/v1/auth/me/", 401),  # the API's own error answer
    ],
    ids=["login page", "404", "405", "API 401"],
)
def test_anonymous_pages_and_error_answers(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert_strict_headers(response)


def test_the_policy_never_allows_inline_code_or_eval(client, logged_in):
    for response in [
        client.get(reverse("accounts:login")),
        logged_in.get(reverse("tasks:dashboard")),
        client.get(reverse("api-docs")),
    ]:
        header = response["Content-Security-Policy"]
        assert "unsafe-inline" not in header
        assert "unsafe-eval" not in header
        assert "unsafe-hashes" not in header
        assert "*" not in header


def test_swagger_ui_runs_its_inline_code_by_this_responses_nonce(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    directives = policy(response)
    nonce = re.fullmatch(r"'nonce-([A-Za-z0-9+/=]{24})'", directives["script-src"][1]).group(1)
    assert directives["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert directives["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert directives["object-src"] == ["'none'"]
    html = response.content.decode()
    # Every inline <script> and <style> carries the nonce; the rest load from our static files.
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline_scripts == [f' nonce="{nonce}"']
    assert re.findall(r"<style([^>]*)>", html) == [f' nonce="{nonce}"']
    assert "SwaggerUIBundle(" in html
    # A fresh nonce for every response.
    assert policy(client.get(reverse("api-docs")))["script-src"][1] != f"'nonce-{nonce}'"


def test_the_prebuilt_policy_is_the_one_django_csp_sends(settings, rf):
    """Built once per process (core.http.csp), it equals django-csp's own middleware's."""
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse

    from core.http.csp import ContentSecurityPolicyMiddleware

    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'none'"]}}

    def view(request):
        return HttpResponse("ok")

    ours = ContentSecurityPolicyMiddleware(view)(rf.get("/"))
    theirs = CSPMiddleware(view)(rf.get("/"))
    for header in ("Content-Security-Policy", "Content-Security-Policy-Report-Only"):
        assert policy_of(ours[header]) == policy_of(theirs[header]), header


def test_a_nonce_first_read_after_the_header_is_written_is_an_error(rf):
    from csp.exceptions import CSPNonceError
    from django.http import HttpResponse

    from core.http.csp import ContentSecurityPolicyMiddleware

    request = rf.get("/")
    ContentSecurityPolicyMiddleware(lambda request: HttpResponse("ok"))(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)  # it would be in no header: the page's inline code would fail


def test_a_report_only_policy_in_settings_is_sent(settings, client):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "DIRECTIVES": {"default-src": ["'none'"], "report-uri": "/csp-reports/"}
    }
    response = client.get(reverse("accounts:login"))
    assert policy_of(response["Content-Security-Policy-Report-Only"]) == {
        "default-src": ["'none'"],
        "report-uri": ["/csp-reports/"],
    }
    assert_strict_headers(response)


# --- Cache-Control ------------------------------------------------------------------


def test_pages_for_a_signed_in_user_are_never_stored(logged_in):
    for url in [reverse("tasks:dashboard"), reverse("tasks:list"), reverse("accounts:profile")]:
        assert logged_in.get(url)["Cache-Control"] == "no-store", url
    fragment = logged_in.get(reverse("tasks:list"), headers={"HX-Request": "true"})
    assert fragment["Cache-Control"] == "no-store"
    assert logged_in.get("/no-such-page/")["Cache-Control"] == "no-store"


def test_api_answers_to_a_bearer_token_are_never_stored(jwt_client):
    assert jwt_client.get(reverse("auth-api:me"))["Cache-Control"] == "no-store"
    # Even a refused token: the header alone says the answer is about someone.
    jwt_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = jwt_client.get(reverse("auth-api:me"))
    assert response.status_code == 401
    assert response["Cache-Control"] == "no-store"


def test_anonymous_pages_are_not_marked_no_store(client):
    response = client.get(reverse("accounts:login"))
    assert "no-store" not in response.get("Cache-Control", "")


def test_a_views_own_cache_control_is_kept(logged_in):
    # The probes say never_cache themselves; the middleware does not rewrite that.
    response = logged_in.get(reverse("health"))
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_static_files_stay_cacheable_for_a_signed_in_user(settings, logged_in):
    # whitenoise finds files in static/ on each request (what runserver does with DEBUG on).
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    settings.WHITENOISE_MAX_AGE = 3600
    response = logged_in.get("/static/css/app.css")
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=3600, public"
    assert response["X-Content-Type-Options"] == "nosniff"


# --- CORS -----------------------------------------------------------------------------


def preflight(client, path: str, origin: str):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type, if-match",
        },
    )


@pytest.fixture
def cors_origin(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED_ORIGIN]
    return ALLOWED_ORIGIN


def test_an_allowed_origin_may_call_the_api(client, cors_origin):
    response = preflight(client, "/api/v1/tasks/1/", cors_origin)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert response["Access-Control-Allow-Headers"] == (
        "authorization, content-type, if-match, if-none-match"
    )
    assert "PATCH" in response["Access-Control-Allow-Methods"]
    assert response["Access-Control-Expose-Headers"] == "ETag, Retry-After, X-Request-ID"
    assert not response.has_header("Access-Control-Allow-Credentials")  # bearer tokens only
    assert "origin" in response["Vary"].lower()


def test_an_allowed_origin_reads_the_api_answer_and_its_etag(jwt_client, cors_origin):
    response = jwt_client.get(reverse("auth-api:me"), headers={"Origin": cors_origin})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert response["Access-Control-Expose-Headers"] == "ETag, Retry-After, X-Request-ID"
    assert not response.has_header("Access-Control-Allow-Credentials")


def test_another_origin_gets_no_cors_headers(client, jwt_client, cors_origin):
    responses = [
        preflight(client, "/api/v1/tasks/", OTHER_ORIGIN),
        jwt_client.get(reverse("auth-api:me"), headers={"Origin": OTHER_ORIGIN}),
    ]
    for response in responses:
        for header in CORS_HEADERS:
            assert not response.has_header(header), header


def test_no_origin_is_allowed_by_default(client, settings):
    assert settings.CORS_ALLOWED_ORIGINS == []
    response = preflight(client, "/api/v1/tasks/", ALLOWED_ORIGIN)
    for header in CORS_HEADERS:
        assert not response.has_header(header), header


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/tasks/", "/admin/login/", "/health/", "/static/css/app.css"]
)
def test_pages_never_get_cors_headers(client, settings, cors_origin, path):
    settings.WHITENOISE_USE_FINDERS = True  # static files served, as in production
    settings.WHITENOISE_AUTOREFRESH = True
    got = client.get(path, headers={"Origin": cors_origin})
    assert got.status_code in (200, 302), (path, got.status_code)
    for response in [preflight(client, path, cors_origin), got]:
        for header in CORS_HEADERS:
            assert not response.has_header(header), (path, header)


def test_the_allowed_origins_come_from_the_environment():
    env = {
        **PRODUCTION_ENV,
        "CORS_ALLOWED_ORIGINS": "https://app.example.com,https://m.example.com",
    }
    code = "from django.conf import settings; print(settings.CORS_ALLOWED_ORIGINS)"
    result = manage("shell", "--no-imports", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['https://app.example.com', 'https://m.example.com']"


# --- Production -----------------------------------------------------------------------

PRODUCTION_PROBE = """
import json
from django.conf import settings
from django.test import Client

http = Client(HTTP_HOST="taskflow.example.com")
https = Client(HTTP_HOST="taskflow.example.com", HTTP_X_FORWARDED_PROTO="https")
answers = {
    "page over http": http.get("/accounts/login/"),
    "health over http": http.get("/health/"),
    "ready over http": http.get("/ready/"),
    "health over https": https.get("/health/"),
}
names = [
    "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE", "CSRF_COOKIE_SAMESITE",
]
print(json.dumps({
    "answers": {name: {"status": r.status_code, **r.headers} for name, r in answers.items()},
    "settings": {name: getattr(settings, name) for name in names},
}))
"""


@pytest.fixture(scope="module")
def production():
    """Requests and settings as config.settings.production sees them, in a fresh process."""
    result = manage("shell", "--no-imports", "-c", PRODUCTION_PROBE, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_redirects_to_https_except_the_probes(production):
    answers = production["answers"]
    assert answers["page over http"]["status"] == 301
    assert answers["page over http"]["Location"] == "https://taskflow.example.com/accounts/login/"
    # Platform health checks speak plain HTTP inside their network.
    assert answers["health over http"]["status"] == 200
    assert answers["ready over http"]["status"] in (200, 503)


def test_production_sends_hsts_for_a_year_with_subdomains(production):
    secure = production["answers"]["health over https"]
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert policy_of(secure["Content-Security-Policy"])["default-src"] == ["'self'"]


def test_production_cookies_are_secure_http_only_and_same_site_lax(production):
    assert production["settings"] == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
    }
