"""A newcomer's first visit in a real browser: sign up, dashboard, log out, log in."""

import re

import pytest
from playwright.sync_api import Page, expect

EMAIL = "ada@example.com"
PASSWORD = "analytical-engine-1843"


def test_sign_up_log_out_and_log_in_again(page: Page, screenshot, assert_no_browser_errors):
    page.goto("/accounts/signup/")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    screenshot(page, "signup")
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Hello, Ada")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Welcome")).to_have_text(
        "Welcome to TaskFlow, Ada!"
    )
    screenshot(page, "dashboard")
    assert_no_browser_errors()

    page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    page.goto("/")  # the session is gone: the dashboard sends us back to log in
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))

    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct email address and password")
    expect(page.get_by_label("Password")).to_be_empty()
    screenshot(page, "login-wrong-password")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Hello, Ada")).to_be_visible()
    assert_no_browser_errors()


@pytest.mark.browser_context_args(viewport={"width": 375, "height": 812})
@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/"])
def test_account_pages_fit_a_phone_screen(page: Page, screenshot, path):
    page.goto(path)
    expect(page.get_by_role("button", name=re.compile("Log in|Create account"))).to_be_visible()
    screenshot(page, "phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
