"""The "four ones" (四个一): what a representative owes their linked households.

- a contact with each household every week (a home visit counts too),
- a home visit to each household every month,
- a democratic deliberation event every quarter,
- each year a report to the residents (述职) and one to the village committees.

Records are append-only: a correction is a new record that supersedes the old
one (`superseded_by` is set on the old row, its content is never changed).
Each record carries its reference dates (`week`, `month`) so the compliance
engine can aggregate without date arithmetic in SQL.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FiveRole(models.TextChoices):
    # The five roles (五员) a representative serves in.
    PUBLICIST = "publicist", _("Policy publicist")  # 政策宣传员
    LIAISON = "liaison", _("Public-sentiment liaison")  # 民情联络员
    SAFETY = "safety", _("Safety guard")  # 安全防护员
    MEDIATOR = "mediator", _("Dispute mediator")  # 矛盾调解员
    MODEL = "model", _("Model of civility")  # 文明示范员


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone")
    ONLINE = "online", _("WeChat / online")
    IN_PERSON = "in_person", _("In person")


class ReportKind(models.TextChoices):
    RESIDENTS = "residents", _("Report to the residents")  # 述职
    COMMITTEES = "committees", _("Report to the village committees")  # 向"两委"报告履职


def week_of(day: dt.date) -> dt.date:
    """The Thursday of the ISO week holding `day`: the week's reference day."""
    return day + dt.timedelta(days=3 - day.weekday())


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_middle(month: dt.date) -> dt.date:
    """The reference day of a month: its middle day (the 14th to the 16th)."""
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    length = (nxt - month).days
    return month + dt.timedelta(days=(length - 1) // 2)


class DutyRule(models.Model):
    """How much is owed, from an effective date on. A new row changes later
    periods only; a period is judged by the rule in force on its first day."""

    effective_from = models.DateField(_("effective from"), unique=True)
    contacts_per_week = models.PositiveSmallIntegerField(
        _("contacts per household per week"), default=1
    )
    visits_per_month = models.PositiveSmallIntegerField(
        _("home visits per household per month"), default=1
    )
    deliberations_per_quarter = models.PositiveSmallIntegerField(
        _("deliberation events per quarter"), default=1
    )
    reports_per_year = models.PositiveSmallIntegerField(
        _("reports of each kind per year"), default=1
    )
    visit_counts_as_contact = models.BooleanField(
        _("a home visit also counts as that week's contact"), default=True
    )
    late_entry_days = models.PositiveSmallIntegerField(
        _("records may be dated up to this many days back"), default=14
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("duty rule")
        verbose_name_plural = _("duty rules")
        ordering = ["effective_from"]

    def __str__(self) -> str:
        return f"{self.effective_from}"


class _Record(models.Model):
    """Common fields of every duty record."""

    representative = models.ForeignKey(
        "org.Representative",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("representative"),
    )
    day = models.DateField(_("date"))
    # Set on the old row when a new record corrects it; the content never changes.
    superseded_by = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supersedes",
        verbose_name=_("superseded by"),
    )
    # A correction that withdraws a record (entered by mistake) counts for nothing.
    void = models.BooleanField(_("withdrawn"), default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    @property
    def is_current(self) -> bool:
        return self.superseded_by_id is None and not self.void


CURRENT = Q(superseded_by__isnull=True, void=False)


class ContactLog(_Record):
    """A contact with a household: phone, online or in person."""

    household = models.ForeignKey(
        "org.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("household")
    )
    method = models.CharField(_("how"), max_length=20, choices=ContactMethod.choices)
    role = models.CharField(_("role served"), max_length=20, choices=FiveRole.choices)
    week = models.DateField()  # Thursday of the ISO week of `day`
    appeal = models.ForeignKey(
        "appeals.Appeal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The key the phone gave the tap (a UUID), so that a tap queued offline and sent
    # again is recorded once. Unique when set; corrections and withdrawals carry none.
    client_key = models.UUIDField(_("client key"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client_key"],
                name="contact_client_key",
                condition=Q(client_key__isnull=False),
            ),
        ]
        indexes = [
            models.Index(
                fields=["week", "representative", "household"],
                name="contact_week",
                condition=Q(superseded_by__isnull=True, void=False),
            ),
            models.Index(fields=["representative", "day"], name="contact_rep_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.representative_id}→{self.household_id}"


class HomeVisit(_Record):
    """A home visit (走访入户): who was met, what was found."""

    household = models.ForeignKey(
        "org.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("household")
    )
    role = models.CharField(_("role served"), max_length=20, choices=FiveRole.choices)
    met = models.CharField(_("who was met"), max_length=200, blank=True)
    findings = models.TextField(_("what was found"), blank=True)
    needs = models.CharField(_("needs"), max_length=500, blank=True)
    risks = models.CharField(_("risks"), max_length=500, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    week = models.DateField()
    month = models.DateField()  # the middle day of the month of `day` (see month_middle)
    appeal = models.ForeignKey(
        "appeals.Appeal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("home visit")
        verbose_name_plural = _("home visits")
        ordering = ["-day", "-id"]
        indexes = [
            models.Index(
                fields=["month", "representative", "household"],
                name="visit_month",
                condition=Q(superseded_by__isnull=True, void=False),
            ),
            models.Index(
                fields=["week", "representative", "household"],
                name="visit_week",
                condition=Q(superseded_by__isnull=True, void=False),
            ),
            models.Index(fields=["representative", "day"], name="visit_rep_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.representative_id}→{self.household_id}"


def visit_photo_path(instance: HomeVisitPhoto, filename: str) -> str:
    """A random name (not the content hash: a hash would let anyone holding a copy
    of the photo confirm it is stored here), under the month of upload."""
    now = timezone.now()
    return f"duties/visits/{now:%Y/%m}/{secrets.token_hex(16)}{filename[filename.rfind('.') :]}"


class HomeVisitPhoto(models.Model):
    """A photo taken on a home visit, checked by content and re-encoded without
    metadata (`linli.core.photos`). A correction of the visit that brings no new
    photos gets rows of its own pointing at the same files (never copied)."""

    visit = models.ForeignKey(
        HomeVisit, on_delete=models.CASCADE, related_name="photos", verbose_name=_("home visit")
    )
    image = models.FileField(_("photo"), upload_to=visit_photo_path)
    content_type = models.CharField(max_length=30)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("home visit photo")
        verbose_name_plural = _("home visit photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.visit_id} photo {self.pk}"


class Deliberation(models.Model):
    """A democratic deliberation event (民主议事): 村头事村头述、邻里情邻里评."""

    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    day = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200)
    topic = models.CharField(_("topic"), max_length=200)
    attendee_count = models.PositiveIntegerField(_("attendees"))
    attendees = models.TextField(_("who attended"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    outcomes = models.TextField(_("outcomes"), blank=True)
    organisers = models.ManyToManyField(
        "org.Representative", related_name="+", verbose_name=_("organised by")
    )
    superseded_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supersedes"
    )
    void = models.BooleanField(_("withdrawn"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("deliberation event")
        verbose_name_plural = _("deliberation events")
        ordering = ["-day", "-id"]
        indexes = [models.Index(fields=["day"], name="deliberation_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.topic}"


class AnnualReport(_Record):
    """A yearly report: to the residents (述职) or to the village committees."""

    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices)
    audience = models.CharField(_("audience"), max_length=200, blank=True)
    text = models.TextField(_("report"), blank=True)
    document = models.FileField(_("document"), upload_to="duties/reports/%Y/", blank=True)
    feedback = models.TextField(_("feedback"), blank=True)

    class Meta:
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        ordering = ["-day", "-id"]
        indexes = [models.Index(fields=["representative", "day"], name="report_rep_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.get_kind_display()}"


class DutyReminder(models.Model):
    """One reminder per (kind, period, recipient): makes the reminder tick idempotent."""

    kind = models.CharField(max_length=40)
    period = models.DateField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "period", "user"], name="uniq_duty_reminder")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period} {self.user_id}"


class DutyTally(models.Model):
    """Rollup: one representative's owed and fulfilled household-periods for one
    week (contacts) or month (visits). Derived data: rows are deleted when
    records, links or rules change and recomputed, set-based, on the next read."""

    representative = models.ForeignKey(
        "org.Representative", on_delete=models.CASCADE, related_name="+"
    )
    duty = models.CharField(max_length=10)  # "contacts" or "visits"
    ref = models.DateField()  # the period's reference day
    owed = models.PositiveIntegerField()
    done = models.PositiveIntegerField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["duty", "representative", "ref"], name="uniq_tally")
        ]
        # Covering: a county-wide read is an index-only scan on PostgreSQL.
        indexes = [
            models.Index(
                fields=["duty", "ref"],
                include=["representative", "owed", "done"],
                name="tally_ref",
            )
        ]

    def __str__(self) -> str:
        return f"{self.duty} {self.representative_id} {self.ref}: {self.done}/{self.owed}"
