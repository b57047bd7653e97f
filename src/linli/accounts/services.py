"""Writes on accounts: users, role assignments, tokens, and the audit log."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.context import client_ip
from linli.core.errors import Conflict, Forbidden
from linli.core.validators import normalize_mobile

from .models import ApiToken, AuditLog, Role, RoleAssignment, User, hash_token
from .scope import scope_for


def audit_record(
    *,
    actor,
    action: str,
    target: Any = None,
    target_type: str = "",
    target_id: Any = "",
    detail: dict | None = None,
) -> AuditLog:
    """Append one audit row. Call inside the transaction of the change it records."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id or ""),
        ip=client_ip.get(),
        detail=detail or {},
    )


def _require_admin(actor, unit) -> None:
    scope = scope_for(actor)
    if not scope.can({Role.ADMIN}, unit.path):
        raise Forbidden(_("Only an administrator of this unit may manage accounts."))


@transaction.atomic
def user_create(*, actor, phone: str, name: str, password: str, role: Role, unit) -> User:
    """Create an account holding one role at a unit."""
    _require_admin(actor, unit)
    phone = normalize_mobile(phone)
    if User.objects.filter(phone=phone).exists():
        raise Conflict(_("An account with this mobile number already exists."), code="user_exists")
    user = User.objects.create_user(phone=phone, password=password, name=name)
    RoleAssignment.objects.create(user=user, role=role, unit=unit)
    audit_record(
        actor=actor, action="user.create", target=user, detail={"role": str(role), "unit": unit.pk}
    )
    return user


@transaction.atomic
def role_assign(*, actor, user: User, role: Role, unit, department: str = "") -> RoleAssignment:
    _require_admin(actor, unit)
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, unit=unit, defaults={"department": department}
    )
    if created:
        audit_record(
            actor=actor,
            action="role.assign",
            target=user,
            detail={"role": str(role), "unit": unit.pk},
        )
    return assignment


@transaction.atomic
def token_create(*, actor: User, name: str = "") -> tuple[ApiToken, str]:
    """Issue an API token for the acting user; the plain key is returned once."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=actor, name=name, key_hash=hash_token(key), prefix=key[:8])
    audit_record(actor=actor, action="token.create", target=token)
    return token, key


def token_authenticate(key: str) -> User | None:
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at and token.expires_at <= now:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
