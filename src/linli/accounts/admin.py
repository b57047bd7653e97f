from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import BaseFormSet, ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from linli.core.admin import ReadOnlyAdminMixin, ServiceAdminMixin, adopt
from linli.core.errors import DomainError
from linli.core.inputs import LineField
from linli.core.masking import mask_phone

from . import services, twofactor
from .forms import AdminLoginForm
from .models import ApiToken, AuditLog, RoleAssignment, User
from .selectors import phone_q

# The admin's own login door is behind the login lockout too (accounts/lockout.py).
admin.site.login_form = AdminLoginForm

if TYPE_CHECKING:
    # django-stubs makes the admin classes generic; at run time they are not subscriptable.
    _RoleInline = admin.TabularInline[RoleAssignment, User]
    _BaseUserAdmin = BaseUserAdmin[Any]  # typed for AbstractUser; ours is AbstractBaseUser
    _RoleAdmin = admin.ModelAdmin[RoleAssignment]
    _TokenAdmin = admin.ModelAdmin[ApiToken]
    _AuditAdmin = admin.ModelAdmin[AuditLog]
    _AnyAdmin = admin.ModelAdmin[Any]
else:
    _RoleInline = admin.TabularInline
    _BaseUserAdmin = BaseUserAdmin
    _RoleAdmin = _TokenAdmin = _AuditAdmin = admin.ModelAdmin
    _AnyAdmin = object


class PhoneSearchMixin(_AnyAdmin):
    """The search box also finds an account's whole mobile number (typed with or
    without spaces or +86), through its keyed hash: the number is stored encrypted, so
    part of a number finds nothing. `phone_search_path` leads from the listed model
    to the account ("" for accounts themselves, "user__", "actor__")."""

    phone_search_path = ""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            found |= queryset.filter(phone_q(term, self.phone_search_path))
        return found, may_have_duplicates


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


class AccountChangeForm(forms.ModelForm):  # type: ignore[type-arg]
    """An account's page: the mobile (the login) is shown masked and changed by typing
    a new one; the present number in clear only through the audited "Show". The
    password is changed on its own page (the link in `password_link`)."""

    new_phone = LineField(
        label=_("New mobile number"),
        max_length=20,
        required=False,
        help_text=_("The login. Leave empty to keep the present number."),
    )

    class Meta:
        model = User
        fields: list[str] = []  # the admin's fieldsets name them


@admin.register(User)
class UserAdmin(PhoneSearchMixin, ServiceAdminMixin, _BaseUserAdmin):
    # The mobile is encrypted: no ordering by it, and searching finds a whole number only.
    ordering = ["name", "pk"]
    # The list shows mobiles masked (个人信息保护); search still finds a whole number.
    list_display = ["phone_masked", "name", "is_active", "is_staff", "date_joined"]
    list_display_links = ["phone_masked"]
    list_filter = ["is_active", "is_staff", "role_assignments__role"]
    search_fields = ["name"]
    form = AccountChangeForm
    inlines = [RoleAssignmentInline]
    actions = [reset_two_factor]
    readonly_fields = ["phone_shown", "password_link"]
    fieldsets = [
        (None, {"fields": ["phone_shown", "new_phone", "name", "password_link"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["phone", "name", "password1", "password2"]})
    ]

    @admin.display(description=_("mobile number"))
    def phone_masked(self, obj: User) -> str:
        return mask_phone(obj.phone)

    @admin.display(description=_("mobile number"))
    def phone_shown(self, obj: User) -> str:
        """Masked, with a button that shows it whole (audited: `user.phone_reveal`). The
        button posts the page's form (its CSRF token) to the reveal view."""
        if obj.pk is None:
            return ""
        return format_html(
            '{} <button type="submit" class="button" formaction="{}" formmethod="post" '
            "formnovalidate>{}</button>",
            mask_phone(obj.phone),
            reverse("admin:accounts_user_phone_reveal", args=[obj.pk]),
            _("Show (recorded in the audit log)"),
        )

    @admin.display(description=_("password"))
    def password_link(self, obj: User) -> str:
        if obj.pk is None:
            return ""
        if obj.has_usable_password():
            state = _("A password is set.")
        else:
            state = _("No password: logs in with SMS codes.")
        return format_html(
            '{} <a class="button" href="{}">{}</a>',
            state,
            reverse("admin:auth_user_password_change", args=[obj.pk]),
            _("Change password"),
        )

    def get_urls(self) -> list[URLPattern]:
        reveal = self.admin_site.admin_view(require_POST(never_cache(self.phone_reveal_view)))
        return [
            path("<int:pk>/phone/", reveal, name="accounts_user_phone_reveal"),
            *super().get_urls(),
        ]

    def phone_reveal_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The account's whole mobile, to those who may change the account, audited."""
        user = get_object_or_404(User, pk=pk)
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        try:
            phone = services.account_phone_reveal(actor=_actor(request), user=user)
        except DomainError as exc:
            raise Http404 if exc.status == 404 else PermissionDenied from exc
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Mobile number"),
            "account": user,
            "phone": phone,
        }
        # never_cache (get_urls): the page is not kept by the browser or a proxy.
        return TemplateResponse(request, "admin/accounts/user/phone_reveal.html", context)

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            changes = {f: data[f] for f in services.ACCOUNT_FIELDS if f in data}
            if data.get("new_phone"):
                changes["phone"] = data["new_phone"]
            user = services.account_update(
                actor=_actor(request), user=User.objects.get(pk=obj.pk), **changes
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
class RoleAssignmentAdmin(PhoneSearchMixin, ServiceAdminMixin, _RoleAdmin):
    """Grant (add) and revoke (delete) roles through the audited services."""

    list_display = ["user", "role", "unit", "department", "created_at"]
    list_filter = ["role", "department"]
    search_fields = ["user__name", "unit__name"]
    phone_search_path = "user__"
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
class ApiTokenAdmin(PhoneSearchMixin, _TokenAdmin):
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
    search_fields = ["user__name", "name"]
    phone_search_path = "user__"

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
class AuditLogAdmin(PhoneSearchMixin, ReadOnlyAdminMixin, _AuditAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ["seq", "at", "actor", "action", "target_type", "target_id", "ip"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor__name", "target_id"]
    phone_search_path = "actor__"
    date_hierarchy = "at"
