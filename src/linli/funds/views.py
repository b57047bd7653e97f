"""Pages of the service fund: the representative's own fund (balance, ledger, a new
spending with receipt photos), an entry (approve, refuse, reverse), the cadres'
approval queue, the totals of a unit with drill-down, the ledger list with filters and
its Excel export, and a unit's rule.

Thin: reads through selectors, writes through services.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from linli.accounts.access import roles_required
from linli.accounts.models import Role
from linli.accounts.scope import HOUSEHOLD_LIST_ROLES
from linli.core.errors import DomainError
from linli.core.inputs import EVENT_YEARS, is_id
from linli.core.paging import paginate
from linli.core.timeutil import today

from . import exports, policy, selectors, services
from .forms import DecideForm, EntryFilterForm, OpenForm, ReverseForm, RuleForm, SpendForm
from .models import FundEntry, FundEntryStatus, yuan

if TYPE_CHECKING:
    from linli.accounts.models import User

OWN_ROLES = frozenset({Role.REPRESENTATIVE})
SEE_ROLES = policy.SEE_ROLES
APPROVE_ROLES = policy.APPROVE_ROLES
RULE_ROLES = policy.RULE_ROLES
ENTRY_ROLES = frozenset(HOUSEHOLD_LIST_ROLES)


def _actor(request: HttpRequest) -> User:
    return cast("User", request.user)


def _year(request: HttpRequest) -> int:
    value = request.GET.get("year", "")
    if not value:
        return today().year
    if not value.isdigit() or not EVENT_YEARS[0] <= int(value) <= EVENT_YEARS[1]:
        raise BadRequest(_("The year is not valid."))
    return int(value)


def _years(year: int) -> list[int]:
    now = today().year
    return sorted({now, now - 1, now - 2, year}, reverse=True)


# --- the representative's own fund ------------------------------------------------------------


@roles_required(OWN_ROLES)
def mine(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    funds = selectors.own_funds(request.user, year)
    chosen = funds[0] if funds else None
    if len(funds) > 1 and is_id(request.GET.get("rep", "")):
        chosen = next((f for f in funds if str(f.representative.pk) == request.GET["rep"]), chosen)
    form = None
    status = 200
    if chosen is not None and chosen.representative.term_end is None:
        form = SpendForm(
            request.POST or None,
            request.FILES or None,
            households=selectors.households_for(chosen.representative),
            activities=selectors.activities_for(request.user, year),
            initial={"day": today()},
        )
        if request.method == "POST":
            if form.is_valid():
                d = form.cleaned_data
                try:
                    entry = services.fund_spend(
                        actor=_actor(request),
                        representative=chosen.representative,
                        amount_fen=d["amount"],
                        day=d["day"],
                        purpose=d["purpose"],
                        household=d["household"],
                        appeal=d["appeal"] or None,
                        activity=d["activity"],
                        receipts=request.FILES.getlist("receipts"),
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                    # A case code that names no appeal of theirs is a bad form, not a missing page.
                    status = 400 if exc.status == 404 else exc.status
                else:
                    if entry.status == FundEntryStatus.PENDING:
                        messages.success(
                            request,
                            _("The spending was recorded; it waits for the village's approval."),
                        )
                    else:
                        messages.success(request, _("The spending was recorded."))
                    return redirect(f"{reverse('funds:mine')}?year={entry.allocation.year}")
            else:
                status = 400
    elif request.method == "POST":
        raise Http404
    page = None
    if chosen is not None and chosen.allocation is not None:
        page = paginate(
            selectors.entries_filtered(request.user, allocation=chosen.allocation),
            request.GET.get("page"),
        )
    return render(
        request,
        "funds/mine.html",
        {
            "year": year,
            "years": _years(year),
            "funds": funds,
            "fund": chosen,
            "form": form,
            "spend_fields": [f for f in form if f.name != "receipts"] if form else [],
            "page": page,
            "query": urlencode({"year": year}),
        },
        status=status,
    )


# --- one entry ---------------------------------------------------------------------------


@roles_required(ENTRY_ROLES)
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.entry_get(request.user, pk)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    decide = DecideForm(request.POST if action in ("approve", "refuse") else None)
    reverse_form = ReverseForm(request.POST if action == "reverse" else None)
    status = 200
    if action:
        try:
            done = _entry_action(request, entry, action, decide, reverse_form)
        except DomainError as exc:
            messages.error(request, exc.message)
            done, status = False, exc.status
        if done:
            return redirect("funds:entry", pk=pk)
        entry = selectors.entry_get(request.user, pk)
        status = status if status != 200 else 400
    reversal = FundEntry.objects.filter(reverses=entry).first()
    return render(
        request,
        "funds/entry.html",
        {
            "entry": entry,
            "receipts": selectors.receipts_of(entry),
            "reversal": reversal,
            "may_decide": entry.status == FundEntryStatus.PENDING
            and policy.can_approve(request.user, entry),
            "may_reverse": entry.kind == "spend"
            and entry.status == FundEntryStatus.APPROVED
            and reversal is None
            and policy.can_reverse(request.user, entry),
            "decide": decide,
            "reverse_form": reverse_form,
        },
        status=status,
    )


def _entry_action(
    request: HttpRequest, entry: FundEntry, action: str, decide: Any, reverse_form: Any
) -> bool:
    if action in ("approve", "refuse"):
        if not decide.is_valid():
            return False
        services.fund_decide(
            actor=_actor(request),
            entry=entry,
            approve=action == "approve",
            note=decide.cleaned_data["note"],
        )
        messages.success(
            request,
            _("The spending was approved.")
            if action == "approve"
            else _("The spending was refused."),
        )
        return True
    if action == "reverse":
        if not reverse_form.is_valid():
            return False
        services.fund_reverse(
            actor=_actor(request), entry=entry, reason=reverse_form.cleaned_data["reason"]
        )
        messages.success(request, _("The spending was reversed."))
        return True
    raise Http404


def receipt(request: HttpRequest, pk: int) -> FileResponse:
    """A receipt photo, for whoever sees its fund (404 to anyone else, and to visitors)."""
    if not request.user.is_authenticated:
        raise Http404
    photo = selectors.receipt_get(request.user, pk)
    response = FileResponse(
        default_storage.open(photo.image.name, "rb"), content_type=photo.content_type
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- the cadres' pages ---------------------------------------------------------------------


@roles_required(APPROVE_ROLES)
def queue(request: HttpRequest) -> HttpResponse:
    page = paginate(selectors.approval_queue(request.user), request.GET.get("page"))
    return render(request, "funds/queue.html", {"page": page, "query": ""})


def _unit_param(request: HttpRequest) -> Any:
    value = request.GET.get("unit", "")
    units = selectors.totals_units(request.user)
    if not value:
        return selectors.totals_default_unit(request.user)
    if not is_id(value):
        raise BadRequest(_("The unit is not valid."))
    unit = units.filter(pk=value).select_related("parent").first()
    if unit is None:
        raise Http404
    return unit


@roles_required(SEE_ROLES)
def totals(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    unit = _unit_param(request)
    data = selectors.unit_totals(request.user, unit, year) if unit is not None else None
    up = None
    if unit is not None and unit.parent_id:
        up = selectors.totals_units(request.user).filter(pk=unit.parent_id).first()
    return render(
        request,
        "funds/totals.html",
        {
            "year": year,
            "years": _years(year),
            "unit": unit,
            "up": up,
            "data": data,
            "may_set_rule": unit is not None and policy.can_set_rule(request.user, unit),
            "may_approve": policy.may_approve_anywhere(request.user),
            "waiting": selectors.approval_queue(request.user).count()
            if policy.may_approve_anywhere(request.user)
            else 0,
            "rule": selectors.rule_for(unit.path, year) if unit is not None else None,
        },
    )


def _filtered(request: HttpRequest) -> tuple[EntryFilterForm, Any, dict[str, Any]]:
    units = selectors.totals_units(request.user).select_related("parent")
    form = EntryFilterForm(request.GET or None, units=units)
    data: dict[str, Any] = {}
    if form.is_bound:
        if not form.is_valid():
            return form, FundEntry.objects.none(), {}
        data = form.cleaned_data
    # One representative's fund (the totals page links each representative's row here).
    allocation = None
    fund = request.GET.get("fund", "")
    if fund:
        if not is_id(fund):
            raise BadRequest(_("The fund is not valid."))
        try:
            allocation = selectors.allocation_get(request.user, int(fund))
        except DomainError as exc:
            raise Http404 from exc
    qs = selectors.entries_filtered(
        request.user,
        allocation=allocation,
        year=data.get("year"),
        unit=data.get("unit"),
        status=data.get("status") or "",
        kind=data.get("kind") or "",
        start=data.get("start"),
        end=data.get("end"),
    )
    filters = {
        k: (getattr(v, "pk", None) or str(v)) for k, v in data.items() if v not in (None, "")
    }
    if allocation is not None:
        filters["fund"] = allocation.pk
    return form, qs, filters


@roles_required(SEE_ROLES)
def entries(request: HttpRequest) -> HttpResponse:
    form, qs, _filters = _filtered(request)
    page = paginate(qs, request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        "funds/entries.html",
        {"form": form, "page": page, "query": query},
        status=400 if form.errors else 200,
    )


@roles_required(SEE_ROLES)
def export(request: HttpRequest) -> FileResponse:
    form, qs, filters = _filtered(request)
    if form.errors:
        raise BadRequest(_("Some filters are not valid."))
    year = form.cleaned_data.get("year") if form.is_bound else None
    unit = form.cleaned_data.get("unit") if form.is_bound else None
    allocations = selectors.allocations_filtered(request.user, year=year, unit=unit)
    result = exports.funds_xlsx(
        user=_actor(request), entries=qs, allocations=allocations, filters=filters
    )
    return FileResponse(
        result.file,
        as_attachment=True,
        filename=result.filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@roles_required(RULE_ROLES)
def rule(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.rule_units(request.user).filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    year = _year(request)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    in_force = selectors.rule_for(unit.path, year)
    rule_form = RuleForm(
        request.POST if action == "rule" else None,
        initial={
            "year": year,
            "allocation": yuan(in_force.allocation_fen),
            "approval": yuan(in_force.approval_fen),
        },
    )
    open_form = OpenForm(request.POST if action == "open" else None, initial={"year": year})
    status = 200
    if action == "rule" and rule_form.is_valid():
        d = rule_form.cleaned_data
        try:
            services.fund_rule_set(
                actor=_actor(request),
                unit=unit,
                year=d["year"],
                allocation_fen=d["allocation"],
                approval_fen=d["approval"],
            )
        except DomainError as exc:
            rule_form.add_error(None, exc.message)
            status = exc.status
        else:
            messages.success(request, _("The service fund rule was saved."))
            return redirect(f"{reverse('funds:rule', args=[unit.pk])}?year={d['year']}")
    elif action == "open" and open_form.is_valid():
        try:
            n = services.allocations_open(
                actor=_actor(request), unit=unit, year=open_form.cleaned_data["year"]
            )
        except DomainError as exc:
            open_form.add_error(None, exc.message)
            status = exc.status
        else:
            messages.success(request, _("%(n)d funds were opened.") % {"n": n})
            return redirect(f"{reverse('funds:totals')}?unit={unit.pk}&year={year}")
    elif action in ("rule", "open"):
        status = 400
    elif action:
        raise Http404
    return render(
        request,
        "funds/rule.html",
        {
            "unit": unit,
            "year": year,
            "in_force": in_force,
            "own": selectors.own_rule(unit, year),
            "history": list(selectors.rules_of(unit)),
            "rule_form": rule_form,
            "open_form": open_form,
        },
        status=status,
    )
