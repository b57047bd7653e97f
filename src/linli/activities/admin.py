"""Admin: read-only. Service days, activities and sign-ups change only through the
services (audited, checked); the pages and the API are where they are written."""

from django.contrib import admin

from linli.core.admin import ReadOnlyAdminMixin

from .models import Activity, ServiceDayRule, Signup


@admin.register(ServiceDayRule)
class ServiceDayRuleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["unit", "kind", "month_day", "nth", "weekday", "effective_from", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["unit"]


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "kind", "unit", "starts_at", "status", "on_service_day"]
    list_filter = ["kind", "status", "on_service_day"]
    date_hierarchy = "starts_at"
    search_fields = ["title", "place"]
    list_select_related = ["unit"]


@admin.register(Signup)
class SignupAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # The mobile is shown masked only (docs/security.md).
    list_display = ["activity", "name", "phone_masked", "attended", "cancelled_at"]
    exclude = ["phone", "phone_hash"]
    list_select_related = ["activity"]
