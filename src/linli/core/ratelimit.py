"""Counting attempts in fixed windows, in the Django cache.

    from linli.core import ratelimit
    ratelimit.check("track-address-minute", client_ip)              # raises Throttled
    ratelimit.check("my-scope", key, limit=10, window=60)           # explicit limit
    ratelimit.hit("login-account", phone)                           # counts, never raises
    ratelimit.reset("login-account", phone)                         # after a success

`check` counts one attempt and raises `core.errors.Throttled` (429, with the
seconds until the window ends) once more than `limit` attempts fall in the
current window. A scope named in `settings.LINLI["THROTTLES"]` takes its
`(limit, window seconds)` from there when the call names none, so deployments tune
every limit in one place (docs/security.md, "Throttling and lockout").

Keys are hashed, so a phone number or a case code never sits in the cache in
clear. The cache is Redis when LINLI_REDIS_URL is set (shared by every process),
the process's own memory otherwise.

**Decision: fail open.** When the cache cannot be reached (Redis stopped), the
call logs a warning and counts nothing, and so does every call in the next
`OUTAGE_SECONDS` without trying the cache (one timeout per process, not one per
call): logging in, reporting and tracking keep working, without limits, until the
cache is back, rather than every resident and cadre being refused because of a
cache outage. The windows are fixed (they start at multiples of `window` seconds
since the epoch), so a client can spend up to twice the limit across one
boundary; the limits are set with that in mind.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .errors import Throttled

log = logging.getLogger(__name__)


def _now() -> float:
    """The clock of the windows (tests move it)."""
    return time.time()


def _rule(scope: str, limit: int | None, window: int | None) -> tuple[int, int]:
    if limit is not None and window is not None:
        return limit, window
    configured = settings.LINLI["THROTTLES"].get(scope)
    if configured is None:
        raise KeyError(f"no limit given and none configured for rate-limit scope {scope!r}")
    return (limit if limit is not None else configured[0]), (
        window if window is not None else configured[1]
    )


def _key(scope: str, key: str, window: int, now: float) -> tuple[str, int]:
    start = int(now // window) * window
    digest = hashlib.sha256(f"{scope}\x00{key}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"linli:rl:{scope}:{digest}:{start}", start + window


# After a failure the cache is left alone for this many seconds (counting nothing),
# so a Redis that stopped answering costs one timeout per process, not one per call.
OUTAGE_SECONDS = 10.0
_outage_until = 0.0


def _cache_down() -> bool:
    return time.monotonic() < _outage_until


def _unavailable(exc: Exception) -> None:
    global _outage_until
    _outage_until = time.monotonic() + OUTAGE_SECONDS
    log.warning(
        "rate limiting is off: the cache cannot be reached (%s: %s); retrying in %d s",
        type(exc).__name__,
        exc,
        OUTAGE_SECONDS,
    )


def forget_outage() -> None:
    """Try the cache again at the next call (tests, after changing CACHES)."""
    global _outage_until
    _outage_until = 0.0


def hit(
    scope: str, key: str, *, limit: int | None = None, window: int | None = None
) -> tuple[int, int]:
    """Count one attempt; answer (attempts in this window, seconds until it ends).

    Without a reachable cache the count is 0 (fail open, see above)."""
    _limit, window = _rule(scope, limit, window)
    now = _now()
    cache_key, ends = _key(scope, key, window, now)
    wait = max(1, math.ceil(ends - now))
    if _cache_down():
        return 0, wait
    try:
        if cache.add(cache_key, 1, timeout=window + 1):
            return 1, wait
        try:
            return int(cache.incr(cache_key)), wait
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=window + 1)
            return 1, wait
    except Exception as exc:  # noqa: BLE001 - any cache failure: fail open
        _unavailable(exc)
        return 0, wait


def exceeded(scope: str, key: str, *, limit: int | None = None, window: int | None = None) -> int:
    """Seconds to wait if `limit` attempts are already spent in this window, else 0."""
    limit, window = _rule(scope, limit, window)
    now = _now()
    cache_key, ends = _key(scope, key, window, now)
    if _cache_down():
        return 0
    try:
        count = cache.get(cache_key) or 0
    except Exception as exc:  # noqa: BLE001 - fail open
        _unavailable(exc)
        return 0
    return max(1, math.ceil(ends - now)) if count >= limit else 0


def wait_message(seconds: int) -> str:
    """ "Try again in N minutes." (in seconds under two minutes)."""
    if seconds < 120:
        return ngettext("Try again in %(n)d second.", "Try again in %(n)d seconds.", seconds) % {
            "n": seconds
        }
    minutes = math.ceil(seconds / 60)
    return ngettext("Try again in %(n)d minute.", "Try again in %(n)d minutes.", minutes) % {
        "n": minutes
    }


def throttled(seconds: int, message: str = "") -> Throttled:
    """The error to raise for a wait of `seconds`: `message` (by default "Too many
    attempts.") and how long to wait."""
    # Translators: a refusal and how long to wait; no space between them in Chinese.
    text = _("%(reason)s %(wait)s") % {
        "reason": message or _("Too many attempts."),
        "wait": wait_message(seconds),
    }
    return Throttled(text, retry_after=seconds)


def check(
    scope: str,
    key: str,
    *,
    limit: int | None = None,
    window: int | None = None,
    message: str = "",
) -> None:
    """Count one attempt and raise Throttled when it is one too many."""
    limit, window = _rule(scope, limit, window)
    count, wait = hit(scope, key, limit=limit, window=window)
    if count > limit:
        raise throttled(wait, message)


def refuse_if_exceeded(
    scope: str, key: str, *, limit: int | None = None, window: int | None = None, message: str = ""
) -> None:
    """Raise Throttled, without counting, when this window's attempts are spent."""
    wait = exceeded(scope, key, limit=limit, window=window)
    if wait:
        raise throttled(wait, message)


def reset(scope: str, key: str, *, window: int | None = None) -> None:
    """Forget the current window's attempts (e.g. after a successful login)."""
    _limit, window = _rule(scope, 0 if window is not None else None, window)
    cache_key, _ends = _key(scope, key, window, _now())
    if _cache_down():
        return
    try:
        cache.delete(cache_key)
    except Exception as exc:  # noqa: BLE001 - fail open
        _unavailable(exc)


def client_key(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR (a trusted proxy sets it; see docs/security.md).

    X-Forwarded-For is not read: a client could write any address there and start
    a fresh count with every request."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")
