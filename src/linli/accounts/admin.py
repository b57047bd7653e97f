from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from linli.core.admin import ReadOnlyAdminMixin, ServiceAdminMixin, adopt

from . import services
from .models import ApiToken, AuditLog, RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    """Grant a role (a new row) or revoke one (delete); a held role is never edited."""

    model = RoleAssignment
    extra = 0
    fields = ["role", "unit", "department", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["unit", "department"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(ServiceAdminMixin, BaseUserAdmin):
    ordering = ["phone"]
    list_display = ["phone", "name", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "role_assignments__role"]
    search_fields = ["phone", "name"]
    inlines = [RoleAssignmentInline]
    fieldsets = [
        (None, {"fields": ["phone", "name", "password"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["phone", "name", "password1", "password2"]})
    ]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            user = services.account_update(
                actor=request.user,
                user=User.objects.get(pk=obj.pk),
                **{f: data[f] for f in services.ACCOUNT_FIELDS if f in data},
            )
        else:
            user = services.account_create(
                actor=request.user,
                phone=data["phone"],
                name=data["name"],
                password=data.get("password1") or None,
            )
        adopt(obj, user)

    def save_related(self, request, form, formsets, change):
        # Groups were set by account_update; only the role inline remains.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        # Deleting the account would drop its roles silently (cascade); revoke them first.
        for assignment in obj.role_assignments.select_related("unit"):
            services.role_revoke(actor=request.user, assignment=assignment)
        super().delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not RoleAssignment:
            return super().save_formset(request, form, formset, change)
        # Filled in without writing; the services write and audit each grant and revocation.
        formset.save(commit=False)
        for assignment in formset.deleted_objects:
            services.role_revoke(actor=request.user, assignment=assignment)
        for assignment in formset.new_objects:
            services.role_assign(
                actor=request.user,
                user=form.instance,
                role=assignment.role,
                unit=assignment.unit,
                department=assignment.department,
            )


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Grant (add) and revoke (delete) roles through the audited services."""

    list_display = ["user", "role", "unit", "department", "created_at"]
    list_filter = ["role", "department"]
    search_fields = ["user__phone", "user__name", "unit__name"]
    fields = ["user", "role", "unit", "department"]
    autocomplete_fields = ["user", "unit", "department"]
    list_select_related = ["user", "unit", "department"]

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        assignment = services.role_assign(
            actor=request.user,
            user=data["user"],
            role=data["role"],
            unit=data["unit"],
            department=data["department"],
        )
        adopt(obj, assignment)

    def delete_model(self, request, obj):
        services.role_revoke(actor=request.user, assignment=obj)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "expires_at"]
    readonly_fields = ["key_hash", "prefix", "created_at", "last_used_at"]
    search_fields = ["user__phone", "name"]


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ["at", "actor", "action", "target_type", "target_id", "ip"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor__phone", "actor__name", "target_id"]
    date_hierarchy = "at"
