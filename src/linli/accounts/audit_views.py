"""The audit log's pages, for audit administrators: read, filter, export, verify."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.core.paging import paginate
from linli.core.xlsx import write_xlsx

from . import audit, selectors
from .forms import AuditFilterForm
from .models import AuditAction
from .services import audit_record

EXPORT_MAX_ROWS = 200_000


def _day_start(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, Any]:
    form = AuditFilterForm(request.GET or None)
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    end = data.get("end")
    qs = selectors.audit_entries(
        request.user,
        start=_day_start(data.get("start")),
        end=_day_start(end + dt.timedelta(days=1)) if end else None,
        action=data.get("action", ""),
        actor=data.get("actor", ""),
        target_type=data.get("target_type", ""),
        target_id=data.get("target_id", ""),
    )
    return form, qs


def _require_reader(request: HttpRequest) -> None:
    if not selectors.can_read_audit(request.user):
        raise PermissionDenied(_("Only audit administrators may read the audit log."))


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    form, qs = _filtered(request)
    status = 400 if form.is_bound and not form.is_valid() else 200
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit_log.html",
        {
            "form": form,
            "page": paginate(qs, request.GET.get("page")),
            "query": query.urlencode(),
            "actions": [a.value for a in AuditAction],
            "can_export": selectors.can_export_audit(request.user),
            "retention_days": audit.retention_days(),
        },
        status=status,
    )


@login_required
def audit_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered entries as Excel, with each entry's place in the chain and hash."""
    if not selectors.can_export_audit(request.user):
        raise PermissionDenied(_("Only audit administrators may export the audit log."))
    form, qs = _filtered(request)
    if form.is_bound and not form.is_valid():
        messages.error(request, _("Correct the filters first."))
        return redirect("accounts:audit_log")
    headers = [
        _("Sequence"),
        _("Time"),
        _("Actor"),
        _("Actor's mobile"),
        _("Action"),
        _("Target type"),
        _("Target id"),
        _("From address"),
        _("Detail"),
        _("Hash"),
    ]
    file, count = write_xlsx(
        headers, audit.export_rows(qs[:EXPORT_MAX_ROWS]), sheet=_("Audit log"), wide=[_("Detail")]
    )
    with transaction.atomic():
        audit_record(
            actor=request.user,  # type: ignore[arg-type]  # behind login_required
            action=AuditAction.AUDIT_EXPORT,
            target_type="accounts.auditlog",
            detail={"rows": count, "filters": {k: v for k, v in request.GET.items() if v}},
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        file,
        as_attachment=True,
        filename=f"audit-log-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    """Check the chain now and say what was found."""
    _require_reader(request)
    audit.seal()
    result = audit.verify()
    if result.ok:
        messages.success(
            request,
            _("The audit chain is intact: %(n)d entries checked, head #%(seq)d %(hash)s.")
            % {"n": result.checked, "seq": result.head_seq, "hash": result.head_hash[:16]},
        )
    else:
        messages.error(
            request,
            _("The audit chain is broken: %(problems)s")
            % {"problems": "; ".join(result.problems[:10])},
        )
    return redirect("accounts:audit_log")
