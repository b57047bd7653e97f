"""The navigation for `base.html`, built from `menu.MENU` (see `docs/architecture.md`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from linli.accounts import twofactor

from .menu import menu_for


def menu(request: HttpRequest) -> dict[str, Any]:
    """`menu`: the signed-in user's entries (read on first use only); `menu_urls`: their
    URL names, for a page that links to another only when the user may open it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": [], "menu_urls": frozenset()}
    # A session still owing its two-factor code sees no navigation (every entry would
    # send it back to the second step) and opens no live socket (which refuses it).
    if twofactor.pending(user) is not None:
        return {"menu": [], "menu_urls": frozenset(), "otp_pending": True}
    links = SimpleLazyObject(lambda: menu_for(user, request.path))
    return {
        "menu": links,
        "menu_urls": SimpleLazyObject(lambda: frozenset(link.url_name for link in links)),
    }
