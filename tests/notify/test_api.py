"""The notifications API: the caller's own inbox only."""

import pytest

from linli.notify.models import Notification
from linli.notify.services import notify_user, outbox_deliver_due
from tests.api.conftest import get, post
from tests.support.queries import assert_queries_flat

pytestmark = pytest.mark.django_db


def deliver_to(user, n: int) -> list[Notification]:
    for i in range(n):
        notify_user(user=user, kind="appeal.assigned", title=f"通知{i}", body="b", url="/x/")
    outbox_deliver_due()
    return list(Notification.objects.filter(user=user).order_by("id"))


def test_list_is_paged_newest_first_and_own_only(client, user, other_user):
    deliver_to(user, 3)
    deliver_to(other_user, 2)
    client.force_login(user)
    response = get(client, "/notifications", page_size=2)
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["pages"], body["page_size"]) == (3, 1, 2, 2)
    assert [n["title"] for n in body["items"]] == ["通知2", "通知1"]
    item = body["items"][0]
    assert set(item) == {"id", "kind", "title", "body", "url", "created_at", "read_at"}
    assert item["read_at"] is None


def test_unread_filter_count_read_and_read_all(client, user):
    first, second, third = deliver_to(user, 3)
    client.force_login(user)
    assert get(client, "/notifications/unread-count").json() == {"unread": 3}

    response = post(client, f"/notifications/{first.pk}/read")
    assert response.status_code == 200 and response.json()["read_at"]
    assert get(client, "/notifications/unread-count").json() == {"unread": 2}
    unread = get(client, "/notifications", unread=True).json()
    assert {n["id"] for n in unread["items"]} == {second.pk, third.pk}

    assert post(client, "/notifications/read-all").json() == {"marked": 2, "unread": 0}
    assert post(client, "/notifications/read-all").json() == {"marked": 0, "unread": 0}


def test_another_users_notification_is_404(client, user, other_user):
    [theirs] = deliver_to(other_user, 1)
    client.force_login(user)
    response = post(client, f"/notifications/{theirs.pk}/read")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_anonymous_is_401(client, db):
    assert get(client, "/notifications").status_code == 401
    assert get(client, "/notifications/unread-count").status_code == 401


def test_list_query_count_does_not_grow_with_notifications(client, user):
    client.force_login(user)
    assert_queries_flat(lambda n: deliver_to(user, n), lambda: get(client, "/notifications"))
