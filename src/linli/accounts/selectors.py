"""Reads on accounts: finding an account by mobile number, which accounts an appointer
may give to a representative, and the audit log for the people allowed to read it.

Phone lookups go through `user_by_phone` / `users_by_phones` only: the number is
stored encrypted and matched through its keyed hash (`User.phone_hash`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from linli.core.errors import Forbidden

from .models import AuditLog, Role, RoleAssignment, User, phone_index
from .scope import ORG_WRITE_ROLES, scope_for

# Roles whose holders are never made representatives by someone else: their account
# is a key to more than a representative's (administrators manage accounts).
PRIVILEGED_ROLES = (Role.ADMIN,)


def user_by_phone(phone: str) -> User | None:
    """The account whose login is this (normalised) mobile number, if any."""
    if not phone:
        return None
    return User.objects.filter(phone_hash=phone_index(phone)).first()


def users_by_phones(phones: Iterable[str]) -> dict[str, User]:
    """{phone: account} for the (normalised) numbers that have an account."""
    by_hash = {phone_index(p): p for p in phones if p}
    wanted = sorted(by_hash)
    found: dict[str, User] = {}
    for i in range(0, len(wanted), 2000):
        for user in User.objects.filter(phone_hash__in=wanted[i : i + 2000]):
            found[by_hash[user.phone_hash]] = user
    return found


def phone_q(term: str, prefix: str = "") -> Q:
    """Accounts (or rows whose `prefix` leads to one, e.g. "user__") whose mobile is
    exactly `term`, through the keyed hash: the admin's searches by mobile."""
    return Q(**{f"{prefix}phone_hash": phone_index(term)})


def _unprivileged() -> QuerySet[User]:
    return User.objects.filter(is_active=True, is_superuser=False, is_staff=False).exclude(
        pk__in=RoleAssignment.objects.filter(role__in=PRIVILEGED_ROLES).values("user_id")
    )


def bindable_accounts(actor: Any) -> QuerySet[User]:
    """The accounts `actor` may link to a representative (by id or by phone).

    **Decision**: an account is the appointer's when it is active, neither a superuser
    nor staff nor an administrator, holds at least one role, and every role it holds
    is at a unit where the appointer may change the organisation (the org-write roles
    at that unit or above). Accounts made for representatives by
    `org.services.representative_account_ensure` hold the representative role at the
    representative's unit, so they are the appointer's exactly when that unit is.
    An account without any role belongs to nobody's units and is only the superuser's
    to link. What this leaves out is refused with the answer of a missing account.
    """
    scope = scope_for(actor)
    base = _unprivileged()
    if scope.is_superuser:
        return base
    paths = scope.paths_for(ORG_WRITE_ROLES)
    if not paths:
        return User.objects.none()
    inside = Q(pk__in=[])
    for p in paths:
        inside |= Q(unit__path__startswith=p)
    assignments = RoleAssignment.objects.all()
    return base.filter(pk__in=assignments.filter(inside).values("user_id")).exclude(
        pk__in=assignments.exclude(inside).values("user_id")
    )


def account_bindable(actor: Any, user: User) -> bool:
    """Is `user` one of `bindable_accounts(actor)`? (One query.)"""
    return bindable_accounts(actor).filter(pk=user.pk).exists()


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
        qs = qs.filter(phone_q(actor, "actor__") | Q(actor__name=actor))
    if target_type:
        qs = qs.filter(target_type=target_type)
    if target_id:
        qs = qs.filter(target_id=target_id)
    return qs
