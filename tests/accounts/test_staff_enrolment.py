"""A staff password alone never reaches the admin (issue 14).

Staff without a confirmed device enrol only through a link another verified superuser
made (the admin's action) or `manage.py staff_enrolment_link`: signed, for one account,
spent once a device is confirmed.
"""

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import services
from accounts.services import staff_enrolment
from tests.accounts.factories import UserFactory
from tests.accounts.otp import totp_code

pytestmark = pytest.mark.django_db

SECURITY = reverse("accounts:security")
SETUP = reverse("accounts:two-factor-setup")
CONFIRM = reverse("accounts:two-factor-confirm")


@pytest.fixture
def staff():
    return UserFactory(email="new-admin@example.com", is_staff=True)


def link_for(user) -> str:
    out = io.StringIO()
    call_command("staff_enrolment_link", user.email, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def enrol(client, user) -> None:
    client.post(SETUP)
    device = services.otp_pending_device(user=user)
    assert client.post(CONFIRM, {"otp": totp_code(device)}).status_code == 200


def test_a_staff_password_alone_cannot_enrol_nor_open_the_admin(client, staff):
    client.force_login(staff)
    refused = client.post(SETUP, follow=True)
    assert staff_enrolment.REFUSED in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert client.post(CONFIRM, {"otp": "123456"}).status_code == 302
    assert client.get("/admin/", follow=True).redirect_chain[-1][0] == SECURITY
    api = APIClient()
    api.force_authenticate(staff)
    setup = api.post(reverse("auth-api:2fa-setup"))
    assert (setup.status_code, setup.json()["code"]) == (403, "permission_denied")
    assert api.post(reverse("auth-api:2fa-confirm"), {"otp": "123456"}).status_code == 403


def test_an_enrolment_link_lets_that_staff_member_enrol_once_and_open_the_admin(client, staff):
    link = link_for(staff)
    client.force_login(staff)
    assert client.get(link).url == SECURITY
    enrol(client, staff)
    assert client.get("/admin/").status_code == 200  # this session was just verified
    staff.refresh_from_db()
    stranger = Client()
    stranger.force_login(staff)  # spent: a copy of the link cannot start a second device
    page = stranger.get(link, follow=True).content.decode()
    assert "This enrolment link is not valid" in page


def test_a_link_is_for_its_own_account_only(client, staff):
    other = UserFactory(email="other-admin@example.com", is_staff=True)
    client.force_login(other)
    page = client.get(link_for(staff), follow=True).content.decode()
    assert "This enrolment link is not valid" in page
    assert staff_enrolment.REFUSED in client.post(SETUP, follow=True).content.decode()


def test_people_who_are_not_staff_enrol_as_before(client, user):
    client.force_login(user)
    enrol(client, user)
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_a_verified_superuser_makes_a_link_in_the_admin(staff_client, staff):
    response = staff_client.post(
        "/admin/accounts/user/",
        {"action": "create_enrolment_links", "_selected_action": [staff.pk]},
        follow=True,
    )
    link = re.search(
        r"send them (http://testserver(/accounts/security/two-factor/staff/[^ ]+/))",
        response.content.decode(),
    )
    assert link, response.content.decode()[:2000]
    assert staff_enrolment.staff_enrolment_user(link[2].split("/")[-2]) == staff
