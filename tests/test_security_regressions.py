"""Security regressions (issue 7, item 6): credentials after a password change, forged
X-Forwarded-For headers against the limits, and markup typed into every text field.

Already covered elsewhere, and not repeated here:

- A password changed through the API ends every refresh token, every access token (the
  caller's own too) and every page session:
  tests/accounts/test_api.py::test_password_change_kills_refresh_tokens_access_tokens_and_other_sessions
- A password changed on the page keeps the session that changed it and ends the others:
  tests/accounts/test_views.py::test_password_change_keeps_this_session_and_ends_the_others,
  tests/accounts/test_services_security.py::test_password_change_ends_every_other_session,
  tests/accounts/test_security_pages.py::test_after_a_password_change_this_session_is_still_listed
- An access token whose signature this process already verified still dies with the password:
  tests/accounts/test_jwt_authentication.py::test_a_password_change_still_ends_a_verified_token
- A password reset ends sessions and tokens:
  tests/accounts/test_services_security.py::test_password_reset_link_works_once_and_ends_sessions_and_tokens,
  tests/accounts/test_api_security.py::test_a_reset_link_sets_a_new_password_once_and_ends_every_app_session
- API token login, forged X-Forwarded-For: with TRUSTED_PROXY_COUNT=0
  tests/test_ratelimits_api.py::test_a_forged_x_forwarded_for_does_not_escape_the_address_limit,
  behind one proxy ::test_behind_a_trusted_proxy_each_client_address_has_its_own_bucket;
  the address rule itself: tests/accounts/test_services_security.py
  ::test_client_ip_trusts_only_the_configured_proxies
- Titles in import errors stay escaped:
  tests/tasks/test_export_import.py::test_titles_in_import_errors_stay_escaped
- Pages carry no inline script, style or event attribute:
  tests/tasks/test_views.py::test_the_page_has_no_inline_script_style_or_event_attribute;
  the Content Security Policy and nosniff on pages, fragments and the API:
  tests/test_security_headers.py
- The calendar feed round-trips `<b>`, `;` and `,` in a title:
  tests/tasks/test_calendar.py::test_the_feed_lists_exactly_the_users_dated_tasks_without_login

Added here:

- a. a password changed on the page ends access and refresh tokens too; and a sign-in
  half done (password given, code step pending) before a password change, reset or API
  change cannot be finished after it.
- b. with no trusted proxy and with one, forged X-Forwarded-For values do not reset the
  per-address sign-in limit (page and API sharing it), the per-account limit, nor the
  anonymous API throttle.
- c. markup in task titles, descriptions, tag names, note titles and bodies, the search
  box and the filter parameters is escaped on every page and htmx fragment that shows
  it, stays data in the JSON and CSV exports and the calendar feed, and comes back
  verbatim as JSON from the API.
"""

import csv
import dataclasses
import io
import json
import re
from datetime import date
from urllib.parse import quote

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from icalendar import Calendar
from rest_framework.test import APIClient

from accounts import services as account_services
from core.api.throttles import AnonRateThrottle
from tasks import services
from tasks.models import Task
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.accounts.otp import enable_two_factor, totp_code
from tests.accounts.test_api_security import confirm_reset, link_kwargs, request_reset
from tests.accounts.test_security_pages import (
    LOGIN_CODE,
    assert_too_many,
    enter_code,
    log_in,
    signed_in,
)
from tests.accounts.test_views import LOGIN, PASSWORD_CHANGE, STRONG
from tests.tasks.data_helpers import api_export, page_export
from tests.test_ratelimits_api import (
    MINUTE,
    assert_throttled,
)
from tests.test_ratelimits_api import login as api_login

pytestmark = pytest.mark.django_db

TOKEN = reverse("auth-api:token")
REFRESH = reverse("auth-api:token-refresh")
ME = reverse("auth-api:me")
API_PASSWORD_CHANGE = reverse("auth-api:password-change")


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def token_login(email: str, password: str) -> dict:
    response = APIClient().post(TOKEN, {"email": email, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


# --- a. a new password ends every other credential ------------------------------------


def test_a_password_changed_on_the_page_ends_other_sessions_and_every_token(client, user):
    assert log_in(client, user.email).status_code == 302  # the browser that changes it
    laptop = Client()
    assert log_in(laptop, user.email).status_code == 302
    phone = token_login(user.email, DEFAULT_PASSWORD)
    assert bearer(phone["access"]).get(ME).status_code == 200  # verified once: see docstring

    response = client.post(
        PASSWORD_CHANGE,
        {"old_password": DEFAULT_PASSWORD, "new_password": STRONG, "new_password_confirm": STRONG},
    )
    assert response.status_code == 302

    # By design the session that changed the password stays signed in (and is re-keyed).
    assert signed_in(client)
    assert not signed_in(laptop)
    assert bearer(phone["access"]).get(ME).status_code == 401
    assert APIClient().post(REFRESH, {"refresh": phone["refresh"]}).status_code == 401
    assert api_login(APIClient(), user.email, DEFAULT_PASSWORD).status_code == 401
    assert bearer(token_login(user.email, STRONG)["access"]).get(ME).status_code == 200


def change_password_on_the_page(user) -> None:
    owner = Client()
    owner.force_login(user)
    response = owner.post(
        PASSWORD_CHANGE,
        {"old_password": DEFAULT_PASSWORD, "new_password": STRONG, "new_password_confirm": STRONG},
    )
    assert response.status_code == 302


def change_password_through_the_api(user) -> None:
    access = account_services.token_pair_issue(user=user)["access"]
    body = {"old_password": DEFAULT_PASSWORD, "new_password": STRONG}
    assert bearer(access).post(API_PASSWORD_CHANGE, body).status_code == 204


def reset_password_through_the_api(user) -> None:
    assert request_reset(APIClient(), user.email).status_code == 202
    assert confirm_reset(APIClient(), link_kwargs(mail.outbox[-1])).status_code == 204


@pytest.mark.parametrize(
    "new_password",
    [change_password_on_the_page, change_password_through_the_api, reset_password_through_the_api],
    ids=["page-change", "api-change", "api-reset"],
)
def test_a_sign_in_half_done_before_a_new_password_cannot_be_finished_after_it(user, new_password):
    """Someone who had the old password (and can get a code) must start again, and fail."""
    device, _ = enable_two_factor(user)
    intruder = Client()
    response = log_in(intruder, user.email)  # the old password: on to the code step
    assert response.status_code == 302
    assert response.url == LOGIN_CODE

    new_password(user)

    response = enter_code(intruder, totp_code(device, steps_ahead=1))
    assert response.status_code == 302
    assert response.url == LOGIN
    assert not signed_in(intruder)
    assert intruder.get(LOGIN_CODE).url == LOGIN  # the pending sign-in is gone for good


# --- b. forged X-Forwarded-For headers --------------------------------------------------

PROXY = "10.0.0.1"  # our load balancer, when there is one
ATTACKER = "203.0.113.66"  # the attacker's real address, as our proxy sees it
SOMEONE_ELSE = "198.51.100.77"


@dataclasses.dataclass(frozen=True)
class Network:
    """How one attacker's requests reach the app: directly, or through our one proxy."""

    trusted_proxies: int

    @property
    def attacker_address(self) -> str:
        """The address the limits must count: the TCP peer, or the one our proxy saw."""
        return ATTACKER if self.trusted_proxies else "127.0.0.1"  # the test client's peer

    def forged(self, n: int) -> dict:
        """The attacker's nth request, with a new made-up X-Forwarded-For each time."""
        lie = f"198.18.{n}.{n}, 192.0.2.{n}"
        if not self.trusted_proxies:
            return {"HTTP_X_FORWARDED_FOR": lie}
        # The proxy appends the address it saw to whatever the client sent.
        return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{lie}, {ATTACKER}"}

    def someone_else(self) -> dict:
        if not self.trusted_proxies:
            return {"REMOTE_ADDR": SOMEONE_ELSE}
        return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": SOMEONE_ELSE}


@pytest.fixture(params=[0, 1], ids=["no-trusted-proxy", "one-trusted-proxy"])
def network(request, settings):
    settings.TRUSTED_PROXY_COUNT = request.param
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": request.param}
    return Network(request.param)


def test_forged_headers_do_not_reset_the_address_limit_of_page_and_api_sign_in(
    client, api_client, user, network, settings
):
    for n in range(20):  # the page and the API count into the same bucket
        guess = f"guess{n}@example.com"
        if n % 2:
            assert api_login(api_client, guess, "wrong", **network.forged(n)).status_code == 401
        else:
            assert log_in(client, guess, "wrong", **network.forged(n)).status_code == 200

    assert_too_many(log_in(client, user.email, **network.forged(20)), "Too many sign-in attempts")
    assert not signed_in(client)
    forged = network.forged(21)
    assert_throttled(api_login(api_client, user.email, DEFAULT_PASSWORD, **forged), within=MINUTE)
    # The limit is the attacker's address, not everyone's.
    elsewhere = api_login(api_client, user.email, DEFAULT_PASSWORD, **network.someone_else())
    assert elsewhere.status_code == 200


def test_forged_headers_do_not_reset_an_accounts_failed_sign_ins(
    client, api_client, user, network, settings
):
    for n in range(5):
        if n % 2:
            assert (
                api_login(api_client, user.email, "wrong", **network.forged(n)).status_code == 401
            )
        else:
            assert log_in(client, user.email, "wrong", **network.forged(n)).status_code == 200

    assert_too_many(log_in(client, user.email, **network.forged(5)), "Too many sign-in attempts")
    assert not signed_in(client)
    forged = network.forged(6)
    assert_throttled(api_login(api_client, user.email, DEFAULT_PASSWORD, **forged), within=MINUTE)


def test_forged_headers_do_not_reset_the_anonymous_api_throttle(api_client, network):
    throttle = AnonRateThrottle()
    for n in range(throttle.num_requests):
        assert api_client.post(REFRESH, {}, **network.forged(n)).status_code == 400

    forged = network.forged(throttle.num_requests)
    assert_throttled(api_client.post(REFRESH, {}, **forged), within=throttle.duration)
    assert api_client.post(REFRESH, {}, **network.someone_else()).status_code == 400


# --- c. markup typed into text fields ---------------------------------------------------

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(1)>\"'&"
TAG = "<img src=x onerror=alert(1)>\"'&"  # a tag name has at most 50 characters
TITLE = PAYLOAD
DESCRIPTION = f"Why: {PAYLOAD}"
DONE_TITLE = f"Done {PAYLOAD}"
NOTE_TITLE = f"Note {PAYLOAD}"
NOTE_BODY = f"Body {PAYLOAD}"
# What must never reach a page as markup.
MARKUP = ("<script>alert", "<img src=x")
HX = {"HX-Request": "true"}

LIST = reverse("tasks:list")
CREATE = reverse("tasks:create")
DASHBOARD = reverse("tasks:dashboard")
NOTES = reverse("tasks:note-list")
NOTE_CREATE = reverse("tasks:note-create")
API_TASKS = reverse("tasks-api:task-list")
API_NOTES = reverse("tasks-api:note-list")
API_TAGS = reverse("tasks-api:tag-list")


def assert_inert(response, *shown: str, status: int = 200) -> str:
    """An HTML answer where the markup appears only escaped: each of `shown`, escaped."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    for markup in MARKUP:
        assert markup not in text
    for value in shown:
        assert escape(value) in text, f"{value!r} is not shown escaped"
    return text


def assert_fragment(response, *shown: str, status: int = 200) -> str:
    text = assert_inert(response, *shown, status=status)
    assert "<html" not in text
    return text


@pytest.fixture
def injected(user):
    """Ann's task, done task and note, with markup in every text field and tag."""
    task = services.task_create(
        owner=user, title=TITLE, description=DESCRIPTION, due_date=date(2030, 1, 15), tags=[TAG]
    )
    done = services.task_create(owner=user, title=DONE_TITLE, status=Task.Status.DONE)
    note = services.note_create(owner=user, title=NOTE_TITLE, body=NOTE_BODY, task=task, tags=[TAG])
    return {"task": task, "done": done, "note": note}


@pytest.fixture
def owner(client, user):
    client.force_login(user)
    return client


FULL_PAGES = {
    "task list": (lambda o: LIST, [TITLE, f"#{TAG}"]),
    "task page": (
        lambda o: reverse("tasks:detail", args=[o["task"].pk]),
        [TITLE, DESCRIPTION, TAG, NOTE_TITLE, NOTE_BODY],
    ),
    "dashboard": (lambda o: DASHBOARD, [DONE_TITLE]),
    "note list": (lambda o: NOTES, [NOTE_TITLE, NOTE_BODY, TITLE, f"#{TAG}"]),
    "note page": (
        lambda o: reverse("tasks:note-detail", args=[o["note"].pk]),
        [NOTE_TITLE, NOTE_BODY, TITLE, TAG],
    ),
    "task delete": (lambda o: reverse("tasks:delete", args=[o["task"].pk]), [TITLE]),
    "note delete": (lambda o: reverse("tasks:note-delete", args=[o["note"].pk]), [NOTE_TITLE]),
}


@pytest.mark.parametrize("page", FULL_PAGES)
def test_every_page_shows_the_markup_only_escaped(owner, injected, page):
    path, shown = FULL_PAGES[page]
    assert_inert(owner.get(path(injected)), *shown)


FRAGMENTS = {
    "filtered list": (lambda o: f"{LIST}?tag={quote(TAG)}", [TITLE, f"#{TAG}"]),
    "row": (lambda o: reverse("tasks:row", args=[o["task"].pk]), [TITLE, f"#{TAG}"]),
    "inline edit": (
        lambda o: reverse("tasks:row-edit", args=[o["task"].pk]),
        [TITLE, DESCRIPTION, TAG],
    ),
    "searched notes": (
        lambda o: f"{NOTES}?search=alert",
        [NOTE_TITLE, NOTE_BODY, TITLE, f"#{TAG}"],
    ),
}


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_every_htmx_fragment_shows_the_markup_only_escaped(owner, injected, fragment):
    path, shown = FRAGMENTS[fragment]
    assert_fragment(owner.get(path(injected), headers=HX), *shown)


def test_htmx_writes_answer_with_the_markup_escaped(owner, injected):
    task = injected["task"]
    # The page the request came from is echoed (as `next`): markup in it stays escaped too.
    came_from = {**HX, "HX-Current-URL": f"http://testserver{LIST}?search={PAYLOAD}"}

    created = owner.post(
        CREATE, {"title": TITLE, "priority": "high", "tags": TAG}, headers=came_from
    )
    assert_fragment(created, TITLE, f"#{TAG}", f"{LIST}?search={PAYLOAD}")

    toggled = owner.post(
        reverse("tasks:set-done", args=[task.pk]), {"done": "true"}, headers=came_from
    )
    assert_fragment(toggled, TITLE)

    task.refresh_from_db()
    edit = {
        "title": f"Edited {PAYLOAD}",
        "description": f"Edited {DESCRIPTION}",
        "status": "todo",
        "priority": "low",
        "tags": TAG,
        "expected_version": task.version,
    }
    edited = owner.post(reverse("tasks:row-edit", args=[task.pk]), edit, headers=HX)
    assert_fragment(edited, f"Edited {PAYLOAD}", f"#{TAG}")

    note = owner.post(
        NOTE_CREATE, {"title": NOTE_TITLE, "body": NOTE_BODY, "tags": TAG}, headers=came_from
    )
    assert_fragment(note, NOTE_TITLE, NOTE_BODY, f"#{TAG}")


def test_refused_input_is_echoed_escaped_with_its_errors(owner, injected):
    # A tag name over 50 characters: the service's message quotes it back.
    refused = owner.post(CREATE, {"title": TITLE, "priority": "high", "tags": PAYLOAD}, headers=HX)
    text = assert_fragment(refused, TITLE, f"at most 50 characters: {PAYLOAD!r}")
    assert 'id="task-create-form"' in text
    assert not Task.objects.filter(title=TITLE).exclude(pk=injected["task"].pk).exists()

    # The same without htmx: the whole list page, with the form refilled.
    assert_inert(owner.post(CREATE, {"title": TITLE, "priority": "high", "tags": PAYLOAD}), TITLE)

    task = injected["task"]
    bad_date = {
        "title": f"Edited {PAYLOAD}",
        "description": DESCRIPTION,
        "status": "todo",
        "priority": "low",
        "due_date": PAYLOAD,
        "tags": TAG,
        "expected_version": task.version,
    }
    page = owner.post(reverse("tasks:detail", args=[task.pk]), bad_date)
    assert_inert(page, f"Edited {PAYLOAD}", DESCRIPTION)
    inline = owner.post(reverse("tasks:row-edit", args=[task.pk]), bad_date, headers=HX)
    assert_fragment(inline, f"Edited {PAYLOAD}", DESCRIPTION)


def test_flash_messages_name_the_task_escaped(owner, injected):
    task = injected["task"]
    created = owner.post(CREATE, {"title": f"New {PAYLOAD}", "priority": "low"}, follow=True)
    assert_inert(created, f"Task “New {PAYLOAD}” added.")
    toggled = owner.post(reverse("tasks:set-done", args=[task.pk]), {"done": "true"}, follow=True)
    assert_inert(toggled, f"“{TITLE}” marked done.")
    deleted = owner.post(reverse("tasks:delete", args=[task.pk]), follow=True)
    assert_inert(deleted, f"Task “{TITLE}” deleted.")
    note = injected["note"]
    deleted = owner.post(reverse("tasks:note-delete", args=[note.pk]), follow=True)
    assert_inert(deleted, f"Note “{NOTE_TITLE}” deleted.")


# Where each list parameter is shown back: the search and tag boxes keep it (whole page
# only), the choice filters name it in their error (page and fragment).
TASK_PARAMETERS = {
    "search": "box",
    "tag": "box",
    "status": "error",
    "priority": "error",
    "due": "error",
    "ordering": "error",
    "archived": "error",
    "due_before": None,
    "overdue": "error",
    "page": None,
}


@pytest.mark.parametrize("parameter", TASK_PARAMETERS)
def test_task_list_parameters_are_shown_back_escaped(owner, injected, parameter):
    echo = TASK_PARAMETERS[parameter]
    query = {parameter: PAYLOAD}
    page = owner.get(LIST, query)
    assert_inert(page, *([PAYLOAD] if echo else []))
    results = owner.get(LIST, query, headers=HX)
    assert_fragment(results, *([PAYLOAD] if echo == "error" else []))


@pytest.mark.parametrize("parameter", ["search", "tag", "task", "page"])
def test_note_list_parameters_are_shown_back_escaped(owner, injected, parameter):
    query = {parameter: PAYLOAD}
    assert_inert(owner.get(NOTES, query), *([PAYLOAD] if parameter == "search" else []))
    assert_fragment(owner.get(NOTES, query, headers=HX))


def test_a_next_parameter_never_becomes_a_script_link_or_markup(owner, injected):
    confirm = reverse("tasks:delete", args=[injected["task"].pk])
    for target in ("javascript:alert(1)", "//evil.example/", "https://evil.example/"):
        text = assert_inert(owner.get(confirm, {"next": target}))
        form = re.search(r'<form[^>]*id="confirm-delete-form".*?</form>', text, re.DOTALL)[0]
        assert f'<input type="hidden" name="next" value="{LIST}">' in form
        assert f'<a href="{LIST}">Cancel</a>' in form
        assert "javascript:" not in text
        assert not re.search(r'(href|value)="(https?:)?//evil', text)
    # A relative path is kept as the way back, escaped.
    assert_inert(owner.get(confirm, {"next": f"/tasks/?{PAYLOAD}"}), f"/tasks/?{PAYLOAD}")


# --- c. the exports and the API: data, never markup --------------------------------------


def body(response) -> bytes:
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


def assert_download(response, content_type: str) -> None:
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_json_exports_carry_the_markup_as_data(owner, jwt_client, injected):
    for response in (
        page_export(owner, "json"),
        api_export(jwt_client, "json"),
    ):
        assert_download(response, "application/json")
        document = json.loads(body(response))
        task = next(t for t in document["tasks"] if t["id"] == injected["task"].pk)
        assert (task["title"], task["description"], task["tags"]) == (TITLE, DESCRIPTION, [TAG])
        [note] = document["notes"]
        assert (note["title"], note["body"], note["tags"]) == (NOTE_TITLE, NOTE_BODY, [TAG])


def test_the_csv_exports_keep_every_value_in_its_own_cell(owner, jwt_client, user, injected):
    # Quotes, commas and line breaks must not leak into other cells or rows.
    tricky = services.task_create(
        owner=user,
        title=f'{PAYLOAD}, "quoted", more',
        description=f"line one\r\nline two, {PAYLOAD}\nkind,id,title\r\nnote,1,forged",
        tags=[TAG, 'a, "b"'],
    )
    for response in (
        page_export(owner, "csv"),
        api_export(jwt_client, "csv"),
    ):
        assert_download(response, "text/csv; charset=utf-8")
        rows = list(csv.DictReader(io.StringIO(body(response).decode(), newline="")))
        assert [row["kind"] for row in rows] == ["task"] * 3 + ["note"]
        by_id = {row["id"]: row for row in rows if row["kind"] == "task"}
        row = by_id[str(tricky.pk)]
        assert row["title"] == tricky.title
        assert row["description"] == tricky.description
        assert row["tags"] == '"<img src=x onerror=alert(1)>""\'&", "a, ""b"""'
        task = by_id[str(injected["task"].pk)]
        assert (task["title"], task["description"]) == (TITLE, DESCRIPTION)
        assert rows[-1]["title"] == NOTE_TITLE
        assert rows[-1]["body"] == NOTE_BODY


def test_the_calendar_feed_keeps_each_value_inside_its_property(client, user):
    title = f"{PAYLOAD}\r\nATTENDEE:mailto:evil@example.com\rX-INJECTED-TITLE:1"
    description = (
        f"{PAYLOAD}; a, b\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil@example.com\n"
        "SUMMARY:forged\rX-INJECTED-DESCRIPTION:1"
    )
    task = services.task_create(
        owner=user,
        title=title,
        description=description,
        due_date=date(2030, 1, 15),
        tags=["x, y; z", TAG],
    )
    response = client.get(reverse("tasks:calendar-feed", args=[user.calendar_token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    feed = response.content.decode()

    # However a client splits lines (CRLF, LF or a lone CR), no value starts a line of its own.
    unfolded = re.sub(r"\r\n[ \t]", "", feed)
    lines = re.split(r"\r\n|\r|\n", unfolded)
    names = [line.split(":", 1)[0].split(";", 1)[0] for line in lines if line]
    assert names.count("BEGIN") == names.count("END") == 2  # the calendar and one event
    assert "ATTENDEE" not in names
    assert not [name for name in names if name.startswith("X-INJECTED")]
    assert not [line for line in lines if line.startswith(("UID:evil", "SUMMARY:forged"))]

    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]) == f"task-{task.pk}@taskflow"
    # Line breaks come back as line breaks; everything else exactly as typed.
    assert str(event["SUMMARY"]) == re.sub(r"\r\n|\r", "\n", title)
    assert str(event["DESCRIPTION"]) == re.sub(r"\r\n|\r", "\n", description)
    assert [str(c) for c in event["CATEGORIES"].cats][-2:] == [TAG, "x, y; z"]


def assert_json(response, status: int = 200):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"&lt;" not in response.content  # data, not escaped for HTML
    return response.json()


def test_the_api_gives_back_exactly_what_was_typed(jwt_client, user):
    created = jwt_client.post(
        API_TASKS, {"title": TITLE, "description": DESCRIPTION, "tags": [TAG]}, format="json"
    )
    task = assert_json(created, 201)
    assert (task["title"], task["description"], task["tags"]) == (TITLE, DESCRIPTION, [TAG])
    detail = assert_json(jwt_client.get(reverse("tasks-api:task-detail", args=[task["id"]])))
    assert detail["title"] == TITLE
    [listed] = assert_json(jwt_client.get(API_TASKS, {"tag": TAG}))["results"]
    assert (listed["title"], listed["tags"]) == (TITLE, [TAG])

    note = assert_json(
        jwt_client.post(
            API_NOTES,
            {"title": NOTE_TITLE, "body": NOTE_BODY, "task": task["id"], "tags": [TAG]},
            format="json",
        ),
        201,
    )
    assert (note["title"], note["body"], note["tags"]) == (NOTE_TITLE, NOTE_BODY, [TAG])
    [tag] = assert_json(jwt_client.get(API_TAGS))["results"]
    assert tag["name"] == TAG

    # A refused filter value is named in JSON, as given.
    refused = assert_json(jwt_client.get(API_TASKS, {"status": PAYLOAD}), 400)
    assert refused["status"] == [
        f"Select a valid choice. {PAYLOAD} is not one of the available choices."
    ]
