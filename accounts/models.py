from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_otp import user_has_device

from accounts.managers import UserManager


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with their email address; there is no username."""

    email = models.EmailField(
        "email address",
        unique=True,
        error_messages={"unique": "An account with this email address already exists."},
    )
    full_name = models.CharField(max_length=150)
    is_staff = models.BooleanField(
        default=False, help_text="Whether the user can log into the admin site."
    )
    is_active = models.BooleanField(
        default=True, help_text="Unticking this disables the account without deleting it."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["email"]
        constraints = [
            # Stored lower-cased, so the plain unique index is case-insensitive too.
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="accounts_user_email_lowercase"
            ),
        ]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def two_factor_enabled(self) -> bool:
        return user_has_device(self, confirmed=True)
