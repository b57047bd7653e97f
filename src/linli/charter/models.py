"""The responsibility and rights list (责权清单): versioned documents per level.

The city writes the defaults; a town (subdistrict) and a village (community) write
versions of their own that extend the lists above them and never weaken them
(`rules.py`). A version is a draft until it is published; a published version is never
edited, a later one supersedes it from its `effective_from` on.

An entry is a responsibility or a right with a stable `code`: a lower level's entry
with the code of an inherited entry extends that entry (raises its numeric floor, adds
a supplementary text); any other code adds an entry. A measurable responsibility
names a duty of the duty engine (`duty`): the figure shown is the `duties.DutyRule` in
force, read at display time, never copied here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CharterStatus(models.TextChoices):
    # Being written: seen and changed only by those who may write the unit's list.
    DRAFT = "draft", _("Draft")
    # In force from `effective_from` until a later version; never edited again.
    PUBLISHED = "published", _("Published")


class EntryKind(models.TextChoices):
    RESPONSIBILITY = "responsibility", _("Responsibility")  # 责任
    RIGHT = "right", _("Right")  # 权利


class DutyLink(models.TextChoices):
    # The duties of the duty engine (`duties.DutyRule`) a responsibility can name.
    CONTACT = "contact", _("Weekly contact with each household")
    VISIT = "visit", _("Monthly home visit to each household")
    DELIBERATION = "deliberation", _("Quarterly deliberation event")
    REPORT = "report", _("Yearly reports")


class CharterVersion(models.Model):
    """One version of one unit's list (the city's, a town's or a village's)."""

    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    number = models.PositiveSmallIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    effective_from = models.DateField(_("effective from"))
    status = models.CharField(
        _("status"), max_length=20, choices=CharterStatus.choices, default=CharterStatus.DRAFT
    )
    note = models.CharField(_("what changed"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("responsibility list version")
        verbose_name_plural = _("responsibility list versions")
        ordering = ["unit_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="charter_version_number"),
            # One draft per unit at a time.
            models.UniqueConstraint(
                fields=["unit"],
                name="charter_one_draft",
                condition=models.Q(status="draft"),
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "status", "effective_from"], name="charter_in_force"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} v{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.status == CharterStatus.DRAFT


class CharterEntry(models.Model):
    """A responsibility or a right of one version (the unit's own entries only)."""

    version = models.ForeignKey(
        CharterVersion, on_delete=models.CASCADE, related_name="entries", verbose_name=_("version")
    )
    code = models.CharField(_("code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    # Blank for an entry that extends an inherited one (the inherited title stands).
    title = models.CharField(_("title"), max_length=200, blank=True)
    # The entry's text, or the supplementary text added to an inherited entry.
    text = models.TextField(_("text"), blank=True)
    floor = models.PositiveIntegerField(_("at least"), null=True, blank=True)
    floor_unit = models.CharField(_("unit of the floor"), max_length=20, blank=True)
    duty = models.CharField(_("duty measured"), max_length=20, choices=DutyLink.choices, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("responsibility list entry")
        verbose_name_plural = _("responsibility list entries")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="charter_entry_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
