"""The notifications API: the caller's own in-app inbox, under /api/v1/notifications.

Every answer concerns the authenticated user only; another user's
notification answers 404 like one that does not exist.
"""

from ninja import Query, Router
from ninja.pagination import paginate

from linli.core.api_schemas import Paged, errors
from linli.core.inputs import Id

from . import selectors, services
from .schemas import NotificationFilters, NotificationOut, ReadAllOut, UnreadOut

router = Router(tags=["notifications"])


@router.get(
    "/notifications",
    response={200: list[NotificationOut], **errors(400, 401)},
    summary="List my notifications",
)
@paginate(Paged)
def notification_list(request, filters: Query[NotificationFilters]):
    return selectors.notifications_for(request.user, unread=filters.unread)


@router.get(
    "/notifications/unread-count",
    response={200: UnreadOut, **errors(401)},
    summary="Count my unread",
)
def notification_unread_count(request):
    return {"unread": selectors.unread_count(request.user)}


@router.post(
    "/notifications/read-all",
    response={200: ReadAllOut, **errors(401, 403)},
    summary="Mark all my notifications read",
)
def notification_read_all(request):
    marked = services.notification_read_all(actor=request.user)
    return {"marked": marked, "unread": selectors.unread_count(request.user)}


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, **errors(400, 401, 403, 404)},
    summary="Mark one notification read",
)
def notification_read(request, notification_id: Id):
    notification = selectors.notification_get(request.user, notification_id)
    return services.notification_read(actor=request.user, notification=notification)
