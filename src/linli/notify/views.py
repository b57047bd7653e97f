"""Pages of notifications: the inbox, failed deliveries, and the development inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from linli.core.paging import paginate
from linli.core.validators import normalize_mobile

from . import selectors, services
from .models import Channel, Outbox

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from linli.accounts.models import User

    class _HtmxRequest(HttpRequest):
        htmx: HtmxDetails

    class _SignedInRequest(HttpRequest):
        user: User  # behind login_required


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return str(query.urlencode())


@login_required
def inbox(request: _SignedInRequest) -> HttpResponse:
    unread = request.GET.get("filter") == "unread"
    page = paginate(
        selectors.notifications_for(request.user, unread=unread), request.GET.get("page")
    )
    return render(
        request,
        "notify/inbox.html",
        {
            "page": page,
            "unread_only": unread,
            "query": _query_without_page(request),
            "can_manage_outbox": selectors.can_manage_outbox(request.user),
        },
    )


@login_required
@require_POST
def read(request: _SignedInRequest, pk: int) -> HttpResponse:
    """Mark a notification read and follow its link (an on-site path only)."""
    try:
        notification = selectors.notification_get(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None
    services.notification_read(actor=request.user, notification=notification)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notify:inbox")


@login_required
@require_POST
def read_all(request: _SignedInRequest) -> HttpResponse:
    count = services.notification_read_all(actor=request.user)
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect("notify:inbox")


@login_required
def failed(request: _SignedInRequest) -> HttpResponse:
    channel = request.GET.get("channel", "")
    if channel not in Channel.values:
        channel = ""
    try:
        qs = selectors.outbox_failed(request.user, channel=channel)
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from None
    page = paginate(qs, request.GET.get("page"))
    return render(
        request,
        "notify/failed.html",
        {
            "page": page,
            "channel": channel,
            "channels": Channel.choices,
            "query": _query_without_page(request),
        },
    )


@login_required
@require_POST
def failed_retry(request: _SignedInRequest) -> HttpResponse:
    # A row's own button sends `id`; the bulk button sends the ticked `ids`.
    ids = [request.POST["id"]] if request.POST.get("id") else request.POST.getlist("ids")
    try:
        count = services.outbox_retry(actor=request.user, ids=ids)
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if count:
            messages.success(
                request, _("Messages queued for delivery again: %(count)d.") % {"count": count}
            )
        else:
            messages.warning(request, _("Nothing to retry: choose failed messages."))
    return redirect("notify:failed")


def dev_inbox(request: _HtmxRequest) -> HttpResponse:
    """Messages the console backend "sent", for a demo without a real SMS gateway.

    No log-in: a resident reporting without an account reads their one-time
    code here. It exists only with the console backend and DEV_INBOX on.
    """
    if not selectors.dev_inbox_enabled():
        raise Http404(_("The development inbox is turned off."))
    phone = request.GET.get("phone", "").strip()
    error = ""
    rows: list[Outbox] = []
    if phone:
        try:
            phone = normalize_mobile(phone)
        except InvalidInput as exc:
            error = exc.message
        else:
            rows = selectors.dev_inbox_messages(phone=phone)
    else:
        rows = selectors.dev_inbox_messages()
    template = "notify/_dev_inbox_rows.html" if request.htmx else "notify/dev_inbox.html"
    return render(
        request,
        template,
        {"rows": rows, "phone": phone, "error": error, "query": request.GET.urlencode()},
        status=400 if error else 200,
    )
