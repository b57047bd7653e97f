"""Two-factor authentication: who must have it, and its writes (enrol, verify, disable,
recovery codes), on django-otp.

A user's second factor is one TOTP device (an authenticator app, `TOTPDevice`) and,
beside it, one static device holding ten single-use recovery codes (`StaticDevice`
named "recovery"). A session counts as verified once `django_otp.login` has recorded
the device that accepted a code (`request.user.is_verified()`, set by
`django_otp.middleware.OTPMiddleware`).

The rule of who must use it is `required_for(user)`: superusers and staff, and holders
of the administrator, command-centre and town roles. Everybody else may enrol on their
account page. `accounts.middleware.TwoFactorMiddleware` sends a session that still owes
its code (`pending`) to the verify page, or to enrolment when it must enrol; the token
endpoint asks for the code too (`accounts.api.issue_token`).

The writes live here rather than in `services.py` because they are one subject; each
records its audit row like any service.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from linli.core.errors import Forbidden, InvalidInput

from .models import AuditAction, Role, User
from .scope import scope_for
from .services import audit_record

# Roles whose holders must use a second factor.
REQUIRED_ROLES = frozenset({Role.ADMIN, Role.CITY, Role.TOWN})
RECOVERY_CODES = 10
RECOVERY_DEVICE = "recovery"
TOTP_DEVICE = "authenticator"

Pending = Literal["verify", "enrol"]


# --- reads -----------------------------------------------------------------------------------


def required_for(user: Any) -> bool:
    """Must this user pass a second factor? Staff and superusers, and holders of the
    administrator, command-centre and town roles (anywhere)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if not settings.LINLI["TWO_FACTOR_REQUIRED"]:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return any(role in scope_for(user).roles for role in REQUIRED_ROLES)


def totp_device(user: Any, *, confirmed: bool | None = True) -> TOTPDevice | None:
    qs = TOTPDevice.objects.filter(user=user)
    if confirmed is not None:
        qs = qs.filter(confirmed=confirmed)
    device: TOTPDevice | None = qs.order_by("-id").first()
    return device


def has_device(user: Any) -> bool:
    """Has the user enrolled (a confirmed authenticator)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    cached: bool | None = getattr(user, "_linli_has_otp", None)
    if cached is None:
        cached = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        _remember(user, cached)
    return cached


def _remember(user: Any, enrolled: bool) -> None:
    """Cache `has_device` on the user object for this request."""
    user._linli_has_otp = enrolled


def is_verified(user: Any) -> bool:
    """Has this session passed its second step (django-otp's OTPMiddleware says)?"""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def pending(user: Any) -> Pending | None:
    """What a signed-in session still owes: its code ("verify"), its enrolment
    ("enrol"), or nothing."""
    if not getattr(user, "is_authenticated", False) or is_verified(user):
        return None
    if has_device(user):
        return "verify"
    if required_for(user):
        return "enrol"
    return None


def session_pending(user: Any, session: Any) -> Pending | None:
    """`pending` for a connection that has the session but not django-otp's middleware
    (a WebSocket): verified when the session names a confirmed device of the user."""
    if not getattr(user, "is_authenticated", False):
        return None
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    if persistent_id:
        device = Device.from_persistent_id(persistent_id)
        if device is not None and device.user_id == user.pk and device.confirmed:
            return None
    if has_device(user):
        return "verify"
    if required_for(user):
        return "enrol"
    return None


def recovery_codes_left(user: Any) -> int:
    left: int = StaticToken.objects.filter(device__user=user, device__name=RECOVERY_DEVICE).count()
    return left


def secret_of(device: TOTPDevice) -> str:
    """The key as authenticator apps take it by hand: base32, in groups of four."""
    b32 = base64.b32encode(device.bin_key).decode()
    return " ".join(b32[i : i + 4] for i in range(0, len(b32), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG QR code (drawn here, nothing fetched)."""
    qr = segno.make(device.config_url, error="m")
    svg: str = qr.svg_inline(scale=4, border=2, dark="#000", light="#fff")
    return svg


def _looks_like_totp(code: str) -> bool:
    return code.isdigit() and len(code) == 6


def _clean(code: str) -> str:
    return "".join(code.split()).lower()


def _match(user: User, code: str) -> TOTPDevice | StaticDevice | None:
    """The device that accepts `code`: six digits go to the authenticator, anything
    else to the recovery codes (so a mistyped code does not throttle both).
    A recovery code matches once (django-otp deletes it)."""
    code = _clean(code)
    if not code:
        return None
    if _looks_like_totp(code):
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    else:
        device = (
            StaticDevice.objects.select_for_update()
            .filter(user=user, confirmed=True, name=RECOVERY_DEVICE)
            .first()
        )
    if device is not None and device.verify_token(code):
        return device
    return None


# --- writes ----------------------------------------------------------------------------------


class CodeRefused(InvalidInput):
    code = "otp_invalid"


@transaction.atomic
def check_code(*, user: User, code: str) -> TOTPDevice | StaticDevice:
    """Accept a current authenticator code or an unused recovery code, or raise
    `CodeRefused`. Using a recovery code is audited."""
    device = _match(user, code)
    if device is None:
        raise CodeRefused(_("That code is wrong or has expired; try the newest one."))
    if isinstance(device, StaticDevice):
        audit_record(
            actor=user,
            action=AuditAction.OTP_RECOVERY_USE,
            target=user,
            detail={"left": device.token_set.count()},
        )
    return device


def verify(request: HttpRequest, user: User, code: str) -> TOTPDevice | StaticDevice:
    """The second step of a login: check the code, then mark the session verified."""
    device = check_code(user=user, code=code)
    otp_login(request, device)
    # The session is worth more now: a new key, as at the password step.
    request.session.cycle_key()
    return device


@transaction.atomic
def enrol_start(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator the enrolment page shows (one per user, kept until
    confirmed, so reloading the page keeps the same QR code)."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE, confirmed=False)
    return device


def _new_recovery_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@transaction.atomic
def enrol_confirm(request: HttpRequest, *, user: User, code: str) -> list[str]:
    """Confirm the new authenticator with its first code: it becomes the user's device
    (replacing an old one: a new phone), the session is verified, and ten new recovery
    codes are made (returned once).

    Replacing needs a verified session (the view only offers it then)."""
    replacing = has_device(user)
    if replacing and not is_verified(getattr(request, "user", None)):
        raise Forbidden(_("Give your current code first."), code="otp_required")
    device = (
        TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-id")
    ).first()
    if device is None:
        raise InvalidInput(_("Start the enrolment again."), code="otp_invalid")
    code = _clean(code)
    if not (_looks_like_totp(code) and device.verify_token(code)):
        raise CodeRefused(_("That code is wrong or has expired; try the newest one."))
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    _remember(user, True)
    otp_login(request, device)
    request.session.cycle_key()
    audit_record(
        actor=user, action=AuditAction.OTP_ENROL, target=user, detail={"replaced": replacing}
    )
    return codes


@transaction.atomic
def recovery_regenerate(*, actor: User) -> list[str]:
    """New recovery codes for an enrolled user; the old ones stop working."""
    if not has_device(actor):
        raise InvalidInput(_("Turn on two-factor authentication first."), code="otp_not_enrolled")
    codes = _new_recovery_codes(actor)
    audit_record(actor=actor, action=AuditAction.OTP_RECOVERY_REGENERATE, target=actor)
    return codes


def _remove_devices(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _remember(user, False)


@transaction.atomic
def disable(*, actor: User, code: str) -> None:
    """A user who need not use two-factor turns it off, proving it with a code."""
    if required_for(actor):
        raise Forbidden(
            _("Your role requires two-factor authentication; it cannot be turned off."),
            code="otp_required",
        )
    check_code(user=actor, code=code)
    _remove_devices(actor)
    audit_record(actor=actor, action=AuditAction.OTP_DISABLE, target=actor)


@transaction.atomic
def reset(*, actor: User, user: User) -> None:
    """A superuser removes another user's devices (a lost phone): they enrol again at
    their next login if their role requires it."""
    if not actor.is_superuser:
        raise Forbidden(_("Only a superuser may reset two-factor authentication."))
    _remove_devices(user)
    audit_record(actor=actor, action=AuditAction.OTP_RESET, target=user)


def demo_device(*, user: User, secret: str) -> TOTPDevice:
    """A confirmed authenticator with a fixed base32 `secret`, for the demo accounts
    only (the secret is printed with them, so anyone may add it to an app)."""
    try:
        key = base64.b32decode(secret.replace(" ", "").upper()).hex()
    except binascii.Error as exc:
        raise ValueError(f"not a base32 secret: {secret!r}") from exc
    TOTPDevice.objects.filter(user=user).delete()
    device: TOTPDevice = TOTPDevice.objects.create(
        user=user, name=TOTP_DEVICE, key=key, confirmed=True
    )
    _remember(user, True)
    return device
