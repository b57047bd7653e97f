"""The love doorbell's pages: thin views over selectors (reads) and services (writes)."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.access import holds_any, roles_required
from linli.accounts.models import Role, User
from linli.accounts.scope import HOUSEHOLD_LIST_ROLES, HOUSEHOLD_ROLES
from linli.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from linli.core.inputs import is_id
from linli.core.paging import paginate
from linli.org.models import Unit

from . import alarm_exports, care_export, device_exports, policy, selectors, services, workflow
from .forms import (
    AlarmFilterForm,
    ArriveForm,
    BindForm,
    CareEditForm,
    CareEndForm,
    CareFilterForm,
    CareRegisterForm,
    CloseForm,
    ContactsForm,
    DeviceForm,
    EmptyForm,
    FiguresForm,
    PairEndForm,
    PairForm,
    RetireForm,
    SeqResetForm,
    SettingsForm,
    TaskResolveForm,
)
from .models import AlarmStatus, CareRecipient, Device, DeviceStatus, RejectReason, TaskKind

# --- care register and pairing ------------------------------------------------------------

CARE_ROLES = frozenset(HOUSEHOLD_ROLES)
REP_ROLES = frozenset({Role.REPRESENTATIVE})


def _actor(request: HttpRequest) -> User:
    return cast("User", request.user)


def _care_filtered(request: HttpRequest) -> tuple[CareFilterForm, Any, dict[str, Any]]:
    form = CareFilterForm(request.GET or None, units=selectors.view_units(request.user))
    data: dict[str, Any] = {}
    if form.is_bound:
        if not form.is_valid():
            return form, CareRecipient.objects.none(), {}
        data = form.cleaned_data
    qs = selectors.recipients_filtered(
        request.user,
        unit=data.get("unit"),
        kind=data.get("kind") or "",
        level=data.get("level") or "",
        overdue=data.get("overdue") == "1",
        ended=data.get("ended") == "1",
    )
    filters = {
        k: (v.pk if isinstance(v, Unit) else str(v)) for k, v in data.items() if v not in (None, "")
    }
    return form, qs, filters


@roles_required(CARE_ROLES)
def care_list(request: HttpRequest) -> HttpResponse:
    """The care register (关爱对象): filter by unit, kind, level, overdue visit; paged."""
    form, qs, _filters = _care_filtered(request)
    page = paginate(qs, request.GET.get("page"))
    rows = list(page)
    statuses = selectors.visit_status_map(rows)
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        "doorbell/care_list.html",
        {
            "form": form,
            "page": page,
            "rows": [(r, statuses.get(r.pk)) for r in rows],
            "query": query,
            "can_register": selectors.manage_units(request.user).exists(),
            "settings_unit": selectors.settings_units(request.user).first(),
        },
        status=400 if form.errors else 200,
    )


@roles_required(CARE_ROLES)
def care_export_view(request: HttpRequest) -> FileResponse:
    form, qs, filters = _care_filtered(request)
    if form.errors:
        raise BadRequest(_("Some filters are not valid."))
    result = care_export.care_xlsx(user=_actor(request), recipients=qs, filters=filters)
    return FileResponse(
        result.file,
        as_attachment=True,
        filename=result.filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _recipient(request: HttpRequest, pk: int) -> CareRecipient:
    try:
        return selectors.recipient_get(request.user, pk)
    except DomainError:
        raise Http404 from None


@login_required
def care_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A recipient: who, where, health notes (carers and the village cadre only, each
    view audited), emergency contacts (masked), the pairing, its history, the visits."""
    recipient = _recipient(request, pk)
    health = policy.can_see_health(request.user, recipient)
    if health and recipient.health_notes:
        services.health_viewed(actor=_actor(request), recipient=recipient, via="page")
    pairing = selectors.current_pairing(recipient)
    status = None
    if pairing is not None:
        pairing.recipient = recipient
        status = selectors.visit_statuses([pairing])[0]
    return render(
        request,
        "doorbell/care_detail.html",
        {
            "r": recipient,
            "health": health,
            "contacts": selectors.contacts_of(recipient),
            "pairing": pairing,
            "status": status,
            "history": selectors.pairing_history(recipient),
            "manage": policy.can_manage(request.user, recipient.unit),
            # The register is for cadres; a representative came from 我的关爱对象.
            "back": "doorbell:care_list"
            if holds_any(request.user, CARE_ROLES)
            else "doorbell:mine",
        },
    )


def _form_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    form = context["form"]
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, template, context, status=status)


@roles_required(policy.MANAGE_ROLES)
def care_register(request: HttpRequest) -> HttpResponse:
    if not selectors.manage_units(request.user).exists():
        raise Http404
    form = CareRegisterForm(
        request.POST or None, members=selectors.members_for_register(request.user)
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            recipient = services.recipient_register(
                actor=_actor(request),
                member=d["member"],
                kind=d["kind"],
                level=d["level"],
                health_notes=d["health_notes"],
                confirm_alone=d["confirm_alone"],
            )
        except DomainError as exc:
            form.add_error("confirm_alone" if exc.code == "not_alone" else None, exc.message)
        else:
            messages.success(request, _("%(name)s was registered for care.") % {"name": recipient})
            return redirect("doorbell:care_detail", pk=recipient.pk)
    return _form_page(
        request, "doorbell/care_form.html", {"form": form, "title": _("Register for care")}
    )


def _managed(request: HttpRequest, pk: int) -> CareRecipient:
    """A recipient the user sees (else 404) and manages (else 403)."""
    recipient = _recipient(request, pk)
    if not policy.can_manage(request.user, recipient.unit):
        raise Forbidden(
            _("You may not manage the care register of %(unit)s.") % {"unit": recipient.unit.name}
        )
    return recipient


@login_required
def care_edit(request: HttpRequest, pk: int) -> HttpResponse:
    recipient = _managed(request, pk)
    health = policy.can_see_health(request.user, recipient)
    initial = {"version": recipient.version, "kind": recipient.kind, "level": recipient.level}
    if health:
        initial["health_notes"] = recipient.health_notes
    form = CareEditForm(request.POST or None, initial=initial, health=health)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.recipient_update(
                actor=_actor(request),
                recipient=recipient,
                version=d["version"],
                kind=d["kind"],
                level=d["level"],
                health_notes=d["health_notes"] if health else None,
                confirm_alone=d["confirm_alone"],
            )
        except DomainError as exc:
            form.add_error("confirm_alone" if exc.code == "not_alone" else None, exc.message)
        else:
            messages.success(request, _("The care record was saved."))
            return redirect("doorbell:care_detail", pk=recipient.pk)
    elif request.method != "POST" and health and recipient.health_notes:
        services.health_viewed(actor=_actor(request), recipient=recipient, via="edit")
    return _form_page(
        request,
        "doorbell/care_form.html",
        {"form": form, "r": recipient, "title": _("Change the care record")},
    )


@login_required
def care_end(request: HttpRequest, pk: int) -> HttpResponse:
    recipient = _managed(request, pk)
    form = CareEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.recipient_end(
                actor=_actor(request), recipient=recipient, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("%(name)s has left care.") % {"name": recipient})
            return redirect("doorbell:care_detail", pk=recipient.pk)
    return _form_page(
        request, "doorbell/care_form.html", {"form": form, "r": recipient, "title": _("End care")}
    )


@login_required
def care_contacts(request: HttpRequest, pk: int) -> HttpResponse:
    recipient = _managed(request, pk)
    initial: dict[str, Any] = {}
    for n, c in enumerate(selectors.contacts_of(recipient), start=1):
        # The number is not put back into the page: a cadre retypes it to change it.
        initial.update({f"name_{n}": c.name, f"relation_{n}": c.relation})
    form = ContactsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.contacts_set(
                actor=_actor(request),
                recipient=recipient,
                contacts=[services.ContactSpec(*row) for row in form.contacts()],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The emergency contacts were saved."))
            return redirect("doorbell:care_detail", pk=recipient.pk)
    return _form_page(
        request,
        "doorbell/care_contacts.html",
        {"form": form, "r": recipient, "contacts": selectors.contacts_of(recipient)},
    )


@login_required
def care_pair(request: HttpRequest, pk: int) -> HttpResponse:
    """Pair (or pair anew: the current pairing ends today, the history keeps it)."""
    recipient = _managed(request, pk)
    current = selectors.current_pairing(recipient)
    initial: dict[str, Any] = {}
    if current is not None:
        initial = {"primary": current.primary_id, "visit_every_days": current.visit_every_days}
        for n, b in enumerate(current.backups.all(), start=1):
            initial.update({f"kind_{n}": b.kind, f"user_{n}": b.user_id})
            if b.user_id is None:
                initial[f"name_{n}"] = b.name
    form = PairForm(
        request.POST or None,
        initial=initial,
        primaries=selectors.primary_choices(recipient),
        users=selectors.backup_user_choices(recipient),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.pair(
                actor=_actor(request),
                recipient=recipient,
                primary=d["primary"],
                visit_every_days=d["visit_every_days"],
                backups=[
                    services.BackupSpec(kind=k, user=u, name=name, phone=phone)
                    for k, u, name, phone in form.backups()
                ],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The pairing was saved."))
            return redirect("doorbell:care_detail", pk=recipient.pk)
    return _form_page(
        request,
        "doorbell/care_pair.html",
        {"form": form, "r": recipient, "current": current},
    )


@login_required
def care_pair_end(request: HttpRequest, pk: int) -> HttpResponse:
    recipient = _managed(request, pk)
    form = PairEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pair_end(
                actor=_actor(request), recipient=recipient, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The pairing was ended."))
            return redirect("doorbell:care_detail", pk=recipient.pk)
    return _form_page(
        request,
        "doorbell/care_form.html",
        {"form": form, "r": recipient, "title": _("End the pairing")},
    )


@roles_required(REP_ROLES)
def mine(request: HttpRequest) -> HttpResponse:
    """My care pairings (我的结对): each recipient, the visit due or overdue, a link to
    record the visit; and the pairings I back up."""
    return render(
        request,
        "doorbell/care_mine.html",
        {
            "statuses": selectors.my_pairings(request.user),
            "backups": selectors.my_backups(request.user),
        },
    )


@roles_required(policy.MANAGE_ROLES)
def unit_settings(request: HttpRequest, unit_id: int) -> HttpResponse:
    """A unit's doorbell settings: the timeouts and the cadre on duty."""
    unit = selectors.manage_units(request.user).filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    effective = selectors.settings_for(unit)
    own = selectors.unit_settings_row(unit)
    initial = {
        "ack_minutes": effective.ack_minutes,
        "arrive_minutes": effective.arrive_minutes,
        "offline_minutes": effective.offline_minutes,
        "battery_low": effective.battery_low,
        "duty_cadre": own.duty_cadre_id if own else None,
    }
    form = SettingsForm(
        request.POST or None, initial=initial, cadres=selectors.duty_cadre_choices(unit)
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.settings_set(
                actor=_actor(request),
                unit=unit,
                ack_minutes=d["ack_minutes"],
                arrive_minutes=d["arrive_minutes"],
                offline_minutes=d["offline_minutes"],
                battery_low=d["battery_low"],
                duty_cadre=d["duty_cadre"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The doorbell settings were saved."))
            return redirect("doorbell:settings", unit_id=unit.pk)
    source = (
        Unit.objects.filter(pk=effective.source_unit_id).first()
        if effective.source_unit_id
        else None
    )
    return _form_page(
        request,
        "doorbell/care_settings.html",
        {
            "form": form,
            "unit": unit,
            "own": own,
            "source": source,
            "children": selectors.settings_units(request.user).filter(parent=unit),
        },
    )


# --- devices, messages and maintenance ----------------------------------------------------


DEVICE_ROLES = HOUSEHOLD_ROLES
# The secret of a device just registered (or renewed), shown once on the next page.
SECRET_SESSION_KEY = "doorbell_device_secret"


def _device_or_404(request, pk: int) -> Device:
    try:
        return selectors.device_get(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _unit_filter(request, units) -> Unit | None:
    value = request.GET.get("unit", "")
    if not value:
        return None
    if not is_id(value):
        raise BadRequest(_("The unit is not valid."))
    unit = units.filter(pk=value).first()
    if unit is None:
        raise Http404
    return unit


def _choice(request, name: str, allowed) -> str:
    value = request.GET.get(name, "")
    return value if value in allowed else ""


def _device_filters(request):
    units = selectors.device_units(request.user)
    unit = _unit_filter(request, units)
    q = request.GET.get("q", "").strip()[:40]
    f = {
        "unit": str(unit.pk) if unit else "",
        "status": _choice(request, "status", selectors.DEVICE_STATUSES),
        "health": _choice(request, "health", selectors.HEALTH_FILTERS),
        "q": q if q.isprintable() else "",
    }
    qs = selectors.devices_filtered(
        request.user, unit=unit, status=f["status"], health=f["health"], q=f["q"]
    )
    return units, f, qs


@roles_required(DEVICE_ROLES)
def device_list(request):
    units, f, qs = _device_filters(request)
    page = paginate(qs, request.GET.get("page"))
    devices = list(page.object_list)
    tasks = selectors.open_task_kinds(devices)
    context = {
        "page": page,
        "rows": [(d, tasks.get(d.pk, [])) for d in devices],
        "units": units,
        "filters": f,
        "statuses": DeviceStatus.choices,
        "healths": [
            (TaskKind.OFFLINE.value, _("Offline")),
            (TaskKind.LOW_BATTERY.value, _("Low battery")),
        ],
        "query": urlencode({k: v for k, v in f.items() if v}),
        "may_register": selectors.register_units(request.user).exists(),
        "open_tasks": selectors.tasks_filtered(request.user).count(),
    }
    return render(request, "doorbell/devices_list.html", context)


@roles_required(DEVICE_ROLES)
def device_export(request):
    _units, f, qs = _device_filters(request)
    result = device_exports.devices_xlsx(user=request.user, devices=qs, filters=f)
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=device_exports.XLSX
    )


@roles_required(DEVICE_ROLES)
def device_new(request):
    units = selectors.register_units(request.user)
    form = DeviceForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            device, secret = services.device_register(
                actor=request.user,
                device_id=d["device_id"],
                unit=d["unit"],
                model_name=d["model_name"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            request.session[SECRET_SESSION_KEY] = {"device": device.pk, "secret": secret}
            messages.success(request, _("The doorbell was registered."))
            return redirect("doorbell:device_secret", pk=device.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "doorbell/devices_new.html", {"form": form}, status=status)


@roles_required(DEVICE_ROLES)
def device_secret(request, pk: int):
    """The secret, once: taken out of the session as it is shown."""
    device = _device_or_404(request, pk)
    held = request.session.get(SECRET_SESSION_KEY) or {}
    secret = None
    if held.get("device") == device.pk:
        secret = held.get("secret")
        del request.session[SECRET_SESSION_KEY]
    response = render(request, "doorbell/devices_secret.html", {"device": device, "secret": secret})
    response["Cache-Control"] = "no-store"
    return response


# The bind form's list shows at most this many households; a search narrows them.
BIND_CHOICES = 200


@roles_required(DEVICE_ROLES)
def device_detail(request, pk: int):
    return _device_page(request, _device_or_404(request, pk))


def _device_page(
    request,
    device: Device,
    *,
    status: int = 200,
    retire_form: RetireForm | None = None,
    resolve_form: TaskResolveForm | None = None,
    failed_task: int | None = None,
    seq_form: SeqResetForm | None = None,
    bind_data: Any = None,
) -> HttpResponse:
    """The device page; a refused retire, resolve, sequence reset or bind form comes back
    here with what was typed (400), like the other forms. `bind_data` is a refused bind's
    POST: its search (`hq`) and its chosen household are kept."""
    manage = policy.can_manage(request.user, device.unit)
    hq = ((bind_data or request.GET).get("hq") or "").strip()[:40]
    hq = hq if hq.isprintable() else ""
    households = selectors.bind_households(request.user, device, hq) if manage else None
    shown = list(households[: BIND_CHOICES + 1]) if households is not None else []
    # A search that leaves out the current household preselects its first match, so
    # "Bind" binds what the search found rather than the blank choice.
    chosen = device.household_id
    if hq and shown and chosen not in {h.pk for h in shown[:BIND_CHOICES]}:
        chosen = shown[0].pk
    context = {
        "device": device,
        "health": selectors.device_health(device),
        "messages_": selectors.device_messages(device),
        "rejections": selectors.device_rejections(device),
        "tasks": selectors.device_tasks(device),
        "manage": manage and device.status == DeviceStatus.ACTIVE,
        "bind_form": BindForm(
            bind_data,
            households=households.filter(pk__in=[h.pk for h in shown[:BIND_CHOICES]]),
            initial={"household": chosen},
        )
        if households is not None
        else None,
        "bind_q": hq,
        "bind_more": len(shown) > BIND_CHOICES,
        "bind_none": households is not None and not shown,
        "bind_choices": BIND_CHOICES,
        "retire_form": retire_form or RetireForm(),
        "seq_form": seq_form or SeqResetForm(auto_id="seq_%s"),
        "resolve_form": TaskResolveForm(),
        "failed_form": resolve_form,
        "failed_task": failed_task,
    }
    return render(request, "doorbell/devices_detail.html", context, status=status)


def _act(request, pk: int, do) -> HttpResponse:
    device = _device_or_404(request, pk)
    try:
        answer = do(device)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("doorbell:device_detail", pk=device.pk)
    return answer or redirect("doorbell:device_detail", pk=device.pk)


@require_POST
@roles_required(DEVICE_ROLES)
def device_bind(request, pk: int):
    def do(device):
        if request.POST.get("unbind"):
            services.device_bind(actor=request.user, device=device, household=None)
            messages.success(request, _("The doorbell was unbound."))
            return None
        form = BindForm(request.POST, households=selectors.bind_households(request.user, device))
        try:
            if not form.is_valid():
                raise InvalidInput(_("Choose a household of the doorbell's village."))
            services.device_bind(
                actor=request.user,
                device=device,
                household=form.cleaned_data["household"],
                move=form.cleaned_data["move"],
            )
        except DomainError as exc:
            # Back to the page with the search and the choice kept (400), not a redirect
            # that makes the cadre search again.
            messages.error(request, exc.message)
            return _device_page(request, device, status=exc.status, bind_data=request.POST)
        messages.success(request, _("The doorbell was bound to the household."))
        return None

    return _act(request, pk, do)


@require_POST
@roles_required(DEVICE_ROLES)
def device_retire(request, pk: int):
    def do(device):
        form = RetireForm(request.POST)
        if not form.is_valid():
            return _device_page(request, device, status=400, retire_form=form)
        services.device_retire(
            actor=request.user, device=device, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("The doorbell was retired."))
        return None

    return _act(request, pk, do)


@require_POST
@roles_required(DEVICE_ROLES)
def device_new_secret(request, pk: int):
    def do(device):
        device, secret = services.device_new_secret(actor=request.user, device=device)
        request.session[SECRET_SESSION_KEY] = {"device": device.pk, "secret": secret}
        return redirect("doorbell:device_secret", pk=device.pk)

    return _act(request, pk, do)


@require_POST
@roles_required(DEVICE_ROLES)
def device_seq_reset(request, pk: int):
    """The audited sequence reset: a form with the new number, a reason and a
    confirmation; refused input comes back on the device page (400)."""

    def do(device):
        form = SeqResetForm(request.POST, auto_id="seq_%s")
        if form.is_valid():
            try:
                services.device_seq_reset(
                    actor=request.user,
                    device=device,
                    to=form.cleaned_data["to"],
                    reason=form.cleaned_data["reason"],
                    confirm=form.cleaned_data["confirm"],
                )
            except InvalidInput as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("The sequence was reset: the doorbell's messages are accepted again."),
                )
                return None
        # The form is far down the page: say at the top that it needs another look.
        messages.error(request, _("The sequence was not reset: see the form below."))
        return _device_page(request, device, status=400, seq_form=form)

    return _act(request, pk, do)


@roles_required(DEVICE_ROLES)
def task_list(request):
    units = selectors.device_units(request.user)
    unit = _unit_filter(request, units)
    state = request.GET.get("state", "open")
    state = state if state in ("open", "resolved", "all") else "open"
    kind = _choice(request, "kind", TaskKind.values)
    qs = selectors.tasks_filtered(request.user, unit=unit, state=state, kind=kind)
    page = paginate(qs, request.GET.get("page"))
    f = {"unit": str(unit.pk) if unit else "", "state": state, "kind": kind}
    tasks = list(page.object_list)
    context = {
        "page": page,
        "tasks": [(t, policy.can_manage(request.user, t.unit)) for t in tasks],
        "units": units,
        "filters": f,
        "kinds": TaskKind.choices,
        "states": [("open", _("Open")), ("resolved", _("Resolved")), ("all", _("All"))],
        "query": urlencode({k: v for k, v in f.items() if v}),
        "resolve_form": TaskResolveForm(),
    }
    return render(request, "doorbell/devices_tasks.html", context)


@require_POST
@roles_required(DEVICE_ROLES)
def task_resolve(request, pk: int):
    try:
        task = selectors.task_get(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None
    form = TaskResolveForm(request.POST)
    if not form.is_valid():
        # Back on the device's page, the task's form with the field's error.
        device = _device_or_404(request, task.device_id)
        return _device_page(request, device, status=400, resolve_form=form, failed_task=task.pk)
    else:
        try:
            services.task_resolve(actor=request.user, task=task, note=form.cleaned_data["note"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The task was resolved."))
    back = request.POST.get("next", "")
    if back == "device":
        return redirect("doorbell:device_detail", pk=task.device_id)
    return redirect("doorbell:tasks")


@roles_required(DEVICE_ROLES)
def rejection_list(request):
    units = selectors.device_units(request.user)
    unit = _unit_filter(request, units)
    reason = _choice(request, "reason", RejectReason.values)
    qs = selectors.rejections_filtered(request.user, unit=unit, reason=reason)
    page = paginate(qs, request.GET.get("page"))
    f = {"unit": str(unit.pk) if unit else "", "reason": reason}
    context = {
        "page": page,
        "units": units,
        "filters": f,
        "reasons": RejectReason.choices,
        "query": urlencode({k: v for k, v in f.items() if v}),
    }
    return render(request, "doorbell/devices_rejections.html", context)


# --- alarms -------------------------------------------------------------------------------


ALARM_ROLES = frozenset(HOUSEHOLD_LIST_ROLES)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _alarm(user, pk: int):
    try:
        return selectors.alarm_get(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _alarm_filters(request) -> tuple[AlarmFilterForm, selectors.AlarmFilters, dict[str, Any]]:
    form = AlarmFilterForm(request.GET or None, units=selectors.alarm_units(request.user))
    data = form.cleaned_data if form.is_valid() else {}
    f = selectors.AlarmFilters(
        unit=data.get("unit"),
        status=data.get("status", ""),
        outcome=data.get("outcome", ""),
        start=data.get("start"),
        end=data.get("end"),
    )
    shown = {
        k: (v.pk if hasattr(v, "pk") else str(v)) for k, v in data.items() if v not in (None, "")
    }
    return form, f, shown


@roles_required(ALARM_ROLES)
def alarm_panel(request):
    """The live panel: open alarms first (who was told, the step, time since the press),
    then the closed ones with filters and paging. `?part=open` (the panel's script, on
    every change pushed) answers the open block alone."""
    if request.GET.get("part") == "open":
        return render(
            request,
            "doorbell/alarm_open.html",
            {"open_alarms": selectors.alarms_open(request.user)},
        )
    form, f, _shown = _alarm_filters(request)
    page = paginate(selectors.alarms_closed(request.user, f), request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": page.object_list,
        "query": query.urlencode(),
        "open_alarms": selectors.alarms_open(request.user),
    }
    status = 400 if request.GET and not form.is_valid() else 200
    template = "doorbell/alarm_rows.html" if request.htmx else "doorbell/alarm_panel.html"
    return render(request, template, context, status=status)


@roles_required(ALARM_ROLES)
def alarm_export(request):
    form, f, shown = _alarm_filters(request)
    if request.GET and not form.is_valid():
        return alarm_panel(request)  # the panel with the errors, 400
    result = alarm_exports.alarms_xlsx(
        user=request.user, alarms=selectors.alarms_filtered(request.user, f), filters=shown
    )
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=XLSX
    )


def _detail(request, alarm, *, status: int = 200, close_form=None, error: str = ""):
    may = policy.can_respond(request.user, alarm)
    attend = policy.can_attend(request.user, alarm)
    actions = [
        a
        for a in (workflow.actions_from(alarm.status) if may else [])
        if a == workflow.Action.CLOSE or attend
    ]
    note = policy.can_see_outcome_note(request.user, alarm)
    timeline = selectors.alarm_timeline(alarm, outcome_note=note)
    recipient = alarm.recipient
    health = recipient is not None and policy.can_see_health(request.user, recipient)
    if health and recipient.health_notes:
        services.health_viewed(actor=_actor(request), recipient=recipient, via="alarm")
    calls = policy.can_call_contacts(request.user, alarm)
    return render(
        request,
        "doorbell/alarm_detail.html",
        {
            "alarm": alarm,
            "events": timeline["events"],
            "notices": timeline["notices"],
            "actions": actions,
            "close_form": close_form or CloseForm(),
            "arrive_form": ArriveForm(),
            "error": error,
            "is_open": alarm.status != AlarmStatus.CLOSED,
            "unanswered": alarm.status in workflow.WAITING and alarm.next_step_at is None,
            "now": timezone.now(),
            "recipient": recipient,
            "care_link": recipient is not None
            and policy.can_view_recipient(request.user, recipient),
            "health": health,
            "outcome_note": note,
            "contacts": selectors.contacts_of(recipient) if calls else [],
        },
        status=status,
    )


class _TelRedirect(HttpResponseRedirect):
    allowed_schemes = ["tel"]


@login_required
@require_POST
def alarm_call(request, pk: int, contact: int):
    """Call an emergency contact from the alarm's page: audited, then the phone's dialer."""
    alarm = _alarm(request.user, pk)
    try:
        phone = services.contact_call(actor=request.user, alarm=alarm, contact_id=contact)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        return _detail(request, alarm, status=exc.status, error=exc.message)
    return _TelRedirect("tel:" + "".join(ch for ch in phone if ch.isdigit() or ch == "+"))


@login_required
@require_POST
def care_call(request, pk: int, contact: int):
    """Call an emergency contact from the care record's page: audited, then the dialer."""
    recipient = _recipient(request, pk)
    try:
        phone = services.care_contact_call(
            actor=request.user, recipient=recipient, contact_id=contact
        )
    except NotFound:
        raise Http404 from None
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from None
    return _TelRedirect("tel:" + "".join(ch for ch in phone if ch.isdigit() or ch == "+"))


@login_required
def alarm_detail(request, pk: int):
    """One alarm: its timeline (every event, who was told when) and the three buttons."""
    return _detail(request, _alarm(request.user, pk))


ACT_FORMS: dict[str, type[forms.Form]] = {
    workflow.Action.ACKNOWLEDGE: EmptyForm,
    workflow.Action.ARRIVE: ArriveForm,
    workflow.Action.CLOSE: CloseForm,
}


@login_required
@require_POST
def alarm_act(request, pk: int, action: str):
    alarm = _alarm(request.user, pk)
    if action not in ACT_FORMS:
        raise Http404
    form = ACT_FORMS[action](request.POST)
    close_form = form if action == workflow.Action.CLOSE else None
    if not form.is_valid():
        if action == workflow.Action.ARRIVE:
            # The location comes from the phone, not from a field the person can fix.
            errors = _("Your phone's location could not be read; press the button again.")
        else:
            # The summary names each field: "This field is required" alone says not which.
            errors = " ".join(
                _("%(field)s: %(error)s") % {"field": form.fields[name].label, "error": e}
                if name in form.fields
                else str(e)
                for name, errs in form.errors.items()
                for e in errs
            )
        return _detail(request, alarm, status=400, close_form=close_form, error=errors)
    params = dict(form.cleaned_data)
    # A missing version is the current one (as appeals' forms); a bad one is refused.
    version = (request.POST.get("version") or "").strip()
    if version:
        if not is_id(version):
            return _detail(
                request,
                alarm,
                status=400,
                close_form=close_form,
                error=_("The form is damaged (bad version); reload the page and try again."),
            )
        params["version"] = int(version)
    try:
        services.ACTIONS[action](actor=request.user, alarm=alarm, **params)
    except DomainError as exc:
        alarm = _alarm(request.user, pk)
        return _detail(request, alarm, status=exc.status, close_form=close_form, error=exc.message)
    messages.success(request, _("Saved: %(action)s.") % {"action": workflow.Action(action).label})
    return redirect("doorbell:alarm_detail", pk=alarm.pk)


def _figures(request):
    form = FiguresForm(request.GET or None, units=selectors.alarm_units(request.user))
    data = form.cleaned_data if form.is_valid() else {}
    start, end = selectors.default_period()
    start = data.get("start") or start
    end = data.get("end") or end
    if start > end:
        start = end
    unit = data.get("unit")
    figures = selectors.response_figures(request.user, unit, start, end)
    shown = {"unit": unit.pk if unit else None, "start": str(start), "end": str(end)}
    return form, figures, shown


@roles_required(ALARM_ROLES)
def figures(request):
    form, figs, _shown = _figures(request)
    status = 400 if request.GET and not form.is_valid() else 200
    query = request.GET.urlencode()
    return render(
        request,
        "doorbell/alarm_figures.html",
        {"form": form, "figures": figs, "query": query},
        status=status,
    )


@roles_required(ALARM_ROLES)
def figures_export(request):
    form, figs, shown = _figures(request)
    if request.GET and not form.is_valid():
        return figures(request)  # the page with the errors, 400
    result = alarm_exports.figures_xlsx(user=request.user, figures=figs, filters=shown)
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=XLSX
    )
