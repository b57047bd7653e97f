"""The "hundred best representatives" (百佳村(居)民代表), their benefits, and the reserve
pool for village cadres (村级后备干部).

- `Selection`: one a year (the year whose scores are read), with its total seats and
  its stage: nominating -> town_review -> city_review -> notice -> final. Every change
  of stage is a `NominationEvent` without a nomination.
- `Quota`: a town's seats in a selection (their sum never above the total), and when
  and by whom the town submitted its reviewed nominations to the city.
- `Nomination`: a representative put forward by their town, with a snapshot of their
  score when nominated (total, rank in the town and the city, the scoring model
  version), the town's citation (事迹) and a status. Never edited silently: every step
  writes a `NominationEvent` (who, when, what, note), append-only.
- `Objection`: a resident's objection to a nominee during the public notice (公示),
  with the mobile encrypted and found by its blind index; the city upholds (the
  nomination is withdrawn) or dismisses it, with its answer.
- `BenefitKind`, `BenefitIssue`: what the hundred best receive (scenic spots, public
  transport, cable TV, loans) and each issuance per person and year; revoked, never
  deleted.
- `ReserveRule`, `ReserveCandidate`: the city's rule of a year (age under a limit,
  score at or above a threshold, no breach) and the candidates proposed by it, which
  their town confirms or declines (`ReserveEvent` keeps the history).

Scores are integer hundredths of a point, as in `evaluation`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.crypto import BlindIndexField, EncryptedCharField
from linli.core.masking import mask_phone

DEFAULT_SEATS = 100
MAX_SEATS = 10_000
DEFAULT_NOTICE_DAYS = 7
MAX_NOTICE_DAYS = 60
DEFAULT_MAX_AGE = 45
DEFAULT_MIN_SCORE = 80  # points (of 100)
CITATION_MAX = 2000
NOTE_MAX = 500
OBJECTION_MAX = 1000


def points_text(hundredths: int | None) -> str:
    if hundredths is None:
        return ""
    whole, cents = divmod(int(hundredths), 100)
    return f"{whole}.{cents:02d}"


class SelectionStage(models.TextChoices):
    NOMINATING = "nominating", _("Nominating")  # 推荐
    TOWN_REVIEW = "town_review", _("Town review")  # 乡镇审核
    CITY_REVIEW = "city_review", _("City review")  # 市级审批
    NOTICE = "notice", _("Public notice")  # 公示
    FINAL = "final", _("Final list")  # 确定名单


STAGE_ORDER = [s.value for s in SelectionStage]


class Selection(models.Model):
    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    seats = models.PositiveIntegerField(_("total seats"), default=DEFAULT_SEATS)
    stage = models.CharField(
        _("stage"), max_length=20, choices=SelectionStage.choices, default=SelectionStage.NOMINATING
    )
    notice_starts = models.DateField(_("notice starts"), null=True, blank=True)
    notice_ends = models.DateField(_("notice ends"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("hundred-best selection")
        verbose_name_plural = _("hundred-best selections")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="honours_selection_seats_ge1"),
        ]

    def __str__(self) -> str:
        return str(self.year)


class Quota(models.Model):
    selection = models.ForeignKey(Selection, on_delete=models.CASCADE, related_name="quotas")
    town = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("town")
    )
    seats = models.PositiveIntegerField(_("seats"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        ordering = ["selection", "town__path"]
        constraints = [
            models.UniqueConstraint(fields=["selection", "town"], name="uniq_honours_quota_town"),
        ]

    def __str__(self) -> str:
        return f"{self.selection} {self.town}"


class NominationStatus(models.TextChoices):
    NOMINATED = "nominated", _("Nominated")
    TOWN_APPROVED = "town_approved", _("Approved by the town")
    TOWN_REJECTED = "town_rejected", _("Rejected by the town")
    CITY_APPROVED = "city_approved", _("Approved by the city")
    CITY_REJECTED = "city_rejected", _("Rejected by the city")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    FINAL = "final", _("On the final list")


# The statuses that hold one of the town's seats.
HOLDING = (
    NominationStatus.NOMINATED,
    NominationStatus.TOWN_APPROVED,
    NominationStatus.CITY_APPROVED,
    NominationStatus.FINAL,
)


class Nomination(models.Model):
    selection = models.ForeignKey(Selection, on_delete=models.PROTECT, related_name="nominations")
    representative = models.ForeignKey(
        "org.Representative",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("representative"),
    )
    town = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("town")
    )
    # Where the representative served when nominated (their village, for the notice).
    unit_path = models.CharField(max_length=64)
    village = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    # The score when nominated (never recomputed).
    score_total = models.PositiveIntegerField(_("score"))
    rank_town = models.PositiveIntegerField(_("rank in town"), null=True, blank=True)
    rank_city = models.PositiveIntegerField(_("rank in city"), null=True, blank=True)
    score_model = models.ForeignKey(
        "evaluation.ScoringModel", on_delete=models.PROTECT, related_name="+"
    )
    score_version = models.PositiveSmallIntegerField(_("scoring version"))
    citation = models.TextField(_("citation"), max_length=CITATION_MAX, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=NominationStatus.choices,
        default=NominationStatus.NOMINATED,
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        ordering = ["selection", "town__path", "rank_town", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["selection", "representative"], name="uniq_honours_nomination_rep"
            ),
        ]
        indexes = [models.Index(fields=["selection", "status"], name="honours_nom_status")]

    def __str__(self) -> str:
        return f"{self.selection} {self.representative_id}"

    @property
    def points(self) -> str:
        return points_text(self.score_total)


class NominationEventKind(models.TextChoices):
    SELECTION_CREATE = "selection_create", _("Selection opened")
    QUOTA_SET = "quota_set", _("Quota set")
    STAGE = "stage", _("Stage changed")
    NOMINATE = "nominate", _("Nominated")
    CITATION = "citation", _("Citation written")
    TOWN_APPROVE = "town_approve", _("Approved by the town")
    TOWN_REJECT = "town_reject", _("Rejected by the town")
    TOWN_SUBMIT = "town_submit", _("Submitted to the city")
    CITY_APPROVE = "city_approve", _("Approved by the city")
    CITY_REJECT = "city_reject", _("Rejected by the city")
    OBJECTION = "objection", _("Objection received")
    OBJECTION_UPHELD = "objection_upheld", _("Objection upheld")
    OBJECTION_DISMISSED = "objection_dismissed", _("Objection dismissed")
    WITHDRAW = "withdraw", _("Withdrawn")
    FINAL = "final", _("Put on the final list")


class NominationEvent(models.Model):
    """One step of a selection (append-only): of a nomination, or of the selection itself
    (stage changes, quotas) when `nomination` is empty. `actor` is empty only for a
    resident's objection."""

    selection = models.ForeignKey(Selection, on_delete=models.CASCADE, related_name="events")
    nomination = models.ForeignKey(
        Nomination, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("what"), max_length=30, choices=NominationEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("selection event")
        verbose_name_plural = _("selection events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class Objection(models.Model):
    nomination = models.ForeignKey(Nomination, on_delete=models.PROTECT, related_name="objections")
    text = models.TextField(_("objection"), max_length=OBJECTION_MAX)
    name = models.CharField(_("name"), max_length=50, blank=True)
    phone = EncryptedCharField(_("mobile number"), max_length=20)
    phone_hash = BlindIndexField("phone")
    status = models.CharField(
        _("status"), max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN
    )
    answer = models.TextField(_("the city's answer"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status"], name="honours_objection_status")]

    def __str__(self) -> str:
        return f"{self.nomination_id} {self.status}"

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class BenefitKind(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    provider = models.CharField(_("provider"), max_length=100, blank=True)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("benefit kind")
        verbose_name_plural = _("benefit kinds")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BenefitIssue(models.Model):
    kind = models.ForeignKey(BenefitKind, on_delete=models.PROTECT, related_name="issues")
    representative = models.ForeignKey(
        "org.Representative", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    # Where the representative served (for scoping the lists).
    unit_path = models.CharField(max_length=64)
    issued_on = models.DateField(_("issued on"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoke_reason = models.CharField(_("reason for revoking"), max_length=NOTE_MAX, blank=True)

    class Meta:
        verbose_name = _("benefit issued")
        verbose_name_plural = _("benefits issued")
        ordering = ["-year", "unit_path", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "representative", "year"],
                condition=Q(revoked_at__isnull=True),
                name="uniq_honours_benefit_live",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.representative_id} {self.year}"


class ReserveRule(models.Model):
    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    max_age = models.PositiveSmallIntegerField(_("age under"), default=DEFAULT_MAX_AGE)
    min_score = models.PositiveSmallIntegerField(_("minimum score"), default=DEFAULT_MIN_SCORE)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reserve pool rule")
        verbose_name_plural = _("reserve pool rules")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class ReserveStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed by the town")
    DECLINED = "declined", _("Declined by the town")


class ReserveCandidate(models.Model):
    representative = models.ForeignKey(
        "org.Representative", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    unit_path = models.CharField(max_length=64)
    town_path = models.CharField(max_length=64)
    score_total = models.PositiveIntegerField(_("score"))
    score_version = models.PositiveSmallIntegerField(_("scoring version"))
    age = models.PositiveSmallIntegerField(_("age"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReserveStatus.choices, default=ReserveStatus.PROPOSED
    )
    note = models.CharField(_("note"), max_length=NOTE_MAX, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reserve candidate")
        verbose_name_plural = _("reserve candidates")
        ordering = ["-year", "unit_path", "-score_total", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["representative", "year"], name="uniq_honours_reserve_rep_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.representative_id} {self.year}"

    @property
    def points(self) -> str:
        return points_text(self.score_total)


class ReserveEvent(models.Model):
    """A step of a reserve candidate (append-only): proposed, confirmed, declined."""

    candidate = models.ForeignKey(ReserveCandidate, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=ReserveStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=NOTE_MAX, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.kind}"
