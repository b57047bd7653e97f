"""The love doorbell (爱心门铃): who needs care, who answers, the doorbells, the alarms.

- `CareRecipient`: a resident who needs care (living alone, empty nest, disabled,
  left-behind child...), with health notes only their carers and the village cadre
  see (each view audited) and `EmergencyContact`s.
- `CarePairing`: one-to-one pairing (一对一帮扶) of a recipient with a primary
  representative, who owes a visit every `visit_every_days`, and ordered
  `CareBackup`s who are told when the primary does not answer.
- `Device`: a doorbell with its id and secret, bound to a household; its health
  (heartbeat, battery). `DeviceMessage` keeps the sequence numbers accepted (the
  replay guard); `DeviceRejection` the messages refused. `MaintenanceTask`: a
  doorbell offline too long or with a low battery, for the village to fix.
- `Alarm`: a press and what followed (raised → notified → acknowledged → arrived →
  closed with an outcome), with `AlarmNotice` (who was told, when, how) and
  `AlarmEvent` (the timeline). `Alarm.next_step_at` is the escalation timer the
  tick reads: a row, so a restart loses nothing.
- `DoorbellSettings`: a unit's timeouts (acknowledge, arrive, offline, battery); a village
  without its own follows its town's, then the city's, then the defaults.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from linli.core.crypto import BlindIndexField, EncryptedCharField
from linli.core.masking import mask_phone

# --- settings per unit --------------------------------------------------------------------

DEFAULT_ACK_MINUTES = 3
# Minutes after "我马上到" within which the person must check in at the door, or the next
# person is told (the acknowledger may never come: fell ill, phone flat, forgot).
DEFAULT_ARRIVE_MINUTES = 20
DEFAULT_OFFLINE_MINUTES = 24 * 60
DEFAULT_BATTERY_LOW = 20
DEFAULT_VISIT_EVERY_DAYS = 7


class DoorbellSettings(models.Model):
    unit = models.OneToOneField(
        "org.Unit", on_delete=models.CASCADE, related_name="+", verbose_name=_("unit")
    )
    ack_minutes = models.PositiveSmallIntegerField(
        _("minutes to acknowledge before the next person is told"), default=DEFAULT_ACK_MINUTES
    )
    arrive_minutes = models.PositiveSmallIntegerField(
        _("minutes to arrive after acknowledging before the next person is told"),
        default=DEFAULT_ARRIVE_MINUTES,
    )
    offline_minutes = models.PositiveIntegerField(
        _("minutes without a heartbeat before a doorbell is offline"),
        default=DEFAULT_OFFLINE_MINUTES,
    )
    battery_low = models.PositiveSmallIntegerField(
        _("battery level (%) that needs a change"), default=DEFAULT_BATTERY_LOW
    )
    # The village cadre on duty, told last; none: every cadre holding a village role there.
    duty_cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("cadre on duty"),
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("doorbell settings")
        verbose_name_plural = _("doorbell settings")

    def __str__(self) -> str:
        return f"{self.unit_id}"


# --- care register ------------------------------------------------------------------------


class CareKind(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("Elderly living alone")  # 独居老人
    EMPTY_NEST = "empty_nest", _("Empty-nest elderly")  # 空巢老人
    DISABLED = "disabled", _("Disabled")  # 残疾人
    LEFT_BEHIND_CHILD = "left_behind_child", _("Left-behind child")  # 留守儿童
    OTHER = "other", _("Other need")


class CareLevel(models.TextChoices):
    ROUTINE = "routine", _("Routine care")  # 一般关注
    CLOSE = "close", _("Close care")  # 重点关注
    INTENSIVE = "intensive", _("Intensive care")  # 特别关注


class CareRecipient(models.Model):
    household = models.ForeignKey(
        "org.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("household")
    )
    member = models.ForeignKey(
        "org.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("resident")
    )
    # The household's unit (a group or village), kept here for scoped reads.
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    kind = models.CharField(_("kind of need"), max_length=20, choices=CareKind.choices)
    level = models.CharField(
        _("care level"), max_length=20, choices=CareLevel.choices, default=CareLevel.ROUTINE
    )
    # Seen only by the recipient's carers and the village cadre; every view is audited.
    health_notes = models.TextField(_("health notes"), blank=True)
    active = models.BooleanField(_("in care"), default=True)
    ended_at = models.DateTimeField(_("left care at"), null=True, blank=True)
    end_reason = models.CharField(_("reason for leaving care"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("care recipient")
        verbose_name_plural = _("care recipients")
        ordering = ["unit_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(active=True), name="uniq_active_care_member"
            ),
        ]

    def __str__(self) -> str:
        return self.member.name


class EmergencyContact(models.Model):
    recipient = models.ForeignKey(CareRecipient, on_delete=models.CASCADE, related_name="contacts")
    order = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(_("name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=50, blank=True)
    phone = EncryptedCharField(_("mobile number"), max_length=20)
    phone_hash = BlindIndexField("phone")

    class Meta:
        verbose_name = _("emergency contact")
        verbose_name_plural = _("emergency contacts")
        ordering = ["recipient_id", "order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class CarePairing(models.Model):
    """One recipient's pairing (一对一帮扶): one primary representative; ended, never edited
    in place (a new primary is a new pairing), so response figures keep who it was."""

    recipient = models.ForeignKey(CareRecipient, on_delete=models.PROTECT, related_name="pairings")
    primary = models.ForeignKey(
        "org.Representative",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("primary representative"),
    )
    visit_every_days = models.PositiveSmallIntegerField(
        _("visit every (days)"), default=DEFAULT_VISIT_EVERY_DAYS
    )
    started_on = models.DateField(_("paired from"), default=timezone.localdate)
    ended_on = models.DateField(_("paired until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("care pairing")
        verbose_name_plural = _("care pairings")
        ordering = ["recipient_id", "-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient"],
                condition=Q(ended_on__isnull=True),
                name="uniq_current_pairing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} → {self.primary_id}"


class BackupKind(models.TextChoices):
    REPRESENTATIVE = "representative", _("Representative")
    GUARD = "guard", _("Guard-team member")
    NEIGHBOUR = "neighbour", _("Neighbour")
    CADRE = "cadre", _("Village cadre")
    FAMILY = "family", _("Family")


class CareBackup(models.Model):
    """A backup told, in `order`, when nobody before them acknowledged an alarm: a user
    (live push and SMS) or a person known by name and mobile (SMS only)."""

    pairing = models.ForeignKey(CarePairing, on_delete=models.CASCADE, related_name="backups")
    order = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("who"), max_length=20, choices=BackupKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=50)
    phone = EncryptedCharField(_("mobile number"), max_length=20, blank=True)
    phone_hash = BlindIndexField("phone")

    class Meta:
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        ordering = ["pairing_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pairing", "order"], name="uniq_backup_order"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


# --- devices ------------------------------------------------------------------------------


class DeviceStatus(models.TextChoices):
    ACTIVE = "active", _("In service")
    RETIRED = "retired", _("Retired")


class Device(models.Model):
    device_id = models.CharField(_("device id"), max_length=40, unique=True)
    # The per-device secret (HMAC key), encrypted at rest; shown once when registered.
    secret = EncryptedCharField(_("secret"), max_length=100)
    household = models.ForeignKey(
        "org.Household",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("household"),
    )
    # The unit that keeps the device (the household's unit once bound).
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=DeviceStatus.choices, default=DeviceStatus.ACTIVE
    )
    model_name = models.CharField(_("model"), max_length=60, blank=True)
    last_seen_at = models.DateTimeField(_("last heard from"), null=True, blank=True)
    battery = models.PositiveSmallIntegerField(_("battery (%)"), null=True, blank=True)
    # The highest sequence number accepted; with DeviceMessage, the replay guard.
    last_seq = models.BigIntegerField(default=0)
    # Raised by each audited sequence reset (`services.device_seq_reset`): the replay
    # guard holds (device, epoch, seq), so a doorbell whose counter restarted (a firmware
    # reset) is heard again with the numbers it used before.
    seq_epoch = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("doorbell")
        verbose_name_plural = _("doorbells")
        ordering = ["unit_id", "device_id"]

    def __str__(self) -> str:
        return self.device_id


class MessageKind(models.TextChoices):
    PRESS = "press", _("Press")
    HEARTBEAT = "heartbeat", _("Heartbeat")


class DeviceMessage(models.Model):
    """A message accepted from a device: one row per (device, epoch, seq), so a replay is
    refused by the database even when two bridges receive it. `epoch` is the device's
    `seq_epoch` when the message was taken in (raised by a sequence reset)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    epoch = models.PositiveIntegerField(default=0)
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    channel = models.CharField(max_length=10)  # "mqtt" or "http"
    sent_at = models.DateTimeField(null=True, blank=True)  # the device's clock
    received_at = models.DateTimeField(default=timezone.now)
    battery = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["device", "epoch", "seq"], name="uniq_device_epoch_seq"
            ),
        ]
        indexes = [models.Index(fields=["received_at"], name="doorbell_msg_received")]

    def __str__(self) -> str:
        return f"{self.device_id}#{self.seq}"


class RejectReason(models.TextChoices):
    MALFORMED = "malformed", _("Malformed message")
    UNKNOWN_DEVICE = "unknown_device", _("Unknown device")
    RETIRED_DEVICE = "retired_device", _("Retired device")
    BAD_SIGNATURE = "bad_signature", _("Bad signature")
    REPLAY = "replay", _("Replayed message")
    STALE = "stale", _("Sequence number too old")


class DeviceRejection(models.Model):
    """A message refused, kept for the village and the device maker to see."""

    claimed_id = models.CharField(max_length=40, blank=True)  # the device id claimed; may not exist
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=RejectReason.choices)
    channel = models.CharField(max_length=10)
    seq = models.BigIntegerField(null=True, blank=True)
    # The first bytes of the payload, for diagnosis (never the secret).
    excerpt = models.CharField(max_length=300, blank=True)
    remote = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["received_at"], name="doorbell_reject_received")]

    def __str__(self) -> str:
        return f"{self.claimed_id}: {self.reason}"


_TASK_TEXTS = (
    (re.compile(r"battery (\d{1,3})%"), lambda m: gettext("battery %(n)s%%") % {"n": m[1]}),
    (
        re.compile(r"battery back to (\d{1,3})%"),
        lambda m: gettext("battery back to %(n)s%%") % {"n": m[1]},
    ),
    (re.compile(r"never heard from"), lambda m: gettext("never heard from")),
    (re.compile(r"heard from again"), lambda m: gettext("heard from again")),
    (
        re.compile(r"last heard from ([0-9: -]{16})"),
        lambda m: gettext("last heard from %(when)s") % {"when": m[1]},
    ),
)


def task_text(stored: str) -> str:
    """A maintenance task's machine-written English text, in the reader's language (any
    other text, e.g. a cadre's note, is shown as written)."""
    for pattern, render in _TASK_TEXTS:
        found = pattern.fullmatch(stored)
        if found:
            return render(found)
    return stored


class TaskKind(models.TextChoices):
    OFFLINE = "offline", _("Doorbell offline")
    LOW_BATTERY = "low_battery", _("Low battery")


class MaintenanceTask(models.Model):
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="tasks")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=TaskKind.choices)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Resolved by the device itself (a heartbeat came back, the battery was changed).
    resolved_automatically = models.BooleanField(default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("maintenance task")
        verbose_name_plural = _("maintenance tasks")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="uniq_open_task",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}: {self.kind}"

    # `detail` (and `note` when the doorbell resolved the task itself) are written by the
    # intake and the health tick in a fixed English form, as data; pages show them
    # translated at display time (the reader's language, not the writer's).
    @property
    def detail_text(self) -> str:
        return task_text(self.detail)

    @property
    def note_text(self) -> str:
        return task_text(self.note) if self.resolved_automatically else self.note


# --- alarms -------------------------------------------------------------------------------


class AlarmStatus(models.TextChoices):
    RAISED = "raised", _("Raised")
    NOTIFIED = "notified", _("Notified")
    ACKNOWLEDGED = "acknowledged", _("On the way")
    ARRIVED = "arrived", _("Arrived")
    CLOSED = "closed", _("Closed")


OPEN_ALARM_STATUSES = (
    AlarmStatus.RAISED,
    AlarmStatus.NOTIFIED,
    AlarmStatus.ACKNOWLEDGED,
    AlarmStatus.ARRIVED,
)


class AlarmOutcome(models.TextChoices):
    COMPANY = "company", _("Wanted company")
    SHOPPING = "shopping", _("Shopping")
    MEDICINE = "medicine", _("Medicine")
    REPAIR = "repair", _("Repair")
    HEALTH = "health", _("Health problem")
    EMERGENCY = "emergency", _("Emergency services called")
    FALSE_PRESS = "false_press", _("False press")


class Alarm(models.Model):
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.PROTECT, related_name="alarms"
    )
    # The accepted message that raised it: one alarm per press, whatever retries.
    message = models.OneToOneField(
        DeviceMessage, null=True, blank=True, on_delete=models.PROTECT, related_name="alarm"
    )
    household = models.ForeignKey("org.Household", on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        CareRecipient, null=True, blank=True, on_delete=models.PROTECT, related_name="alarms"
    )
    pairing = models.ForeignKey(
        CarePairing, null=True, blank=True, on_delete=models.PROTECT, related_name="alarms"
    )
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=20, choices=AlarmStatus.choices, default=AlarmStatus.RAISED
    )
    raised_at = models.DateTimeField(_("pressed at"), default=timezone.now)
    # The escalation: 0 = the primary, 1.. = the backups in order, then the cadre.
    step = models.PositiveSmallIntegerField(default=0)
    # When the tick tells the next person unless acknowledged before; None: nothing due.
    next_step_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    # When the arrival timeout of an acknowledgement ran out (nobody at the door within
    # the unit's arrive_minutes): the next person was told and the panel says so.
    arrival_missed_at = models.DateTimeField(_("arrival missed at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    arrived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=AlarmOutcome.choices, blank=True
    )
    outcome_note = models.CharField(_("what happened"), max_length=500, blank=True)
    appeal = models.ForeignKey(
        "appeals.Appeal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_step_at"],
                condition=Q(next_step_at__isnull=False),
                name="doorbell_alarm_due",
            ),
            models.Index(fields=["unit", "status"], name="doorbell_alarm_unit_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.status}"


class NoticeRole(models.TextChoices):
    PRIMARY = "primary", _("Primary representative")
    BACKUP = "backup", _("Backup")
    CADRE = "cadre", _("Village cadre")


class AlarmNotice(models.Model):
    """Someone told of an alarm: at which step, when, through what."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="notices")
    step = models.PositiveSmallIntegerField()
    # The place among the people told at this step (the cadres of a village share one).
    position = models.PositiveSmallIntegerField(default=0)
    role = models.CharField(max_length=20, choices=NoticeRole.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=50)
    phone = EncryptedCharField(max_length=20, blank=True)
    told_at = models.DateTimeField(default=timezone.now)
    live = models.BooleanField(default=False)  # pushed to their open pages
    sms = models.BooleanField(default=False)  # an SMS queued in the outbox

    class Meta:
        ordering = ["alarm_id", "step", "id"]
        constraints = [
            # Nobody is told twice at one step, whatever two ticks do.
            models.UniqueConstraint(fields=["alarm", "step", "position"], name="uniq_alarm_notice"),
        ]

    def __str__(self) -> str:
        return self.name


class AlarmEventKind(models.TextChoices):
    RAISED = "raised", _("Doorbell pressed")
    PRESSED_AGAIN = "pressed_again", _("Pressed again")
    NOTIFIED = "notified", _("Told")
    ESCALATED = "escalated", _("Nobody answered: the next person told")
    ACKNOWLEDGED = "acknowledged", _("On the way")
    ARRIVAL_MISSED = "arrival_missed", _("Nobody arrived in time: the next person told")
    ARRIVED = "arrived", _("Arrived at the door")
    CLOSED = "closed", _("Closed")
    APPEAL = "appeal", _("Appeal raised")
    NOTE = "note", _("Note")


class AlarmEvent(models.Model):
    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=AlarmEventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["alarm_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.alarm_id}: {self.kind}"
