"""Keep the list of a user's browser sessions in step with logins and logouts."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from accounts import services
from accounts.services.audit import Event


@receiver(user_logged_in, dispatch_uid="accounts.track_session")
def track_session(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        services.session_track(request=request, user=user)


@receiver(user_logged_out, dispatch_uid="accounts.forget_session")
def forget_session(sender, request, user, **kwargs):
    if request is None or user is None:
        return
    services.session_forget(session_key=request.session.session_key)
    services.audit_record(event=Event.LOGOUT, request=request, user=user)
