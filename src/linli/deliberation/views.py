"""Pages of the deliberation list: the list of items with their stage (filters, paging,
Excel), an item's page with the steps the viewer may take, the catalogue, a village's
voting rule, the appeal groups, undeliberated decisions, and the public notice board
(no login). Thin: reads through selectors, writes through services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.access import roles_required
from linli.accounts.scope import HOUSEHOLD_LIST_ROLES, ORG_WRITE_ROLES
from linli.core import ratelimit
from linli.core.errors import DomainError, NotFound
from linli.core.inputs import is_id
from linli.core.paging import paginate
from linli.org.models import TOWN_DEPTH, VILLAGE_DEPTH, Unit

from . import exports, policy, selectors, services
from .forms import (
    CommentForm,
    DecideForm,
    GroupProposeForm,
    HideForm,
    ItemFilterForm,
    MatterForm,
    NoteForm,
    ProgressForm,
    ProposeForm,
    PublishForm,
    RuleForm,
    ScheduleForm,
    SkippedForm,
    VoteForm,
)
from .models import Stage
from .workflow import ORDER, Action, actions_from

LIST_ROLES = frozenset(HOUSEHOLD_LIST_ROLES)
CADRE_ROLES = frozenset(ORG_WRITE_ROLES)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _get(fn, *args):
    try:
        return fn(*args)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _unit_param(request, *, village: bool = False):
    """The `?unit=` (or posted `unit`) in the user's deliberation scope, or their first."""
    pk = request.POST.get("unit") or request.GET.get("unit") or ""
    if is_id(pk):
        return _get(selectors.village_get if village else selectors.unit_get, request.user, int(pk))
    if village:
        return selectors.villages_visible_to(request.user).first()
    return selectors.default_unit(request.user)


# --- the list --------------------------------------------------------------------------------


def _filters(request):
    form = ItemFilterForm(request.GET or None, units=selectors.villages_visible_to(request.user))
    data = form.cleaned_data if form.is_valid() else {}
    return form, data


@roles_required(LIST_ROLES)
def item_list(request):
    form, data = _filters(request)
    qs = selectors.items_filtered(
        request.user,
        stage=data.get("stage", ""),
        unit=data.get("unit"),
        q=data.get("q", ""),
        meeting=data.get("meeting"),
    )
    page = paginate(qs, request.GET.get("page"))
    counts = selectors.stage_counts(request.user, data.get("unit"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "deliberation/_rows.html" if request.htmx else "deliberation/list.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "rows": page.object_list,
            "query": query.urlencode(),
            "stages": [(s, Stage(s).label, counts.get(s, 0)) for s in ORDER],
            "may_propose": bool(_proposable(request.user)),
            "is_cadre": _managed(request.user).exists(),
            "public_unit": _public_unit(request.user),
            "meeting": selectors.meeting_visible(request.user, data.get("meeting")),
        },
    )


@roles_required(LIST_ROLES)
def item_export(request):
    _form, data = _filters(request)
    result = exports.items_xlsx(user=request.user, params=data)
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=XLSX
    )


def _public_unit(user):
    """The board the user's list links to: their top unit, or its village or town."""
    unit = selectors.default_unit(user)
    if unit is None:
        return None
    if unit.depth > VILLAGE_DEPTH:
        return Unit.objects.filter(path=unit.village_path()).first()
    if unit.depth < TOWN_DEPTH:
        return None  # a city's board would be every town's: start from a town
    return unit


def _managed(user):
    """The villages the user manages (a cadre's write role over them)."""
    return selectors.villages_visible_to(user).filter(policy.manage_q(user, "path"))


def _proposable(user) -> list:
    return [v for v in selectors.villages_visible_to(user) if policy.can_propose(user, v)]


@roles_required(LIST_ROLES)
def item_new(request):
    villages = _proposable(request.user)
    if not villages:
        raise Http404
    ids = [v.pk for v in villages]
    chosen = request.POST.get("unit") or request.GET.get("unit") or ids[0]
    unit = next((v for v in villages if str(v.pk) == str(chosen)), villages[0])
    form = ProposeForm(
        request.POST or None,
        units=selectors.villages_visible_to(request.user).filter(pk__in=ids),
        matters=selectors.matters_for(unit),
        initial={"unit": unit.pk},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            item = services.item_propose(
                actor=request.user,
                unit=d["unit"],
                title=d["title"],
                description=d["description"],
                matter=d["matter"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Item proposed."))
            return redirect("deliberation:detail", pk=item.pk)
    return render(request, "deliberation/form.html", {"form": form, "title": _("Propose an item")})


# --- one item --------------------------------------------------------------------------------

ACTION_FORMS: dict[str, Any] = {
    Action.SCHEDULE: ScheduleForm,
    Action.DISCUSS: NoteForm,
    Action.VOTE: VoteForm,
    Action.DECIDE: DecideForm,
    Action.PROGRESS: ProgressForm,
    Action.COMPLETE: NoteForm,
    Action.PUBLISH: PublishForm,
    Action.WITHDRAW: NoteForm,
}


def _form_for(action: str, item, data=None, files=None):
    cls = ACTION_FORMS[action]
    if cls is ScheduleForm:
        return cls(data, meetings=selectors.meetings_for(item.unit))
    if cls is PublishForm:
        return cls(data, initial={"notice_days": item.notice_days})
    return cls(data, files) if cls is ProgressForm else cls(data)


def _actions_for(user, item) -> list[tuple[str, Any, forms.Form]]:
    out = []
    for action in actions_from(item.stage):
        may = (
            policy.can_withdraw(user, item)
            if action == Action.WITHDRAW
            else policy.can_manage(user, item.unit)
        )
        if may:
            out.append((action, Action(action).label, _form_for(action, item)))
    return out


@roles_required(LIST_ROLES)
def item_detail(request, pk: int):
    item = _get(selectors.item_get, request.user, pk)
    manager = policy.can_manage(request.user, item.unit)
    return render(
        request,
        "deliberation/detail.html",
        {
            "item": item,
            "events": selectors.history(item),
            "votes": item.votes.select_related("meeting").order_by("at", "id"),
            "links": selectors.linked_appeals(item),
            "actions": _actions_for(request.user, item),
            "comments": selectors.all_comments(item)
            if manager
            else selectors.public_comments(item),
            "manager": manager,
            "rule": selectors.voting_rule_for(item.unit),
            "serving": selectors.serving_count(item.unit),
            "is_public": selectors.is_public(item),
        },
    )


@roles_required(LIST_ROLES)
@require_POST
def item_act(request, pk: int, action: str):
    item = _get(selectors.item_get, request.user, pk)
    if action not in ACTION_FORMS:
        raise Http404
    form = _form_for(action, item, request.POST, request.FILES)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, errors)
        return redirect("deliberation:detail", pk=item.pk)
    params = dict(form.cleaned_data)
    if action == Action.DECIDE:
        params = {"decision": params["decision"]}
    version = request.POST.get("version")
    if is_id(version or ""):
        params["version"] = int(version)
    try:
        item = services.item_act(actor=request.user, item=item, action=action, **params)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if action == Action.VOTE and item.stage == Stage.SCHEDULED:
            # The vote was kept but lacked a quorum: say so, and what to do next.
            vote = item.votes.order_by("-pk").first()
            messages.warning(
                request,
                _(
                    "The vote was recorded but had no quorum: %(present)d of the "
                    "%(serving)d representatives serving were present. The item stays on "
                    "the agenda: put it on a later meeting and vote again."
                )
                % {"present": vote.present if vote else 0, "serving": vote.serving if vote else 0},
            )
        else:
            messages.success(request, _("Saved: %(action)s.") % {"action": Action(action).label})
    return redirect("deliberation:detail", pk=item.pk)


def item_photo(request, pk: int):
    """A progress photo: anyone while its item is on public notice, else who sees the item."""
    photo = _get(selectors.item_photo_get, request.user, pk)
    response = FileResponse(
        default_storage.open(photo.image.name, "rb"), content_type=photo.content_type
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


@roles_required(CADRE_ROLES)
@require_POST
def comment_hide(request, pk: int):
    comment = _get(selectors.comment_get, request.user, pk)
    form = HideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason to hide the comment."))
    else:
        try:
            services.comment_hide(
                actor=request.user, comment=comment, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The comment is hidden."))
    return redirect("deliberation:detail", pk=comment.item_id)


# --- the catalogue and the voting rule ---------------------------------------------------------


@roles_required(LIST_ROLES)
def catalogue(request):
    unit = _unit_param(request)
    if unit is None:
        raise Http404
    may_add = policy.can_manage(request.user, unit)
    form = MatterForm(request.POST or None)
    if request.method == "POST":
        if not may_add:
            raise Http404
        if form.is_valid():
            try:
                services.matter_create(actor=request.user, unit=unit, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Catalogue entry added."))
                return redirect(f"{reverse('deliberation:catalogue')}?unit={unit.pk}")
    matters = list(selectors.matters_for(unit, active_only=False))
    for m in matters:
        m.own = m.unit_id == unit.pk
        m.may_retire = m.active and policy.can_manage(request.user, m.unit)
    return render(
        request,
        "deliberation/catalogue.html",
        {
            "unit": unit,
            "matters": matters,
            "form": form if may_add else None,
            "units": selectors.units_visible_to(request.user)
            .filter(depth__lte=3)
            .order_by("path")[:200],
        },
    )


@roles_required(LIST_ROLES)
def catalogue_export(request):
    unit = _unit_param(request)
    if unit is None:
        raise Http404
    result = exports.catalogue_xlsx(user=request.user, unit=unit)
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=XLSX
    )


@roles_required(CADRE_ROLES)
@require_POST
def matter_retire(request, pk: int):
    matter = _get(selectors.matter_get, request.user, pk)
    try:
        services.matter_retire(actor=request.user, matter=matter)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Catalogue entry retired."))
    return redirect(f"{reverse('deliberation:catalogue')}?unit={matter.unit_id}")


@roles_required(CADRE_ROLES)
def rule(request):
    village = _unit_param(request, village=True)
    if village is None:
        raise Http404
    current = selectors.voting_rule_for(village)
    form = RuleForm(
        request.POST or None,
        initial={
            "quorum_num": current.quorum_num,
            "quorum_den": current.quorum_den,
            "majority_num": current.majority_num,
            "majority_den": current.majority_den,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_set(actor=request.user, unit=village, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Voting rule saved."))
            return redirect(f"{reverse('deliberation:rule')}?unit={village.pk}")
    return render(
        request,
        "deliberation/rule.html",
        {
            "village": village,
            "rule": current,
            "form": form,
            "serving": selectors.serving_count(village),
            "villages": _managed(request.user)[:500],
            "may_set": policy.can_manage(request.user, village),
        },
    )


# --- from appeals to the agenda -----------------------------------------------------------------


def _days(request) -> int:
    raw = request.GET.get("days") or request.POST.get("days") or "60"
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 366 else 60


@roles_required(CADRE_ROLES)
def appeal_groups(request):
    village = _unit_param(request, village=True)
    if village is None:
        raise Http404
    days = _days(request)
    groups = selectors.appeal_groups(request.user, village, days=days)
    for g in groups:
        g.form = GroupProposeForm(
            initial={"title": f"{g.category}：{g.place}"},
            matters=selectors.matters_for(village),
        )
    return render(
        request,
        "deliberation/groups.html",
        {
            "village": village,
            "days": days,
            "groups": groups,
            "may_propose": policy.can_propose(request.user, village),
            "villages": _managed(request.user)[:500],
        },
    )


@roles_required(CADRE_ROLES)
@require_POST
def group_propose(request):
    village = _unit_param(request, village=True)
    if village is None:
        raise Http404
    raw = request.POST.getlist("appeals")
    if not raw or len(raw) > 200 or not all(is_id(v) for v in raw):
        messages.error(request, _("Choose the appeals of a group."))
        return redirect(f"{reverse('deliberation:groups')}?unit={village.pk}")
    form = GroupProposeForm(request.POST, matters=selectors.matters_for(village))
    if not form.is_valid():
        messages.error(request, _("Give the item a title."))
        return redirect(f"{reverse('deliberation:groups')}?unit={village.pk}")
    appeals = _get(selectors.appeals_for_group, request.user, village, [int(v) for v in raw])
    try:
        item = services.item_propose(
            actor=request.user,
            unit=village,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            matter=form.cleaned_data["matter"],
            appeals=appeals,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('deliberation:groups')}?unit={village.pk}")
    messages.success(request, _("Item proposed from %(n)d appeals.") % {"n": len(appeals)})
    return redirect("deliberation:detail", pk=item.pk)


# --- undeliberated decisions ---------------------------------------------------------------------


@roles_required(CADRE_ROLES)
def skipped(request):
    user = request.user
    supervised = selectors.villages_visible_to(user).filter(policy.supervise_q(user, "path"))
    form = None
    if supervised.exists():
        chosen = request.POST.get("unit") or request.GET.get("unit")
        village = supervised.filter(pk=chosen).first() if is_id(chosen or "") else None
        village = village or supervised.first()
        form = SkippedForm(
            request.POST or None,
            request.FILES or None,
            units=supervised,
            matters=selectors.matters_for(village),
            initial={"unit": village.pk},
        )
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                services.skipped_record(
                    actor=user,
                    unit=d["unit"],
                    matter=d["matter"],
                    decided=d["decided"],
                    decided_on=d["decided_on"],
                    evidence=d["evidence"],
                    photo=d["photo"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Undeliberated decision recorded."))
                return redirect("deliberation:skipped")
    elif request.method == "POST":
        raise Http404
    page = paginate(selectors.skipped_visible_to(user), request.GET.get("page"))
    return render(
        request,
        "deliberation/skipped.html",
        {"form": form, "page": page, "rows": page.object_list, "query": ""},
    )


@roles_required(CADRE_ROLES)
def skipped_export(request):
    result = exports.skipped_xlsx(user=request.user)
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=XLSX
    )


@roles_required(CADRE_ROLES)
def skipped_photo(request, pk: int):
    row = selectors.skipped_visible_to(request.user).filter(pk=pk).first()
    if row is None or not row.photo:
        raise Http404
    response = FileResponse(default_storage.open(row.photo.name, "rb"))
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- the public notice board (no login) ----------------------------------------------------------


def public_board(request, unit_id: int):
    unit = _get(selectors.public_unit_get, unit_id)
    page = paginate(selectors.public_board(unit), request.GET.get("page"), per_page=20)
    return render(
        request,
        "deliberation/public_board.html",
        {"unit": unit, "page": page, "rows": page.object_list, "query": ""},
    )


def public_item(request, pk: int):
    item = _get(selectors.public_item_get, pk)
    form = CommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_add(
                item=item,
                name=form.cleaned_data["name"],
                text=form.cleaned_data["text"],
                client=ratelimit.client_key(request),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        else:
            messages.success(request, _("Thank you: your comment is published."))
            return redirect("deliberation:public_item", pk=item.pk)
    else:
        status = 400 if request.method == "POST" else 200
    return render(
        request,
        "deliberation/public_item.html",
        {
            "item": item,
            "events": selectors.public_history(item),
            "public": True,
            "comments": selectors.public_comments(item),
            "form": form,
        },
        status=status,
    )
