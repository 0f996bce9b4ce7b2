"""Keep the list of browser sessions in step with logins, and the cached user with its row."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import cache, services
from accounts.models import BackupCodeDevice, User
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


# --- the cached request user (accounts.cache) ---------------------------------------


@receiver(post_save, sender=User, dispatch_uid="accounts.user_saved")
@receiver(post_delete, sender=User, dispatch_uid="accounts.user_deleted")
def forget_cached_user(sender, instance, update_fields=None, **kwargs):
    # A login's last_login stamp changes nothing a request checks: keep the entry.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    cache.user_cache_invalidate(instance)


# Whether 2FA is on is part of the snapshot. Named senders only: a receiver for every model
# would stop Django's fast deletes everywhere.
@receiver(post_save, sender=TOTPDevice, dispatch_uid="accounts.totp_saved")
@receiver(post_delete, sender=TOTPDevice, dispatch_uid="accounts.totp_deleted")
@receiver(post_save, sender=BackupCodeDevice, dispatch_uid="accounts.backup_codes_saved")
@receiver(post_delete, sender=BackupCodeDevice, dispatch_uid="accounts.backup_codes_deleted")
def forget_cached_user_of_device(sender, instance, **kwargs):
    cache.user_cache_invalidate(instance.user_id)
