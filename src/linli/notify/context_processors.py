"""The unread count for the header badge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .selectors import unread_count

if TYPE_CHECKING:
    from django.http import HttpRequest

    from linli.accounts.models import User


class _UnreadCount:
    """Count on first use only, once: htmx fragments that never show the badge cost nothing."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.value: int | None = None

    def __call__(self) -> int:
        if self.value is None:
            self.value = unread_count(self.user)
        return self.value


def unread(request: HttpRequest) -> dict[str, Any]:
    """`notify_unread`: the signed-in user's unread notifications (absent for visitors)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notify_unread": _UnreadCount(user)}
