"""Admin: read-only. The fund's rules, allocations and ledger change only through the
services (audited, checked, under the allocation's lock); the pages and the API are
where they are written."""

from django.contrib import admin

from linli.core.admin import ReadOnlyAdminMixin

from .models import FundAllocation, FundEntry, FundReceipt, FundRule


@admin.register(FundRule)
class FundRuleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["unit", "year", "allocation_fen", "approval_fen", "updated_at"]
    list_filter = ["year"]
    list_select_related = ["unit"]


@admin.register(FundAllocation)
class FundAllocationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["representative", "year", "amount_fen", "spent_fen", "pending_fen"]
    list_filter = ["year"]
    list_select_related = ["representative"]


@admin.register(FundEntry)
class FundEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["allocation", "kind", "status", "amount_fen", "day", "purpose"]
    list_filter = ["kind", "status"]
    date_hierarchy = "day"
    search_fields = ["purpose"]
    list_select_related = ["allocation__representative"]


@admin.register(FundReceipt)
class FundReceiptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["entry", "content_type", "size", "created_at"]
