"""The negative list (负面清单): what a representative must not do, and the records of
breaches of it.

- `NegativeEntry`: one item of the catalogue, with a severity. The city's list has no
  unit (`unit=None`); a town extends it with entries of its own (`unit` = the town),
  which apply to the representatives of that town only. Entries are never deleted:
  an entry no longer used is made inactive.
- `Breach`: a report that a representative did something on the list, with its
  evidence (`BreachEvidence`), the representative's statement, and the review's
  decision. `BreachEvent` is its append-only history.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    # Ordered from light to grave; a severe confirmed breach excludes the
    # representative from the "hundred best" (百优) selection of its year.
    MINOR = "minor", _("Minor")  # 一般
    SERIOUS = "serious", _("Serious")  # 较重
    SEVERE = "severe", _("Severe")  # 严重


SEVERITY_RANK = {Severity.MINOR: 1, Severity.SERIOUS: 2, Severity.SEVERE: 3}


class BreachStage(models.TextChoices):
    REPORTED = "reported", _("Reported")  # waiting for the representative's statement
    STATED = "stated", _("Statement recorded")  # the statement is in: ready for review
    CONFIRMED = "confirmed", _("Confirmed")  # the review found the breach (final)
    DISMISSED = "dismissed", _("Dismissed")  # the review found no breach (final)
    WITHDRAWN = "withdrawn", _("Withdrawn")  # the reporter took it back before review (final)


OPEN_STAGES = (BreachStage.REPORTED, BreachStage.STATED)
FINAL_STAGES = (BreachStage.CONFIRMED, BreachStage.DISMISSED, BreachStage.WITHDRAWN)


class NegativeEntry(models.Model):
    """One thing a representative must not do."""

    # None: the city's list, binding everywhere; a town: that town's own addition.
    unit = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit"),
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("negative list entry")
        verbose_name_plural = _("negative list entries")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Breach(models.Model):
    """A reported breach of the negative list by one representative."""

    representative = models.ForeignKey(
        "org.Representative",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("representative"),
    )
    # The representative's unit when reported: scope follows it (a later move of the
    # representative does not move the record out of the reviewers' sight).
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    entry = models.ForeignKey(
        NegativeEntry, on_delete=models.PROTECT, related_name="breaches", verbose_name=_("entry")
    )
    # Copied from the entry when reported, so a later change of the catalogue does not
    # change what was confirmed.
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    description = models.TextField(_("what happened"))
    occurred_on = models.DateField(_("when"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    # A resident's report entered by a cadre: who the resident was (name only).
    source = models.CharField(_("reported by (resident)"), max_length=100, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reported by"),
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    response_days = models.PositiveSmallIntegerField(_("days to respond"))
    respond_by = models.DateField(_("statement due by"))
    stage = models.CharField(
        _("stage"), max_length=10, choices=BreachStage.choices, default=BreachStage.REPORTED
    )
    statement = models.TextField(_("statement"), blank=True)
    statement_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("statement written by"),
    )
    statement_at = models.DateTimeField(_("statement recorded at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("breach record")
        verbose_name_plural = _("breach records")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["stage", "respond_by"], name="breach_stage_due"),
            models.Index(fields=["representative", "stage"], name="breach_rep_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.representative_id} {self.entry_id} {self.stage}"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    DOCUMENT = "document", _("Document")


def evidence_path(instance: BreachEvidence, filename: str) -> str:
    """A random name under the month of upload (never the content hash)."""
    now = timezone.now()
    return f"conduct/evidence/{now:%Y/%m}/{secrets.token_hex(16)}{filename[filename.rfind('.') :]}"


class BreachEvidence(models.Model):
    """A photo (re-encoded without metadata) or a document checked by content."""

    breach = models.ForeignKey(
        Breach, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("breach record")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EvidenceKind.choices)
    file = models.FileField(_("file"), upload_to=evidence_path)
    name = models.CharField(_("name"), max_length=100)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class EventKind(models.TextChoices):
    REPORTED = "reported", _("Reported")
    EVIDENCE = "evidence", _("Evidence added")
    STATEMENT = "statement", _("Statement recorded")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class BreachEvent(models.Model):
    """One step of a breach record's history (append-only)."""

    breach = models.ForeignKey(
        Breach, on_delete=models.CASCADE, related_name="events", verbose_name=_("breach record")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("breach event")
        verbose_name_plural = _("breach events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.breach_id} {self.kind}"
