"""Login lockout, for the login page and `POST /api/v1/auth/token` alike.

    lockout.refuse_if_locked(request, phone)   # before authenticate(): raises Throttled
    user = authenticate(...)
    if user is None:
        lockout.failed(request, phone)         # counts; raises Throttled when this locks
    else:
        lockout.succeeded(phone)               # the account's count starts over

Failures are counted per account (the mobile number as typed, normalised when it is
one) and per client address (`REMOTE_ADDR`), in the fixed windows of
`LINLI["THROTTLES"]["login-account"]` (5 in 15 minutes) and `["login-address"]`
(20 in 15 minutes). Once either is spent, every login for that account or from that
address is refused with `Throttled` (429 and the seconds to wait) until the window
ends, the right password included: checking the password would tell the guesser
when they had it. The count is kept for any mobile number, whether an account has it
or not, and the answers do not differ, so the lockout does not tell which numbers
have accounts (Django's `ModelBackend` already hashes a password for an unknown
number, so the timing does not tell either). A lockout is written to the audit log.

**Decision**: our own counters (`core.ratelimit`, the cache) rather than
django-axes. The same counters already limit tracking and one-time codes, so there is
one mechanism, one setting (`LINLI["THROTTLES"]`) and one 429 answer for all of them;
per account and per address get their own limits (axes has one failure limit for
all of its lockout parameters); the ninja token endpoint needs no backend or
middleware in front of `authenticate` (axes needs `AxesBackend` first in
`AUTHENTICATION_BACKENDS` and raises its own exception there); and the cost of a
failed attempt is one cache increment, not a database write, which matters when the
attempts come by the thousand. What axes would add, attempts that survive a restart
and a list in the admin, comes from Redis (shared, survives an app restart) and the
`login.lockout` rows of the audit log; the individual failures are not kept.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from linli.core import ratelimit
from linli.core.errors import InvalidInput
from linli.core.masking import mask_phone
from linli.core.validators import normalize_mobile

from .models import AuditAction
from .services import audit_record

ACCOUNT = "login-account"
ADDRESS = "login-address"


def account_key(phone: str) -> str:
    """The account's counter key: the normalised mobile, or what was typed."""
    typed = (phone or "").strip()
    try:
        return normalize_mobile(typed)
    except InvalidInput:
        return typed.lower()


def refuse_if_locked(request: HttpRequest | None, phone: str) -> None:
    """Raise Throttled when the account or the address is locked out."""
    wait = ratelimit.exceeded(ACCOUNT, account_key(phone))
    if request is not None:
        wait = max(wait, ratelimit.exceeded(ADDRESS, ratelimit.client_key(request)))
    if wait:
        raise ratelimit.throttled(wait, _("Too many failed logins."))


def failed(request: HttpRequest | None, phone: str) -> None:
    """Count a failed login; raise Throttled when it spends the account's or the
    address's last attempt (that failure already answers with the wait)."""
    key = account_key(phone)
    waits: list[int] = []
    count, wait = ratelimit.hit(ACCOUNT, key)
    if count >= _limit(ACCOUNT) > 0:
        waits.append(wait)
        if count == _limit(ACCOUNT):
            _audit("account", mask_phone(key), wait)
    if request is not None:
        address = ratelimit.client_key(request)
        count, wait = ratelimit.hit(ADDRESS, address)
        if count >= _limit(ADDRESS) > 0:
            waits.append(wait)
            if count == _limit(ADDRESS):
                _audit("address", address, wait)
    if waits:
        raise ratelimit.throttled(max(waits), _("Too many failed logins."))


def succeeded(phone: str, user: Any = None) -> None:
    """The right password: the account's failures start over (the address's do not),
    and the login is written to the audit log (who, when, from where)."""
    ratelimit.reset(ACCOUNT, account_key(phone))
    if user is not None:
        with transaction.atomic():
            audit_record(actor=user, action=AuditAction.LOGIN_PASSWORD, target=user)


def _limit(scope: str) -> int:
    return settings.LINLI["THROTTLES"][scope][0]


def _audit(kind: str, who: str, wait: int) -> None:
    audit_record(
        actor=None,
        action=AuditAction.LOGIN_LOCKOUT,
        target_type="login",
        target_id=who,
        detail={"locked": kind, "seconds": wait},
    )
