"""Pages of the organisation: thin, every read through a selector, every write through a service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.access import roles_required
from linli.accounts.scope import (
    HOUSEHOLD_LIST_ROLES,
    HOUSEHOLD_ROLES,
    LINK_WRITE_ROLES,
    ORG_WRITE_ROLES,
    scope_for,
)
from linli.core.errors import DomainError, NotFound
from linli.core.inputs import is_id
from linli.core.paging import paginate

from . import selectors, services
from .forms import (
    AppointWithAccountForm,
    EndTermForm,
    HouseholdFilterForm,
    HouseholdForm,
    LinkForm,
    MemberForm,
    PlaceForm,
    RepresentativePhoneForm,
    TeamForm,
    TeamMemberForm,
    UnitChildForm,
    UnitRenameForm,
)
from .models import KIND_RANK, VILLAGE_DEPTH, Representative, UnitKind

SEARCH_MAX = 100


def _get(fn, user, pk):
    try:
        return fn(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _unit_param(request):
    pk = request.GET.get("unit")
    if pk and is_id(pk):
        return _get(selectors.unit_get, request.user, int(pk))
    roots = list(selectors.root_units_for(request.user)[:1])
    return roots[0] if roots else None


@roles_required(HOUSEHOLD_ROLES)
def unit_tree(request):
    roots = selectors.root_units_for(request.user)
    return render(request, "org/unit_tree.html", {"roots": roots})


@login_required
def unit_children(request, pk: int):
    unit = _get(selectors.unit_get, request.user, pk)
    children = selectors.units_visible_to(request.user).filter(parent=unit)
    return render(request, "org/_unit_children.html", {"children": children})


@login_required
def unit_detail(request, pk: int):
    unit = _get(selectors.unit_get, request.user, pk)
    coverage = selectors.coverage_for(request.user, unit)
    ancestors = selectors.units_visible_to(request.user).filter(path__in=unit.ancestor_paths()[:-1])
    can_write = scope_for(request.user).can(ORG_WRITE_ROLES, unit.path)
    return render(
        request,
        "org/unit_detail.html",
        {
            "unit": unit,
            "coverage": coverage,
            "ancestors": ancestors,
            "can_write": can_write,
            "child_kinds": _child_kinds(unit) if can_write else [],
            "can_appoint": can_write and unit.depth >= VILLAGE_DEPTH,
            "has_teams": can_write and _unit_teams(request.user, unit).exists(),
        },
    )


def filter_households(user, data):
    """Parse the household list filters; shared by the page and the export."""
    form = HouseholdFilterForm(data)
    unit = None
    filters: dict = {}
    if form.is_valid():
        cd = form.cleaned_data
        if cd.get("unit"):
            unit = selectors.unit_get(user, cd["unit"])
        filters = {
            "q": cd.get("q") or "",
            "tag": cd.get("tag") or "",
            "covered": {"yes": True, "no": False}.get(cd.get("covered") or ""),
        }
    return form, unit, selectors.households_filtered(user, unit=unit, **filters)


@roles_required(HOUSEHOLD_LIST_ROLES)
def household_list(request):
    try:
        form, unit, qs = filter_households(request.user, request.GET)
    except NotFound as exc:
        raise Http404(exc.message) from None
    page = paginate(qs, request.GET.get("page"))
    reps = selectors.current_representatives(page.object_list)
    rows = [(h, reps.get(h.pk)) for h in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    template = "org/_household_rows.html" if request.htmx else "org/household_list.html"
    return render(
        request,
        template,
        {
            "form": form,
            "unit": unit,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
        },
    )


@login_required
def household_detail(request, pk: int):
    household = _get(selectors.household_get, request.user, pk)
    members = household.members.all()
    links = household.links.select_related("representative", "created_by").order_by(
        "-valid_from", "-id"
    )
    current = next((link for link in links if link.is_current), None)
    link_form = None
    # Offered: the serving representatives of the household's village.
    reps = selectors.representatives_visible_to(request.user).filter(
        term_end__isnull=True, unit__path__startswith=household.unit.village_path()
    )
    if scope_for(request.user).can(LINK_WRITE_ROLES, household.unit.path):
        link_form = LinkForm(
            representatives=selectors.with_active_link_count(reps).order_by("unit__path", "name")
        )
    member_form = (
        MemberForm() if scope_for(request.user).can(ORG_WRITE_ROLES, household.unit.path) else None
    )
    return render(
        request,
        "org/household_detail.html",
        {
            "household": household,
            "members": members,
            "links": links,
            "current": current,
            "link_form": link_form,
            "member_form": member_form,
        },
    )


@login_required
@require_POST
def household_link(request, pk: int):
    household = _get(selectors.household_get, request.user, pk)
    reps = selectors.representatives_visible_to(request.user).filter(term_end__isnull=True)
    form = LinkForm(request.POST, representatives=reps)
    if not form.is_valid():
        messages.error(request, _("Please choose a representative and a valid date."))
        return redirect("org:household_detail", pk=pk)
    try:
        services.link_assign(
            actor=request.user,
            household=household,
            representative=form.cleaned_data["representative"],
            on_date=form.cleaned_data["on_date"],
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The household's representative has been changed."))
    return redirect("org:household_detail", pk=pk)


@login_required
@require_POST
def member_reveal(request, pk: int):
    member = _get(selectors.member_get, request.user, pk)
    try:
        data = services.member_reveal(actor=request.user, member=member)
    except DomainError as exc:
        return render(
            request,
            "org/_member_pii.html",
            {"member": member, "error": exc.message},
            status=exc.status,
        )
    return render(request, "org/_member_pii.html", {"member": member, "revealed": data})


@roles_required(HOUSEHOLD_ROLES)
def representative_list(request):
    unit = None
    try:
        if is_id(request.GET.get("unit", "")):
            unit = selectors.unit_get(request.user, int(request.GET["unit"]))
    except NotFound as exc:
        raise Http404(exc.message) from None
    qs = selectors.with_active_link_count(selectors.representatives_visible_to(request.user))
    if unit:
        qs = qs.filter(unit__path__startswith=unit.path)
    if request.GET.get("status") != "all":
        qs = qs.filter(term_end__isnull=True)
    # A name is short; a longer search is cut (the input field says as much), so a
    # 100,000-character pattern never reaches the database.
    q = request.GET.get("q", "").strip()[:SEARCH_MAX]
    if q:
        qs = qs.filter(name__contains=q)
    page = paginate(qs.order_by("unit__path", "name", "id"), request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "org/representative_list.html",
        {
            "page": page,
            "unit": unit,
            "q": q,
            "query": query.urlencode(),
        },
    )


@login_required
def representative_detail(request, pk: int):
    rep = _get(selectors.representative_get, request.user, pk)
    links = rep.links.select_related("household", "household__unit").order_by(
        "valid_to", "household__id"
    )
    current = [link for link in links if link.is_current]
    past = [link for link in links if not link.is_current]
    return render(
        request,
        "org/representative_detail.html",
        {
            "rep": rep,
            "current": current,
            "past": past,
            "places": rep.places.all(),
            "teams": rep.guard_teams.all(),
            "can_end_term": rep.term_end is None
            and scope_for(request.user).can(ORG_WRITE_ROLES, rep.unit.path),
        },
    )


@roles_required(HOUSEHOLD_ROLES)
def coverage(request):
    unit = _unit_param(request)
    if unit is None:
        return render(request, "org/coverage.html", {"unit": None})
    cov = selectors.coverage_for(request.user, unit)
    uncovered = paginate(
        selectors.uncovered_households(request.user, unit), request.GET.get("page")
    )
    out_of_range = selectors.representatives_out_of_range(request.user, unit)[:100]
    places = selectors.unassigned_places(request.user, unit)[:100]
    ancestors = selectors.units_visible_to(request.user).filter(path__in=unit.ancestor_paths()[:-1])
    return render(
        request,
        "org/coverage.html",
        {
            "unit": unit,
            "coverage": cov,
            "uncovered": uncovered,
            "out_of_range": out_of_range,
            "places": places,
            "ancestors": ancestors,
        },
    )


def _writable_units(user):
    """Units under which the user may add households (village level and below)."""
    scope = scope_for(user)
    units = selectors.units_visible_to(user).filter(depth__gte=VILLAGE_DEPTH).order_by("path")
    if scope.is_superuser:
        return units
    q = scope.path_q("path", scope.paths_for(ORG_WRITE_ROLES))
    return units.filter(q)


@login_required
def household_create(request):
    units = _writable_units(request.user)
    form = HouseholdForm(
        request.POST or None, units=units, initial={"unit": request.GET.get("unit")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            household = services.household_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The household has been registered."))
            return redirect("org:household_detail", pk=household.pk)
    return render(
        request, "org/household_form.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def member_add(request, pk: int):
    household = _get(selectors.household_get, request.user, pk)
    form = MemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please fill in the member's name and relation."))
    else:
        try:
            services.member_create(actor=request.user, household=household, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The member has been added."))
    return redirect("org:household_detail", pk=pk)


# --- building the tree from the pages ---------------------------------------------------
# Each form sits on its own page reached from the unit page, for the org-write roles
# only; the service checks the scope again, validates and writes the audit row.


MEMBER_CHOICES = 100  # residents offered at once on the appointment form


def _writable_unit(request, pk: int):
    """The unit, if the user may see it (404 otherwise) and change it (403 otherwise)."""
    unit = _get(selectors.unit_get, request.user, pk)
    if not scope_for(request.user).can(ORG_WRITE_ROLES, unit.path):
        raise PermissionDenied
    return unit


def _child_kinds(unit) -> list[tuple[str, str]]:
    """The kinds that may sit directly under `unit`: a lower rank (as `unit_create` asks),
    and above a village only the next one, so every group keeps a village above it (a
    village may hold areas, or groups directly)."""
    rank = KIND_RANK[UnitKind(unit.kind)]
    lowest = KIND_RANK[UnitKind.VILLAGE]
    return [
        (kind.value, str(kind.label))
        for kind in UnitKind
        if KIND_RANK[kind] == rank + 1 or (rank >= lowest and KIND_RANK[kind] > rank)
    ]


def _serving_reps(user, unit, within: str):
    return (
        selectors.representatives_visible_to(user)
        .filter(term_end__isnull=True, unit__path__startswith=within)
        .select_related("unit")
        .order_by("unit__path", "name", "id")
    )


def _unit_teams(user, unit):
    return (
        selectors.teams_visible_to(user)
        .filter(unit__path__startswith=unit.path)
        .order_by("unit__path", "name", "id")
    )


def _form_page(request, form, *, unit, title, save, success, fields=None, back=None, extra=None):
    """Show `form`; on a valid POST call `save(cleaned_data)` and go back to the unit page.

    Bad input answers 400 with the form kept; a domain error from the service is shown
    beside the field it concerns (`fields` maps its code to a field), with its status.
    """
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            try:
                save(form.cleaned_data)
            except DomainError as exc:
                field = (fields or {}).get(exc.code)
                form.add_error(field if field in form.fields else None, exc.message)
                status = exc.status
            else:
                messages.success(request, success)
                return redirect("org:unit_detail", pk=unit.pk)
    return render(
        request,
        "org/unit_form.html",
        {"form": form, "unit": unit, "title": title, "back": back, **(extra or {})},
        status=status,
    )


@roles_required(ORG_WRITE_ROLES)
def unit_child_create(request, pk: int):
    unit = _writable_unit(request, pk)
    kinds = _child_kinds(unit)
    if not kinds:
        raise Http404
    form = UnitChildForm(request.POST or None, kinds=kinds)
    return _form_page(
        request,
        form,
        unit=unit,
        title=_("Add a unit under %(name)s") % {"name": unit.name},
        save=lambda cd: services.unit_create(actor=request.user, parent=unit, **cd),
        success=_("The unit has been added."),
        fields={"unit_exists": "name", "unit_code": "code", "unit_kind_order": "kind"},
    )


@roles_required(ORG_WRITE_ROLES)
def unit_rename(request, pk: int):
    unit = _writable_unit(request, pk)
    form = UnitRenameForm(request.POST or None, initial={"name": unit.name})
    return _form_page(
        request,
        form,
        unit=unit,
        title=_("Rename %(name)s") % {"name": unit.name},
        save=lambda cd: services.unit_rename(actor=request.user, unit=unit, name=cd["name"]),
        success=_("The unit has been renamed."),
        fields={"required": "name", "too_long": "name"},
    )


@roles_required(ORG_WRITE_ROLES)
def place_create(request, pk: int):
    unit = _writable_unit(request, pk)
    form = PlaceForm(
        request.POST or None,
        representatives=_serving_reps(request.user, unit, unit.village_path()),
    )
    return _form_page(
        request,
        form,
        unit=unit,
        title=_("Add a place in %(name)s") % {"name": unit.name},
        save=lambda cd: services.place_create(actor=request.user, unit=unit, **cd),
        success=_("The place has been added."),
        fields={"place_kind": "kind"},
    )


@roles_required(ORG_WRITE_ROLES)
def team_create(request, pk: int):
    unit = _writable_unit(request, pk)
    form = TeamForm(
        request.POST or None, representatives=_serving_reps(request.user, unit, unit.path)
    )
    return _form_page(
        request,
        form,
        unit=unit,
        title=_("New guard team in %(name)s") % {"name": unit.name},
        save=lambda cd: services.team_create(actor=request.user, unit=unit, **cd),
        success=_("The guard team has been created."),
        fields={"team_rep_unit": "representatives"},
    )


@roles_required(ORG_WRITE_ROLES)
def team_member_add(request, pk: int):
    unit = _writable_unit(request, pk)
    form = TeamMemberForm(request.POST or None, teams=_unit_teams(request.user, unit))
    return _form_page(
        request,
        form,
        unit=unit,
        title=_("Add a guard team member in %(name)s") % {"name": unit.name},
        save=lambda cd: services.team_member_add(actor=request.user, **cd),
        success=_("The guard team member has been added."),
        fields={"team_member_kind": "kind", "mobile_invalid": "phone"},
    )


@roles_required(ORG_WRITE_ROLES)
def representative_appoint(request, pk: int):
    unit = _writable_unit(request, pk)
    if unit.depth < VILLAGE_DEPTH:
        raise Http404  # a representative serves a village or a unit inside one
    # Residents of the village not serving already. A village holds a few thousand, too
    # many for a phone's select: offer those of this unit, or the village's residents
    # whose name holds the search, at most MEMBER_CHOICES of them; any of the village
    # is accepted.
    candidates = (
        selectors.members_visible_to(request.user)
        .filter(household__unit__path__startswith=unit.village_path())
        .exclude(pk__in=Representative.objects.filter(term_end__isnull=True).values("member_id"))
        .select_related("household")
        .order_by("household__address", "name", "id")
    )
    q = (request.GET.get("q") or "").strip()[:50]
    pool = (
        candidates.filter(name__contains=q)
        if q
        else candidates.filter(household__unit__path__startswith=unit.path)
    )
    ids = list(pool.values_list("pk", flat=True)[: MEMBER_CHOICES + 1])
    more = len(ids) > MEMBER_CHOICES
    chosen = request.POST.get("member", "")
    if is_id(chosen):
        ids.append(int(chosen))
    units = (
        selectors.units_visible_to(request.user).filter(path__startswith=unit.path).order_by("path")
    )
    form = AppointWithAccountForm(
        request.POST or None,
        members=candidates,
        shown=candidates.filter(pk__in=ids[:MEMBER_CHOICES] + ids[MEMBER_CHOICES + 1 :]),
        units=units,
        initial={"unit": unit.pk},
    )
    return _form_page(
        request,
        form,
        unit=unit,
        title=_("Appoint a representative in %(name)s") % {"name": unit.name},
        save=lambda cd: services.representative_appoint(actor=request.user, **cd),
        success=_("The representative has been appointed."),
        fields={
            "rep_other_village": "member",
            "rep_exists": "member",
            "rep_account_refused": "phone",
            "mobile_invalid": "phone",
        },
        extra={"search": {"q": q, "more": more, "limit": MEMBER_CHOICES}},
    )


@roles_required(ORG_WRITE_ROLES)
def representative_end_term(request, pk: int):
    rep = _get(selectors.representative_get, request.user, pk)
    if not scope_for(request.user).can(ORG_WRITE_ROLES, rep.unit.path):
        raise PermissionDenied
    form = EndTermForm(request.POST or None)
    return _form_page(
        request,
        form,
        unit=rep.unit,
        title=_("End the term of %(name)s") % {"name": rep.name},
        save=lambda cd: services.representative_end_term(
            actor=request.user, representative=rep, **cd
        ),
        success=_("The term of %(name)s has ended.") % {"name": rep.name},
        fields={"rep_term_dates": "term_end", "link_dates": "term_end", "required": "reason"},
        back=reverse("org:representative_detail", args=[rep.pk]),
    )


@roles_required(ORG_WRITE_ROLES)
def representative_phone(request, pk: int):
    """Change a serving representative's mobile; their login account follows it."""
    rep = _get(selectors.representative_get, request.user, pk)
    if rep.term_end is not None:
        raise Http404
    if not scope_for(request.user).can(ORG_WRITE_ROLES, rep.unit.path):
        raise PermissionDenied
    form = RepresentativePhoneForm(request.POST or None)
    return _form_page(
        request,
        form,
        unit=rep.unit,
        title=_("Change the mobile number of %(name)s") % {"name": rep.name},
        save=lambda cd: services.representative_phone_change(
            actor=request.user, representative=rep, phone=cd["phone"]
        ),
        success=_("The mobile number of %(name)s has been changed.") % {"name": rep.name},
        fields={"rep_account_refused": "phone", "mobile_invalid": "phone"},
        back=reverse("org:representative_detail", args=[rep.pk]),
    )
