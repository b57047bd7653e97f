"""Admin: the duty rules are configuration administrators edit (a new row from
an effective date changes later periods only); the records are read-only here
(they change only through the services: corrections and withdrawals)."""

from django.contrib import admin

from linli.core.admin import ReadOnlyAdminMixin

from .compliance import invalidate
from .models import AnnualReport, ContactLog, Deliberation, DutyReminder, DutyRule, HomeVisit


@admin.register(DutyRule)
class DutyRuleAdmin(admin.ModelAdmin):
    list_display = [
        "effective_from",
        "contacts_per_week",
        "visits_per_month",
        "deliberations_per_quarter",
        "reports_per_year",
        "visit_counts_as_contact",
        "late_entry_days",
    ]
    exclude = ["created_at"]
    ordering = ["-effective_from"]

    # A rule judges periods from its effective date on: the rollup cells from
    # then on (and from the old date, if it moved) are recomputed on next read.
    def save_model(self, request, obj, form, change):
        old = DutyRule.objects.filter(pk=obj.pk).values_list("effective_from", flat=True).first()
        super().save_model(request, obj, form, change)
        invalidate(since=min(d for d in (old, obj.effective_from) if d))

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        invalidate(since=obj.effective_from)

    def delete_queryset(self, request, queryset):
        first = min(queryset.values_list("effective_from", flat=True), default=None)
        super().delete_queryset(request, queryset)
        if first:
            invalidate(since=first)


class _RecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["day", "representative", "void", "superseded_by", "created_at"]
    list_filter = ["void"]
    date_hierarchy = "day"
    search_fields = ["representative__name"]
    list_select_related = ["representative"]
    raw_id_fields = ["representative", "superseded_by", "created_by"]


@admin.register(ContactLog)
class ContactLogAdmin(_RecordAdmin):
    list_display = ["day", "representative", "household", "method", "role", "void", "superseded_by"]
    list_filter = ["method", "role", "void"]
    list_select_related = ["representative", "household"]
    search_fields = ["representative__name", "household__head_name"]


@admin.register(HomeVisit)
class HomeVisitAdmin(_RecordAdmin):
    list_display = ["day", "representative", "household", "role", "void", "superseded_by"]
    list_filter = ["role", "void"]
    list_select_related = ["representative", "household"]
    search_fields = ["representative__name", "household__head_name"]


@admin.register(AnnualReport)
class AnnualReportAdmin(_RecordAdmin):
    list_display = ["day", "representative", "kind", "audience", "void", "superseded_by"]
    list_filter = ["kind", "void"]


@admin.register(Deliberation)
class DeliberationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["day", "unit", "topic", "place", "attendee_count", "void", "superseded_by"]
    list_filter = ["void"]
    date_hierarchy = "day"
    search_fields = ["topic", "place", "unit__name"]
    list_select_related = ["unit"]


@admin.register(DutyReminder)
class DutyReminderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "period", "user", "sent_at"]
    list_filter = ["kind"]
    date_hierarchy = "period"
