from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.urls import reverse
from django_otp.admin import OTPAdminSite
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent, BackupCodeDevice, User, UserSession
from accounts.services.staff_enrolment import staff_enrolment_token

# Staff reach the admin only from a session verified with two-factor authentication
# (django-otp). The first superuser enrols at /accounts/security/ (docs/operations.md).
admin.site.__class__ = OTPAdminSite


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "date_joined"]
    search_fields = ["email", "full_name"]
    date_hierarchy = "date_joined"
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["full_name"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    actions = ["create_enrolment_links"]

    @admin.action(description="Create a two-factor enrolment link", permissions=["enrol"])
    def create_enrolment_links(self, request, queryset):
        for user in queryset.filter(is_staff=True):
            if user.two_factor_enabled:
                self.message_user(
                    request, f"{user.email}: two-factor is on already.", messages.WARNING
                )
                continue
            path = reverse("accounts:staff-enrolment", args=[staff_enrolment_token(user=user)])
            self.message_user(
                request,
                f"{user.email}: send them {request.build_absolute_uri(path)} (valid "
                f"{settings.STAFF_ENROLMENT_LINK_HOURS} hours, once; they sign in first).",
                messages.SUCCESS,
            )

    def has_enrol_permission(self, request) -> bool:
        # OTPAdminSite already means this session is verified with a second factor.
        return request.user.is_superuser

    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "password1", "password2"],
            },
        ),
    ]


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record nobody edits by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event", "user", "email", "ip_address"]
    list_filter = ["event", "created_at"]
    search_fields = ["email", "user__email", "ip_address"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UserSession)
class UserSessionAdmin(ReadOnlyAdmin):
    list_display = ["user", "ip_address", "user_agent", "created_at"]
    search_fields = ["user__email", "ip_address"]
    list_select_related = ["user"]


@admin.register(BackupCodeDevice)
class BackupCodeDeviceAdmin(ReadOnlyAdmin):
    """Delete a user's backup codes (with their TOTP device) when they lose access."""

    list_display = ["user", "name", "confirmed"]
    search_fields = ["user__email"]
    exclude = ["throttling_failure_timestamp", "throttling_failure_count"]


# django-otp's own TOTPDevice admin shows each secret key and its QR code to any staff
# member who may view devices: whoever reads one can make that user's codes. Staff here see
# that a user has an authenticator and may delete it (the user then enrols again).
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ReadOnlyAdmin):
    list_display = ["user", "name", "confirmed"]
    search_fields = ["user__email"]
    fields = ["user", "name", "confirmed"]
    list_select_related = ["user"]
