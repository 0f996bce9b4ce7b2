"""Two-factor authentication in a real browser: verify the address, enrol an authenticator
on the security page, keep the backup codes, then log in with the password and a code."""

import base64
import re

from django.core import mail
from django_otp.oath import totp
from playwright.sync_api import Page, expect

EMAIL = "grace@example.com"
PASSWORD = "compiler-cobol-1959"


def authenticator_code(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for this base32 secret (`steps_ahead` windows on)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, drift=steps_ahead):06d}"


def assert_fits_a_phone(page: Page) -> None:
    page.set_viewport_size({"width": 375, "height": 812})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.set_viewport_size({"width": 1280, "height": 720})


def test_enrol_two_factor_then_log_in_with_a_code(
    page: Page, screenshot, assert_no_browser_errors, tmp_path
):
    page.goto("/accounts/signup/")
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Hello, Grace")).to_be_visible()

    banner = page.get_by_role("status").filter(has_text="Please confirm your email address")
    expect(banner).to_be_visible()
    assert_fits_a_phone(page)
    link = re.search(r"https?://\S+/accounts/verify-email/\S+/", mail.outbox[-1].body)[0]
    page.goto(link)
    expect(page.get_by_text(f"{EMAIL} is verified")).to_be_visible()
    expect(banner).to_have_count(0)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Security").click()
    expect(page.get_by_role("heading", name="Security", exact=True)).to_be_visible()
    page.get_by_role("button", name="Turn on two-factor authentication").click()

    expect(page.get_by_role("figure")).to_contain_text("QR code")
    expect(page.locator("figure svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    screenshot(page, "scan-the-qr-code")
    assert_fits_a_phone(page)

    page.get_by_label("6-digit code from the app").fill(authenticator_code(secret))
    page.get_by_role("button", name="Confirm and turn on").click()
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    codes = page.locator(".code-list code").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, "backup-codes")
    assert_fits_a_phone(page)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download as .txt").click()
    download = download_info.value
    assert download.suggested_filename == "taskflow-backup-codes.txt"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert all(code in saved.read_text() for code in codes)
    assert_no_browser_errors()

    page.goto("/accounts/security/")  # the codes were shown once
    expect(page.get_by_text("Backup codes left: 10")).to_be_visible()
    expect(page.get_by_text(codes[0])).to_have_count(0)

    page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    expect(page.get_by_role("heading", name="Enter your authentication code")).to_be_visible()
    screenshot(page, "code-step")
    assert_fits_a_phone(page)
    # The code used to enrol is spent: the app's next one is accepted within the tolerance.
    page.get_by_label("Authentication code").fill(authenticator_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Verify and log in").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Hello, Grace")).to_be_visible()
    screenshot(page, "dashboard")
    assert_no_browser_errors()
