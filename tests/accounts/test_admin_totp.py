"""Staff never read a TOTP secret in the admin (issue 14)."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


def test_the_totp_admin_shows_a_device_but_never_its_key(staff_client, user):
    device = TOTPDevice.objects.create(user=user, name="Ann's phone", confirmed=True)
    listing = staff_client.get("/admin/otp_totp/totpdevice/").content.decode()
    assert "Ann&#x27;s phone" in listing or "Ann's phone" in listing
    page = staff_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert device.key not in html
    assert "qrcode" not in html.lower()
    for view in ("config", "qrcode"):  # django-otp's own admin serves the QR code here
        response = staff_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/{view}/", follow=True)
        assert response["Content-Type"].startswith("text/html")
        assert device.key not in response.content.decode()
        assert "<svg" not in response.content.decode().split("<!-- END SVGs -->")[-1]


def test_staff_may_delete_a_lost_authenticator(staff_client, user):
    device = TOTPDevice.objects.create(user=user, name="Lost phone", confirmed=True)
    response = staff_client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
