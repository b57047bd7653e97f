"""Pages: the inbox, the development inbox, failed deliveries for administrators."""

import pytest
from django.urls import reverse

from linli.accounts.models import AuditLog, Role
from linli.notify.models import Notification, Outbox, OutboxStatus
from linli.notify.services import notify_phone, notify_user, outbox_deliver_due
from tests.support.queries import assert_queries_flat
from tests.support.roles import make_user

pytestmark = pytest.mark.django_db


def deliver_to(user, n: int = 1, **kwargs) -> list[Notification]:
    for i in range(n):
        notify_user(
            user=user, kind="k", title=kwargs.get("title", f"通知{i}"), url=kwargs.get("url", "")
        )
    outbox_deliver_due()
    return list(Notification.objects.filter(user=user).order_by("id"))


# --- the inbox -------------------------------------------------------------------


def test_inbox_lists_own_notifications_newest_first_with_the_badge(client, user, other_user):
    deliver_to(user, 3)
    deliver_to(other_user, 1, title="别人的通知")
    client.force_login(user)
    body = client.get(reverse("notify:inbox")).content.decode()
    assert body.index("通知2") < body.index("通知1") < body.index("通知0")
    assert "别人的通知" not in body
    assert '<span id="notify-badge" class="badge">3</span>' in body
    assert "linli/notify.js" in body


def test_badge_is_hidden_with_nothing_unread(client, user):
    client.force_login(user)
    body = client.get(reverse("home")).content.decode()
    assert '<span id="notify-badge" class="badge" hidden>0</span>' in body


def test_inbox_needs_log_in(client):
    response = client.get(reverse("notify:inbox"))
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert "notify-badge" not in client.get(reverse("accounts:login")).content.decode()


def test_inbox_filters_unread_and_pages(client, user, settings, linli):
    linli(PAGE_SIZE=2)
    first, *_ = deliver_to(user, 3)
    first.read_at = first.created_at
    first.save()
    client.force_login(user)
    page1 = client.get(reverse("notify:inbox"), {"filter": "unread"}).content.decode()
    assert "通知2" in page1 and "通知1" in page1 and "通知0" not in page1
    page2 = client.get(reverse("notify:inbox"), {"page": 2}).content.decode()
    assert "通知0" in page2 and "通知2" not in page2


def test_inbox_query_count_does_not_grow_with_notifications(client, user):
    client.force_login(user)
    assert_queries_flat(lambda n: deliver_to(user, n), lambda: client.get(reverse("notify:inbox")))


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, user):
    [n] = deliver_to(user, url="/org/units/")
    client.force_login(user)
    response = client.post(reverse("notify:read", args=[n.pk]))
    assert response.status_code == 302 and response.url == "/org/units/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_an_off_site_link_is_not_followed(client, user):
    [n] = deliver_to(user, url="https://evil.example/")
    client.force_login(user)
    response = client.post(reverse("notify:read", args=[n.pk]))
    assert response.url == reverse("notify:inbox")


def test_another_users_notification_is_404(client, user, other_user):
    [n] = deliver_to(other_user)
    client.force_login(user)
    assert client.post(reverse("notify:read", args=[n.pk])).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_mark_all_read(client, user, other_user):
    deliver_to(user, 2)
    deliver_to(other_user, 1)
    client.force_login(user)
    response = client.post(reverse("notify:read_all"))
    assert response.status_code == 302
    assert Notification.objects.filter(user=user, read_at=None).count() == 0
    assert Notification.objects.filter(user=other_user, read_at=None).count() == 1


# --- the development inbox ----------------------------------------------------------


def test_dev_inbox_shows_console_sms_without_log_in_and_filters_by_phone(client):
    notify_phone(phone="13812345678", kind="otp", body="您的验证码是 482913")
    notify_phone(phone="13987654321", kind="otp", body="您的验证码是 771205")
    outbox_deliver_due()
    body = client.get(reverse("notify:dev_inbox")).content.decode()
    assert "482913" in body and "771205" in body
    assert body.index("771205") < body.index("482913")  # newest first
    assert "138****5678" in body and "13812345678" not in body

    body = client.get(reverse("notify:dev_inbox"), {"phone": "13812345678"}).content.decode()
    assert "482913" in body and "771205" not in body


def test_dev_inbox_answers_a_bad_phone_with_an_error(client):
    response = client.get(reverse("notify:dev_inbox"), {"phone": "12"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "change", [{"DEV_INBOX": False}, {"SMS_BACKEND": "http"}], ids=["disabled", "http-backend"]
)
def test_dev_inbox_is_404_when_turned_off(client, linli, change):
    linli(**change)
    notify_phone(phone="13812345678", kind="otp", body="您的验证码是 482913")
    assert client.get(reverse("notify:dev_inbox")).status_code == 404


# --- failed deliveries ----------------------------------------------------------------


@pytest.fixture
def dead_row(user, flaky_sms, linli):
    linli(OUTBOX_MAX_ATTEMPTS=1)
    flaky_sms.fail_next = 1
    row = notify_user(user=user, kind="appeal.assigned", title="新诉求", channels=("sms",))[0]
    outbox_deliver_due()
    row.refresh_from_db()
    assert row.status == OutboxStatus.DEAD
    return row


@pytest.mark.parametrize("who", ["superuser", "admin_user"])
def test_failed_deliveries_are_listed_for_administrators(request, client, dead_row, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("notify:failed"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "appeal.assigned" in body and "gateway down" in body and "137****0001" in body


def test_failed_deliveries_are_forbidden_to_others(client, dead_row, user, city):
    cadre = make_user("13711110010", "镇干部", Role.TOWN, city)
    for who in (user, cadre):
        client.force_login(who)
        assert client.get(reverse("notify:failed")).status_code == 403
        assert client.post(reverse("notify:failed_retry"), {"id": dead_row.pk}).status_code == 403
    client.logout()
    assert client.get(reverse("notify:failed")).status_code == 302
    dead_row.refresh_from_db()
    assert dead_row.status == OutboxStatus.DEAD


def test_retry_requeues_and_is_audited(client, dead_row, admin_user, flaky_sms):
    client.force_login(admin_user)
    response = client.post(reverse("notify:failed_retry"), {"id": dead_row.pk})
    assert response.status_code == 302
    dead_row.refresh_from_db()
    assert (dead_row.status, dead_row.attempts) == (OutboxStatus.PENDING, 0)
    audit = AuditLog.objects.get(action="outbox.retry")
    assert (audit.actor, audit.target_type, audit.target_id) == (
        admin_user,
        "notify.outbox",
        str(dead_row.pk),
    )
    assert audit.detail["status"] == "dead"
    outbox_deliver_due()
    dead_row.refresh_from_db()
    assert dead_row.status == OutboxStatus.SENT and len(flaky_sms.sent) == 1


def test_retry_selected_ignores_rows_that_are_not_failed(client, dead_row, admin_user, user):
    sent = notify_user(user=user, kind="k", title="t")[0]
    outbox_deliver_due()
    client.force_login(admin_user)
    client.post(reverse("notify:failed_retry"), {"ids": [dead_row.pk, sent.pk]})
    assert Outbox.objects.get(pk=sent.pk).status == OutboxStatus.SENT
    assert Outbox.objects.get(pk=dead_row.pk).status == OutboxStatus.PENDING
    assert AuditLog.objects.filter(action="outbox.retry").count() == 1


def test_admin_site_retry_action(client, dead_row, superuser):
    client.force_login(superuser)
    changelist = reverse("admin:notify_outbox_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(reverse("admin:notify_outbox_change", args=[dead_row.pk])).status_code == 200
    response = client.post(
        changelist, {"action": "retry_now", "_selected_action": [dead_row.pk]}, follow=True
    )
    assert response.status_code == 200
    dead_row.refresh_from_db()
    assert dead_row.status == OutboxStatus.PENDING
    assert AuditLog.objects.filter(action="outbox.retry", actor=superuser).count() == 1
