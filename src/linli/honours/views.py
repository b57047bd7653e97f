"""Pages of the hundred best (the selection of a year, a town's nominations from its
ranking, a nomination with its history and objections), the public notice with its
objection form and the final list (no login), the benefits and the reserve pool.

Thin: reads through selectors, writes through services; a refused step is shown as
the service's message with its status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from linli.accounts.access import roles_required
from linli.core import ratelimit
from linli.core.errors import DomainError
from linli.core.inputs import EVENT_YEARS, is_id
from linli.core.paging import paginate
from linli.core.timeutil import today
from linli.org.models import TOWN_DEPTH, Representative, path_at

from . import exports, policy, selectors, services
from .forms import (
    AdvanceForm,
    AnswerForm,
    BenefitKindForm,
    CitationForm,
    IssueForm,
    NominateForm,
    NoteForm,
    ObjectionForm,
    OpenForm,
    QuotaForm,
    ReserveFilterForm,
    ReserveRuleForm,
    RevokeForm,
)
from .models import NominationStatus, ObjectionStatus, ReserveStatus, SelectionStage

if TYPE_CHECKING:
    from linli.accounts.models import User

SEE_ROLES = policy.SEE_ROLES
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _actor(request: HttpRequest) -> User:
    return cast("User", request.user)


def _year(request: HttpRequest, default: int | None = None) -> int:
    value = request.GET.get("year", "")
    if not value:
        return default if default is not None else today().year
    if not value.isdigit() or not EVENT_YEARS[0] <= int(value) <= EVENT_YEARS[1]:
        raise BadRequest(_("The year is not valid."))
    return int(value)


def _years(year: int) -> list[int]:
    return sorted({*selectors.selection_years(), year, today().year}, reverse=True)


def _refused(request: HttpRequest, exc: DomainError) -> int:
    messages.error(request, exc.message)
    return exc.status


# --- the selection of a year ------------------------------------------------------------------


@roles_required(SEE_ROLES)
def selection(request: HttpRequest) -> HttpResponse:
    latest = selectors.selection_years()
    year = _year(request, max(latest) if latest else None)
    sel = selectors.selection_of(year)
    user = _actor(request)
    is_city = policy.is_city(user)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    open_form = OpenForm(request.POST if action == "open" else None, initial={"year": year})
    advance = AdvanceForm(request.POST if action == "advance" else None)
    status = 200
    if action == "open":
        if open_form.is_valid():
            try:
                services.selection_open(
                    actor=user,
                    year=open_form.cleaned_data["year"],
                    seats=open_form.cleaned_data["seats"],
                )
            except DomainError as exc:
                status = _refused(request, exc)
            else:
                messages.success(request, _("The selection was opened."))
                return redirect(
                    f"{reverse('honours:selection')}?year={open_form.cleaned_data['year']}"
                )
        else:
            status = 400
    elif action in ("advance", "submit"):
        if sel is None:
            raise Http404
        try:
            if action == "advance":
                if not advance.is_valid():
                    raise BadRequest(_("Some fields are not valid."))
                d = advance.cleaned_data
                services.stage_advance(
                    actor=user, selection=sel, days=d["days"] or 7, note=d["note"] or ""
                )
                messages.success(request, _("The selection moved to its next stage."))
            else:
                town = selectors.town_get(user, request.POST.get("town", ""))
                services.town_submit(actor=user, selection=sel, town=town)
                messages.success(request, _("The nominations were submitted to the city."))
        except DomainError as exc:
            status = _refused(request, exc)
        else:
            return redirect(f"{reverse('honours:selection')}?year={year}")
    elif action:
        raise Http404
    quotas = []
    page = None
    my_towns: list[Any] = []
    if sel is not None:
        mine = {t.pk for t in selectors.towns_for(user)}
        for q in selectors.quotas_of(sel):
            quotas.append(
                {
                    "quota": q,
                    "held": selectors.held_count(sel, q.town),
                    "mine": q.town_id in mine,
                }
            )
        my_towns = [q for q in quotas if q["mine"]]
        page = paginate(selectors.nominations_of(user, sel), request.GET.get("page"))
    return render(
        request,
        "honours/selection.html",
        {
            "year": year,
            "years": _years(year),
            "sel": sel,
            "quotas": quotas,
            "my_towns": my_towns,
            "page": page,
            "query": urlencode({"year": year}),
            "is_city": is_city,
            "open_form": open_form,
            "advance": advance,
            "next_stage": _next_stage(sel),
            "notice_running": selectors.notice_running(sel),
            "events": selectors.selection_events(sel) if sel else [],
        },
        status=status,
    )


def _next_stage(sel: Any) -> Any:
    if sel is None or sel.stage == SelectionStage.FINAL:
        return None
    order = list(SelectionStage)
    return order[order.index(SelectionStage(sel.stage)) + 1]


@roles_required(policy.CITY_ROLES)
def quotas(request: HttpRequest, year: int) -> HttpResponse:
    sel = selectors.selection_of(year)
    if sel is None:
        raise Http404
    user = _actor(request)
    if not policy.is_city(user):
        raise Http404
    form = QuotaForm(request.POST or None, towns=selectors.towns())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.quota_set(
                    actor=user,
                    selection=sel,
                    town=form.cleaned_data["town"],
                    seats=form.cleaned_data["seats"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("The quota was saved."))
                return redirect("honours:quotas", year=year)
        else:
            status = 400
    rows = [(q, selectors.held_count(sel, q.town)) for q in selectors.quotas_of(sel)]
    return render(
        request,
        "honours/quotas.html",
        {"sel": sel, "form": form, "rows": rows, "assigned": sum(q.seats for q, _h in rows)},
        status=status,
    )


@roles_required(policy.TOWN_ROLES | policy.CITY_ROLES)
def nominate(request: HttpRequest, year: int) -> HttpResponse:
    sel = selectors.selection_of(year)
    user = _actor(request)
    towns = selectors.towns_for(user)
    if sel is None or not towns.exists():
        raise Http404
    value = request.GET.get("town", "")
    town = selectors.town_get(user, value) if value else towns.first()
    assert town is not None
    ranking = selectors.town_ranking(sel, town)
    best = [r.score.representative_id for r in selectors.suggestions(sel, town)]
    suggested = set(best)
    eligible = [r for r in ranking if r.eligible]
    form = NominateForm(
        request.POST or None,
        representatives=selectors.in_order(
            Representative.objects.all(), [r.score.representative_id for r in eligible]
        ),
        labels={r.score.representative_id: _choice_label(r, suggested) for r in eligible},
        initial={"representative": best[0]} if best else None,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                n = services.nominate(
                    actor=user,
                    selection=sel,
                    representative=form.cleaned_data["representative"],
                    citation=form.cleaned_data["citation"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("The representative was nominated."))
                return redirect("honours:nomination", pk=n.pk)
        else:
            status = 400
    quota = selectors.quota_of(sel, town)
    closed = ""
    if sel.stage != SelectionStage.NOMINATING:
        closed = _("The selection is at its stage “%(stage)s”: nominations are closed.") % {
            "stage": sel.get_stage_display()
        }
    elif quota is not None and quota.submitted_at is not None:
        closed = _("The town's nominations were submitted to the city: no more can be added.")
    return render(
        request,
        "honours/nominate.html",
        {
            "sel": sel,
            "town": town,
            "towns": list(towns),
            "ranking": ranking,
            "suggested": suggested,
            "quota": quota,
            "held": selectors.held_count(sel, town),
            "form": form,
            "closed": closed,
        },
        status=status,
    )


def _choice_label(row: Any, suggested: set[int]) -> str:
    """A representative in the nominate list: who, where, their rank and score."""
    s = row.score
    name = s.representative.name
    if s.representative_id in suggested:
        # Next to the name: a phone's closed list shows only the start of the label.
        name = _("%(label)s (suggested)") % {"label": name}
    return _("%(name)s · %(unit)s · rank %(rank)s · %(points)s points") % {
        "name": name,
        "unit": s.unit.name,
        "rank": s.rank_town or "—",
        "points": s.points,
    }


# --- one nomination --------------------------------------------------------------------------

NOMINATION_ACTIONS = (
    "citation",
    "town_approve",
    "town_reject",
    "city_approve",
    "city_reject",
    "withdraw",
    "uphold",
    "dismiss",
)


@roles_required(SEE_ROLES)
def nomination(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    n = selectors.nomination_get(user, pk)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action and action not in NOMINATION_ACTIONS:
        raise Http404
    citation = CitationForm(
        request.POST if action == "citation" else None, initial={"citation": n.citation}
    )
    note = NoteForm(
        request.POST
        if action and action != "citation" and action not in ("uphold", "dismiss")
        else None
    )
    answer = AnswerForm(request.POST if action in ("uphold", "dismiss") else None)
    status = 200
    if action:
        try:
            _nomination_action(user, n, action, citation, note, answer)
        except DomainError as exc:
            status = _refused(request, exc)
        except BadRequest:
            status = 400
        else:
            messages.success(request, _("Saved."))
            return redirect("honours:nomination", pk=n.pk)
        n = selectors.nomination_get(user, pk)
    sel = n.selection
    is_city = policy.is_city(user)
    town = policy.can_town(user, n.town.path)
    town_open = town and sel.stage in (SelectionStage.NOMINATING, SelectionStage.TOWN_REVIEW)
    return render(
        request,
        "honours/nomination.html",
        {
            "n": n,
            "sel": sel,
            "events": selectors.events_of(n),
            "objections": selectors.objections_of(n),
            "is_city": is_city,
            "may_cite": town_open
            and n.status in (NominationStatus.NOMINATED, NominationStatus.TOWN_APPROVED),
            "may_town_decide": town_open and n.status == NominationStatus.NOMINATED,
            "may_city_decide": is_city
            and sel.stage == SelectionStage.CITY_REVIEW
            and n.status == NominationStatus.TOWN_APPROVED,
            "may_withdraw": is_city
            and sel.stage in (SelectionStage.CITY_REVIEW, SelectionStage.NOTICE)
            and n.status == NominationStatus.CITY_APPROVED,
            "may_answer": is_city and sel.stage == SelectionStage.NOTICE,
            "open_status": ObjectionStatus.OPEN,
            "citation_form": citation,
            "note_form": note,
            "answer_form": answer,
        },
        status=status,
    )


def _nomination_action(
    user: User, n: Any, action: str, citation: Any, note: Any, answer: Any
) -> None:
    if action == "citation":
        if not citation.is_valid():
            raise BadRequest
        services.citation_set(actor=user, nomination=n, citation=citation.cleaned_data["citation"])
        return
    if action in ("uphold", "dismiss"):
        if not answer.is_valid():
            raise BadRequest
        objection = n.objections.filter(pk=answer.cleaned_data["objection"]).first()
        if objection is None:
            raise Http404
        services.objection_decide(
            actor=user,
            objection=objection,
            uphold=action == "uphold",
            answer=answer.cleaned_data["answer"],
        )
        return
    if not note.is_valid():
        raise BadRequest
    text = note.cleaned_data["note"] or ""
    if action in ("town_approve", "town_reject"):
        services.town_decide(actor=user, nomination=n, approve=action == "town_approve", note=text)
    elif action in ("city_approve", "city_reject"):
        services.city_decide(actor=user, nomination=n, approve=action == "city_approve", note=text)
    else:
        services.nomination_withdraw(actor=user, nomination=n, note=text)


# --- the public pages (no login) -------------------------------------------------------------


def public_notice(request: HttpRequest) -> HttpResponse:
    notices = [(sel, list(selectors.public_nominees(sel))) for sel in selectors.public_notices()]
    return render(
        request,
        "honours/public_notice.html",
        {"notices": notices, "years": selectors.public_years(), "public": True},
    )


def public_nominee(request: HttpRequest, pk: int) -> HttpResponse:
    n = selectors.public_nominee_get(pk)
    form = ObjectionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.objection_file(
                    nomination=n,
                    text=d["text"],
                    name=d["name"],
                    phone=d["phone"],
                    client=ratelimit.client_key(request),
                )
            except DomainError as exc:
                form.add_error("phone" if exc.code.startswith("mobile") else None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Thank you: the city will look into your objection."))
                return redirect("honours:public_notice")
        else:
            status = 400
    return render(
        request,
        "honours/public_nominee.html",
        {
            "n": n,
            "sel": n.selection,
            "form": form,
            "open": services.notice_is_open(n.selection),
            "public": True,
        },
        status=status,
    )


def public_final(request: HttpRequest, year: int) -> HttpResponse:
    sel = selectors.public_selection(year)
    return render(
        request,
        "honours/public_final.html",
        {"sel": sel, "rows": list(selectors.public_nominees(sel)), "public": True},
    )


# --- benefits ----------------------------------------------------------------------------------


@roles_required(SEE_ROLES)
def benefits(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    latest = selectors.public_years()
    year = _year(request, latest[0] if latest else today().year - 1)
    finalists = selectors.final_list(user, year).filter(town__in=selectors.towns_for(user))
    may_issue = finalists.exists()
    form = IssueForm(
        request.POST if request.method == "POST" else None,
        kinds=selectors.benefit_kinds(active_only=True),
        representatives=Representative.objects.filter(pk__in=finalists.values("representative_id")),
        initial={"issued_on": today()},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.benefit_issue(
                    actor=user,
                    kind=d["kind"],
                    representative=d["representative"],
                    year=year,
                    issued_on=d["issued_on"],
                    reference=d["reference"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("The benefit was recorded."))
                return redirect(f"{reverse('honours:benefits')}?year={year}")
        else:
            status = 400
    page = paginate(selectors.issues_of(user, year), request.GET.get("page"))
    return render(
        request,
        "honours/benefits.html",
        {
            "year": year,
            "years": sorted({*latest, year}, reverse=True),
            "form": form,
            "may_issue": may_issue,
            "finalists": selectors.final_list(user, year).count(),
            "page": page,
            "query": urlencode({"year": year}),
            "is_city": policy.is_city(user),
        },
        status=status,
    )


@roles_required(SEE_ROLES)
def benefit_kinds(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = BenefitKindForm(request.POST if action == "add" else None)
    status = 200
    if action:
        try:
            if action == "add":
                if not form.is_valid():
                    raise BadRequest
                services.benefit_kind_save(actor=user, **form.cleaned_data)
            elif action == "toggle":
                value = request.POST.get("kind", "")
                kind = (
                    selectors.benefit_kinds().filter(pk=int(value)).first()
                    if is_id(value)
                    else None
                )
                if kind is None:
                    raise Http404
                services.benefit_kind_save(
                    actor=user,
                    kind=kind,
                    name=kind.name,
                    provider=kind.provider,
                    description=kind.description,
                    active=not kind.active,
                )
            else:
                raise Http404
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        except BadRequest:
            status = 400
        else:
            messages.success(request, _("Saved."))
            return redirect("honours:benefit_kinds")
    return render(
        request,
        "honours/benefit_kinds.html",
        {"kinds": list(selectors.benefit_kinds()), "form": form, "is_city": policy.is_city(user)},
        status=status,
    )


@roles_required(SEE_ROLES)
def benefit_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    issue = selectors.issue_get(user, pk)
    form = RevokeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.benefit_revoke(actor=user, issue=issue, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("The benefit was revoked."))
                return redirect(f"{reverse('honours:benefits')}?year={issue.year}")
        else:
            status = 400
    return render(
        request,
        "honours/benefit_revoke.html",
        {
            "issue": issue,
            "form": form,
            "may_revoke": issue.revoked_at is None
            and policy.can_town(user, path_at(issue.unit_path, TOWN_DEPTH)),
        },
        status=status,
    )


@roles_required(SEE_ROLES)
def benefits_export(request: HttpRequest) -> FileResponse:
    year = _year(request)
    result = exports.benefits_xlsx(
        user=_actor(request), issues=selectors.issues_of(request.user, year), year=year
    )
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=XLSX
    )


# --- the reserve pool --------------------------------------------------------------------------


def _reserve_filters(request: HttpRequest) -> tuple[ReserveFilterForm, dict[str, Any]]:
    form = ReserveFilterForm(request.GET or None, units=selectors.units_visible(request.user))
    data: dict[str, Any] = {}
    if form.is_bound:
        if not form.is_valid():
            return form, {}
        data = form.cleaned_data
    return form, data


@roles_required(SEE_ROLES)
def reserve(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    form, data = _reserve_filters(request)
    year = data.get("year") or today().year
    rule = selectors.reserve_rule(year)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    rule_form = ReserveRuleForm(
        request.POST if action == "rule" else None,
        initial={"max_age": rule.max_age, "min_score": rule.min_score},
    )
    status = 400 if form.errors else 200
    if action:
        try:
            if action == "rule":
                if not rule_form.is_valid():
                    raise BadRequest
                services.reserve_rule_set(actor=user, year=year, **rule_form.cleaned_data)
                messages.success(request, _("The rule was saved."))
            elif action == "propose":
                n = services.reserve_propose(actor=user, year=year)
                messages.success(request, _("%(n)d candidates were proposed.") % {"n": n})
            else:
                raise Http404
        except DomainError as exc:
            status = _refused(request, exc)
        except BadRequest:
            status = 400
        else:
            return redirect(f"{reverse('honours:reserve')}?year={year}")
    qs = selectors.candidates_of(
        user, year=year, status=data.get("status") or "", unit=data.get("unit")
    )
    page = paginate(qs, request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        "honours/reserve.html",
        {
            "form": form,
            "year": year,
            "rule": rule,
            "rule_form": rule_form,
            "page": page,
            "query": query or urlencode({"year": year}),
            "is_city": policy.is_city(user),
        },
        status=status,
    )


@roles_required(SEE_ROLES)
def reserve_candidate(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    c = selectors.candidate_get(user, pk)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = NoteForm(request.POST if action else None)
    status = 200
    if action:
        if action not in ("confirm", "decline"):
            raise Http404
        if form.is_valid():
            try:
                services.reserve_decide(
                    actor=user,
                    candidate=c,
                    confirm=action == "confirm",
                    note=form.cleaned_data["note"] or "",
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Saved."))
                return redirect("honours:reserve_candidate", pk=c.pk)
        else:
            status = 400
    return render(
        request,
        "honours/reserve_candidate.html",
        {
            "c": c,
            "events": list(c.events.select_related("actor")),
            "form": form,
            "may_decide": c.status == ReserveStatus.PROPOSED and policy.can_town(user, c.town_path),
        },
        status=status,
    )


@roles_required(SEE_ROLES)
def reserve_export(request: HttpRequest) -> FileResponse:
    form, data = _reserve_filters(request)
    if form.errors:
        raise BadRequest(_("Some filters are not valid."))
    qs = selectors.candidates_of(
        request.user, year=data.get("year"), status=data.get("status") or "", unit=data.get("unit")
    )
    result = exports.reserve_xlsx(user=_actor(request), candidates=qs)
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=XLSX
    )
