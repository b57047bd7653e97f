"""The evaluation of representatives (代表考评): what each did in a year, scored.

- `ScoringModel`: the weights of the parts of a score and the targets that turn a
  count into a share, for one year. Never edited: a change of weights makes the
  year's next version, and the year's scores are computed again with it. Another
  year's scores keep the version they were computed with.
- `Score`: one representative's score of a year under one version: the total, its
  parts (`parts`, what `scoring.score` wrote: each part's figures, share, weight and
  points; the points add up to the total), whether a confirmed severe breach excludes
  them, and their ranks in the village, the town and the city (the excluded are not
  ranked). Derived data, replaced as a whole by each computation of the year.
- `ScoreRun`: each computation of a year's scores: when, with which version, why
  (the tick, a weights change, a cadre's request), by whom, how many, how long.

Points are integer hundredths (8,512 is 85.12 points of 100); no floats are stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The parts of a score, in the order they are shown.
PARTS = ("duties", "appeals", "ratings", "activities", "doorbell", "funds", "training")
PART_LABELS = {
    "duties": _("Duty compliance"),
    "appeals": _("Appeals resolved"),
    "ratings": _("Residents' ratings"),
    "activities": _("Activities organised"),
    "doorbell": _("Doorbell alarms answered"),
    "funds": _("Service fund used"),
    "training": _("Training hours"),
}
DEFAULT_WEIGHTS = {
    "duties": 30,
    "appeals": 15,
    "ratings": 15,
    "activities": 10,
    "doorbell": 10,
    "funds": 10,
    "training": 10,
}
# Counts that become a share against a yearly target (a count at or above it is full marks).
TARGETS = ("activities", "training_minutes")
DEFAULT_TARGETS = {"activities": 4, "training_minutes": 16 * 60}
TARGET_LIMITS = {"activities": (1, 1000), "training_minutes": (60, 100_000)}
MAX_WEIGHT = 100
FULL_MARKS = 100_00  # hundredths


class ScoringModel(models.Model):
    """The weights and targets of a year's scores, one version (never edited)."""

    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveSmallIntegerField(_("version"))
    weights = models.JSONField(_("weights"))
    targets = models.JSONField(_("targets"))
    note = models.CharField(_("reason for the change"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("set by"),
    )
    created_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring models")
        ordering = ["-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["year", "version"], name="uniq_scoring_model_version"),
        ]

    def __str__(self) -> str:
        return f"{self.year} v{self.version}"

    def weight_rows(self) -> list[tuple[str, object, int]]:
        return [(p, PART_LABELS[p], int(self.weights.get(p, 0))) for p in PARTS]


class RunReason(models.TextChoices):
    TICK = "tick", _("Scheduled")
    WEIGHTS = "weights", _("Weights changed")
    REQUEST = "request", _("Requested")
    COMMAND = "command", _("Command")


class ScoreRun(models.Model):
    """One computation of a year's scores."""

    year = models.PositiveSmallIntegerField(_("year"))
    model = models.ForeignKey(
        ScoringModel, on_delete=models.PROTECT, related_name="runs", verbose_name=_("version")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=RunReason.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    representatives = models.PositiveIntegerField(_("representatives"), default=0)
    milliseconds = models.PositiveIntegerField(_("took (ms)"), default=0)

    class Meta:
        verbose_name = _("score computation")
        verbose_name_plural = _("score computations")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["year", "-started_at"], name="score_run_year")]

    def __str__(self) -> str:
        return f"{self.year} {self.started_at:%Y-%m-%d %H:%M}"


class Score(models.Model):
    """A representative's score of a year (derived; replaced by each computation)."""

    year = models.PositiveSmallIntegerField(_("year"))
    representative = models.ForeignKey(
        "org.Representative",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("representative"),
    )
    model = models.ForeignKey(
        ScoringModel, on_delete=models.PROTECT, related_name="scores", verbose_name=_("version")
    )
    run = models.ForeignKey(ScoreRun, on_delete=models.PROTECT, related_name="scores")
    # The representative's unit when scored, and the village and town it lies in.
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=64)
    village_path = models.CharField(max_length=64)
    town_path = models.CharField(max_length=64)
    total = models.PositiveIntegerField(_("score"))  # hundredths of a point
    parts = models.JSONField(_("breakdown"))
    excluded = models.BooleanField(_("excluded"), default=False)
    # The confirmed severe breaches that exclude them (ids of conduct.Breach).
    breach_ids = models.JSONField(default=list, blank=True)
    rank_village = models.PositiveIntegerField(_("rank in village"), null=True, blank=True)
    rank_town = models.PositiveIntegerField(_("rank in town"), null=True, blank=True)
    rank_city = models.PositiveIntegerField(_("rank in city"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["year", "rank_city", "id"]
        constraints = [
            models.UniqueConstraint(fields=["representative", "year"], name="uniq_score_rep_year"),
            models.CheckConstraint(condition=Q(total__lte=FULL_MARKS), name="score_total_le_full"),
        ]
        indexes = [
            models.Index(fields=["year", "town_path", "rank_town"], name="score_town_rank"),
            models.Index(
                fields=["year", "village_path", "rank_village"], name="score_village_rank"
            ),
            models.Index(fields=["year", "rank_city"], name="score_city_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.representative_id} {self.year} {self.total}"

    @property
    def points(self) -> str:
        return points_text(self.total)


def points_text(hundredths: int | None) -> str:
    """Hundredths of a point as points with two decimals (8512 -> "85.12")."""
    if hundredths is None:
        return ""
    whole, cents = divmod(int(hundredths), 100)
    return f"{whole}.{cents:02d}"


class AnnualReportDraft(models.Model):
    """A representative's own text for their annual report (述职报告) of a year, kept
    while they write it; one per representative and year, replaced on each save. The
    presented report is the year's `duties.AnnualReport` (`annual_services.present`)."""

    representative = models.ForeignKey(
        "org.Representative",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("representative"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    text = models.TextField(_("own text"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("saved at"), default=timezone.now)

    class Meta:
        verbose_name = _("annual report draft")
        verbose_name_plural = _("annual report drafts")
        constraints = [
            models.UniqueConstraint(
                fields=["representative", "year"], name="uniq_annual_draft_rep_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.representative_id} {self.year}"
