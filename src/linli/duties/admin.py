"""Admin: the duty rules are configuration administrators edit (a new row from
an effective date changes later periods only); the records are read-only here
(they change only through the services: corrections and withdrawals)."""

from django.contrib import admin

from linli.core.admin import ReadOnlyAdminMixin

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
