"""Account pages: sign-up, sign-in with a code step, email verification, password reset,
profile, and the security page (two-factor authentication, sessions, recent events).

The rules live in accounts.services; each view translates its refusals once: a
ValidationError becomes form errors, RateLimited a 429 page with Retry-After.
"""

import re
import time
from dataclasses import dataclass
from typing import Any

import django_otp
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import forms, selectors, services
from accounts.models import UserSession
from accounts.services import staff_enrolment
from core import ratelimit

MODEL_BACKEND = "accounts.authentication.CachedUserBackend"
INVALID_LOGIN = "Please enter a correct email address and password."
INVALID_CODE = "That code is not valid. Check your authenticator app, or use a backup code."
# Between a right password and the code: who is signing in, where to, until when, and
# with which password (its session hash).
PENDING_LOGIN = "accounts.pending_login"
PENDING_LOGIN_SECONDS = 5 * 60
# Only what a backup code can look like goes back out in the .txt download.
BACKUP_CODE_SHAPE = re.compile(r"[a-z0-9-]{1,32}")
BROWSERS = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
]
SYSTEMS = [
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]


# --- helpers -------------------------------------------------------------------------


def _next_url(request) -> str:
    """The page to return to after signing in (`next`), if it is on this site; else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _add_errors(form, error: ValidationError) -> None:
    """A service's errors on the form: under their field when it has one, else above it."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _too_many(error: ratelimit.RateLimited, attempts: str) -> str:
    seconds = error.retry_after
    wait = f"{seconds} seconds" if seconds < 120 else f"{-(-seconds // 60)} minutes"
    return f"Too many {attempts}. Try again in {wait}."


def _refuse(form, error: ratelimit.RateLimited, attempts: str) -> ratelimit.RateLimited:
    form.add_error(None, _too_many(error, attempts))
    return error


@dataclass
class Outcome:
    """What became of a submitted form: done (with the service's result), or refused."""

    done: bool = False
    result: Any = None
    limited: ratelimit.RateLimited | None = None


def _submit(form, service, *, attempts: str = "attempts", **context) -> Outcome:
    """Call `service(**context, **form.cleaned_data)` if the form is valid and bound.

    The form's fields are named after the service's arguments. A ValidationError lands
    on the form; RateLimited too, and the outcome carries it for the 429.
    """
    if not form.is_valid():
        return Outcome()
    try:
        return Outcome(done=True, result=service(**context, **form.cleaned_data))
    except ValidationError as error:
        _add_errors(form, error)
    except ratelimit.RateLimited as error:
        return Outcome(limited=_refuse(form, error, attempts))
    return Outcome()


def _page(request, template: str, context: dict, *, limited=None) -> HttpResponse:
    """The page; a 429 with Retry-After when a rate limit refused the attempt."""
    response = render(request, template, context, status=429 if limited else 200)
    if limited:
        response["Retry-After"] = str(limited.retry_after)
    return response


# --- sign-up and sign-in -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("tasks:dashboard")
    form = forms.SignupForm(request.POST or None)
    outcome = _submit(
        form, services.user_register, attempts="sign-ups from your network", request=request
    )
    if outcome.done:
        user = outcome.result
        auth.login(request, user, backend=MODEL_BACKEND)
        messages.success(request, f"Welcome to TaskFlow, {user.get_short_name()}!")
        return redirect("tasks:dashboard")
    return _page(request, "accounts/signup.html", {"form": form}, limited=outcome.limited)


@require_http_methods(["GET", "POST"])
def login(request):
    """Email and password; users with two-factor authentication go on to the code step."""
    next_url = _next_url(request)
    if request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    form = forms.LoginForm(request.POST or None)
    outcome = _submit(form, _password_check, attempts="sign-in attempts", request=request)
    if outcome.done:
        user = outcome.result
        if not user.two_factor_enabled:
            return _logged_in(request, user, next_url)
        request.session[PENDING_LOGIN] = {
            "user": user.pk,
            "next": next_url,
            "until": time.time() + PENDING_LOGIN_SECONDS,
            "password": user.get_session_auth_hash(),
        }
        return redirect("accounts:login-code")
    context = {"form": form, "next": next_url}
    return _page(request, "accounts/login.html", context, limited=outcome.limited)


@require_http_methods(["GET", "POST"])
def login_code(request):
    """The second step: a code from the authenticator app, or a backup code."""
    pending = request.session.get(PENDING_LOGIN)
    expired = bool(pending) and pending["until"] <= time.time()
    user = None
    if pending and not expired:
        user = selectors.user_active_get(pk=pending["user"])
        # A password changed or reset since it was typed ends the sign-in too, as it ends
        # sessions and tokens: whoever knew the old one must not finish with a code.
        if user is not None and not constant_time_compare(
            pending.get("password", ""), user.get_session_auth_hash()
        ):
            user = None
    if user is None:
        if pending:
            del request.session[PENDING_LOGIN]
            again = "Please log in again."
            messages.info(request, f"Your sign-in took too long. {again}" if expired else again)
        return redirect("accounts:login")
    form = forms.OtpForm(request.POST or None)
    outcome = _submit(form, _code_check, attempts="code attempts", request=request, user=user)
    if outcome.done:
        return _logged_in(request, user, pending["next"], device=outcome.result)
    context = {"form": form, "pending_user": user}
    return _page(request, "accounts/login_code.html", context, limited=outcome.limited)


def _password_check(*, request, username: str, password: str):
    try:
        return services.login_check_password(request=request, email=username, password=password)
    except services.InvalidCredentials as error:
        raise ValidationError(INVALID_LOGIN) from error


def _code_check(*, request, user, otp: str):
    try:
        return services.login_check_otp(request=request, user=user, otp=otp)
    except services.OtpInvalid as error:
        raise ValidationError({"otp": [INVALID_CODE]}) from error


def _logged_in(request, user, next_url: str, *, device=None):
    request.session.pop(PENDING_LOGIN, None)
    auth.login(request, user, backend=MODEL_BACKEND)
    if device is not None:
        django_otp.login(request, device)  # request.user.is_verified(): the admin needs it
    services.login_succeeded(request=request, user=user, via="page")
    return redirect(next_url or settings.LOGIN_REDIRECT_URL)


logout = auth_views.LogoutView.as_view()


# --- email verification ------------------------------------------------------------


@require_GET
def verify_email(request, token):
    try:
        user = services.email_verify(token=token, request=request)
    except ValidationError as error:
        return render(request, "accounts/verify_email.html", {"errors": error.messages})
    messages.success(request, f"Thank you: {user.email} is verified.")
    return redirect("tasks:dashboard" if request.user.is_authenticated else "accounts:login")


@login_required
@require_POST
def verify_email_resend(request):
    user = request.user
    back = _next_url(request) or "tasks:dashboard"
    try:
        sent = services.email_verification_resend(user=user, request=request)
    except ratelimit.RateLimited as error:
        context = {"errors": [_too_many(error, "verification emails")]}
        return _page(request, "accounts/verify_email.html", context, limited=error)
    if sent:
        messages.success(request, f"We sent a new verification link to {user.email}.")
    else:
        messages.info(request, "Your email address is already verified.")
    return redirect(back)


# --- password reset ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def password_reset(request):
    """Ask for a reset link; the answer is the same whether or not the address exists."""
    form = forms.PasswordResetForm(request.POST or None)
    outcome = _submit(
        form, services.password_reset_request, attempts="password reset requests", request=request
    )
    if outcome.done:
        return redirect("accounts:password-reset-sent")
    return _page(request, "accounts/password_reset.html", {"form": form}, limited=outcome.limited)


@require_GET
def password_reset_sent(request):
    return render(request, "accounts/password_reset_sent.html")


@require_http_methods(["GET", "POST"])
def password_reset_confirm(request, uidb64, token):
    """Choose a new password from a reset link; the user then logs in (with 2FA if on)."""
    if services.password_reset_user(uidb64=uidb64, token=token) is None:
        return render(request, "accounts/password_reset_confirm.html", {"form": None})
    form = forms.SetPasswordForm(request.POST or None)
    context = {"uidb64": uidb64, "token": token, "request": request}
    if _submit(form, services.password_reset_confirm, **context).done:
        messages.success(request, "Your password was changed. Log in with your new password.")
        return redirect("accounts:login")
    return render(request, "accounts/password_reset_confirm.html", {"form": form})


# --- profile -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = forms.ProfileForm(request.POST or None, initial=_profile_initial(request.user))
    if _submit(form, services.user_update, user=request.user).done:
        messages.success(request, "Your profile was saved.")
        return redirect("accounts:profile")
    return _render_profile(request, profile_form=form)


@login_required
@require_POST
def password_change(request):
    form = forms.PasswordChangeForm(request.POST)
    outcome = _submit(
        form,
        services.user_password_change,
        user=request.user,
        request=request,
        keep_session_key=request.session.session_key,
    )
    if outcome.done:
        old_key = request.session.session_key
        auth.update_session_auth_hash(request, request.user)  # keep this session only
        services.session_rekey(old_key=old_key, new_key=request.session.session_key)
        messages.success(request, "Your password was changed. Other sessions were signed out.")
        return redirect("accounts:profile")
    return _render_profile(request, password_form=form)


def _profile_initial(user) -> dict:
    return {
        "full_name": user.full_name,
        "timezone": user.timezone,
        "daily_reminder": user.daily_reminder,
    }


def _render_profile(request, *, profile_form=None, password_form=None):
    context = {
        "profile_form": profile_form or forms.ProfileForm(initial=_profile_initial(request.user)),
        "password_form": password_form or forms.PasswordChangeForm(),
    }
    return render(request, "accounts/profile.html", context)


# --- security page -------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    """One signed-in browser on the security page."""

    session: UserSession
    current: bool

    @property
    def device(self) -> str:
        """The browser and system, e.g. "Firefox on Windows", not the whole user agent."""
        agent = self.session.user_agent
        browser = next((name for token, name in BROWSERS if token in agent), "")
        system = next((name for token, name in SYSTEMS if token in agent), "")
        if browser and system:
            return f"{browser} on {system}"
        return browser or system or agent[:40] or "Unknown browser"


def _security_page(request, *, new_codes=None, limited=None, **bound_forms):
    """The security page; a form that was refused is passed back bound, with its errors."""
    user = request.user
    enabled = user.two_factor_enabled
    pending = None if enabled else services.otp_pending_device(user=user)
    setup = services.otp_setup_details(pending) if pending else None
    current_key = request.session.session_key
    context = {
        "two_factor_enabled": enabled,
        "setup": setup,
        "secret_groups": _groups_of_four(setup["secret"]) if setup else "",
        "codes_remaining": services.backup_codes_remaining(user=user) if enabled else 0,
        "new_codes": new_codes,
        "confirm_form": forms.TotpConfirmForm(),
        "disable_form": forms.TwoFactorDisableForm(),
        "regenerate_form": forms.BackupCodesRegenerateForm(),
        "sessions": [
            SessionRow(session, session.session_key == current_key)
            for session in selectors.session_list(user=user)
        ],
        "events": selectors.audit_events_recent(user=user),
        **bound_forms,
    }
    return _page(request, "accounts/security.html", context, limited=limited)


def _groups_of_four(secret: str) -> str:
    return " ".join(secret[start : start + 4] for start in range(0, len(secret), 4))


@login_required
@require_GET
def security(request):
    return _security_page(request)


@login_required
@require_GET
def staff_enrolment_open(request, token):
    """A staff member's enrolment link: this session may now turn two-factor on."""
    user = staff_enrolment.staff_enrolment_user(token)
    if user is None or user != request.user:
        messages.error(
            request,
            "This enrolment link is not valid: it has expired, was used, or is for another "
            "account. Ask for a new one.",
        )
        return redirect("accounts:security")
    request.session[staff_enrolment.SESSION_KEY] = user.pk
    messages.info(request, "Turn on two-factor authentication below; the admin then opens.")
    return redirect("accounts:security")


@login_required
@require_POST
def two_factor_setup(request):
    """Start enrolment: the page then shows the QR code and asks for a first code."""
    if not staff_enrolment.may_enrol(request):
        messages.error(request, staff_enrolment.REFUSED)
        return redirect("accounts:security")
    try:
        services.otp_setup(user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("accounts:security")


@login_required
@require_POST
def two_factor_confirm(request):
    """Finish enrolment; the backup codes are shown in this response only."""
    if not staff_enrolment.may_enrol(request):
        messages.error(request, staff_enrolment.REFUSED)
        return redirect("accounts:security")
    form = forms.TotpConfirmForm(request.POST)
    device = services.otp_pending_device(user=request.user)
    outcome = _submit(
        form,
        services.otp_confirm,
        attempts="code attempts",
        user=request.user,
        request=request,
        keep_session_key=request.session.session_key,
    )
    if outcome.done:
        django_otp.login(request, device)  # this session has just proved it holds the app
        messages.success(request, "Two-factor authentication is on.")
        return _security_page(request, new_codes=outcome.result)
    return _security_page(request, confirm_form=form, limited=outcome.limited)


@login_required
@require_POST
def two_factor_disable(request):
    form = forms.TwoFactorDisableForm(request.POST)
    outcome = _submit(
        form, services.otp_disable, attempts="code attempts", user=request.user, request=request
    )
    if outcome.done:
        messages.success(request, "Two-factor authentication is off.")
        return redirect("accounts:security")
    return _security_page(request, disable_form=form, limited=outcome.limited)


@login_required
@require_POST
def backup_codes_regenerate(request):
    """New backup codes, shown in this response only; the old ones stop working. Needs a
    code or the password (services.backup_codes_regenerate)."""
    if not request.user.two_factor_enabled:
        messages.error(request, "Turn on two-factor authentication first.")
        return redirect("accounts:security")
    form = forms.BackupCodesRegenerateForm(request.POST)
    outcome = _submit(
        form,
        services.backup_codes_regenerate,
        attempts="code attempts",
        user=request.user,
        request=request,
    )
    if outcome.done:
        messages.success(request, "Your new backup codes replace the old ones.")
        return _security_page(request, new_codes=outcome.result)
    return _security_page(request, regenerate_form=form, limited=outcome.limited)


@login_required
@require_POST
def backup_codes_download(request):
    """The codes just shown, posted back from that page, as a text file.

    Nothing is kept on the server: only the page that showed the codes can download them.
    """
    codes = [code for code in request.POST.getlist("code") if BACKUP_CODE_SHAPE.fullmatch(code)]
    if not codes or len(codes) > settings.BACKUP_CODE_COUNT:
        return HttpResponseBadRequest("No backup codes to download.", content_type="text/plain")
    lines = [
        f"TaskFlow backup codes for {request.user.email}",
        "Each code signs you in once, instead of a code from your authenticator app.",
        "",
        *codes,
    ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="taskflow-backup-codes.txt"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def session_revoke(request, session_id: int):
    try:
        services.session_revoke(user=request.user, session_id=session_id, request=request)
    except UserSession.DoesNotExist as error:
        raise Http404("No such session.") from error
    messages.success(request, "That session was signed out.")
    return redirect("accounts:security")


@login_required
@require_POST
def sessions_revoke_others(request):
    count = services.sessions_revoke_all(
        user=request.user, keep_session_key=request.session.session_key, request=request
    )
    messages.success(request, f"Signed out {count} other session{'' if count == 1 else 's'}.")
    return redirect("accounts:security")


@require_GET
def admin_login(request):
    """The admin signs in through our login (limits, audit, code step), not its own form.

    A signed-in user whose session has no verified second factor is sent to turn one on,
    or to sign in again with their code.
    """
    next_url = _next_url(request) or reverse("admin:index")  # never off this site
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': next_url})}")
    if request.user.is_verified() and request.user.is_staff:
        return redirect(next_url)
    if not request.user.is_staff:
        messages.error(request, "Your account cannot use the admin site.")
        return redirect(settings.LOGIN_REDIRECT_URL)
    if request.user.two_factor_enabled:
        messages.warning(
            request, "The admin site needs your code: sign out and sign in again with it."
        )
    else:
        messages.warning(
            request, f"The admin site needs two-factor authentication. {staff_enrolment.REFUSED}"
        )
    return redirect("accounts:security")
