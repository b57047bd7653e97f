"""Page access by role: who may open a page at all, before any scoped read.

A page that serves only some roles (the household list, coverage, import) refuses the
others with 403 instead of showing them an empty page of zeros. The same role sets
(`accounts.scope`) build the navigation (`dashboard/menu.py`), so a page is in a user's
menu exactly when the user may open it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from .models import Role
from .scope import scope_for

View = Callable[..., HttpResponseBase]


def holds_any(user: Any, roles: Collection[Role]) -> bool:
    """Does the user hold one of `roles` anywhere (a superuser holds them all)?"""
    scope = scope_for(user)
    return scope.is_superuser or any(role in scope.roles for role in roles)


def roles_required(roles: Collection[Role]) -> Callable[[View], View]:
    """Log in first, then refuse (403) a user who holds none of `roles`."""
    wanted = frozenset(roles)

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not holds_any(request.user, wanted):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorate
