from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from linli.core.admin import ReadOnlyAdminMixin, ServiceAdminMixin, adopt
from linli.core.masking import mask_phone

from . import services, twofactor
from .forms import AdminLoginForm
from .models import ApiToken, AuditLog, RoleAssignment, User

# The admin's own login door is behind the login lockout too (accounts/lockout.py).
admin.site.login_form = AdminLoginForm

if TYPE_CHECKING:
    # django-stubs makes the admin classes generic; at run time they are not subscriptable.
    _RoleInline = admin.TabularInline[RoleAssignment, User]
    _BaseUserAdmin = BaseUserAdmin[Any]  # typed for AbstractUser; ours is AbstractBaseUser
    _RoleAdmin = admin.ModelAdmin[RoleAssignment]
    _TokenAdmin = admin.ModelAdmin[ApiToken]
    _AuditAdmin = admin.ModelAdmin[AuditLog]
else:
    _RoleInline = admin.TabularInline
    _BaseUserAdmin = BaseUserAdmin
    _RoleAdmin = _TokenAdmin = _AuditAdmin = admin.ModelAdmin


def _actor(request: HttpRequest) -> User:
    """The signed-in staff member (the admin site is behind a staff login)."""
    return cast(User, request.user)


class RoleAssignmentInline(_RoleInline):
    """Grant a role (a new row) or revoke one (delete); a held role is never edited."""

    model = RoleAssignment
    extra = 0
    fields = ["role", "unit", "department", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["unit", "department"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.action(description=_("Reset two-factor authentication (a lost phone)"))
def reset_two_factor(modeladmin: Any, request: HttpRequest, queryset: Any) -> None:
    for user in queryset:
        twofactor.reset(actor=_actor(request), user=user)
    modeladmin.message_user(request, _("Two-factor authentication was reset."))


@admin.register(User)
class UserAdmin(ServiceAdminMixin, _BaseUserAdmin):
    ordering = ["phone"]
    # The list shows mobiles masked (个人信息保护); search still finds a whole number.
    list_display = ["phone_masked", "name", "is_active", "is_staff", "date_joined"]
    list_display_links = ["phone_masked"]
    list_filter = ["is_active", "is_staff", "role_assignments__role"]
    search_fields = ["phone", "name"]
    inlines = [RoleAssignmentInline]
    actions = [reset_two_factor]
    fieldsets = [
        (None, {"fields": ["phone", "name", "password"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["phone", "name", "password1", "password2"]})
    ]

    @admin.display(description=_("mobile number"), ordering="phone")
    def phone_masked(self, obj: User) -> str:
        return mask_phone(obj.phone)

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            user = services.account_update(
                actor=_actor(request),
                user=User.objects.get(pk=obj.pk),
                **{f: data[f] for f in services.ACCOUNT_FIELDS if f in data},
            )
        else:
            user = services.account_create(
                actor=_actor(request),
                phone=data["phone"],
                name=data["name"],
                password=data.get("password1") or None,
            )
        adopt(obj, user)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Groups were set by account_update; only the role inline remains.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        # Deleting the account would drop its roles silently (cascade); revoke them first.
        for assignment in obj.role_assignments.select_related("unit"):
            services.role_revoke(actor=_actor(request), assignment=assignment)
        super().delete_model(request, obj)

    def save_formset(
        self, request: HttpRequest, form: Any, formset: BaseFormSet[Any], change: bool
    ) -> None:
        if getattr(formset, "model", None) is not RoleAssignment:
            super().save_formset(request, form, formset, change)
            return
        # Filled in without writing; the services write and audit each grant and revocation.
        formset.save(commit=False)  # type: ignore[attr-defined]
        for assignment in formset.deleted_objects:  # type: ignore[attr-defined]
            services.role_revoke(actor=_actor(request), assignment=assignment)
        for assignment in formset.new_objects:  # type: ignore[attr-defined]
            services.role_assign(
                actor=_actor(request),
                user=form.instance,
                role=assignment.role,
                unit=assignment.unit,
                department=assignment.department,
            )


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ServiceAdminMixin, _RoleAdmin):
    """Grant (add) and revoke (delete) roles through the audited services."""

    list_display = ["user", "role", "unit", "department", "created_at"]
    list_filter = ["role", "department"]
    search_fields = ["user__phone", "user__name", "unit__name"]
    fields = ["user", "role", "unit", "department"]
    autocomplete_fields = ["user", "unit", "department"]
    list_select_related = ["user", "unit", "department"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool
    ) -> None:
        data = form.cleaned_data
        assignment = services.role_assign(
            actor=_actor(request),
            user=data["user"],
            role=data["role"],
            unit=data["unit"],
            department=data["department"],
        )
        adopt(obj, assignment)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.role_revoke(actor=_actor(request), assignment=obj)


@admin.register(ApiToken)
class ApiTokenAdmin(_TokenAdmin):
    """Tokens are issued and revoked by their owners (the account page, the API)."""

    list_display = [
        "prefix",
        "user",
        "name",
        "scopes",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    readonly_fields = [
        "user",
        "name",
        "key_hash",
        "prefix",
        "scopes",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    search_fields = ["user__phone", "name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Two-factor devices are written through accounts.twofactor only (audited): django-otp's
# own admins would let staff add or edit devices unaudited. A lost phone is handled by
# the "reset two-factor" action on accounts.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, _AuditAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ["seq", "at", "actor", "action", "target_type", "target_id", "ip"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor__phone", "actor__name", "target_id"]
    date_hierarchy = "at"
