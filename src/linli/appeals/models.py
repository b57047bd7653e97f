"""Appeals (民生诉求) and disputes (矛盾纠纷): intake, level-by-level handling,
deadlines, referral, return visit and rating.

The state machine is declared once in `workflow.py`; every change goes
through `services.appeal_act`, which records an `AppealEvent` row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.crypto import BlindIndexField, EncryptedCharField
from linli.core.masking import mask_phone


class Kind(models.TextChoices):
    APPEAL = "appeal", _("Livelihood appeal")  # 民生诉求
    DISPUTE = "dispute", _("Dispute")  # 矛盾纠纷
    HAZARD = "hazard", _("Safety hazard")  # 安全隐患
    CONSULT = "consult", _("Policy question")  # 政策咨询
    SUGGESTION = "suggestion", _("Suggestion")  # 意见建议


class Level(models.TextChoices):
    # The four levels of 微事不出邻、小事不出村、大事不出镇、难事不出市, in order.
    GROUP = "group", _("Neighbourhood")  # the representative and group (邻/组)
    VILLAGE = "village", _("Village")
    TOWN = "town", _("Town")
    CITY = "city", _("City")


LEVEL_ORDER = [Level.GROUP, Level.VILLAGE, Level.TOWN, Level.CITY]


def higher_level(a: str, b: str) -> str:
    """The higher of two levels ("" counts as lowest)."""
    rank: dict[str, int] = {str(lv): i for i, lv in enumerate(LEVEL_ORDER)}
    return a if rank.get(a, -1) >= rank.get(b, -1) else b


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting to be claimed")  # at a level, nobody has claimed it
    CLAIMED = "claimed", _("Claimed")  # someone took it on (领办)
    IN_PROGRESS = "in_progress", _("In progress")  # being handled at its level
    REFERRED = "referred", _("Referred to a department")  # waiting for the department's answer
    SUSPENDED = "suspended", _("Suspended")  # clock stopped, with a reason
    RESOLVED = "resolved", _("Resolved, waiting for the resident")  # 办结, return visit due
    CLOSED = "closed", _("Closed")  # the resident rated it, or did not answer in time
    MERGED = "merged", _("Merged into another appeal")  # a duplicate
    WITHDRAWN = "withdrawn", _("Withdrawn by the resident")


# The status sets, declared once; `workflow.py` and every query use these.
# Being handled by someone who claimed it.
WORKING_STATUSES: tuple[Status, ...] = (Status.CLAIMED, Status.IN_PROGRESS)
# At a level and not yet sent anywhere else: may be claimed, escalated, merged.
ACTIVE_STATUSES: tuple[Status, ...] = (Status.PENDING, *WORKING_STATUSES)
# Not finished: counts as open work somewhere.
OPEN_STATUSES: tuple[Status, ...] = (*ACTIVE_STATUSES, Status.REFERRED, Status.SUSPENDED)
# Statuses whose resolve deadline is running.
CLOCK_STATUSES: tuple[Status, ...] = (*ACTIVE_STATUSES, Status.REFERRED)


class Channel(models.TextChoices):
    SELF = "self", _("Resident, online")
    REPRESENTATIVE = "representative", _("Representative, on a visit")
    HOTLINE = "hotline", _("Hotline call")
    API = "api", _("Another system (API)")


class Category(models.Model):
    """A two-level tree of appeal categories, each with a default department."""

    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent category"),
    )
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    default_department = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("default department"),
    )
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("appeal category")
        verbose_name_plural = _("appeal categories")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        if self.parent_id:
            return f"{self.parent.name} / {self.name}"
        return self.name


class ResolveUnit(models.TextChoices):
    HOURS = "hours", _("hours")
    DAYS = "days", _("calendar days")
    WORKING_DAYS = "working_days", _("working days")


class DeadlinePolicy(models.Model):
    """How long each level has, per urgency. Administrators edit these rows."""

    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    claim_hours = models.PositiveIntegerField(_("claim within (hours)"))
    resolve_amount = models.PositiveIntegerField(_("resolve within"))
    resolve_unit = models.CharField(
        _("unit of the resolve deadline"), max_length=20, choices=ResolveUnit.choices
    )
    remind_before_hours = models.PositiveIntegerField(_("remind before the deadline (hours)"))
    auto_escalate = models.BooleanField(_("escalate automatically when overdue"), default=False)
    visit_days = models.PositiveIntegerField(_("days the resident has to rate"), default=3)

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [
            models.UniqueConstraint(fields=["level", "urgency"], name="uniq_deadline_policy")
        ]
        ordering = ["level", "urgency"]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.get_urgency_display()}"


class Appeal(models.Model):
    code = models.CharField(_("case code"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="appeals", verbose_name=_("category")
    )
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"))
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    channel = models.CharField(_("reported by"), max_length=20, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    # Where it is handled now (changes on escalation and return) ...
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("handled at")
    )
    # ... and where it came from (never changes; scope and statistics use it).
    origin_unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    origin_path = models.CharField(max_length=64, db_index=True)
    household = models.ForeignKey(
        "org.Household",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name=_("household"),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    reporter_name = models.CharField(_("reporter"), max_length=50, blank=True)
    # Encrypted at rest; a resident's appeals are found through the keyed hash.
    reporter_phone = EncryptedCharField(_("reporter's mobile"), max_length=20, blank=True)
    reporter_phone_hash = BlindIndexField("reporter_phone")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("filed by"),
    )
    # Who owns it now.
    representative = models.ForeignKey(
        "org.Representative",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name=_("representative"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("claimed by"),
    )
    department = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name=_("department"),
    )
    # Deadlines and their flags: the tick acts on a row only while its flag is
    # empty, and sets the flag in the same transaction, so it acts once.
    claim_due_at = models.DateTimeField(_("claim by"), null=True, blank=True)
    claim_overdue_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("resolve by"), null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(_("overdue since"), null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_status = models.CharField(max_length=20, blank=True)
    supervised = models.BooleanField(_("supervised"), default=False)
    # Figures for the "three rates".
    first_claim_due_at = models.DateTimeField(null=True, blank=True)
    first_claimed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_level = models.CharField(max_length=10, choices=Level.choices, blank=True)
    # The highest level it has been at (filed there or escalated to it); a return
    # to a lower level does not lower it. The per-level shares count by it, so an
    # appeal escalated and then returned down is not "resolved in the neighbourhood".
    reached_level = models.CharField(max_length=10, choices=Level.choices, blank=True)
    # The last resolution was by its deadline and the appeal was never resolved
    # before: a resolution the resident rejected (or a handler reopened) does not
    # leave the appeal on time after the fresh deadline of the reopening.
    resolved_on_time = models.BooleanField(null=True)
    result = models.TextField(_("result"), blank=True)
    visit_due_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("comment"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    # Disputes: the agreement reached in mediation.
    agreement = models.TextField(_("agreement"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("filed"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "level", "unit"], name="appeal_queue"),
            models.Index(
                fields=["due_at"],
                name="appeal_due_open",
                condition=Q(overdue_at__isnull=True)
                & Q(status__in=["pending", "claimed", "in_progress", "referred"]),
            ),
            models.Index(
                fields=["claim_due_at"],
                name="appeal_claim_due",
                condition=Q(claim_overdue_at__isnull=True) & Q(status="pending"),
            ),
            models.Index(
                fields=["remind_at"],
                name="appeal_remind",
                condition=Q(reminded_at__isnull=True)
                & Q(status__in=["pending", "claimed", "in_progress", "referred"]),
            ),
            models.Index(
                fields=["visit_due_at"], name="appeal_visit_due", condition=Q(status="resolved")
            ),
            models.Index(fields=["representative", "status"], name="appeal_rep"),
            models.Index(fields=["department", "status"], name="appeal_dept"),
            models.Index(fields=["reporter_phone_hash"], name="appeal_phone_hash"),
            # The command centre's "closed today".
            models.Index(fields=["closed_at"], name="appeal_closed"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        if self.status not in CLOCK_STATUSES:
            return False
        return bool(self.due_at and self.due_at <= timezone.now())

    @property
    def reporter_phone_masked(self) -> str:
        return mask_phone(self.reporter_phone)


class AppealEvent(models.Model):
    """Append-only timeline: who did what, when, at which level."""

    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, related_name="events", verbose_name=_("appeal")
    )
    action = models.CharField(_("action"), max_length=30)
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    # Shown in the timeline: the user's name, "resident", or "system".
    actor_label = models.CharField(max_length=100, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    level = models.CharField(max_length=10, choices=Level.choices)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    # The department the actor acted for (a department's answer or note): the
    # timeline shows it instead of the level and unit the appeal sat at.
    department = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
    )
    note = models.TextField(_("note"), blank=True)
    # Internal notes are not shown to the resident on the tracking page.
    internal = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("appeal event")
        verbose_name_plural = _("appeal events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["appeal", "at"])]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


def photo_path(instance: AppealPhoto, filename: str) -> str:
    now = timezone.now()
    return f"appeals/{now:%Y/%m}/{instance.sha256[:2]}/{instance.sha256}{filename[filename.rfind('.') :]}"


class AppealPhoto(models.Model):
    """A photo, checked by content and re-encoded without metadata."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        AppealEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
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
        return f"{self.appeal_id} photo {self.pk}"


class DisputeParty(models.Model):
    """A party to a dispute."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="parties")
    name = models.CharField(_("name"), max_length=50)
    # Encrypted at rest; never looked up by value, so it has no hash.
    phone = EncryptedCharField(_("mobile number"), max_length=20, blank=True)
    role = models.CharField(_("side"), max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class MediationSession(models.Model):
    """One mediation meeting of a dispute."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="mediations")
    held_at = models.DateTimeField(_("held"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    mediators = models.CharField(_("mediators"), max_length=200, blank=True)
    summary = models.TextField(_("summary"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["held_at", "id"]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.held_at:%Y-%m-%d}"


class PhoneCode(models.Model):
    """A one-time code confirming a resident's mobile number.

    Only the keyed hash of the number is kept (`core.crypto.blind_index`): the code
    is sent from the number the resident typed, and checked against it.
    """

    phone_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.phone_hash[:8]}… {self.created_at:%Y-%m-%d %H:%M}"


# --- rollups (derived data; see appeals/tally.py) -----------------------------------------


class AppealTally(models.Model):
    """Rollup: the appeals filed on one local day from one village's subtree (`path`:
    the origin path cut at the village depth, or the whole origin path of an appeal
    filed above the villages), and their outcome as it stands, with the appeals
    closed that day. Derived data: a day's rows are rebuilt, set-based, when a write
    has marked the day (`AppealTallyDay`), by the next read or by the tick."""

    path = models.CharField(max_length=64)
    day = models.DateField()  # the day, or the first day of the month (`month`)
    # A month's row: the sum of its days' rows, so that a year sums twelve rows per
    # village instead of 365 (rebuilt with its days).
    month = models.BooleanField(default=False)
    created = models.PositiveIntegerField(default=0)  # every appeal filed that day
    closed = models.PositiveIntegerField(default=0)  # closed that day (whenever filed)
    filed = models.PositiveIntegerField(default=0)
    response_counted = models.PositiveIntegerField(default=0)
    responded_on_time = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolved_on_time = models.PositiveIntegerField(default=0)
    resolve_us = models.BigIntegerField(default=0)  # microseconds filed to resolved, summed
    at_group = models.PositiveIntegerField(default=0)
    at_village = models.PositiveIntegerField(default=0)
    at_town = models.PositiveIntegerField(default=0)
    at_city = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    ratings_satisfied = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied_first = models.PositiveIntegerField(default=0)
    satisfied_final = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "day", "path"], name="uniq_appeal_tally")
        ]

    def __str__(self) -> str:
        return f"{self.path} {self.day}: {self.filed}"


class AppealCategoryTally(models.Model):
    """Rollup: appeals filed on one local day from one town's subtree (`path` cut at
    the town depth) per top-level category. Rebuilt with `AppealTally`."""

    path = models.CharField(max_length=64)
    day = models.DateField()
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    created = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "path", "category"], name="uniq_appeal_category_tally"
            )
        ]

    def __str__(self) -> str:
        return f"{self.path} {self.day} {self.category_id}: {self.created}"


class AppealTallyDay(models.Model):
    """Whether a day's rollup rows are current: a write that changes what a day's rows
    count raises `dirty` (after its commit); a rebuild stores the `dirty` it started
    from in `built`. Current when `built == dirty`; a day without a row was never built."""

    day = models.DateField(primary_key=True)
    dirty = models.BigIntegerField(default=1)
    built = models.BigIntegerField(default=0)
    built_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.day} {self.built}/{self.dirty}"
