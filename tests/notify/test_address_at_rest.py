"""The outbox's recipient addresses are encrypted at rest: the worker still sends to the
right number, address and URL; the admin shows them masked and finds a whole one."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse

from linli.core.crypto import blind_index
from linli.notify.models import Outbox, OutboxStatus, Webhook
from linli.notify.selectors import dev_inbox_messages
from linli.notify.services import notify_event, notify_phone, notify_user, outbox_deliver_due

pytestmark = pytest.mark.django_db


def _stored() -> list[tuple[str, str]]:
    with connection.cursor() as cur:
        cur.execute("SELECT address, address_hash FROM notify_outbox ORDER BY id")
        return list(cur.fetchall())


def test_no_address_is_stored_in_clear(user):
    Webhook.objects.create(name="a", url="http://hooks.example/in", events=["*"])
    with transaction.atomic():
        notify_user(user=user, kind="k", title="t", channels=("inapp", "sms"))
        notify_user(
            user=user, kind="k", title="t", data={"email": "li@example.cn"}, channels=("email",)
        )
        notify_event(kind="appeal.created", payload={"id": 1})
    stored = _stored()
    text = str(stored)
    for clear in (user.phone, "li@example.cn", "hooks.example"):
        assert clear not in text
    assert stored[0] == ("", "")  # in-app: no address
    assert [h for _a, h in stored[1:]] == [
        blind_index(user.phone),
        blind_index("li@example.cn"),
        blind_index("http://hooks.example/in"),
    ]
    assert sorted(r.address for r in Outbox.objects.exclude(address="")) == sorted(
        [user.phone, "li@example.cn", "http://hooks.example/in"]
    )


def test_the_worker_sends_each_message_to_its_own_number(user, other_user, flaky_sms):
    with transaction.atomic():
        mine = notify_user(user=user, kind="k", title="给李", channels=("sms",))[0]
        theirs = notify_user(user=other_user, kind="k", title="给刘", channels=("sms",))[0]
        code = notify_phone(phone="139 0731 0001", kind="otp", body="验证码 123456")
        mail_row = notify_user(
            user=user, kind="k", title="主题", data={"email": "li@example.cn"}, channels=("email",)
        )[0]
    assert outbox_deliver_due() == 4
    assert sorted(flaky_sms.sent) == sorted(
        [
            (user.phone, "给李", mine.pk),
            (other_user.phone, "给刘", theirs.pk),
            ("13907310001", "验证码 123456", code.pk),
        ]
    )
    assert mail.outbox[0].to == ["li@example.cn"]
    assert Outbox.objects.get(pk=mail_row.pk).status == OutboxStatus.SENT


def test_the_development_inbox_finds_a_numbers_messages_through_the_hash(client):
    notify_phone(phone="13812345678", kind="otp", body="验证码 111111")
    notify_phone(phone="13812345679", kind="otp", body="验证码 222222")
    assert [r.body for r in dev_inbox_messages(phone="13812345678")] == ["验证码 111111"]
    body = client.get(reverse("notify:dev_inbox"), {"phone": "138 1234 5678"}).content.decode()
    assert "111111" in body and "222222" not in body and "138****5678" in body


def test_the_admin_shows_addresses_masked_and_finds_a_whole_one(client, superuser, user):
    row = notify_phone(phone=user.phone, kind="otp", body="x")
    notify_phone(phone="13812345679", kind="otp", body="y")
    client.force_login(superuser)
    # Typed with spaces (the page echoes the query: this way it holds no whole number).
    listing = client.get(reverse("admin:notify_outbox_changelist"), {"q": "137 1111 0001"})
    assert list(listing.context["cl"].result_list) == [row]
    text = listing.content.decode()
    assert "137****0001" in text and user.phone not in text and "138****5679" not in text
    page = client.get(reverse("admin:notify_outbox_change", args=[row.pk])).content.decode()
    assert "137****0001" in page and user.phone not in page
