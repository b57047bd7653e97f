"""Admin: read-only. The catalogue and the breach records change only through the
services (the pages and the API), which check who may and write the audit rows."""

from django.contrib import admin

from linli.core.admin import ReadOnlyAdminMixin

from .models import Breach, BreachEvent, BreachEvidence, NegativeEntry


@admin.register(NegativeEntry)
class NegativeEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "title", "severity", "unit", "active"]
    list_filter = ["severity", "active"]
    search_fields = ["code", "title"]
    list_select_related = ["unit"]


class _EvidenceInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = BreachEvidence
    fields = ["kind", "name", "content_type", "size", "added_by", "created_at"]
    extra = 0


class _EventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = BreachEvent
    fields = ["kind", "actor", "at", "note"]
    extra = 0


@admin.register(Breach)
class BreachAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["representative", "entry", "severity", "stage", "reported_at", "respond_by"]
    list_filter = ["stage", "severity"]
    search_fields = ["representative__name", "description"]
    list_select_related = ["representative", "entry"]
    inlines = [_EvidenceInline, _EventInline]
