"""The Django admin site, open only to a session that has passed its second step.

Everyone who may use the admin (staff) must use two-factor (`twofactor.required_for`),
and `TwoFactorMiddleware` already sends an unverified session to the verify page; the
site checks again, so the admin stays closed if the middleware is left out.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from . import twofactor


class VerifiedAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        user = request.user
        return twofactor.is_verified(user) or not (
            twofactor.required_for(user) or twofactor.has_device(user)
        )
