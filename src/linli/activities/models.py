"""Neighbourhood service days (邻里服务日) and the activities held on them and other days.

`Activity` is the one record of an event: a micro-lecture, a deliberation meeting, a
festival, home help, repair work or volunteer service. A deliberation meeting that is
held creates its `duties.Deliberation` record through the duties services
(`deliberation_record`), so the compliance engine counts it for its organisers; the
deliberation list (`linli.deliberation`) puts its items on such a meeting's agenda.
"""

from __future__ import annotations

import os
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.crypto import BlindIndexField, EncryptedCharField
from linli.core.masking import mask_phone


class ActivityKind(models.TextChoices):
    LECTURE = "lecture", _("Neighbourly micro-lecture")  # 睦邻微宣讲
    DELIBERATION = "deliberation", _("Neighbourly deliberation meeting")  # 睦邻议事会
    FESTIVAL = "festival", _("Neighbourhood festival")  # 睦邻邻里节
    HOME_HELP = "home_help", _("Home help")  # 上门帮扶 (cleaning for an elderly person...)
    REPAIR = "repair", _("Repair work")  # 维修
    VOLUNTEER = "volunteer", _("Volunteer service")  # 志愿服务


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class Activity(models.Model):
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    place = models.CharField(_("place"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    # None: no limit on sign-ups.
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    on_service_day = models.BooleanField(_("on a service day"), default=False)
    # People who came without signing up, counted on the day.
    walk_ins = models.PositiveIntegerField(_("walk-ins"), default=0)
    held_at = models.DateTimeField(_("marked held at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    organisers = models.ManyToManyField(
        "org.Representative", related_name="+", blank=True, verbose_name=_("organised by")
    )
    guard_teams = models.ManyToManyField(
        "org.GuardTeam", related_name="+", blank=True, verbose_name=_("guard teams")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED
    )
    outcome = models.TextField(_("outcome"), blank=True)
    # Set when a deliberation meeting is held: its record in the duty engine.
    deliberation = models.OneToOneField(
        "duties.Deliberation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("deliberation record"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["unit", "starts_at"])]

    def __str__(self) -> str:
        return self.title


# --- the service day -------------------------------------------------------------------------


class RuleKind(models.TextChoices):
    MONTH_DAY = "month_day", _("A day of the month")  # e.g. the 10th, or the last day
    WEEKDAY = "weekday", _("A weekday of the month")  # e.g. the second Saturday
    FOLLOW = "follow", _("Follow the town's service day")  # a village only


# `month_day` and `nth` use this for "the last" (the last day, the last Saturday).
LAST = -1


class ServiceDayRule(models.Model):
    """A unit's recurring neighbourhood service day (邻里服务日), from a day on.

    History is kept: a changed rule is a new row with its own `effective_from`; the
    rule in force on a day is the latest row that started on or before it. A village
    (or community) without a rule in force, or whose rule is `follow`, keeps its
    town's (`rules.service_days`).
    """

    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RuleKind.choices)
    # MONTH_DAY: 1..28, or LAST.
    month_day = models.SmallIntegerField(_("day of the month"), null=True, blank=True)
    # WEEKDAY: the nth (1..4, or LAST) weekday (0 Monday .. 6 Sunday) of the month.
    nth = models.SmallIntegerField(_("which one"), null=True, blank=True)
    weekday = models.SmallIntegerField(_("weekday"), null=True, blank=True)
    effective_from = models.DateField(_("effective from"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("service day rule")
        verbose_name_plural = _("service day rules")
        ordering = ["unit_id", "-effective_from", "-id"]
        indexes = [models.Index(fields=["unit", "effective_from"], name="serviceday_unit_from")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.kind} {self.effective_from}"


# --- sign-ups, photos, linked appeals -----------------------------------------------------------


class Signup(models.Model):
    """One person signed up for an activity: a resident by mobile (confirmed with a
    one-time code; encrypted, found by its blind index) or a signed-in user."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="signups", verbose_name=_("activity")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=50)
    phone = EncryptedCharField(_("mobile number"), max_length=20, blank=True)
    phone_hash = BlindIndexField("phone")
    attended = models.BooleanField(_("attended"), default=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["activity_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "user"],
                condition=Q(cancelled_at__isnull=True, user__isnull=False),
                name="uniq_signup_user",
            ),
            models.UniqueConstraint(
                fields=["activity", "phone_hash"],
                condition=Q(cancelled_at__isnull=True) & ~Q(phone_hash=""),
                name="uniq_signup_phone",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


def activity_photo_path(instance: ActivityPhoto, filename: str) -> str:
    return f"activities/{instance.activity_id}/{uuid.uuid4().hex}{os.path.splitext(filename)[1]}"


class ActivityPhoto(models.Model):
    """A photo of an activity on the day, checked by content and re-encoded without
    metadata (`linli.core.photos`)."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="photos", verbose_name=_("activity")
    )
    image = models.FileField(_("photo"), upload_to=activity_photo_path)
    content_type = models.CharField(max_length=30)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("activity photo")
        verbose_name_plural = _("activity photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.activity_id} photo {self.pk}"


class AppealOutcome(models.TextChoices):
    PENDING = "pending", _("Waiting for the activity")
    RESOLVED = "resolved", _("Resolved by the activity")
    NOTED = "noted", _("A note added to the appeal")
    UNCHANGED = "unchanged", _("Left to its handlers")


class ActivityAppeal(models.Model):
    """An appeal the activity takes up; when the activity is held, what became of it."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="appeal_links", verbose_name=_("activity")
    )
    appeal = models.ForeignKey(
        "appeals.Appeal", on_delete=models.PROTECT, related_name="+", verbose_name=_("appeal")
    )
    outcome = models.CharField(
        _("result"), max_length=20, choices=AppealOutcome.choices, default=AppealOutcome.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("appeal taken up")
        verbose_name_plural = _("appeals taken up")
        ordering = ["activity_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "appeal"], name="uniq_activity_appeal")
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} {self.appeal_id}"
