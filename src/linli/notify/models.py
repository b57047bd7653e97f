"""The notification outbox, the in-app inbox, and outgoing webhooks.

Every notification is first an `Outbox` row written in the same transaction as
the change that caused it; a worker delivers due rows with retries. Delivery
is at-least-once, so each channel gives its receiver a way to drop duplicates
(see docs/notifications.md).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.crypto import BlindIndexField, EncryptedCharField
from linli.core.masking import mask_phone


class Channel(models.TextChoices):
    INAPP = "inapp", _("In-app")  # the user's inbox on the platform, pushed live
    SMS = "sms", _("SMS")  # a text message through the configured gateway
    EMAIL = "email", _("E-mail")  # through Django's mail backend (SMTP in production)
    WEBHOOK = "webhook", _("Webhook")  # a signed JSON POST to a subscriber's URL


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Not sent yet")  # written, not attempted yet
    SENT = "sent", _("Delivered")  # delivered; final
    RETRY = "retry", _("Waiting to retry")  # an attempt failed; tried again at next_attempt_at
    DEAD = (
        "dead",
        _("Delivery failed"),
    )  # gave up after OUTBOX_MAX_ATTEMPTS; an administrator may retry


# Rows the worker may pick up.
DUE_STATUSES = (OutboxStatus.PENDING, OutboxStatus.RETRY)
# Rows an administrator sees as failed and may re-queue.
FAILED_STATUSES = (OutboxStatus.RETRY, OutboxStatus.DEAD)


class Outbox(models.Model):
    """One message to deliver on one channel; the id is its idempotency key."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=50)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("recipient"),
    )
    webhook = models.ForeignKey(
        "notify.Webhook",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        verbose_name=_("webhook"),
    )
    # A mobile number, an e-mail address or a webhook URL; empty for in-app. Encrypted
    # at rest (core.crypto: mobiles and e-mail addresses are personal data); the worker
    # reads it decrypted. Looked up (the development inbox) through its keyed hash.
    address = EncryptedCharField(_("address"), max_length=500, blank=True)
    address_hash = BlindIndexField("address")
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField(
        _("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # Set while a worker holds the row; a lease that expires (the worker died)
    # makes the row due again.
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notify_outbox_due"),
            models.Index(fields=["channel", "-created_at"], name="notify_outbox_channel"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.channel} {self.kind} ({self.status})"

    @property
    def address_masked(self) -> str:
        """The address for display: a mobile number masked, others as they are."""
        return mask_phone(self.address) if self.channel == Channel.SMS else self.address


class Notification(models.Model):
    """An item of a user's in-app inbox."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    # Unique: delivering the same outbox row twice creates one notification.
    outbox = models.OneToOneField(
        Outbox,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notification",
        verbose_name=_("outbox message"),
    )
    kind = models.CharField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "read_at"], name="notify_unread"),
            models.Index(fields=["user", "-created_at"], name="notify_inbox"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class Webhook(models.Model):
    """A subscriber that receives events as signed JSON POSTs."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        default=new_webhook_secret,
        help_text=_("Shared with the receiver, which checks X-Linli-Signature with it."),
    )
    events = models.JSONField(
        _("events"),
        default=list,
        blank=True,
        help_text=_('A list of event kinds, e.g. ["appeal.created"]; ["*"] for every event.'),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.events, list) or not all(
            isinstance(e, str) and e for e in self.events
        ):
            raise ValidationError(
                {"events": _('Events must be a list of event kinds, e.g. ["appeal.created"].')}
            )

    def wants(self, kind: str) -> bool:
        return "*" in self.events or kind in self.events
