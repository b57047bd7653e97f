"""Users (log in with a mobile number), their roles at units, API tokens, audit log."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.crypto import BlindIndexField, EncryptedCharField, blind_index
from linli.core.errors import InvalidInput
from linli.core.masking import mask_phone
from linli.core.validators import normalize_mobile


def login_phone(value: str) -> str:
    """A login as stored and looked up: the 11 digits of a mobile number, or what was
    typed (stripped) when it is not one (an old superuser's login)."""
    typed = (value or "").strip()
    try:
        return normalize_mobile(typed)
    except InvalidInput:
        return typed


def phone_index(value: str) -> str:
    """The blind index `User.phone_hash` holds for the login `value`."""
    return blind_index(login_phone(value))


class UserManager(BaseUserManager["User"]):
    """Accounts are found by their mobile number through its keyed hash
    (`User.phone_hash`): the number itself is stored encrypted."""

    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        # ModelBackend.authenticate and createsuperuser find an account here.
        return self.get(phone_hash=phone_index(username or ""))

    async def aget_by_natural_key(self, username: str | None) -> User:
        return await self.aget(phone_hash=phone_index(username or ""))

    def create_user(self, phone: str, password: str | None = None, **extra: Any) -> User:
        phone = login_phone(phone)
        if not phone:
            raise ValueError("phone is required")
        if self.filter(phone_hash=blind_index(phone)).exists():
            # Uniqueness is the hash column's (the encrypted one cannot have it); a
            # ValidationError is what `createsuperuser` reports as a plain error.
            raise ValidationError(_("An account with this mobile number already exists."))
        user = self.model(phone=phone, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    # The login, encrypted at rest (core.crypto); unique and looked up through its keyed
    # hash only (`accounts.selectors.user_by_phone`, `UserManager.get_by_natural_key`).
    # The encrypted column itself cannot be unique, hence auth.E003 is silenced.
    phone = EncryptedCharField(_("mobile number"), max_length=20)
    phone_hash = BlindIndexField("phone", unique=True)
    name = models.CharField(_("name"), max_length=50)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff (may use the admin site)"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        # Masked: the text of a user shows in admin lists, pickers and logs.
        return f"{self.name} ({mask_phone(self.phone)})"

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")  # accounts, roles, org tree, configuration
    CITY = "city", _("City command centre")  # city-wide view and dispatch
    TOWN = "town", _("Town / subdistrict staff")
    VILLAGE = "village", _("Village / community cadre")
    AREA_LEADER = "area_leader", _("Area leader")  # 片长
    GROUP_LEADER = "group_leader", _("Group leader")  # 组长
    REPRESENTATIVE = "representative", _("Representative")  # 村(居)民代表
    DEPARTMENT = "department", _("Department handler")  # 职能部门


class RoleAssignment(models.Model):
    """A user holds a role at a unit; scope is that unit and its subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        "org.Unit",
        on_delete=models.PROTECT,
        related_name="role_assignments",
        verbose_name=_("unit"),
    )
    # Set for the department role only: the department whose appeals the user handles.
    department = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
        verbose_name=_("department"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "unit"], name="uniq_role_assignment"),
            models.CheckConstraint(
                condition=Q(role="department") | Q(department__isnull=True),
                name="role_department_only_for_handlers",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class TokenScope(models.TextChoices):
    """What an API token may do: `read` calls GET (and HEAD, OPTIONS) only."""

    READ = "read", _("Read")
    WRITE = "write", _("Write")


def default_token_scopes() -> list[str]:
    return [TokenScope.READ.value, TokenScope.WRITE.value]


class ApiToken(models.Model):
    """A bearer token for the API; only its hash is stored.

    Every token expires (`expires_at`), may be limited to reading (`scopes`), and can
    be revoked by its owner (`revoked_at`); `accounts.services.token_authenticate`
    refuses expired and revoked ones.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    scopes = models.JSONField(_("scopes"), default=default_token_scopes)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def can_write(self) -> bool:
        return TokenScope.WRITE.value in (self.scopes or [])

    def is_live(self, now: Any = None) -> bool:
        """Not revoked and not expired."""
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class AuditAction(StrEnum):
    """Every action the audit log records. `audit_record` refuses anything else, so a
    new write must add its action here (and a reader can rely on the full list)."""

    # accounts
    USER_CREATE = "user.create"
    USER_UPDATE = "user.update"
    USER_PHONE_REVEAL = "user.phone_reveal"  # an account's mobile in clear (the admin)
    ROLE_ASSIGN = "role.assign"
    ROLE_REVOKE = "role.revoke"
    TOKEN_CREATE = "token.create"
    TOKEN_REVOKE = "token.revoke"
    # accounts: two-factor authentication
    OTP_ENROL = "otp.enrol"
    OTP_DISABLE = "otp.disable"
    OTP_RESET = "otp.reset"
    OTP_RECOVERY_USE = "otp.recovery_use"
    OTP_RECOVERY_REGENERATE = "otp.recovery_regenerate"
    LOGIN_LOCKOUT = "login.lockout"
    LOGIN_CODE = "login.code"  # logged in with a one-time SMS code
    LOGIN_PASSWORD = "login.password"  # logged in with the password (page or admin)
    PASSWORD_SET = "user.password_set"  # set their own password after a code login
    # org: units, people, places, representatives, links, teams
    UNIT_CREATE = "unit.create"
    UNIT_UPDATE = "unit.update"
    UNIT_MOVE = "unit.move"
    HOUSEHOLD_CREATE = "household.create"
    HOUSEHOLD_UPDATE = "household.update"
    MEMBER_CREATE = "member.create"
    MEMBER_REVEAL = "member.reveal"
    PLACE_CREATE = "place.create"
    PLACE_ASSIGN = "place.assign"
    REPRESENTATIVE_APPOINT = "representative.appoint"
    REPRESENTATIVE_END_TERM = "representative.end_term"
    REPRESENTATIVE_ACCOUNT = "representative.account"  # account created or linked
    REPRESENTATIVE_PHONE = "representative.phone"  # mobile changed (and the account's)
    LINK_CREATE = "link.create"
    LINK_MOVE = "link.move"
    LINK_END = "link.end"
    TEAM_CREATE = "team.create"
    TEAM_MEMBER_ADD = "team.member_add"
    DEPARTMENT_CREATE = "department.create"
    DEPARTMENT_UPDATE = "department.update"
    # org: bulk import and export, demo data
    IMPORT_UNITS = "import.units"
    IMPORT_HOUSEHOLDS = "import.households"
    IMPORT_MEMBERS = "import.members"
    IMPORT_REPRESENTATIVES = "import.representatives"
    IMPORT_LINKS = "import.links"
    IMPORT_PLACES = "import.places"
    IMPORT_TEAMS = "import.teams"
    EXPORT_UNITS = "export.units"
    EXPORT_HOUSEHOLDS = "export.households"
    EXPORT_MEMBERS = "export.members"
    EXPORT_REPRESENTATIVES = "export.representatives"
    EXPORT_LINKS = "export.links"
    EXPORT_PLACES = "export.places"
    EXPORT_TEAMS = "export.teams"
    DEMO_DATA_SMALL = "demo_data.small"
    DEMO_DATA_COUNTY = "demo_data.county"
    # notify
    OUTBOX_RETRY = "outbox.retry"
    # appeals
    APPEAL_FILE = "appeal.file"
    APPEAL_SUSPEND = "appeal.suspend"
    APPEAL_RESUME = "appeal.resume"
    APPEAL_REOPEN = "appeal.reopen"
    APPEAL_MERGE = "appeal.merge"
    APPEAL_REASSIGN = "appeal.reassign"  # a superior named the handler (指派)
    DASHBOARD_REPORT = "dashboard.report"  # a unit's report generated on demand
    APPEAL_REPORTER_REVEAL = "appeal.reporter_reveal"  # the reporter's mobile in clear
    EXPORT_APPEALS = "export.appeals"
    # duties
    DUTIES_CONTACTLOG_CORRECT = "duties.contactlog.correct"
    DUTIES_HOMEVISIT_CORRECT = "duties.homevisit.correct"
    DUTIES_DELIBERATION_CORRECT = "duties.deliberation.correct"
    DUTIES_ANNUALREPORT_CORRECT = "duties.annualreport.correct"
    EXPORT_DUTIES = "export.duties"
    # charter (the responsibility and rights list)
    CHARTER_DRAFT_CREATE = "charter.draft_create"
    CHARTER_DRAFT_UPDATE = "charter.draft_update"
    CHARTER_ENTRY_ADD = "charter.entry_add"
    CHARTER_ENTRY_UPDATE = "charter.entry_update"
    CHARTER_ENTRY_DELETE = "charter.entry_delete"
    CHARTER_PUBLISH = "charter.publish"
    EXPORT_CHARTER = "export.charter"
    # conduct: the negative list and breach records
    CONDUCT_ENTRY_CREATE = "conduct.entry.create"
    CONDUCT_ENTRY_UPDATE = "conduct.entry.update"
    CONDUCT_BREACH_REPORT = "conduct.breach.report"
    CONDUCT_BREACH_EVIDENCE = "conduct.breach.evidence"
    CONDUCT_BREACH_STATEMENT = "conduct.breach.statement"
    CONDUCT_BREACH_CONFIRM = "conduct.breach.confirm"
    CONDUCT_BREACH_DISMISS = "conduct.breach.dismiss"
    CONDUCT_BREACH_WITHDRAW = "conduct.breach.withdraw"
    EXPORT_CONDUCT_ENTRIES = "export.conduct_entries"
    EXPORT_CONDUCT_BREACHES = "export.conduct_breaches"
    # activities: service days, activities, sign-ups
    SERVICE_DAY_SET = "activities.service_day_set"
    ACTIVITY_CREATE = "activities.create"
    ACTIVITY_UPDATE = "activities.update"
    ACTIVITY_CANCEL = "activities.cancel"
    ACTIVITY_SIGNUP = "activities.signup"
    ACTIVITY_SIGNUP_CANCEL = "activities.signup_cancel"
    ACTIVITY_ATTENDANCE = "activities.attendance"
    ACTIVITY_PHOTOS = "activities.photos"
    ACTIVITY_HOLD = "activities.hold"
    EXPORT_ACTIVITIES = "export.activities"
    # notices
    NOTICE_PUBLISH = "notice.publish"
    NOTICE_WITHDRAW = "notice.withdraw"
    NOTICE_DELIVER = "notice.deliver"
    EXPORT_NOTICES = "export.notices"
    # deliberation (the deliberation list, 议事清单). No action name holds the target
    # type of its rows ("deliberation.item"), which the audit page shows beside it.
    DELIBERATION_MATTER_CREATE = "deliberation.add_matter"
    DELIBERATION_MATTER_RETIRE = "deliberation.retire_matter"
    DELIBERATION_RULE_SET = "deliberation.set_rule"
    DELIBERATION_ITEM_PROPOSE = "deliberation.propose"
    DELIBERATION_ITEM_SCHEDULE = "deliberation.schedule"
    DELIBERATION_ITEM_DISCUSS = "deliberation.discuss"
    DELIBERATION_ITEM_VOTE = "deliberation.vote"
    DELIBERATION_ITEM_DECIDE = "deliberation.decide"
    DELIBERATION_ITEM_PROGRESS = "deliberation.progress"
    DELIBERATION_ITEM_COMPLETE = "deliberation.complete"
    DELIBERATION_ITEM_PUBLISH = "deliberation.publish"
    DELIBERATION_ITEM_WITHDRAW = "deliberation.withdraw"
    DELIBERATION_COMMENT_HIDE = "deliberation.hide_comment"
    DELIBERATION_SKIPPED_RECORD = "deliberation.record_breach"
    EXPORT_DELIBERATION = "export.deliberation"
    # doorbell: the care register, pairing, devices, alarms
    DOORBELL_CARE_REGISTER = "doorbell.care.register"
    DOORBELL_CARE_UPDATE = "doorbell.care.update"
    DOORBELL_CARE_END = "doorbell.care.end"
    DOORBELL_HEALTH_VIEW = "doorbell.care.health_view"
    DOORBELL_CONTACTS_SET = "doorbell.care.contacts"
    DOORBELL_PAIR = "doorbell.pair"
    DOORBELL_PAIR_END = "doorbell.pair.end"
    DOORBELL_SETTINGS = "doorbell.settings"
    DOORBELL_DEVICE_REGISTER = "doorbell.device.register"
    DOORBELL_DEVICE_BIND = "doorbell.device.bind"
    DOORBELL_DEVICE_RETIRE = "doorbell.device.retire"
    DOORBELL_DEVICE_SECRET = "doorbell.device.new_secret"
    DOORBELL_DEVICE_SEQ_RESET = "doorbell.device.seq_reset"
    DOORBELL_TASK_RESOLVE = "doorbell.task.resolve"
    DOORBELL_ALARM_RAISE = "doorbell.alarm.raise"
    DOORBELL_ALARM_ACK = "doorbell.alarm.acknowledge"
    DOORBELL_ALARM_ARRIVE = "doorbell.alarm.arrive"
    DOORBELL_ALARM_CLOSE = "doorbell.alarm.close"
    DOORBELL_ALARM_APPEAL = "doorbell.alarm.appeal"
    DOORBELL_CONTACT_CALL = "doorbell.alarm.contact_call"  # an emergency contact's mobile
    DOORBELL_CARE_CONTACT_CALL = "doorbell.care.contact_call"  # the same, from the care page
    EXPORT_DOORBELL = "export.doorbell"
    # funds: the service fund's rules, allocations and ledger
    FUND_RULE_SET = "funds.rule.set"
    FUND_ALLOCATIONS_OPEN = "funds.allocations.open"
    FUND_SPEND = "funds.spend"
    FUND_APPROVE = "funds.approve"
    FUND_REFUSE = "funds.refuse"
    FUND_REVERSE = "funds.reverse"
    # evaluation
    EVALUATION_WEIGHTS_SET = "evaluation.weights.set"
    EVALUATION_RECOMPUTE = "evaluation.recompute"
    EXPORT_EVALUATION = "export.evaluation"
    EXPORT_FUNDS = "export.funds"
    # training: representative training plans, sessions, enrolment and attendance
    TRAINING_PLAN_CREATE = "training.plan.create"
    TRAINING_SESSION_CREATE = "training.session.create"
    TRAINING_SESSION_CANCEL = "training.session.cancel"
    TRAINING_ENROL = "training.enrol"
    TRAINING_WITHDRAW = "training.withdraw"
    TRAINING_ATTENDANCE = "training.attendance"
    EXPORT_TRAINING = "export.training"
    # honours: the hundred best, their benefits and the reserve pool
    HONOURS_SELECTION_OPEN = "honours.selection.open"
    HONOURS_QUOTA_SET = "honours.quota.set"
    HONOURS_STAGE = "honours.stage"
    HONOURS_NOMINATE = "honours.nominate"
    HONOURS_CITATION = "honours.citation"
    HONOURS_TOWN_DECIDE = "honours.town.decide"
    HONOURS_TOWN_SUBMIT = "honours.town.submit"
    HONOURS_CITY_DECIDE = "honours.city.decide"
    HONOURS_WITHDRAW = "honours.withdraw"
    HONOURS_OBJECTION_DECIDE = "honours.objection.decide"
    HONOURS_BENEFIT_KIND = "honours.benefit_kind.set"
    HONOURS_BENEFIT_ISSUE = "honours.benefit.issue"
    HONOURS_BENEFIT_REVOKE = "honours.benefit.revoke"
    HONOURS_RESERVE_RULE = "honours.reserve.rule"
    HONOURS_RESERVE_PROPOSE = "honours.reserve.propose"
    HONOURS_RESERVE_DECIDE = "honours.reserve.decide"
    EXPORT_HONOURS_BENEFITS = "export.honours_benefits"
    EXPORT_HONOURS_RESERVE = "export.honours_reserve"
    # the audit log itself
    AUDIT_EXPORT = "audit.export"
    AUDIT_PURGE = "audit.purge"


class AuditLog(models.Model):
    """Append-only: every write and every view of unmasked personal data.

    Tamper-evident (`accounts.audit`): each entry carries its place in the chain
    (`seq`, from 1, without gaps) and `hash`, a keyed hash of its content and the
    previous entry's hash (`prev_hash`). `python -m linli audit_verify` finds an entry
    changed, deleted or inserted.
    """

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True, null=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=50, db_index=True)
    target_type = models.CharField(_("target type"), max_length=50)
    target_id = models.CharField(_("target id"), max_length=50, blank=True)
    ip = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        # Reading the log is the auditor's right, apart from the administrators'
        # (等保 "三员分立": system, security and audit administrators are separate).
        permissions = [("export_auditlog", "Can export the audit log")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target_type}#{self.target_id}"


class AuditChainHead(models.Model):
    """One row: the last entry of the audit chain (its `seq` and `hash`).

    Appending locks this row, so concurrent writers chain one after another; it also
    lets `audit_verify` notice entries cut from the end of the log. `purged_seq` and
    `purged_hash` anchor the chain after old entries were purged (kept >= 180 days).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)
    purged_seq = models.PositiveBigIntegerField(default=0)
    purged_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class LoginCode(models.Model):
    """A one-time code for logging in by SMS; only its keyed hash is stored.

    One live code per phone: asking again spends the previous one. A code lives
    `LOGIN_CODE_TTL` seconds and allows `LOGIN_CODE_ATTEMPTS` wrong guesses.
    """

    # Only the keyed hash of the number (core.crypto.blind_index), as for residents'
    # codes (appeals.PhoneCode): the number is typed again to try a code.
    phone_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("login code")
        verbose_name_plural = _("login codes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.phone_hash[:8]}… {self.created_at:%Y-%m-%d %H:%M}"
