from django.urls import path

from accounts.api import views

app_name = "auth-api"

urlpatterns = [
    path("register/", views.RegisterView.as_view(), name="register"),
    path("token/", views.TokenObtainView.as_view(), name="token"),
    path("token/refresh/", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("me/", views.MeView.as_view(), name="me"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password-change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "password/reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("email/verify/", views.EmailVerifyView.as_view(), name="email-verify"),
    path(
        "email/verify/resend/",
        views.EmailVerifyResendView.as_view(),
        name="email-verify-resend",
    ),
    path("2fa/setup/", views.OtpSetupView.as_view(), name="2fa-setup"),
    path("2fa/confirm/", views.OtpConfirmView.as_view(), name="2fa-confirm"),
    path("2fa/disable/", views.OtpDisableView.as_view(), name="2fa-disable"),
    path("2fa/backup-codes/", views.BackupCodesView.as_view(), name="2fa-backup-codes"),
]
