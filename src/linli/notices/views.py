"""Pages of policy notices: the list (with filters, paging and export), the publish form,
one notice with its reach per unit (refreshed every few seconds by htmx) and, for a
representative, the checklist of their households still to reach (one tap each, or all
at once as reached online).

Thin: reads through selectors, writes through services.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from linli.accounts.access import roles_required
from linli.accounts.scope import HOUSEHOLD_LIST_ROLES, scope_for
from linli.core.errors import DomainError, NotFound
from linli.core.inputs import is_id
from linli.core.paging import paginate
from linli.duties.models import ContactMethod
from linli.org.models import Unit

from . import exports, policy, selectors, services
from .forms import BulkDeliveryForm, DeliveryForm, NoticeForm, WithdrawForm
from .models import Delivery, Notice, NoticeKind

# Refresh of the reach table, in seconds.
POLL_SECONDS = 5
STATUS_FILTERS = [
    ("", gettext_lazy("All")),
    ("active", gettext_lazy("In force")),
    ("withdrawn", gettext_lazy("Withdrawn")),
]


def _get(fn, *args):
    try:
        return fn(*args)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _filters(request) -> dict:
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()[:100]
    return {
        "kind": kind if kind in NoticeKind.values else "",
        "status": status if status in selectors.STATUSES else "",
        "q": q if q.isprintable() else "",
    }


def _filtered(request):
    f = _filters(request)
    return f, selectors.notices_filtered(request.user, kind=f["kind"], status=f["status"], q=f["q"])


def _reached_in_scope(user, notices: list[Notice]) -> dict[int, int]:
    """Deliveries of each notice inside the user's household scope (one query)."""
    scope = scope_for(user)
    if not (scope.is_superuser or scope.household_paths):
        return {}
    q = scope.path_q("unit__path", scope.household_paths)
    return dict(
        Delivery.objects.filter(q, notice__in=notices)
        .values_list("notice_id")
        .annotate(n=Count("pk"))
        .order_by()
    )


@roles_required(HOUSEHOLD_LIST_ROLES)
def notice_list(request):
    """The notices of my scope, newest first; a representative's own progress on each."""
    f, qs = _filtered(request)
    page = paginate(qs, request.GET.get("page"))
    notices = list(page.object_list)
    rep = selectors.my_representative(request.user)
    progress = selectors.my_progress(notices, rep) if rep is not None else {}
    reached = _reached_in_scope(request.user, notices)
    rows = [(n, progress.get(n.pk), reached.get(n.pk, 0)) for n in notices]
    context = {
        "page": page,
        "rows": rows,
        "filters": f,
        "kinds": NoticeKind.choices,
        "statuses": STATUS_FILTERS,
        "query": urlencode(f),
        "may_publish": policy.may_publish_somewhere(request.user),
        "sees_reach": policy.sees_reach(request.user),
        "rep": rep,
    }
    return render(request, "notices/list.html", context)


@roles_required(HOUSEHOLD_LIST_ROLES)
def notice_export(request):
    f, qs = _filtered(request)
    result = exports.notices_xlsx(user=request.user, notices=qs, filters=f)
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=exports.XLSX
    )


@roles_required(policy.PUBLISH_ROLES)
def notice_new(request):
    units = Unit.objects.filter(policy.publish_units_q(request.user)).order_by("path")
    form = NoticeForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            notice = services.notice_publish(
                actor=request.user,
                unit=d["unit"],
                kind=d["kind"],
                title=d["title"],
                body=d["body"],
                urgent=d["urgent"],
                remind_after=d["remind_after"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The notice was published."))
            return redirect("notices:detail", pk=notice.pk)
    return render(request, "notices/new.html", {"form": form})


def _reach_context(request, notice: Notice) -> dict:
    """The reach table's context, or {} when the user sees no reach of the notice."""
    pk = request.GET.get("unit", "")
    unit = _get(selectors.reach_unit, request.user, notice, int(pk) if is_id(pk) else None)
    if unit is None:
        return {}
    reach = selectors.reach(request.user, notice, unit)
    return {
        "reach": reach,
        "methods": dict(ContactMethod.choices),
        "poll": POLL_SECONDS,
        "unit_query": f"unit={unit.pk}",
    }


def _checklist_context(request, notice: Notice, rep, *, error: str = "", done=None) -> dict:
    if rep is None:
        return {}
    to_reach = list(selectors.households_to_reach(notice, rep))
    progress = selectors.my_progress([notice], rep)[notice.pk]
    if not progress.total:
        return {}
    return {
        "rep": rep,
        "to_reach": to_reach,
        "progress": progress,
        "methods": ContactMethod.choices,
        "notice": notice,
        "error": error,
        "done": done,
    }


@roles_required(HOUSEHOLD_LIST_ROLES)
def notice_detail(request, pk: int):
    notice = _get(selectors.notice_get, request.user, pk)
    rep = selectors.my_representative(request.user)
    context = {
        "notice": notice,
        "may_withdraw": not notice.withdrawn and policy.can_withdraw(request.user, notice),
        "withdraw_form": WithdrawForm(),
        **_reach_context(request, notice),
        "checklist": _checklist_context(request, notice, rep),
    }
    return render(request, "notices/detail.html", context)


@roles_required(HOUSEHOLD_LIST_ROLES)
def notice_reach(request, pk: int):
    """The reach table alone: the htmx poll's swap."""
    notice = _get(selectors.notice_get, request.user, pk)
    context = _reach_context(request, notice)
    if not context:
        raise Http404
    return render(request, "notices/_reach.html", {"notice": notice, **context})


def _checklist_answer(request, notice, rep, *, error: str = "", done=None):
    if request.htmx:
        context = _checklist_context(request, notice, rep, error=error, done=done)
        return HttpResponse(render_to_string("notices/_checklist.html", context, request))
    if error:
        messages.error(request, error)
    elif done:
        messages.success(request, _("Delivery recorded."))
    return redirect("notices:detail", pk=notice.pk)


@roles_required(HOUSEHOLD_LIST_ROLES)
@require_POST
def deliver(request, pk: int):
    """One tap on the checklist: this household was reached, this way."""
    notice = _get(selectors.notice_get, request.user, pk)
    rep = selectors.my_representative(request.user)
    if rep is None:
        raise Http404
    form = DeliveryForm(request.POST)
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _checklist_answer(request, notice, rep, error=error)
    d = form.cleaned_data
    household = selectors.households_to_reach(notice, rep).filter(pk=d["household"]).first()
    if household is None:
        return _checklist_answer(
            request, notice, rep, error=_("This household is not on your list for this notice.")
        )
    try:
        services.delivery_record(
            actor=request.user,
            notice=notice,
            household=household,
            method=d["method"],
            representative=rep,
        )
    except DomainError as exc:
        return _checklist_answer(request, notice, rep, error=exc.message)
    return _checklist_answer(request, notice, rep, done=household)


@roles_required(HOUSEHOLD_LIST_ROLES)
@require_POST
def deliver_bulk(request, pk: int):
    """ "Mark these as reached online": the ticked households of my checklist."""
    notice = _get(selectors.notice_get, request.user, pk)
    rep = selectors.my_representative(request.user)
    if rep is None:
        raise Http404
    mine = list(selectors.households_to_reach(notice, rep))
    form = BulkDeliveryForm(request.POST, household_ids=[h.pk for h in mine])
    if not form.is_valid():
        return _checklist_answer(request, notice, rep, error=_("Choose households from your list."))
    chosen = set(form.cleaned_data["households"])
    try:
        results = services.deliveries_record(
            actor=request.user,
            notice=notice,
            households=[h for h in mine if h.pk in chosen],
            method=form.cleaned_data["method"],
            representative=rep,
        )
    except DomainError as exc:
        return _checklist_answer(request, notice, rep, error=exc.message)
    return _checklist_answer(request, notice, rep, done=len(results))


@roles_required(policy.PUBLISH_ROLES)
@require_POST
def withdraw(request, pk: int):
    notice = _get(selectors.notice_get, request.user, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for the withdrawal."))
        return redirect("notices:detail", pk=notice.pk)
    try:
        services.notice_withdraw(
            actor=request.user, notice=notice, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        if exc.status == 403:
            raise Http404 from None
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The notice was withdrawn."))
    return redirect("notices:detail", pk=notice.pk)


def _reach_or_404(request, pk: int):
    notice = _get(selectors.notice_get, request.user, pk)
    unit_pk = request.GET.get("unit", "")
    unit = _get(
        selectors.reach_unit, request.user, notice, int(unit_pk) if is_id(unit_pk) else None
    )
    if unit is None:
        raise Http404
    return notice, unit


@roles_required(HOUSEHOLD_LIST_ROLES)
def export_reach(request, pk: int):
    notice, unit = _reach_or_404(request, pk)
    reach = selectors.reach(request.user, notice, unit)
    result = exports.reach_xlsx(user=request.user, notice=notice, reach=reach)
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=exports.XLSX
    )


@roles_required(HOUSEHOLD_LIST_ROLES)
def export_deliveries(request, pk: int):
    notice, unit = _reach_or_404(request, pk)
    result = exports.deliveries_xlsx(user=request.user, notice=notice, unit=unit)
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=exports.XLSX
    )
