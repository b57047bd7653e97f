"""Reads on accounts: the audit log for the people allowed to read it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from linli.core.errors import Forbidden

from .models import AuditLog


def can_read_audit(user: Any) -> bool:
    """Superusers and audit administrators (permission `accounts.view_auditlog`)."""
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or user.has_perm("accounts.view_auditlog")
    )


def can_export_audit(user: Any) -> bool:
    return can_read_audit(user) and (user.is_superuser or user.has_perm("accounts.export_auditlog"))


def audit_entries(
    user: Any,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    action: str = "",
    actor: str = "",
    target_type: str = "",
    target_id: str = "",
) -> QuerySet[AuditLog]:
    """The audit log, newest first, filtered; only for those who may read it."""
    if not can_read_audit(user):
        raise Forbidden(_("Only audit administrators may read the audit log."))
    qs = AuditLog.objects.select_related("actor").order_by("-at", "-id")
    if start:
        qs = qs.filter(at__gte=start)
    if end:
        qs = qs.filter(at__lt=end)
    if action:
        qs = qs.filter(Q(action=action) | Q(action__startswith=f"{action}."))
    if actor:
        qs = qs.filter(Q(actor__phone=actor) | Q(actor__name=actor))
    if target_type:
        qs = qs.filter(target_type=target_type)
    if target_id:
        qs = qs.filter(target_id=target_id)
    return qs
