"""Admin: categories and deadline policies are configuration administrators
edit; appeals and their timeline are read-only here (they change only through
the state machine)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from linli.core.admin import ReadOnlyAdminMixin

from .models import Appeal, AppealEvent, Category, DeadlinePolicy


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "kind", "default_department", "active", "order"]
    list_filter = ["kind", "active", "parent"]
    search_fields = ["code", "name"]
    list_editable = ["default_department", "active", "order"]


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = [
        "level",
        "urgency",
        "claim_hours",
        "resolve_amount",
        "resolve_unit",
        "remind_before_hours",
        "auto_escalate",
        "visit_days",
    ]
    list_editable = [
        "claim_hours",
        "resolve_amount",
        "resolve_unit",
        "remind_before_hours",
        "auto_escalate",
        "visit_days",
    ]


class AppealEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AppealEvent
    fields = ["at", "action", "actor_label", "from_status", "to_status", "level", "unit", "note"]
    readonly_fields = fields
    extra = 0


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "title", "status", "level", "unit", "due_at", "created_at"]
    list_filter = ["status", "level", "kind", "urgency", "channel"]
    search_fields = ["code", "title"]
    date_hierarchy = "created_at"
    # The reporter's mobile is encrypted at rest and shown masked only.
    exclude = ["reporter_phone"]
    readonly_fields = ["masked_reporter_phone"]
    inlines = [AppealEventInline]

    @admin.display(description=_("reporter's mobile"))
    def masked_reporter_phone(self, obj):
        return obj.reporter_phone_masked
