"""Admin: read-only. Selections, nominations, objections, benefits and the reserve pool
change only through the services (checked, attributable, audited)."""

from django.contrib import admin

from linli.core.admin import ReadOnlyAdminMixin

from .models import (
    BenefitIssue,
    BenefitKind,
    Nomination,
    NominationEvent,
    Objection,
    Quota,
    ReserveCandidate,
    ReserveRule,
    Selection,
)


@admin.register(Selection)
class SelectionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["year", "seats", "stage", "notice_starts", "notice_ends"]


@admin.register(Quota)
class QuotaAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["selection", "town", "seats", "submitted_at"]
    list_select_related = ["selection", "town"]


@admin.register(Nomination)
class NominationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["selection", "representative", "town", "score_total", "rank_town", "status"]
    list_filter = ["status"]
    list_select_related = ["selection", "representative", "town"]


@admin.register(NominationEvent)
class NominationEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["selection", "nomination", "kind", "actor", "at"]
    list_filter = ["kind"]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["nomination", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    exclude = ["phone", "phone_hash"]


@admin.register(BenefitKind)
class BenefitKindAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "provider", "active"]


@admin.register(BenefitIssue)
class BenefitIssueAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "representative", "year", "issued_on", "revoked_at"]
    list_filter = ["year"]
    list_select_related = ["kind", "representative"]


@admin.register(ReserveRule)
class ReserveRuleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["year", "max_age", "min_score", "updated_at"]


@admin.register(ReserveCandidate)
class ReserveCandidateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["representative", "year", "age", "score_total", "status"]
    list_filter = ["year", "status"]
    list_select_related = ["representative"]
