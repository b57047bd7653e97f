"""Every read of notifications, scoped: a user sees their own inbox; only
administrators see the outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from linli.accounts.models import Role
from linli.accounts.scope import scope_for
from linli.core.crypto import blind_index
from linli.core.errors import Forbidden, NotFound
from linli.core.hardening import CONSOLE_SMS_MODES

from .models import FAILED_STATUSES, Channel, Notification, Outbox

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from linli.accounts.models import User

    # Who is asking: a signed-in user, a visitor (request.user), or nobody.
    Viewer = User | AnonymousUser | None

DEV_INBOX_LIMIT = 100


def _signed_in(user: Viewer) -> TypeGuard[User]:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def notifications_for(user: Viewer, *, unread: bool = False) -> QuerySet[Notification]:
    """The user's inbox, newest first."""
    if not _signed_in(user):
        return Notification.objects.none()
    qs = Notification.objects.filter(user=user)
    if unread:
        qs = qs.filter(read_at=None)
    return qs.order_by("-created_at", "-id")


def notification_get(user: Viewer, pk: int | str) -> Notification:
    notification = notifications_for(user).filter(pk=pk).first()
    if notification is None:
        raise NotFound(_("Notification not found."))
    return notification


def unread_count(user: AbstractBaseUser | AnonymousUser | None) -> int:
    """Also for the WebSocket consumer, whose user is Channels' lazy stand-in."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return 0
    return Notification.objects.filter(user_id=user.pk, read_at=None).count()


def can_manage_outbox(user: Viewer) -> bool:
    """Administrators (superusers or holders of the admin role) see and retry deliveries."""
    if not _signed_in(user):
        return False
    return scope_for(user).has_role(Role.ADMIN)


def outbox_failed(user: Viewer, *, channel: str = "") -> QuerySet[Outbox]:
    """Deliveries that failed (dead) or wait to retry, newest first; administrators only."""
    if not can_manage_outbox(user):
        raise Forbidden(
            _("Only an administrator may see failed notifications."), code="notify_not_admin"
        )
    qs = Outbox.objects.filter(status__in=FAILED_STATUSES)
    if channel:
        qs = qs.filter(channel=channel)
    return qs.select_related("user").order_by("-id")


def dev_inbox_enabled() -> bool:
    """The development inbox exists only with DEV_INBOX on, the console SMS backend, and
    LINLI_ENV demo or test: never in production, whatever else is set (production also
    refuses to start with DEV_INBOX on: core/checks.py)."""
    return (
        bool(settings.LINLI.get("DEV_INBOX"))
        and settings.LINLI.get("SMS_BACKEND") == "console"
        and settings.LINLI_ENV in CONSOLE_SMS_MODES
    )


def dev_inbox_messages(*, phone: str = "", limit: int = DEV_INBOX_LIMIT) -> list[Outbox]:
    """Recent SMS and e-mail messages, newest first (the demo's stand-in for a phone)."""
    qs = Outbox.objects.filter(channel__in=[Channel.SMS, Channel.EMAIL])
    if phone:
        qs = qs.filter(channel=Channel.SMS, address_hash=blind_index(phone))
    return list(qs.order_by("-created_at", "-id")[:limit])
