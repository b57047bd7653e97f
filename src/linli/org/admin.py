"""Admin for administrators. Every write here calls `org.services`, as the pages,
the API and the import do, so the same permission checks, derived data (unit
paths) and audit rows apply. What no service changes is shown read-only, with a
"view on site" link to the page that does it. Link history is read-only: links
change through the link service (which enforces 5-15 and writes history)."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from linli.core.admin import ReadOnlyAdminMixin, ServiceAdminMixin, adopt
from linli.core.errors import InvalidInput
from linli.core.inputs import LineField
from linli.core.validators import normalize_mobile

from . import services
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
from .selectors import member_id_number_q, member_phone_q


class AddOnlyInline(admin.TabularInline):
    """Rows are added here through a service; existing rows are shown, never edited."""

    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Unit)
class UnitAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Create, rename and move units. A move rewrites the paths of the whole subtree."""

    list_display = ["name", "kind", "code", "parent", "depth", "path"]
    list_filter = ["kind", "depth"]
    search_fields = ["name", "code"]
    fields = ["parent", "kind", "name", "code", "path", "depth"]
    readonly_fields = ["path", "depth"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]

    def get_readonly_fields(self, request, obj=None):
        # The kind of an existing unit fixes its place in the tree's order.
        return [*self.readonly_fields, "kind"] if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def view_on_site(self, obj):
        return reverse("org:unit_detail", args=[obj.pk])

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            unit = services.unit_create(
                actor=request.user,
                parent=data["parent"],
                kind=data["kind"],
                name=data["name"],
                code=data["code"],
            )
            adopt(obj, unit)
            return
        unit = Unit.objects.get(pk=obj.pk)
        if data["name"] != unit.name or data["code"] != unit.code:
            unit = services.unit_rename(
                actor=request.user, unit=unit, name=data["name"], code=data["code"]
            )
        if data["parent"] is None and unit.parent_id is not None:
            raise InvalidInput(_("A unit cannot be moved to the top level."), code="unit_move_root")
        if data["parent"] is not None and data["parent"].pk != unit.parent_id:
            unit = services.unit_move(actor=request.user, unit=unit, parent=data["parent"])
        adopt(obj, unit)


class MemberInline(AddOnlyInline):
    model = Member
    fields = ["name", "relation", "sex", "birth_date"]


@admin.register(Household)
class HouseholdAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ["head_name", "address", "unit", "created_at"]
    search_fields = ["head_name", "address", "search_key"]
    fields = ["unit", "head_name", "address", "tags", "latitude", "longitude", "search_key"]
    autocomplete_fields = ["unit"]
    list_select_related = ["unit"]
    readonly_fields = ["search_key"]
    inlines = [MemberInline]

    def get_readonly_fields(self, request, obj=None):
        # No service moves a household to another unit.
        return [*self.readonly_fields, "unit"] if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def view_on_site(self, obj):
        return reverse("org:household_detail", args=[obj.pk])

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in ("head_name", "address", "latitude", "longitude")}
        data["tags"] = form.cleaned_data["tags"] or []
        if change:
            household = services.household_update(
                actor=request.user, household=Household.objects.get(pk=obj.pk), **data
            )
        else:
            household = services.household_create(
                actor=request.user, unit=form.cleaned_data["unit"], **data
            )
        adopt(obj, household)

    def save_formset(self, request, form, formset, change):
        for member in formset.save(commit=False):
            services.member_create(
                actor=request.user,
                household=form.instance,
                name=member.name,
                relation=member.relation,
                sex=member.sex,
                birth_date=member.birth_date,
            )


@admin.register(Member)
class MemberAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Members are added here or on the household page; no service edits them yet."""

    list_display = ["name", "relation", "household", "masked_id_number", "masked_phone"]
    search_fields = ["name"]
    fields = ["household", "name", "relation", "sex", "birth_date", "id_number", "phone"]
    autocomplete_fields = ["household"]
    list_select_related = ["household"]
    # ID numbers and mobiles are shown masked, in the list and on the (read-only) detail;
    # the clear values are typed in only when a member is added. Revealing them is the
    # member page's audited "Show" (`services.member_reveal`), not offered here.

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.fields
        return ["household", "name", "relation", "sex", "age", "masked_id_number", "masked_phone"]

    def get_readonly_fields(self, request, obj=None):
        return ["age", "masked_id_number", "masked_phone"] if obj else []

    @admin.display(description=_("ID card number"))
    def masked_id_number(self, obj):
        return obj.id_number_masked

    @admin.display(description=_("mobile number"))
    def masked_phone(self, obj):
        return obj.phone_masked

    @admin.display(description=_("Age"))
    def age(self, obj):
        return obj.age

    def get_search_results(self, request, queryset, search_term):
        """Names as usual; an ID number or mobile only whole, through its keyed hash."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            try:
                phone = normalize_mobile(term)
            except InvalidInput:
                phone = term
            found |= queryset.filter(member_phone_q(phone) | member_id_number_q(term))
        return found, may_have_duplicates

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def view_on_site(self, obj):
        return reverse("org:household_detail", args=[obj.household_id])

    def save_model(self, request, obj, form, change):
        data = dict(form.cleaned_data)
        member = services.member_create(actor=request.user, household=data.pop("household"), **data)
        adopt(obj, member)


@admin.register(Place)
class PlaceAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Create places and (re)assign their representative."""

    list_display = ["name", "kind", "unit", "representative"]
    list_filter = ["kind"]
    search_fields = ["name", "address"]
    fields = ["unit", "kind", "name", "address", "representative"]
    autocomplete_fields = ["unit", "representative"]
    list_select_related = ["unit", "representative"]

    def get_readonly_fields(self, request, obj=None):
        return ["unit", "kind", "name", "address"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            place = Place.objects.get(pk=obj.pk)
            if place.representative_id != getattr(data["representative"], "pk", None):
                place = services.place_assign(
                    actor=request.user, place=place, representative=data["representative"]
                )
        else:
            place = services.place_create(
                actor=request.user,
                unit=data["unit"],
                kind=data["kind"],
                name=data["name"],
                address=data["address"],
                representative=data["representative"],
            )
        adopt(obj, place)


class RepresentativeForm(forms.ModelForm):
    end_reason = LineField(
        label=_("Reason for ending the term"),
        required=False,
        max_length=200,
        help_text=_("Required when you set the term end."),
    )

    class Meta:
        model = Representative
        fields = ["member", "unit", "user", "term_start", "term_end"]


@admin.register(Representative)
class RepresentativeAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Appoint representatives, and end a term (the households become uncovered)."""

    form = RepresentativeForm
    list_display = ["name", "unit", "term_start", "term_end", "user"]
    search_fields = ["name"]
    autocomplete_fields = ["member", "unit", "user"]
    list_select_related = ["unit", "user"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["member", "unit", "user", "term_start"]
        if obj.term_end is None:
            return ["name", "member", "unit", "user", "term_start", "term_end", "end_reason"]
        return ["name", "member", "unit", "user", "term_start", "term_end"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        ro = ["name", "member", "unit", "user", "term_start"]
        return ro if obj.term_end is None else [*ro, "term_end"]

    def has_delete_permission(self, request, obj=None):
        return False

    def view_on_site(self, obj):
        return reverse("org:representative_detail", args=[obj.pk])

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            rep = services.representative_appoint(
                actor=request.user,
                member=data["member"],
                unit=data["unit"],
                term_start=data["term_start"],
                user=data["user"],
            )
        else:
            rep = Representative.objects.get(pk=obj.pk)
            if data.get("term_end") is not None and rep.term_end is None:
                rep = services.representative_end_term(
                    actor=request.user,
                    representative=rep,
                    term_end=data["term_end"],
                    reason=data.get("end_reason", ""),
                )
        adopt(obj, rep)


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


class GuardTeamMemberInline(AddOnlyInline):
    """The team's members, mobiles masked; new members are added in the inline below."""

    model = GuardTeamMember
    fields = ["kind", "name", "masked_phone"]
    readonly_fields = ["masked_phone"]

    @admin.display(description=_("mobile number"))
    def masked_phone(self, obj):
        return obj.phone_masked

    def has_add_permission(self, request, obj=None):
        return False


class GuardTeamMemberAddInline(AddOnlyInline):
    """Only new rows: an existing member's mobile is never shown in clear here."""

    model = GuardTeamMember
    fields = ["kind", "name", "phone"]
    verbose_name_plural = _("add guard team members")

    def get_queryset(self, request):
        return super().get_queryset(request).none()


@admin.register(GuardTeam)
class GuardTeamAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Create teams and add members; no service changes a team's representatives yet."""

    list_display = ["name", "unit"]
    search_fields = ["name"]
    fields = ["unit", "name", "representatives"]
    autocomplete_fields = ["unit", "representatives"]
    inlines = [GuardTeamMemberInline, GuardTeamMemberAddInline]

    def get_readonly_fields(self, request, obj=None):
        return ["unit", "name", "representatives"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        team = services.team_create(
            actor=request.user,
            unit=data["unit"],
            name=data["name"],
            representatives=data["representatives"],
        )
        adopt(obj, team)

    def save_related(self, request, form, formsets, change):
        # The team's representatives were set by team_create; only the inlines remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        for member in formset.save(commit=False):
            services.team_member_add(
                actor=request.user,
                team=form.instance,
                kind=member.kind,
                name=member.name,
                phone=member.phone,
            )


@admin.register(Department)
class DepartmentAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Added and changed through the audited department services; never deleted (its
    handlers and the appeals referred to it point at it): take it out of use instead."""

    list_display = ["name", "active"]
    list_filter = ["active"]
    search_fields = ["name"]
    fields = ["name", "active"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            department = services.department_update(
                actor=request.user,
                department=Department.objects.get(pk=obj.pk),
                name=data["name"],
                active=data["active"],
            )
        else:
            department = services.department_create(actor=request.user, name=data["name"])
            if not data["active"]:
                department = services.department_update(
                    actor=request.user, department=department, active=False
                )
        adopt(obj, department)
