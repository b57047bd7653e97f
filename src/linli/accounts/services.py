"""Writes on accounts: users, role assignments, tokens, and the audit log."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.context import client_ip
from linli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from linli.core.masking import mask_phone
from linli.core.validators import normalize_mobile

from . import audit
from .models import (
    ApiToken,
    AuditAction,
    AuditLog,
    Role,
    RoleAssignment,
    TokenScope,
    User,
    default_token_scopes,
    hash_token,
)
from .scope import UnitRef, scope_for
from .selectors import user_by_phone


def audit_record(
    *,
    actor: User | None,
    action: AuditAction,
    target: Any = None,
    target_type: str = "",
    target_id: Any = "",
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Append one audit row. Call inside the transaction of the change it records;
    the row joins the hash chain when that transaction commits (`accounts.audit`).

    `action` must be an `AuditAction`; a free string is refused, so the list of
    actions stays complete.
    """
    if not isinstance(action, AuditAction):
        raise TypeError(f"audit action must be an AuditAction, not {action!r}")
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
    entry = AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action.value,
        target_type=target_type,
        target_id=str(target_id or ""),
        ip=client_ip.get(),
        detail=detail or {},
    )
    # Chained into the tamper-evident log once the change commits (accounts.audit).
    audit.seal_on_commit()
    return entry


def _require_admin(actor: User, unit: UnitRef) -> None:
    scope = scope_for(actor)
    if not scope.can({Role.ADMIN}, unit.path):
        raise Forbidden(_("Only an administrator of this unit may manage accounts."))


def _role_detail(assignment: RoleAssignment) -> dict[str, Any]:
    return {
        "user": assignment.user_id,
        "role": str(assignment.role),
        "unit": assignment.unit_id,
        "department": assignment.department_id,
    }


def role_grant(
    *, actor: User, user: User, role: Role | str, unit: UnitRef, department: Any = None
) -> RoleAssignment:
    """Give `user` a role at `unit` and audit it; no permission check.

    The one place a role assignment is created. Callers check the actor's
    permission first (`role_assign`, `user_create`, and
    `org.services.representative_appoint`, which grants the representative role
    with the appointment). Granting a role the user already holds changes
    nothing and writes no audit row.
    """
    role = Role(role)
    if role == Role.DEPARTMENT:
        if department is None:
            raise InvalidInput(
                _("A department handler must be given a department."), code="role_department"
            )
        if not department.active:
            raise InvalidInput(_("This department is no longer active."), code="role_department")
    elif department is not None:
        raise InvalidInput(
            _("Only a department handler is given a department."), code="role_department"
        )
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, unit=unit, defaults={"department": department}
    )
    if created:
        audit_record(
            actor=actor,
            action=AuditAction.ROLE_ASSIGN,
            target=user,
            detail=_role_detail(assignment),
        )
    return assignment


@transaction.atomic
def user_create(
    *,
    actor: User,
    phone: str,
    name: str,
    password: str,
    role: Role,
    unit: UnitRef,
    department: Any = None,
) -> User:
    """Create an account holding one role at a unit."""
    _require_admin(actor, unit)
    phone = normalize_mobile(phone)
    if user_by_phone(phone) is not None:
        raise Conflict(_("An account with this mobile number already exists."), code="user_exists")
    user = User.objects.create_user(phone=phone, password=password, name=name)
    audit_record(
        actor=actor,
        action=AuditAction.USER_CREATE,
        target=user,
        detail={"role": str(role), "unit": unit.pk},
    )
    role_grant(actor=actor, user=user, role=role, unit=unit, department=department)
    return user


ACCOUNT_FIELDS = ("phone", "name", "is_active", "is_staff", "is_superuser", "groups")
PRIVILEGE_FIELDS = {"is_staff", "is_superuser", "groups"}


def _require_account_admin(actor: User, user: User | None) -> None:
    """A superuser, or an administrator over every unit where `user` holds a role."""
    if getattr(actor, "is_superuser", False):
        return
    scope = scope_for(actor)
    if not scope.has_role(Role.ADMIN):
        raise Forbidden(_("Only an administrator may manage accounts."))
    if user is not None:
        for path in RoleAssignment.objects.filter(user=user).values_list("unit__path", flat=True):
            if not scope.can({Role.ADMIN}, path):
                raise Forbidden(_("This account holds roles outside your units."))


@transaction.atomic
def account_create(*, actor: User, phone: str, name: str, password: str | None) -> User:
    """Create an account without a role (roles are granted with `role_assign`)."""
    _require_account_admin(actor, None)
    phone = normalize_mobile(phone)
    if user_by_phone(phone) is not None:
        raise Conflict(_("An account with this mobile number already exists."), code="user_exists")
    user = User.objects.create_user(phone=phone, password=password, name=name)
    audit_record(actor=actor, action=AuditAction.USER_CREATE, target=user)
    return user


@transaction.atomic
def account_update(*, actor: User, user: User, **changes: Any) -> User:
    """Change an account's phone, name, activity or admin-site privileges, audited.

    Only a superuser changes privileges (staff, superuser, groups).
    """
    unknown = set(changes) - set(ACCOUNT_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    _require_account_admin(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    groups = changes.pop("groups", None)
    if "phone" in changes:
        changes["phone"] = normalize_mobile(changes["phone"])
    changed = [f for f, v in changes.items() if getattr(user, f) != v]
    new_groups = sorted(g.pk for g in groups) if groups is not None else None
    if new_groups is not None and new_groups != sorted(user.groups.values_list("pk", flat=True)):
        changed.append("groups")
    if PRIVILEGE_FIELDS & set(changed) and not getattr(actor, "is_superuser", False):
        raise Forbidden(_("Only a superuser may change admin-site privileges."))
    if "phone" in changed:
        if (other := user_by_phone(changes["phone"])) is not None and other.pk != user.pk:
            raise Conflict(
                _("An account with this mobile number already exists."), code="user_exists"
            )
    if not changed:
        return user
    before = {f: getattr(user, f) for f in changed if f != "groups"}
    for f in changed:
        if f != "groups":
            setattr(user, f, changes[f])
    fields = [f for f in changed if f != "groups"]
    if "phone" in fields:
        fields.append("phone_hash")  # the keyed hash goes with the number
    if fields:
        user.save(update_fields=fields)
    if "groups" in changed and new_groups is not None:
        user.groups.set(new_groups)
    audit_record(
        actor=actor,
        action=AuditAction.USER_UPDATE,
        target=user,
        detail={
            "fields": sorted(changed),
            # The audit log keeps mobiles masked, like every other personal datum in it.
            "before": _masked(before),
            "after": _masked({f: getattr(user, f) for f in before}),
        },
    )
    return user


def _masked(values: dict[str, Any]) -> dict[str, Any]:
    return {f: mask_phone(v) if f == "phone" else v for f, v in values.items()}


@transaction.atomic
def account_phone_reveal(*, actor: User, user: User) -> str:
    """An account's whole mobile number, for those who may change the account (the
    admin's "Show"), written to the audit log; everywhere else it is shown masked."""
    _require_account_admin(actor, user)
    audit_record(
        actor=actor,
        action=AuditAction.USER_PHONE_REVEAL,
        target=user,
        detail={"fields": ["phone"]},
    )
    return user.phone


@transaction.atomic
def role_assign(
    *, actor: User, user: User, role: Role, unit: UnitRef, department: Any = None
) -> RoleAssignment:
    """An administrator of `unit` gives `user` a role there (a department for handlers)."""
    _require_admin(actor, unit)
    return role_grant(actor=actor, user=user, role=role, unit=unit, department=department)


@transaction.atomic
def role_revoke(*, actor: User, assignment: RoleAssignment) -> None:
    """An administrator of the assignment's unit takes the role away, audited."""
    _require_admin(actor, assignment.unit)
    detail = _role_detail(assignment)
    deleted, _n = RoleAssignment.objects.filter(pk=assignment.pk).delete()
    if deleted:
        audit_record(
            actor=actor,
            action=AuditAction.ROLE_REVOKE,
            target_type=User._meta.label_lower,
            target_id=assignment.user_id,
            detail=detail,
        )


# last_used_at is written at most this often per token (seconds): a busy client does
# not turn every read into a write.
TOKEN_TOUCH_SECONDS = 60


def _token_scopes(scopes: Iterable[str] | None) -> list[str]:
    if scopes is None:
        return default_token_scopes()
    wanted = set()
    for s in scopes:
        try:
            wanted.add(TokenScope(s).value)
        except ValueError:
            raise InvalidInput(
                _("Unknown token scope: %(s)s") % {"s": s}, code="token_scope_unknown"
            ) from None
    if not wanted:
        raise InvalidInput(_("A token needs at least one scope."), code="token_scope_unknown")
    # Writing implies reading: a write token may also call GET.
    if TokenScope.WRITE.value in wanted:
        wanted.add(TokenScope.READ.value)
    return [s.value for s in TokenScope if s.value in wanted]


@transaction.atomic
def token_create(
    *,
    actor: User,
    name: str = "",
    scopes: Iterable[str] | None = None,
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Issue an API token for the acting user; the plain key is returned once.

    It expires after `expires_in_days` (default LINLI["TOKEN_DAYS"], at most
    LINLI["TOKEN_MAX_DAYS"]) and carries `scopes` (default read and write).
    """
    days = settings.LINLI["TOKEN_DAYS"] if expires_in_days is None else expires_in_days
    longest = settings.LINLI["TOKEN_MAX_DAYS"]
    if not 1 <= days <= longest:
        raise InvalidInput(
            _("A token lives between 1 and %(n)d days.") % {"n": longest},
            code="token_lifetime",
        )
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name.strip(),
        key_hash=hash_token(key),
        prefix=key[:8],
        scopes=_token_scopes(scopes),
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit_record(
        actor=actor,
        action=AuditAction.TOKEN_CREATE,
        target=token,
        detail={"scopes": token.scopes, "expires_at": token.expires_at.isoformat()},
    )
    return token, key


@transaction.atomic
def token_revoke(*, actor: User, token_id: int) -> ApiToken:
    """The owner revokes one of their tokens (another user's token is not found)."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
    if token is None:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=AuditAction.TOKEN_REVOKE, target=token)
    return token


def token_authenticate(key: str) -> ApiToken | None:
    """The live token with this key (its user active), or None: unknown, expired,
    revoked. Notes when it was used, at most once a minute."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if not token.is_live(now):
        return None
    last = token.last_used_at
    if last is None or (now - last).total_seconds() >= TOKEN_TOUCH_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


AUDITORS_GROUP = "审计员"


def auditors_group() -> Any:
    """The group of audit administrators: they read and export the audit log.

    Reading the log is a permission, not a role at a unit: the log is platform-wide,
    and the auditor is kept apart from the administrators (等保 "三员分立")."""
    from django.contrib.auth.models import Group, Permission

    group, created = Group.objects.get_or_create(name=AUDITORS_GROUP)
    if created:
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="accounts",
                codename__in=["view_auditlog", "export_auditlog"],
            )
        )
    return group
