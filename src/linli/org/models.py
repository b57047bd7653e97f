"""The organisation: units, households and members, places, representatives,
household links (with history) and guard teams."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.crypto import BlindIndexField, EncryptedCharField
from linli.core.masking import mask_id_number, mask_phone
from linli.core.timeutil import age

# Materialised path: each level adds STEPLEN base-36 characters, so "this unit
# and everything below it" is `path LIKE 'prefix%'`, a range scan on an index.
STEPLEN = 4
# Depth of each level of the tree (the number of path steps): a city is a root.
CITY_DEPTH = 1
TOWN_DEPTH = 2  # town or subdistrict
VILLAGE_DEPTH = 3  # village or community
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def path_at(path: str, depth: int) -> str:
    """The path of the ancestor at `depth` (the path itself when it is not deeper)."""
    return path[: depth * STEPLEN]


def ancestor_paths_of(path: str) -> list[str]:
    """The paths from the root down to `path`, itself included."""
    return [path_at(path, d) for d in range(1, len(path) // STEPLEN + 1)]


def encode_step(n: int) -> str:
    if n < 1 or n >= 36**STEPLEN:
        raise ValueError("step out of range")
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = ALPHABET[r] + out
    return out.rjust(STEPLEN, "0")


class UnitKind(models.TextChoices):
    CITY = "city", _("City")  # 市 / 县级市
    TOWN = "town", _("Town")  # 乡镇
    SUBDISTRICT = "subdistrict", _("Subdistrict")  # 街道
    VILLAGE = "village", _("Village")  # 村
    COMMUNITY = "community", _("Community")  # 社区
    AREA = "area", _("Area")  # 片
    GROUP = "group", _("Group")  # 组


# Rank of each kind in the tree; a child's rank must be greater than its parent's.
KIND_RANK = {
    UnitKind.CITY: 0,
    UnitKind.TOWN: 1,
    UnitKind.SUBDISTRICT: 1,
    UnitKind.VILLAGE: 2,
    UnitKind.COMMUNITY: 2,
    UnitKind.AREA: 3,
    UnitKind.GROUP: 4,
}


class Unit(models.Model):
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    path = models.CharField(max_length=64, unique=True)
    depth = models.PositiveSmallIntegerField()
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("division code"), max_length=12, blank=True, db_index=True)
    # The unit's outline on the map: a GeoJSON geometry (Polygon or MultiPolygon, WGS 84
    # longitude/latitude), or None where nobody has drawn it (the map shows its points).
    boundary = models.JSONField(_("boundary"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def rank(self) -> int:
        return KIND_RANK[UnitKind(self.kind)]

    def subtree_q(self, field: str = "path") -> Q:
        return Q(**{f"{field}__startswith": self.path})

    def ancestor_paths(self) -> list[str]:
        return [path_at(self.path, i) for i in range(1, self.depth + 1)]

    def town_path(self) -> str:
        """The path of the town (or subdistrict) this unit lies in (its own above a town)."""
        return path_at(self.path, TOWN_DEPTH)

    def village_path(self) -> str:
        """The path of the village (or community) this unit lies in (its own above a village)."""
        return path_at(self.path, VILLAGE_DEPTH)

    def is_within(self, other: Unit) -> bool:
        return self.path.startswith(other.path)


class HouseholdTag(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("Elderly living alone")  # 独居老人
    LOW_INCOME = "low_income", _("Minimum living allowance")  # 低保
    DISABLED = "disabled", _("Disabled")  # 残疾
    VETERAN = "veteran", _("Veteran")  # 退役军人
    LEFT_BEHIND_CHILD = "left_behind_child", _("Left-behind child")  # 留守儿童
    POVERTY_MONITORED = "poverty_monitored", _("Poverty monitoring")  # 防返贫监测


class Household(models.Model):
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="households", verbose_name=_("unit")
    )
    head_name = models.CharField(_("head of household"), max_length=50)
    address = models.CharField(_("address"), max_length=200)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # Pinyin initials of the head's name, for search on a phone keyboard ("wjg" finds 王建国).
    search_key = models.CharField(max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["unit_id", "id"]

    def __str__(self) -> str:
        return f"{self.head_name} · {self.address}"

    def tag_labels(self) -> list[str]:
        return [str(HouseholdTag(t).label) for t in self.tags if t in HouseholdTag.values]


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    OTHER = "other", _("Other")


class Member(models.Model):
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="members", verbose_name=_("household")
    )
    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    relation = models.CharField(
        _("relation to head"), max_length=20, choices=Relation.choices, default=Relation.OTHER
    )
    # Encrypted at rest; looked up and kept unique through the keyed hashes
    # (`core.crypto`): filter on `id_number_hash=blind_index(...)`, never on the value.
    id_number = EncryptedCharField(_("ID card number"), max_length=18, blank=True)
    id_number_hash = BlindIndexField("id_number")
    phone = EncryptedCharField(_("mobile number"), max_length=20, blank=True)
    phone_hash = BlindIndexField("phone")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        ordering = ["household_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~Q(id_number_hash=""),
                name="uniq_member_id_number_hash",
            ),
        ]
        indexes = [
            # Appeals find a reporting resident's household by their mobile.
            models.Index(
                fields=["phone_hash"], condition=~Q(phone_hash=""), name="member_phone_hash"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def age(self) -> int | None:
        """Age in whole years; shown instead of the birth date, which would unmask the ID number."""
        return age(self.birth_date)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class PlaceKind(models.TextChoices):
    BUILDING = "building", _("Building")  # 楼宇
    SCHOOL = "school", _("School")  # 学校
    HOSPITAL = "hospital", _("Hospital")  # 医院
    ENTERPRISE = "enterprise", _("Enterprise")  # 企业
    OTHER = "other", _("Other")


class Place(models.Model):
    """A building, school, hospital or enterprise placed in the grid."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="places", verbose_name=_("unit")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PlaceKind.choices)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # The representative who covers this place; null = not yet covered.
    representative = models.ForeignKey(
        "Representative",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="places",
        verbose_name=_("responsible representative"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["unit_id", "id"]

    def __str__(self) -> str:
        return self.name


class Representative(models.Model):
    """A resident elected to serve the households of a group (村(居)民代表)."""

    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        related_name="representative_terms",
        verbose_name=_("resident"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="representatives", verbose_name=_("unit")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="representative",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=50)
    term_start = models.DateField(_("term start"))
    term_end = models.DateField(_("term end"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("representative")
        verbose_name_plural = _("representatives")
        ordering = ["unit_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(term_end__isnull=True),
                name="uniq_active_representative_member",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_active_on(self, day: dt.date) -> bool:
        return self.term_start <= day and (self.term_end is None or self.term_end > day)


class HouseholdLink(models.Model):
    """A representative serves a household from valid_from until valid_to (exclusive).

    Rows are never deleted: a move ends one link and starts another, so the
    history answers "who served this household on that date".
    """

    representative = models.ForeignKey(
        Representative,
        on_delete=models.PROTECT,
        related_name="links",
        verbose_name=_("representative"),
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="links", verbose_name=_("household")
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # Set when the change left a representative outside 5-15 households.
    out_of_range = models.BooleanField(_("outside 5-15"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("household link")
        verbose_name_plural = _("household links")
        ordering = ["household_id", "valid_from", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(valid_to__isnull=True),
                name="uniq_active_link_per_household",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="link_valid_range",
            ),
        ]
        indexes = [
            models.Index(fields=["representative", "valid_to"]),
            models.Index(fields=["household", "valid_from"]),
        ]

    def __str__(self) -> str:
        return f"{self.representative} → {self.household}"

    # The object forms of `org.selectors.current_link_q` and `link_on_q`.
    @property
    def is_current(self) -> bool:
        """Is the link in force now (not ended)?"""
        return self.valid_to is None

    def in_force_on(self, day: dt.date) -> bool:
        """Did the representative serve the household on `day` through this link?"""
        return self.valid_from <= day and (self.valid_to is None or self.valid_to > day)


class MemberKind(models.TextChoices):
    PARTY_REP = "party_rep", _("Party congress representative")  # 党代表
    NPC_DEPUTY = "npc_deputy", _("People's congress deputy")  # 人大代表
    CPPCC_MEMBER = "cppcc_member", _("CPPCC member")  # 政协委员
    WOMEN_REP = "women_rep", _("Women's representative")  # 妇女代表
    ENTREPRENEUR = "entrepreneur", _("Local entrepreneur")  # 致富带头人
    VOLUNTEER = "volunteer", _("Volunteer")  # 志愿者


class GuardTeam(models.Model):
    """邻里守心团: a team built around representatives."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="guard_teams", verbose_name=_("unit")
    )
    name = models.CharField(_("name"), max_length=100)
    representatives = models.ManyToManyField(
        Representative, related_name="guard_teams", blank=True, verbose_name=_("representatives")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("guard team")
        verbose_name_plural = _("guard teams")
        ordering = ["unit_id", "id"]

    def __str__(self) -> str:
        return self.name


class GuardTeamMember(models.Model):
    team = models.ForeignKey(
        GuardTeam, on_delete=models.CASCADE, related_name="members", verbose_name=_("guard team")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MemberKind.choices)
    name = models.CharField(_("name"), max_length=50)
    # Encrypted at rest; never looked up by value, so it has no hash.
    phone = EncryptedCharField(_("mobile number"), max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("guard team member")
        verbose_name_plural = _("guard team members")
        ordering = ["team_id", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class Department(models.Model):
    """A functional department of the city (职能部门: 住建局, 水务局 ...).

    Appeals are referred to a department; its handlers are users holding the
    `department` role whose assignment points at this department.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
