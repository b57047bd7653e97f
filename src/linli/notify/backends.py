"""Delivery backends: SMS gateways, e-mail, and signed webhook POSTs.

A backend raises on failure (any exception); the worker records the error
and retries with backoff. Each one passes the outbox id along so that the
receiver can drop a duplicate after an at-least-once redelivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from linli.core.hardening import CONSOLE_SMS_MODES
from linli.core.masking import mask_phone

logger = logging.getLogger("linli.notify")

HTTP_TIMEOUT = 10  # seconds, for SMS gateways and webhooks


class DeliveryError(Exception):
    """A backend could not deliver; the message says why (kept in last_error)."""


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str, id: int) -> None:
        """Send `text` to the mobile number `to`; `id` is the idempotency key."""


class ConsoleSmsBackend:
    """Write each message to the server log (the demo: the code is read there or in the dev inbox)."""

    def send(self, *, to: str, text: str, id: int) -> None:
        logger.info("SMS to %s: %s", mask_phone(to), text)


class HttpSmsBackend:
    """POST `{"to", "text", "id"}` as JSON with a bearer token to LINLI["SMS_HTTP_URL"].

    A generic shape: put a small adapter in front of the vendor's gateway. Any
    2xx answer is success; the gateway should treat a repeated `id` as the
    same message.
    """

    def __init__(self, url: str | None = None, token: str | None = None) -> None:
        self.url = url if url is not None else settings.LINLI.get("SMS_HTTP_URL", "")
        self.token = token if token is not None else settings.LINLI.get("SMS_HTTP_TOKEN", "")

    def send(self, *, to: str, text: str, id: int) -> None:
        if not self.url:
            raise DeliveryError("LINLI_SMS_HTTP_URL is not set")
        headers = {"Content-Type": "application/json", "Idempotency-Key": str(id)}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = json.dumps({"to": to, "text": text, "id": id}, ensure_ascii=False).encode()
        http_post(self.url, body, headers)


def console_sms_allowed() -> bool:
    """The console backend writes codes to the log: only in the demo and the tests."""
    return settings.LINLI_ENV in CONSOLE_SMS_MODES


def get_sms_backend() -> SmsBackend:
    """The backend LINLI["SMS_BACKEND"] names: "console", "http", or a dotted class path.

    The console backend is refused outside LINLI_ENV=demo/test (production also
    refuses to start with it: core/checks.py); the delivery then fails and is retried.
    """
    name = settings.LINLI.get("SMS_BACKEND", "console")
    if name == "console":
        if not console_sms_allowed():
            raise ImproperlyConfigured(
                "The console SMS backend is for LINLI_ENV=demo or test only; "
                "set LINLI_SMS_BACKEND=http and LINLI_SMS_HTTP_URL."
            )
        return ConsoleSmsBackend()
    if name == "http":
        return HttpSmsBackend()
    backend: SmsBackend = import_string(name)()
    return backend


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body`; return the status, raising DeliveryError unless it is 2xx."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310
            status: int = response.status
    except urllib.error.HTTPError as exc:
        detail = exc.read(200).decode("utf-8", "replace")
        raise DeliveryError(f"HTTP {exc.code} from {url}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"cannot reach {url}: {reason}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status} from {url}")
    return status


def send_email(*, to: str, subject: str, text: str, id: int) -> None:
    message = EmailMessage(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"X-Linli-Delivery": str(id)},
    )
    message.send(fail_silently=False)


# --- webhooks -----------------------------------------------------------------


def sign(secret: str, timestamp: str | int, body: bytes | str) -> str:
    """The X-Linli-Signature value: "sha256=" + hex HMAC-SHA256(secret, "{timestamp}.{body}")."""
    if isinstance(body, str):
        body = body.encode()
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes | str,
    header: str,
    *,
    tolerance: int | None = None,
) -> bool:
    """Check a webhook's X-Linli-Signature; with `tolerance` (seconds), refuse stale timestamps."""
    if not header or not secret:
        return False
    if tolerance is not None:
        try:
            if abs(time.time() - int(timestamp)) > tolerance:
                return False
        except (TypeError, ValueError):
            return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def post_webhook(*, url: str, secret: str, event: str, id: int, payload: dict[str, Any]) -> None:
    """POST one event, signed, with the delivery id receivers deduplicate on."""
    body = json.dumps(
        {"id": id, "event": event, "data": payload}, ensure_ascii=False, default=str
    ).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "linli-webhook/1",
        "X-Linli-Event": event,
        "X-Linli-Delivery": str(id),
        "X-Linli-Timestamp": timestamp,
        "X-Linli-Signature": sign(secret, timestamp, body),
    }
    http_post(url, body, headers)
