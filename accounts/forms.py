"""Page forms for accounts: they check shape; accounts.services applies the rules."""

import zoneinfo

from django import forms


def _email(**attrs) -> forms.EmailField:
    return forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", **attrs}),
    )


def _password(label: str, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": autocomplete})
    )


def _otp(**attrs) -> forms.CharField:
    """A code from the authenticator app, or a backup code (letters too: no numeric keypad)."""
    return forms.CharField(
        label="Authentication code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", **attrs}
        ),
    )


class _ConfirmedPassword(forms.Form):
    """A new password typed twice; only the first reaches the service."""

    confirmed_field = "password"

    def clean(self):
        cleaned = super().clean()
        confirm = f"{self.confirmed_field}_confirm"
        if cleaned.get(self.confirmed_field) != cleaned.get(confirm):
            self.add_error(confirm, "The two passwords do not match.")
        cleaned.pop(confirm, None)
        return cleaned


class SignupForm(_ConfirmedPassword):
    full_name = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = _email()
    password = _password("Password", "new-password")
    password_confirm = _password("Confirm password", "new-password")


class LoginForm(forms.Form):
    """Email and password; `username` is the field name Django's login pages use."""

    username = _email(autofocus=True)
    password = _password("Password", "current-password")


class OtpForm(forms.Form):
    otp = _otp(autofocus=True)


class TotpConfirmForm(forms.Form):
    """The 6-digit code the app shows once the QR code is scanned."""

    otp = forms.CharField(
        label="6-digit code from the app",
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class BackupCodesRegenerateForm(forms.Form):
    """Proof that the person asking holds the app (or a backup code), or the password."""

    otp = _otp()
    otp.required = False
    password = _password("Or your password", "current-password")
    password.required = False

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "regenerate_%s")  # the disable form has these names too
        super().__init__(*args, **kwargs)


class TwoFactorDisableForm(forms.Form):
    password = _password("Password", "current-password")
    otp = _otp()


class PasswordResetForm(forms.Form):
    email = _email(autofocus=True)


class SetPasswordForm(_ConfirmedPassword):
    confirmed_field = "new_password"

    new_password = _password("New password", "new-password")
    new_password_confirm = _password("Confirm new password", "new-password")


class PasswordChangeForm(SetPasswordForm):
    old_password = _password("Current password", "current-password")

    field_order = ["old_password", "new_password", "new_password_confirm"]


def _timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    # Not required: a form without it (an older page) keeps the stored zone.
    timezone = forms.ChoiceField(
        label="Time zone",
        required=False,
        choices=_timezone_choices,
        help_text="Your “today”: what is due and overdue, and when reminders arrive.",
    )
    daily_reminder = forms.BooleanField(
        label="Email me a daily reminder",
        required=False,
        help_text=(
            "Your tasks due today and overdue, each morning in your time zone, once your "
            "email address is verified."
        ),
    )

    def clean_timezone(self) -> str | None:
        return self.cleaned_data["timezone"] or None
