"""Admin for administrators. Links are read-only here: they change through the
link service (which enforces 5-15 and writes history), never by editing rows."""

from django.contrib import admin

from linli.core.admin import ReadOnlyAdminMixin

from .models import (
    Department,
    GuardTeam,
    GuardTeamMember,
    Household,
    HouseholdLink,
    Member,
    Place,
    Representative,
    Unit,
)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "parent", "depth", "path"]
    list_filter = ["kind", "depth"]
    search_fields = ["name", "code"]
    readonly_fields = ["path", "depth"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    fields = ["name", "relation", "sex", "birth_date"]


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["head_name", "address", "unit", "created_at"]
    search_fields = ["head_name", "address", "search_key"]
    autocomplete_fields = ["unit"]
    list_select_related = ["unit"]
    readonly_fields = ["search_key"]
    inlines = [MemberInline]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["name", "relation", "household"]
    search_fields = ["name"]
    autocomplete_fields = ["household"]
    list_select_related = ["household"]
    # Raw ID numbers and phones are kept out of the list; the change form is
    # for administrators only.


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "unit", "representative"]
    list_filter = ["kind"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["unit", "representative"]
    list_select_related = ["unit", "representative"]


@admin.register(Representative)
class RepresentativeAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "term_start", "term_end", "user"]
    search_fields = ["name"]
    autocomplete_fields = ["member", "unit", "user"]
    list_select_related = ["unit", "user"]


@admin.register(HouseholdLink)
class HouseholdLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "household",
        "representative",
        "valid_from",
        "valid_to",
        "out_of_range",
        "reason",
    ]
    list_filter = ["out_of_range"]
    search_fields = ["household__head_name", "representative__name"]
    list_select_related = ["household", "representative"]


class GuardTeamMemberInline(admin.TabularInline):
    model = GuardTeamMember
    extra = 0


@admin.register(GuardTeam)
class GuardTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "unit"]
    search_fields = ["name"]
    autocomplete_fields = ["unit", "representatives"]
    inlines = [GuardTeamMemberInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "active"]
    list_filter = ["active"]
    search_fields = ["name"]
