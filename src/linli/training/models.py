"""Representative training (代表培训): the yearly cadre-training plans of the city, the
towns and the villages, their sessions, who is enrolled and who attended.

Minutes are integers everywhere (columns, services, API); hours appear only when
shown (`hours()`), never as floats in the database.

- `TrainingPlan`: a city's, town's or village's cadre-training plan (干部培训计划) of a
  year.
- `TrainingSession`: one session of a plan, on one day: its topic, place, capacity
  and the minutes it credits to each representative present. `planned` until its
  attendance is recorded (`held`), or `cancelled` (never once held).
- `Enrolment`: a representative enrolled in a session (one row per pair); a
  withdrawal is marked, not deleted, and a later enrolment clears it.
- `Attendance`: the attendance in force of an enrolled representative at a held
  session (present, absent or excused) and the minutes it credits.
- `AttendanceRecord`: the history, append-only: every recording and every
  correction of an attendance, with who, when and (for a correction) why. The
  `Attendance` row is only the latest of its records.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# A session lasts and credits at most a day's minutes; a hall holds at most 10,000.
MAX_MINUTES = 24 * 60
MAX_CAPACITY = 10_000


def hours(minutes: int | None) -> str:
    """Minutes as hours with one decimal, by integer arithmetic (90 -> "1.5")."""
    if not minutes:
        return "0"
    tenths = (int(minutes) * 10 + 30) // 60
    whole, tenth = divmod(tenths, 10)
    return f"{whole}.{tenth}" if tenth else str(whole)


class TrainingPlan(models.Model):
    """A city's, town's or village's cadre-training plan for a year."""

    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("organiser")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("training plan")
        verbose_name_plural = _("training plans")
        ordering = ["-year", "unit__path", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "title"], name="uniq_training_plan_unit_year_title"
            ),
        ]
        indexes = [models.Index(fields=["year", "unit"])]

    def __str__(self) -> str:
        return f"{self.year} {self.title}"


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")  # 计划中
    HELD = "held", _("Held")  # 已举办: its attendance is recorded
    CANCELLED = "cancelled", _("Cancelled")  # 已取消


class TrainingSession(models.Model):
    """One session of a plan, on one day."""

    plan = models.ForeignKey(
        TrainingPlan, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("plan")
    )
    title = models.CharField(_("title"), max_length=200)
    topic = models.CharField(_("topic"), max_length=500, blank=True)
    held_on = models.DateField(_("date"))
    starts_at = models.TimeField(_("start time"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    place = models.CharField(_("place"), max_length=200)
    capacity = models.PositiveIntegerField(_("capacity"))
    credit_minutes = models.PositiveIntegerField(_("minutes credited"))
    status = models.CharField(
        _("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.PLANNED
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["held_on", "starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=MAX_MINUTES),
                name="training_session_duration_bounds",
            ),
            models.CheckConstraint(
                condition=Q(credit_minutes__gte=1, credit_minutes__lte=MAX_MINUTES),
                name="training_session_credit_bounds",
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=MAX_CAPACITY),
                name="training_session_capacity_bounds",
            ),
        ]
        indexes = [models.Index(fields=["status", "held_on"])]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"

    @property
    def credit_hours(self) -> str:
        return hours(self.credit_minutes)


class Enrolment(models.Model):
    """A representative enrolled in a session; withdrawn, not deleted."""

    session = models.ForeignKey(
        TrainingSession,
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("session"),
    )
    representative = models.ForeignKey(
        "org.Representative",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("representative"),
    )
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    enrolled_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["session_id", "representative_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "representative"], name="uniq_training_enrolment"
            ),
        ]
        indexes = [models.Index(fields=["representative", "session"])]

    def __str__(self) -> str:
        return f"{self.session_id} {self.representative_id}"

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class AttendanceStatus(models.TextChoices):
    # A context of its own: the deliberation's "Present" is a head count (实到人数).
    PRESENT = "present", pgettext_lazy("attendance", "Present")  # 出席
    ABSENT = "absent", _("Absent")  # 缺席
    EXCUSED = "excused", _("Excused")  # 请假


class Attendance(models.Model):
    """The attendance in force of a representative at a held session: the latest of
    its `records`. Minutes count only when present."""

    session = models.ForeignKey(
        TrainingSession,
        on_delete=models.PROTECT,
        related_name="attendances",
        verbose_name=_("session"),
    )
    representative = models.ForeignKey(
        "org.Representative",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("representative"),
    )
    status = models.CharField(_("attendance"), max_length=10, choices=AttendanceStatus.choices)
    minutes = models.PositiveIntegerField(_("minutes credited"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # How many times it was recorded (1: never corrected).
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["session_id", "representative_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "representative"], name="uniq_training_attendance"
            ),
            models.CheckConstraint(
                condition=Q(minutes__gte=0, minutes__lte=MAX_MINUTES),
                name="training_attendance_minutes_bounds",
            ),
            models.CheckConstraint(
                condition=Q(status="present") | Q(minutes=0),
                name="training_attendance_minutes_only_present",
            ),
        ]
        indexes = [models.Index(fields=["representative", "status"])]

    def __str__(self) -> str:
        return f"{self.session_id} {self.representative_id} {self.status}"

    @property
    def hours(self) -> str:
        return hours(self.minutes)


class AttendanceRecord(models.Model):
    """One recording or correction of an attendance; never edited or deleted."""

    attendance = models.ForeignKey(
        Attendance, on_delete=models.PROTECT, related_name="records", verbose_name=_("attendance")
    )
    revision = models.PositiveIntegerField()
    status = models.CharField(_("attendance"), max_length=10, choices=AttendanceStatus.choices)
    minutes = models.PositiveIntegerField(_("minutes credited"))
    reason = models.CharField(_("reason for the correction"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")
        ordering = ["attendance_id", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["attendance", "revision"], name="uniq_training_attendance_revision"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attendance_id} r{self.revision} {self.status}"
