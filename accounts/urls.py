from django.urls import include, path

from accounts import views

app_name = "accounts"

password = [
    path("reset/", views.password_reset, name="password-reset"),
    path("reset/sent/", views.password_reset_sent, name="password-reset-sent"),
    path("reset/<uidb64>/<token>/", views.password_reset_confirm, name="password-reset-confirm"),
]

security = [
    path("", views.security, name="security"),
    path("two-factor/setup/", views.two_factor_setup, name="two-factor-setup"),
    path("two-factor/staff/<str:token>/", views.staff_enrolment_open, name="staff-enrolment"),
    path("two-factor/confirm/", views.two_factor_confirm, name="two-factor-confirm"),
    path("two-factor/disable/", views.two_factor_disable, name="two-factor-disable"),
    path("backup-codes/", views.backup_codes_regenerate, name="backup-codes-regenerate"),
    path("backup-codes/download/", views.backup_codes_download, name="backup-codes-download"),
    path("sessions/<int:session_id>/sign-out/", views.session_revoke, name="session-revoke"),
    path("sessions/sign-out-others/", views.sessions_revoke_others, name="sessions-revoke-others"),
]

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.login, name="login"),
    path("login/code/", views.login_code, name="login-code"),
    path("logout/", views.logout, name="logout"),
    # Before verify-email/<token>/, which would take "resend" for a token.
    path("verify-email/resend/", views.verify_email_resend, name="verify-email-resend"),
    path("verify-email/<str:token>/", views.verify_email, name="verify-email"),
    path("password/", include(password)),
    path("profile/", views.profile, name="profile"),
    path("profile/password/", views.password_change, name="password-change"),
    path("security/", include(security)),
]
