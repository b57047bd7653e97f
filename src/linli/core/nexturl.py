"""Where a form goes back to: the `next` it carries, when that is a path of this site."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request: HttpRequest, default: str) -> str:
    """`next` (POST, else GET) when it is a path of this site, else `default`. Only a
    path: `redirect()` would take any other word for a URL name (a 500 when none
    matches), and a control character cannot go into the Location header."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and target.isprintable()
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default
