"""Staff enrol their authenticator only through a link another verified superuser made.

OTPAdminSite lets in a session verified with a second factor. Without this rule, whoever
has a staff member's password (and nothing else) could enrol an authenticator of their
own at /accounts/security/ and so open the admin. A staff account with no confirmed
device therefore enrols only from a session that is already verified, or after opening an
enrolment link: signed, for one account, valid STAFF_ENROLMENT_LINK_HOURS, and spent once a
device is confirmed (the link names the account's state, which enrolling changes).
"""

import hashlib

from django.conf import settings
from django.core import signing

from accounts.models import User

SALT = "accounts.staff-enrolment"
SESSION_KEY = "staff_enrolment_user"
REFUSED = (
    "Staff accounts turn on two-factor authentication only through an enrolment link from "
    "another administrator (or `manage.py staff_enrolment_link` on the server)."
)


def staff_enrolment_token(*, user: User) -> str:
    """The token of a staff member's enrolment link (accounts:staff-enrolment)."""
    return signing.dumps({"user": user.pk, "state": _state(user)}, salt=SALT, compress=True)


def staff_enrolment_user(token: str) -> User | None:
    """The staff member a link is for, while it is valid and unspent; else None."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.STAFF_ENROLMENT_LINK_HOURS * 3600)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("user"), is_staff=True, is_active=True).first()
    if user is None or data.get("state") != _state(user):
        return None
    return user


def may_enrol(request) -> bool:
    """Whether this session may start or confirm two-factor enrolment (see the module)."""
    user = request.user
    verified = getattr(user, "is_verified", None)  # django-otp's, on page requests only
    if not user.is_staff or user.two_factor_enabled or (verified and verified()):
        return True
    return request.session.get(SESSION_KEY) == user.pk


def _state(user: User) -> str:
    # Changes when a device is confirmed (spending the link) or the password changes.
    seed = f"{user.pk}|{user.password}|{user.two_factor_enabled}"
    return hashlib.sha256(seed.encode()).hexdigest()[:20]
