"""Every write to accounts. Pages, the API and the admin call these functions:

- users: registration, profile, passwords, password reset, email verification
- login: password and code checks, rate limits, API tokens
- twofactor: TOTP enrolment, backup codes, code verification
- sessions: the browser sessions a user can see and end
- audit: the security event log
"""

from accounts.services.audit import audit_record
from accounts.services.login import (
    InvalidCredentials,
    OtpInvalid,
    OtpRequired,
    login_check_otp,
    login_check_password,
    login_succeeded,
    token_login,
    token_pair_issue,
    token_pair_refresh,
    token_revoke,
)
from accounts.services.sessions import (
    session_forget,
    session_rekey,
    session_revoke,
    session_track,
    sessions_revoke_all,
)
from accounts.services.twofactor import (
    backup_codes_regenerate,
    backup_codes_remaining,
    otp_confirm,
    otp_disable,
    otp_pending_device,
    otp_setup,
    otp_setup_details,
    otp_verify,
)
from accounts.services.users import (
    email_verification_resend,
    email_verification_send,
    email_verify,
    password_reset_confirm,
    password_reset_request,
    password_reset_user,
    user_create,
    user_password_change,
    user_register,
    user_update,
)

__all__ = [
    "InvalidCredentials",
    "OtpInvalid",
    "OtpRequired",
    "audit_record",
    "backup_codes_regenerate",
    "backup_codes_remaining",
    "email_verification_resend",
    "email_verification_send",
    "email_verify",
    "login_check_otp",
    "login_check_password",
    "login_succeeded",
    "otp_confirm",
    "otp_disable",
    "otp_pending_device",
    "otp_setup",
    "otp_setup_details",
    "otp_verify",
    "password_reset_confirm",
    "password_reset_request",
    "password_reset_user",
    "session_forget",
    "session_rekey",
    "session_revoke",
    "session_track",
    "sessions_revoke_all",
    "token_login",
    "token_pair_issue",
    "token_pair_refresh",
    "token_revoke",
    "user_create",
    "user_password_change",
    "user_register",
    "user_update",
]
