"""The love doorbell's pages: thin views over selectors (reads) and services (writes)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.access import roles_required
from linli.accounts.scope import HOUSEHOLD_ROLES
from linli.core.errors import DomainError, InvalidInput, NotFound
from linli.core.inputs import is_id
from linli.core.paging import paginate
from linli.org.models import Unit

from . import device_exports, policy, selectors, services
from .forms import BindForm, DeviceForm, RetireForm, TaskResolveForm
from .models import Device, DeviceStatus, RejectReason, TaskKind

# --- care register and pairing ------------------------------------------------------------


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


@roles_required(DEVICE_ROLES)
def device_detail(request, pk: int):
    device = _device_or_404(request, pk)
    manage = policy.can_manage(request.user, device.unit)
    context = {
        "device": device,
        "health": selectors.device_health(device),
        "messages_": selectors.device_messages(device),
        "rejections": selectors.device_rejections(device),
        "tasks": selectors.device_tasks(device),
        "manage": manage and device.status == DeviceStatus.ACTIVE,
        "bind_form": BindForm(households=selectors.bind_households(request.user, device))
        if manage
        else None,
        "retire_form": RetireForm(),
        "resolve_form": TaskResolveForm(),
    }
    return render(request, "doorbell/devices_detail.html", context)


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
        if not form.is_valid():
            raise InvalidInput(_("Choose a household of the doorbell's village."))
        services.device_bind(
            actor=request.user, device=device, household=form.cleaned_data["household"]
        )
        messages.success(request, _("The doorbell was bound to the household."))
        return None

    return _act(request, pk, do)


@require_POST
@roles_required(DEVICE_ROLES)
def device_retire(request, pk: int):
    def do(device):
        form = RetireForm(request.POST)
        if not form.is_valid():
            raise InvalidInput(_("The reason is not valid."))
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
        messages.error(request, _("The note is not valid."))
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
