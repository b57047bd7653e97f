"""The service fund for the people (服务群众专项资金): each representative's yearly
allocation and the ledger of what they spent from it.

Money is integer fen (分) everywhere: columns, services, API. Yuan appear only when
shown (`yuan()`), never as floats.

- `FundRule`: a town's or village's (or the city's) allocation per representative and
  the amount above which a spending waits for the village cadre's approval, per year.
  The rule in force for a representative is the nearest one up their unit's path;
  without one, `DEFAULT_ALLOCATION_FEN` and `DEFAULT_APPROVAL_FEN`.
- `FundAllocation`: one per representative and year; its `amount_fen`, and the running
  totals `spent_fen` (counted spending less reversals) and `pending_fen` (spending
  waiting for approval, held back from the balance), kept by the services under the
  row's lock so that the balance is checked and changed in one step.
- `FundEntry`: the ledger, never edited. A spending (`spend`) or a reversal
  (`reversal`) of one, linked to it. Amounts, dates and purposes never change; a
  spending above the threshold goes from `pending` to `approved` or `refused` once.
- `FundReceipt`: the receipt photo of a spending (`core.photos`).
"""

from __future__ import annotations

import os
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# 200 yuan: the floor of a yearly allocation ("no less than 200 yuan") and its default.
MIN_ALLOCATION_FEN = 200_00
DEFAULT_ALLOCATION_FEN = MIN_ALLOCATION_FEN
# Spending above 100 yuan waits for the village cadre, unless a rule says otherwise.
DEFAULT_APPROVAL_FEN = 100_00
# The largest amount any field takes: 100 million yuan (a bigint holds far more).
MAX_FEN = 100_000_000_00


def yuan(fen: int | None) -> str:
    """Fen as yuan with two decimals, by integer arithmetic (12345 -> "123.45")."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}.{cents:02d}"


class FundRule(models.Model):
    """A unit's allocation per representative and approval threshold for a year."""

    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    allocation_fen = models.BigIntegerField(_("allocation per representative (fen)"))
    approval_fen = models.BigIntegerField(_("approval needed above (fen)"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("fund rule")
        verbose_name_plural = _("fund rules")
        ordering = ["unit__path", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="uniq_fund_rule_unit_year"),
            models.CheckConstraint(
                condition=Q(allocation_fen__gte=MIN_ALLOCATION_FEN),
                name="fund_rule_allocation_floor",
            ),
            models.CheckConstraint(condition=Q(approval_fen__gte=0), name="fund_rule_approval_ge0"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.year}"


class FundAllocation(models.Model):
    """A representative's fund for one year. Balance = amount - spent; what may still
    be spent = balance - pending. Neither goes below zero (check constraints too)."""

    representative = models.ForeignKey(
        "org.Representative",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("representative"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    amount_fen = models.BigIntegerField(_("allocation (fen)"))
    spent_fen = models.BigIntegerField(_("spent (fen)"), default=0)
    pending_fen = models.BigIntegerField(_("waiting for approval (fen)"), default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("fund allocation")
        verbose_name_plural = _("fund allocations")
        ordering = ["-year", "representative_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["representative", "year"], name="uniq_fund_allocation_rep_year"
            ),
            models.CheckConstraint(
                condition=Q(spent_fen__gte=0) & Q(pending_fen__gte=0),
                name="fund_allocation_totals_ge0",
            ),
            models.CheckConstraint(
                condition=Q(spent_fen__lte=models.F("amount_fen") - models.F("pending_fen")),
                name="fund_allocation_never_overspent",
            ),
        ]
        indexes = [models.Index(fields=["year", "representative"])]

    def __str__(self) -> str:
        return f"{self.representative} {self.year}"

    @property
    def balance_fen(self) -> int:
        return self.amount_fen - self.spent_fen

    @property
    def available_fen(self) -> int:
        return self.amount_fen - self.spent_fen - self.pending_fen


class FundEntryKind(models.TextChoices):
    SPEND = "spend", _("Spending")  # 支出
    REVERSAL = "reversal", _("Reversal")  # 冲正: undoes a spending, linked to it


class FundEntryStatus(models.TextChoices):
    APPROVED = (
        "approved",
        _("Counted"),
    )  # counts against the balance (approved or below the threshold)
    PENDING = "pending", _("Waiting for approval")  # above the threshold, held back
    REFUSED = "refused", _("Refused")  # the cadre refused it: it never counted


class FundEntry(models.Model):
    """One line of the ledger; never edited, corrected by a reversal."""

    allocation = models.ForeignKey(
        FundAllocation, on_delete=models.PROTECT, related_name="entries", verbose_name=_("fund")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=FundEntryKind.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    day = models.DateField(_("date"))
    purpose = models.CharField(_("purpose"), max_length=500)
    household = models.ForeignKey(
        "org.Household",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("household served"),
    )
    appeal = models.ForeignKey(
        "appeals.Appeal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("appeal served"),
    )
    activity = models.ForeignKey(
        "activities.Activity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("activity served"),
    )
    status = models.CharField(_("status"), max_length=10, choices=FundEntryStatus.choices)
    # A reversal's spending (one reversal a spending at most).
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note on the decision"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("fund entry")
        verbose_name_plural = _("fund entries")
        ordering = ["-day", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="fund_entry_amount_gt0"),
            models.CheckConstraint(
                condition=Q(kind="spend", reverses__isnull=True)
                | Q(kind="reversal", reverses__isnull=False, status="approved"),
                name="fund_entry_reversal_links",
            ),
        ]
        indexes = [models.Index(fields=["status", "allocation"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {yuan(self.amount_fen)}"

    @property
    def signed_fen(self) -> int:
        """What the entry does to `spent` while it counts: + spending, - reversal."""
        return -self.amount_fen if self.kind == FundEntryKind.REVERSAL else self.amount_fen

    @property
    def counts(self) -> bool:
        return self.status == FundEntryStatus.APPROVED

    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount_fen)


def receipt_path(instance: FundReceipt, filename: str) -> str:
    return f"funds/{instance.entry_id}/{uuid.uuid4().hex}{os.path.splitext(filename)[1]}"


class FundReceipt(models.Model):
    """A receipt photo of a spending, checked by content and re-encoded without
    metadata (`linli.core.photos`)."""

    entry = models.ForeignKey(
        FundEntry, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("entry")
    )
    image = models.FileField(_("photo"), upload_to=receipt_path)
    content_type = models.CharField(max_length=30)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("receipt photo")
        verbose_name_plural = _("receipt photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.entry_id} receipt {self.pk}"
