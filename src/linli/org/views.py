"""Pages of the organisation: thin, every read through a selector, every write through a service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
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
from linli.core.paging import paginate

from . import selectors, services
from .forms import HouseholdFilterForm, HouseholdForm, LinkForm, MemberForm
from .models import VILLAGE_DEPTH


def _get(fn, user, pk):
    try:
        return fn(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _unit_param(request):
    pk = request.GET.get("unit")
    if pk and pk.isdigit():
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
    return render(
        request,
        "org/unit_detail.html",
        {
            "unit": unit,
            "coverage": coverage,
            "ancestors": ancestors,
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
        if request.GET.get("unit", "").isdigit():
            unit = selectors.unit_get(request.user, int(request.GET["unit"]))
    except NotFound as exc:
        raise Http404(exc.message) from None
    qs = selectors.with_active_link_count(selectors.representatives_visible_to(request.user))
    if unit:
        qs = qs.filter(unit__path__startswith=unit.path)
    if request.GET.get("status") != "all":
        qs = qs.filter(term_end__isnull=True)
    q = request.GET.get("q", "").strip()
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
