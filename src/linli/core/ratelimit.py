"""Counting attempts in fixed windows, in the Django cache.

    from linli.core import ratelimit
    ratelimit.check("track-client", client_ip, limit=10, window=60)   # raises Throttled
    ratelimit.hit("login-account", phone, limit=5, window=900)        # counts, never raises
    ratelimit.reset("login-account", phone)                           # after a success

`check` counts one attempt and raises `core.errors.Throttled` (429, with the
seconds until the window ends) once more than `limit` attempts fall in the
current window. Keys are hashed, so a phone number or a case code never sits in
the cache in clear. The cache is Redis when LINLI_REDIS_URL is set (shared by
every process), the process's own memory otherwise.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .errors import Throttled


def _key(scope: str, key: str, window: int, now: float) -> tuple[str, int]:
    start = int(now // window) * window
    digest = hashlib.sha256(f"{scope}\x00{key}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"linli:rl:{scope}:{digest}:{start}", start + window


def hit(scope: str, key: str, *, limit: int, window: int) -> tuple[int, int]:
    """Count one attempt; answer (attempts in this window, seconds until it ends)."""
    now = time.time()
    cache_key, ends = _key(scope, key, window, now)
    if cache.add(cache_key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=window + 1)
            count = 1
    return count, max(1, int(ends - now))


def exceeded(scope: str, key: str, *, limit: int, window: int) -> int:
    """Seconds to wait if `limit` attempts are already spent in this window, else 0."""
    now = time.time()
    cache_key, ends = _key(scope, key, window, now)
    count = cache.get(cache_key) or 0
    return max(1, int(ends - now)) if count >= limit else 0


def check(scope: str, key: str, *, limit: int, window: int, message: str = "") -> None:
    """Count one attempt and raise Throttled when it is one too many."""
    count, wait = hit(scope, key, limit=limit, window=window)
    if count > limit:
        raise Throttled(
            message or _("Too many attempts; try again in %(n)d seconds.") % {"n": wait},
            retry_after=wait,
        )


def reset(scope: str, key: str, *, window: int) -> None:
    """Forget the current window's attempts (e.g. after a successful login)."""
    cache_key, _ends = _key(scope, key, window, time.time())
    cache.delete(cache_key)


def client_key(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR (a trusted proxy sets it; see docs/security.md)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")
