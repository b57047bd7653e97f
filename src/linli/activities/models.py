"""Neighbourhood service days (邻里服务日) and the activities held on them and other days.

`Activity` is the one record of an event: a micro-lecture, a deliberation meeting, a
festival, home help, repair work or volunteer service. A deliberation meeting that is
held creates its `duties.Deliberation` record through the duties services
(`deliberation_record`), so the compliance engine counts it for its organisers; the
deliberation list (`linli.deliberation`) puts its items on such a meeting's agenda.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
