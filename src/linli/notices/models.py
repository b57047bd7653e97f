"""Policy notices (政策宣传): what a city, town or village publishes to the households
of its subtree, and the deliveries its representatives record, household by household.

Recipients are not stored: they are the households of the publishing unit's subtree,
each relayed by the representative linked to it now (`org` current links). A
`Delivery` row is written only when a household is reached, so a notice to a whole
city costs nothing until deliveries come in. Reach is counted from the deliveries,
by the unit the household belonged to when it was reached (`Delivery.unit`).

A published notice is never edited: a correction is a new notice, or a withdrawal
with its reason.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    POLICY = "policy", _("Policy")  # 政策
    SAFETY = "safety", _("Safety warning")  # 安全提示
    VACCINATION = "vaccination", _("Vaccination drive")  # 疫苗接种
    FLOOD = "flood", _("Flood alert")  # 防汛预警
    OTHER = "other", _("Other")


class Notice(models.Model):
    """One notice to the households of `unit`'s subtree."""

    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("publishing unit")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    # Urgent notices: representatives who have not finished this many hours after
    # publication get one reminder.
    remind_after = models.PositiveSmallIntegerField(
        _("remind after (hours)"), null=True, blank=True
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    # Set by the tick once the representatives of the subtree were told (in-app).
    announced_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set by the tick once the reminders of an urgent notice were sent.
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdraw_reason = models.CharField(_("reason for withdrawal"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("policy notice")
        verbose_name_plural = _("policy notices")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["-published_at", "-id"], name="notice_published"),
            # The ticks look for notices not yet announced or reminded.
            models.Index(
                fields=["published_at"],
                name="notice_to_announce",
                condition=models.Q(announced_at__isnull=True),
            ),
            models.Index(
                fields=["published_at"],
                name="notice_to_remind",
                condition=models.Q(urgent=True, reminded_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def remind_at(self):
        """When the reminders of an urgent notice are due (None: never)."""
        if not self.urgent or not self.remind_after:
            return None
        return self.published_at + dt.timedelta(hours=self.remind_after)


class Delivery(models.Model):
    """A household reached with a notice: by whom, how, when. One per notice and
    household. A phone or in-person delivery also counts as that week's contact
    (`contact`, a duties `ContactLog` in the role of policy publicist)."""

    notice = models.ForeignKey(
        Notice, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("notice")
    )
    household = models.ForeignKey(
        "org.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("household")
    )
    # The household's unit when it was reached: reach is counted by it without a join.
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    representative = models.ForeignKey(
        "org.Representative",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("representative"),
    )
    method = models.CharField(_("how"), max_length=20)  # duties.ContactMethod
    delivered_at = models.DateTimeField(_("delivered at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "duties.ContactLog",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("contact"),
    )

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-delivered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "household"], name="uniq_notice_delivery")
        ]
        indexes = [
            # The reach table: deliveries of a notice counted by unit (index-only).
            models.Index(fields=["notice", "unit"], name="delivery_notice_unit"),
            models.Index(fields=["notice", "representative"], name="delivery_notice_rep"),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.household_id}"


class NoticeReminder(models.Model):
    """One reminder per urgent notice and representative: the tick's marker."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="+")
    representative = models.ForeignKey(
        "org.Representative", on_delete=models.CASCADE, related_name="+"
    )
    unreached = models.PositiveIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "representative"], name="uniq_notice_reminder"
            )
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.representative_id}"
