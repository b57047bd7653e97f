"""Admin of the outbox (read-only, with "retry now"), the inbox and webhooks.

Outbox and notification rows are written only by the services, so the admin
shows them and never edits them; a retry goes through `outbox_retry`, which
checks the administrator and audits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from linli.accounts.admin import PhoneSearchMixin
from linli.accounts.models import login_phone
from linli.core.admin import ReadOnlyAdminMixin
from linli.core.crypto import blind_index
from linli.core.errors import DomainError

from .models import Notification, Outbox, Webhook
from .services import outbox_retry

if TYPE_CHECKING:
    from linli.accounts.models import User

    # django-stubs makes ModelAdmin generic; at run time it is not subscriptable.
    _OutboxAdmin = admin.ModelAdmin[Outbox]
    _NotificationAdmin = admin.ModelAdmin[Notification]
    _WebhookAdmin = admin.ModelAdmin[Webhook]

    class _AdminRequest(HttpRequest):
        user: User  # the admin site requires a signed-in staff user
else:
    _OutboxAdmin = _NotificationAdmin = _WebhookAdmin = admin.ModelAdmin
    _AdminRequest = HttpRequest


@admin.register(Outbox)
class OutboxAdmin(ReadOnlyAdminMixin, _OutboxAdmin):
    list_display = [
        "id",
        "channel",
        "kind",
        "status",
        "attempts",
        "user",
        "address_masked",
        "created_at",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["kind", "title"]
    # The address is encrypted: shown masked here and on a message's page, never whole.
    exclude = ["address"]
    readonly_fields = ["address_masked"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]

    @admin.display(description=_("address"))
    def address_masked(self, obj: Outbox) -> str:
        return obj.address_masked

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Outbox], search_term: str
    ) -> tuple[QuerySet[Outbox], bool]:
        """Kind and title as usual; a whole address (a mobile, an e-mail address, a
        URL) through its keyed hash."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            hashes = {blind_index(term), blind_index(login_phone(term))}
            found |= queryset.filter(address_hash__in=hashes)
        return found, may_have_duplicates

    @admin.action(description=_("Retry now"))
    def retry_now(self, request: _AdminRequest, queryset: QuerySet[Outbox]) -> None:
        try:
            count = outbox_retry(
                actor=request.user, ids=list(queryset.values_list("id", flat=True))
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(
            request,
            gettext("Messages queued for delivery again: %(count)d.") % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Notification)
class NotificationAdmin(PhoneSearchMixin, ReadOnlyAdminMixin, _NotificationAdmin):
    list_display = ["id", "user", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["user__name", "title"]
    phone_search_path = "user__"
    list_select_related = ["user"]
    date_hierarchy = "created_at"


@admin.register(Webhook)
class WebhookAdmin(_WebhookAdmin):
    list_display = ["name", "url", "events", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["created_at"]
