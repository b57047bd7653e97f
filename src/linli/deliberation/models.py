"""The deliberation list (议事清单): what must pass the representatives' deliberation,
and each item's life from its proposal to its public notice (公示).

- `Matter`: the catalogue. A town's (or the city's) entries apply to every village
  below it; a village adds its own and cannot remove inherited ones.
- `VotingRule`: a village's quorum and majority (the default when it has none).
- `Item`: one matter put to the representatives, its stage (`workflow.py`), its votes
  (`Vote`), its history (`ItemEvent`), the appeals it came from (`ItemAppeal`), the
  photos of its progress (`ItemPhoto`) and the residents' comments on its public
  notice (`Comment`).
- `SkippedDeliberation`: a supervisor's record that a village decided a catalogue
  matter without passing deliberation.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Matter(models.Model):
    """A kind of matter that must pass deliberation, defined at a unit for its subtree."""

    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("defined at")
    )
    code = models.CharField(_("code"), max_length=30)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    # Retired by the unit that defined it; kept for the items and breaches naming it.
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("catalogue matter")
        verbose_name_plural = _("catalogue matters")
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "code"], name="uniq_matter_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class VotingRule(models.Model):
    """A village's rule: quorum = present / serving representatives ≥ quorum fraction;
    passed = for / present > majority fraction. Without a row the defaults apply
    (2/3 present, more than half of those present for)."""

    unit = models.OneToOneField(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    quorum_num = models.PositiveSmallIntegerField(_("quorum numerator"), default=2)
    quorum_den = models.PositiveSmallIntegerField(_("quorum denominator"), default=3)
    majority_num = models.PositiveSmallIntegerField(_("majority numerator"), default=1)
    majority_den = models.PositiveSmallIntegerField(_("majority denominator"), default=2)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("voting rule")
        verbose_name_plural = _("voting rules")

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.quorum_num}/{self.quorum_den}, >{self.majority_num}/{self.majority_den}"

    def quorum_met(self, present: int, serving: int) -> bool:
        return serving > 0 and present * self.quorum_den >= serving * self.quorum_num

    def passes(self, votes_for: int, present: int) -> bool:
        return present > 0 and votes_for * self.majority_den > present * self.majority_num


class Stage(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")  # put forward, not yet on a meeting's agenda
    SCHEDULED = "scheduled", _("On the agenda")  # on a deliberation meeting's agenda
    DISCUSSED = "discussed", _("Discussed")  # the meeting discussed it
    VOTED = "voted", _("Voted")  # a vote with a quorum was taken; the decision follows
    DECIDED = "decided", _("Decided")  # adopted by the vote
    REJECTED = "rejected", _("Rejected")  # not adopted by the vote
    IN_PROGRESS = "in_progress", _("Being carried out")  # progress updates under way
    COMPLETED = "completed", _("Carried out")  # done, waiting for its public notice
    PUBLISHED = "published", _("Made public")  # on the public notice board (公示)
    WITHDRAWN = "withdrawn", _("Withdrawn")  # taken off before a vote


class Source(models.TextChoices):
    REPRESENTATIVE = "representative", _("A representative")
    CADRE = "cadre", _("A cadre")
    APPEALS = "appeals", _("Residents' appeals")
    ACTIVITY = "activity", _("An activity")


class Item(models.Model):
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    matter = models.ForeignKey(
        Matter,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name=_("catalogue matter"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    representative = models.ForeignKey(
        "org.Representative",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposing representative"),
    )
    activity = models.ForeignKey(
        "activities.Activity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("from the activity"),
    )
    meeting = models.ForeignKey(
        "activities.Activity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("meeting"),
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.PROPOSED
    )
    # The vote that counted (quorum met); failed-quorum votes are in `Vote` only.
    present = models.PositiveIntegerField(_("present"), null=True, blank=True)
    votes_for = models.PositiveIntegerField(_("for"), null=True, blank=True)
    votes_against = models.PositiveIntegerField(_("against"), null=True, blank=True)
    votes_abstain = models.PositiveIntegerField(_("abstain"), null=True, blank=True)
    passed = models.BooleanField(_("adopted"), null=True)
    decision = models.TextField(_("decision"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    completed_at = models.DateTimeField(_("carried out"), null=True, blank=True)
    notice_days = models.PositiveSmallIntegerField(_("days of public notice"), default=7)
    published_at = models.DateTimeField(_("made public"), null=True, blank=True)
    published_until = models.DateTimeField(_("public until"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("deliberation item")
        verbose_name_plural = _("deliberation items")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "stage"], name="delib_item_unit_stage"),
            models.Index(fields=["stage", "published_until"], name="delib_item_public"),
        ]

    def __str__(self) -> str:
        return self.title


class ItemEvent(models.Model):
    """One step of an item's life: who, when, what, and the stage it led to."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20)
    from_stage = models.CharField(max_length=20, blank=True)
    to_stage = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("item event")
        verbose_name_plural = _("item events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["item", "at"], name="delib_event_item")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.action} {self.at:%Y-%m-%d}"

    @property
    def action_label(self) -> str:
        from .workflow import Action

        return str(Action(self.action).label) if self.action in Action.values else self.action

    @property
    def stage_label(self) -> str:
        return str(Stage(self.to_stage).label) if self.to_stage in Stage.values else ""


class Vote(models.Model):
    """Every vote taken on an item at a meeting, with or without a quorum."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="votes")
    meeting = models.ForeignKey(
        "activities.Activity", null=True, on_delete=models.PROTECT, related_name="+"
    )
    serving = models.PositiveIntegerField(_("serving representatives"))
    present = models.PositiveIntegerField(_("present"))
    votes_for = models.PositiveIntegerField(_("for"))
    votes_against = models.PositiveIntegerField(_("against"))
    votes_abstain = models.PositiveIntegerField(_("abstain"))
    quorum_met = models.BooleanField(_("quorum met"))
    passed = models.BooleanField(_("adopted"))
    rule = models.CharField(max_length=40)  # the rule applied, e.g. "2/3; >1/2"
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.votes_for}/{self.present}"


class ItemAppeal(models.Model):
    """An appeal an item was proposed from; its residents hear of the decision."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="appeal_links")
    appeal = models.ForeignKey("appeals.Appeal", on_delete=models.PROTECT, related_name="+")
    told_at = models.DateTimeField(null=True, blank=True)  # the decision was sent

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "appeal"], name="uniq_item_appeal"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} ← {self.appeal_id}"


def photo_path(instance: models.Model, filename: str) -> str:
    now = timezone.now()
    return f"deliberation/{now:%Y/%m}/{secrets.token_hex(16)}{filename[filename.rfind('.') :]}"


class ItemPhoto(models.Model):
    """A photo of an item's progress, checked by content and re-encoded (`core.photos`)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        ItemEvent, null=True, on_delete=models.SET_NULL, related_name="photos"
    )
    image = models.FileField(upload_to=photo_path)
    content_type = models.CharField(max_length=30)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.item_id} photo {self.pk}"


class Comment(models.Model):
    """A resident's comment on a published item (no account: a name and a text)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="comments")
    name = models.CharField(_("name"), max_length=50)
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(default=timezone.now)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["item", "created_at"], name="delib_comment_item")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.name}"


class SkippedDeliberation(models.Model):
    """A breach: a village decided a catalogue matter without passing deliberation."""

    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    matter = models.ForeignKey(
        Matter, on_delete=models.PROTECT, related_name="+", verbose_name=_("catalogue matter")
    )
    decided = models.TextField(_("what was decided"))
    decided_on = models.DateField(_("decided on"))
    evidence = models.TextField(_("evidence"), blank=True)
    photo = models.FileField(upload_to=photo_path, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("undeliberated decision")
        verbose_name_plural = _("undeliberated decisions")
        ordering = ["-decided_on", "-id"]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.decided_on}"
