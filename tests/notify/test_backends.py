"""Webhooks to a real local HTTP server, signed; SMS through console and HTTP gateways."""

import json
import logging
import time

import pytest

from linli.notify.backends import (
    ConsoleSmsBackend,
    HttpSmsBackend,
    get_sms_backend,
    sign,
    verify_signature,
)
from linli.notify.models import OutboxStatus, Webhook
from linli.notify.services import notify_event, notify_phone, notify_user, outbox_deliver_due

pytestmark = pytest.mark.django_db


def test_webhook_is_delivered_signed_to_a_real_http_server(receiver):
    hook = Webhook.objects.create(name="县平台", url=receiver.url, events=["appeal.created"])
    row = notify_event(kind="appeal.created", payload={"appeal": 7, "title": "路灯坏了"})[0]

    assert outbox_deliver_due() == 1

    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert headers["X-Linli-Event"] == "appeal.created"
    assert headers["X-Linli-Delivery"] == str(row.pk)
    assert abs(int(headers["X-Linli-Timestamp"]) - time.time()) < 60
    assert verify_signature(
        hook.secret, headers["X-Linli-Timestamp"], body, headers["X-Linli-Signature"], tolerance=300
    )
    assert json.loads(body) == {
        "id": row.pk,
        "event": "appeal.created",
        "data": {"appeal": 7, "title": "路灯坏了"},
    }


def test_verify_signature_rejects_tampering_and_stale_timestamps():
    body = b'{"id": 1, "event": "k", "data": {}}'
    ts = str(int(time.time()))
    header = sign("s3cret", ts, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify_signature("s3cret", ts, body, header)
    assert verify_signature("s3cret", ts, body.decode(), header)
    assert not verify_signature("s3cret", ts, body.replace(b"1", b"2"), header)
    assert not verify_signature("other", ts, body, header)
    assert not verify_signature("s3cret", str(int(ts) + 1), body, header)
    assert not verify_signature("s3cret", ts, body, "")
    old = str(int(time.time()) - 3600)
    assert not verify_signature("s3cret", old, body, sign("s3cret", old, body), tolerance=300)


def test_a_webhook_answering_an_error_is_retried(receiver):
    Webhook.objects.create(name="a", url=receiver.url, events=["*"])
    receiver.statuses = [503]
    row = notify_event(kind="k", payload={})[0]
    outbox_deliver_due()
    row.refresh_from_db()
    assert row.status == OutboxStatus.RETRY and "HTTP 503" in row.last_error


def test_an_unreachable_webhook_is_retried(receiver):
    Webhook.objects.create(name="a", url="http://127.0.0.1:9/nothing", events=["*"])
    row = notify_event(kind="k", payload={})[0]
    outbox_deliver_due()
    row.refresh_from_db()
    assert row.status == OutboxStatus.RETRY and "cannot reach" in row.last_error


def test_notify_user_with_the_webhook_channel_sends_an_event(user, receiver):
    Webhook.objects.create(name="a", url=receiver.url, events=["appeal.assigned"])
    notify_user(user=user, kind="appeal.assigned", title="t", channels=("webhook",))
    outbox_deliver_due()
    data = json.loads(receiver.requests[0]["body"])["data"]
    assert data["user"] == user.pk and data["title"] == "t"


def test_console_sms_writes_the_whole_text_to_the_log(caplog):
    row = notify_phone(phone="13812345678", kind="otp", body="您的验证码是 482913")
    with caplog.at_level(logging.INFO, logger="linli.notify"):
        outbox_deliver_due()
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    assert "SMS to 138****5678: 您的验证码是 482913" in caplog.text
    assert "13812345678" not in caplog.text


def test_http_sms_gateway_gets_json_with_token_and_idempotency_key(receiver, linli):
    linli(SMS_BACKEND="http", SMS_HTTP_URL=receiver.url, SMS_HTTP_TOKEN="tok-1")
    assert isinstance(get_sms_backend(), HttpSmsBackend)
    row = notify_phone(phone="13812345678", kind="otp", body="验证码 1")
    outbox_deliver_due()
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    [request] = receiver.requests
    assert request["headers"]["Authorization"] == "Bearer tok-1"
    assert request["headers"]["Idempotency-Key"] == str(row.pk)
    assert json.loads(request["body"]) == {"to": "13812345678", "text": "验证码 1", "id": row.pk}


def test_http_sms_gateway_refusing_is_a_failure(receiver, linli):
    linli(SMS_BACKEND="http", SMS_HTTP_URL=receiver.url)
    receiver.statuses = [401]
    row = notify_phone(phone="13812345678", kind="otp", body="x")
    outbox_deliver_due()
    row.refresh_from_db()
    assert row.status == OutboxStatus.RETRY and "HTTP 401" in row.last_error


def test_http_sms_without_url_fails_clearly(linli):
    linli(SMS_BACKEND="http", SMS_HTTP_URL="")
    row = notify_phone(phone="13812345678", kind="otp", body="x")
    outbox_deliver_due()
    row.refresh_from_db()
    assert "SMS_HTTP_URL" in row.last_error


def test_console_is_the_default_backend():
    assert isinstance(get_sms_backend(), ConsoleSmsBackend)
