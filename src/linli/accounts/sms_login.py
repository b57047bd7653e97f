"""Logging in with a one-time code sent by SMS (短信验证码登录).

A representative's account is made without a password (`org.services.
representative_account_ensure`); they log in the first time, and as often as they
like after that, with a 6-digit code sent to their registered mobile number.

- `code_request(phone=, client=)` sends a code when the number belongs to an active
  account and does nothing otherwise; the caller answers the same either way, so the
  form tells nobody which numbers have accounts. Requests are throttled per client
  address and per number (`core.ratelimit`), whether or not the number has an account.
- `code_verify(phone=, code=, client=)` answers the account, or raises `InvalidInput`
  (`code_invalid`: wrong, expired or never sent, one message for all; `code_locked`:
  `OTP_MAX_ATTEMPTS` wrong tries, counted per number whether or not it has an account).

Codes are stored as a keyed hash, and the number they were sent to only as its blind
index (`core.crypto`); they live `OTP_TTL_SECONDS` (10 minutes), and a new code spends
the number's previous one. The SMS goes through the notification outbox, which sits
above `accounts`: `notify` registers the sender with `provide_sender` in its
`ready()` (as `org` registers the representative lookup of `accounts.scope`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core import ratelimit
from linli.core.crypto import blind_index
from linli.core.errors import InvalidInput
from linli.core.validators import normalize_mobile

from .models import AuditAction, LoginCode, User
from .selectors import user_by_phone
from .services import audit_record

SMS_KIND = "auth.code"
# Asking for codes: per number 1 a minute and 5 an hour; per client address 10 in 10 minutes.
REQUEST_LIMITS = (
    ("login-code-phone-min", "phone", 1, 60),
    ("login-code-phone-hour", "phone", 5, 3600),
)
REQUEST_CLIENT_LIMIT = ("login-code-client", 10, 600)
# Trying codes: per client address 30 in 10 minutes (a number's own code allows 5 tries).
VERIFY_CLIENT_LIMIT = ("login-code-verify-client", 30, 600)
MISS_SCOPE = "login-code-miss"  # wrong tries per number, known or not


def ttl_seconds() -> int:
    return int(settings.LINLI.get("OTP_TTL_SECONDS", 600))


def max_attempts() -> int:
    return int(settings.LINLI.get("OTP_MAX_ATTEMPTS", 5))


# (phone, kind, body) -> queue an SMS; registered by notify.
_sender: Callable[..., Any] | None = None


def provide_sender(send: Callable[..., Any]) -> None:
    """Register how an SMS is queued: `send(phone=, kind=, body=)` (notify does)."""
    global _sender
    _sender = send


def _send(phone: str, body: str) -> None:
    if _sender is None:
        raise ImproperlyConfigured("No SMS sender registered: is linli.notify in INSTALLED_APPS?")
    _sender(phone=phone, kind=SMS_KIND, body=body)


def code_hash(phone: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"login:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def code_request(*, phone: str, client: str) -> str:
    """Send a login code to `phone` if it is an active account's; answer the number.

    Raises `InvalidInput` for a malformed number and `core.errors.Throttled` when the
    client or the number asked too often; otherwise the answer does not depend on
    whether the number has an account.
    """
    scope, limit, window = REQUEST_CLIENT_LIMIT
    ratelimit.check(scope, client, limit=limit, window=window)
    phone = normalize_mobile(phone)
    for scope, _key, limit, window in REQUEST_LIMITS:
        ratelimit.check(scope, phone, limit=limit, window=window)
    # A fresh code brings fresh tries, for every number alike.
    ratelimit.reset(MISS_SCOPE, phone, window=ttl_seconds())
    user = user_by_phone(phone)
    if user is None or not user.is_active:
        return phone
    now = timezone.now()
    code = new_code()
    with transaction.atomic():
        LoginCode.objects.filter(phone_hash=blind_index(phone), used_at__isnull=True).update(
            used_at=now
        )
        LoginCode.objects.create(
            phone_hash=blind_index(phone),
            code_hash=code_hash(phone, code),
            expires_at=now + dt.timedelta(seconds=ttl_seconds()),
        )
        _send(
            phone,
            _("Your Linli login code is %(code)s, valid for %(m)d minutes. Tell it to no one.")
            % {"code": code, "m": ttl_seconds() // 60},
        )
    return phone


def _invalid() -> InvalidInput:
    return InvalidInput(
        _("The code is wrong or has expired. Check the SMS, or ask for a new code."),
        code="code_invalid",
    )


def _locked() -> InvalidInput:
    return InvalidInput(
        _("Too many wrong codes; ask for a new code."),
        code="code_locked",
    )


def code_verify(*, phone: str, code: str, client: str) -> User:
    """The active account whose live code this is; the code is spent.

    Every failure counts against the number (`OTP_MAX_ATTEMPTS` tries, then the code
    is spent and the answer is `code_locked` until a new code is asked for).
    """
    scope, limit, window = VERIFY_CLIENT_LIMIT
    ratelimit.check(scope, client, limit=limit, window=window)
    phone = normalize_mobile(phone)
    code = (code or "").strip()
    now = timezone.now()
    most = max_attempts()
    with transaction.atomic():
        row = (
            LoginCode.objects.select_for_update()
            .filter(phone_hash=blind_index(phone), used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at", "-id")
            .first()
        )
        if (
            row is not None
            and row.attempts < most
            and hmac.compare_digest(row.code_hash, code_hash(phone, code))
        ):
            user = user_by_phone(phone)
            row.used_at = now
            row.save(update_fields=["used_at"])
            if user is not None and user.is_active:
                ratelimit.reset(MISS_SCOPE, phone, window=ttl_seconds())
                audit_record(actor=user, action=AuditAction.LOGIN_CODE, target=user)
                return user
        tries = 0
        if row is not None:
            row.attempts += 1
            fields = ["attempts"]
            if row.attempts >= most:
                row.used_at = now
                fields.append("used_at")
            row.save(update_fields=fields)
            tries = row.attempts
    misses, _wait = ratelimit.hit(MISS_SCOPE, phone, limit=most, window=ttl_seconds())
    if max(tries, misses) >= most:
        raise _locked()
    raise _invalid()


@transaction.atomic
def password_set(*, user: User, password: str) -> User:
    """The account holder sets their own password (after logging in by code), audited."""
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=user, action=AuditAction.PASSWORD_SET, target=user)
    return user


def purge_codes(*, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Delete codes that expired more than `older_than` ago (the `accounts.login_codes`
    tick); answer how many."""
    deleted, _by_model = LoginCode.objects.filter(
        expires_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
