"""Deterministic demo data: a small county for `make demo`, a whole county for benchmarks.

Both modes go through one generator. It writes rows in bulk (PostgreSQL COPY, or
bulk_create on SQLite) with ids, materialised paths and pinyin search keys it
computes itself, so a county of 420,000 households builds in minutes. Nothing
here goes through the services: there is no per-row audit, only one audit row
for the whole run. Only the demo accounts get users (one password hash for all).

Everything random comes from `random.Random(seed)`, so the same seed gives the
same units, names, ID numbers and links. Dates are relative to today (ages,
term start, link moves earlier this year).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import time
import unicodedata
from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max, Min
from django.db.models.functions import Substr
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum.cn import ric

from linli.accounts import twofactor
from linli.accounts.models import AuditAction, Role, RoleAssignment, User, phone_index
from linli.accounts.selectors import users_by_phones
from linli.accounts.services import audit_record, auditors_group
from linli.core.crypto import blind_index, blind_index_fields, encrypt, encrypted_fields
from linli.core.timeutil import today

from .models import (
    STEPLEN,
    Department,
    GuardTeam,
    GuardTeamMember,
    Household,
    HouseholdLink,
    Member,
    MemberKind,
    Place,
    PlaceKind,
    Relation,
    Representative,
    Unit,
    UnitKind,
    encode_step,
)
from .services import pinyin_key

DEFAULT_SEED = 430181
DEMO_PASSWORD = "linli-demo-2026"
# The demo accounts whose role requires two-factor (superuser, administrator, command
# centre, town staff) share this authenticator key (base32), printed with the accounts:
# add it to any authenticator app, or run `python -m linli demo_otp` for the current code.
# A demo installation only; a real account enrols its own key.
DEMO_OTP_SECRET = "LINLIDEMOTOTPSECRETKEYFORDEMOUSE"
REGION = "430181"  # 浏阳市
CITY_NAME = "浏阳市"
CITY_CODE = "430181000000"

# County proportions (mission: ~32 towns, ~350 villages, ~420,000 households,
# ~36,000 representatives, ~12,000 guard teams).
COUNTY_TOWNS = 32
COUNTY_VILLAGES = 350
COUNTY_HOUSEHOLDS = 420_000
HOUSEHOLDS_PER_GROUP = 50
HOUSEHOLDS_PER_AREA = 320
HOUSEHOLDS_PER_REP = 11.3  # 420,000 x 97% / 36,000
REPS_PER_TEAM = 3


# --- demo accounts -------------------------------------------------------------------

AUDITOR = "auditor"


@dataclass(frozen=True)
class DemoAccount:
    key: str  # a Role value, "superuser", or "auditor" (reads the audit log, no role)
    label: str  # the role in Chinese
    phone: str
    name: str
    unit: tuple[str, ...]  # unit names from the city down; () for the superuser
    department: str = ""


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("superuser", "超级管理员", "13800000000", "系统管理员", ()),
    DemoAccount(Role.ADMIN, "管理员", "13800000001", "汤志明", (CITY_NAME,)),
    DemoAccount(Role.CITY, "市级指挥调度", "13800000002", "黎建华", (CITY_NAME,)),
    DemoAccount(Role.TOWN, "乡镇(街道)干部", "13800000003", "罗海燕", (CITY_NAME, "大瑶镇")),
    DemoAccount(
        Role.VILLAGE, "村(社区)两委干部", "13800000004", "李国平", (CITY_NAME, "大瑶镇", "李畋村")
    ),
    DemoAccount(
        Role.AREA_LEADER, "片长", "13800000005", "李春林", (CITY_NAME, "大瑶镇", "李畋村", "一片")
    ),
    DemoAccount(
        Role.GROUP_LEADER,
        "组长",
        "13800000006",
        "李德贵",
        (CITY_NAME, "大瑶镇", "李畋村", "一片", "一组"),
    ),
    DemoAccount(
        Role.REPRESENTATIVE,
        "村(居)民代表",
        "13800000007",
        "辜大祥",
        (CITY_NAME, "大瑶镇", "李畋村", "一片", "一组"),
    ),
    DemoAccount(
        Role.DEPARTMENT, "职能部门(住建局)", "13800000008", "宋立新", (CITY_NAME,), "住建局"
    ),
    # The audit administrator (审计管理员): reads and exports the audit log, nothing else.
    DemoAccount(AUDITOR, "审计员", "13800000009", "周敏", ()),
)
DEMO_PHONES = tuple(a.phone for a in DEMO_ACCOUNTS)

# --- names -------------------------------------------------------------------------------

# Surnames with rough weights for Hunan (and Liuyang's 刘, 李, 罗, 黎, 汤, 寻, 辜...).
SURNAMES = (
    ("刘", 8.0), ("李", 7.5), ("陈", 6.0), ("王", 5.0), ("张", 4.5), ("黄", 3.5), ("罗", 3.2),
    ("周", 3.0), ("彭", 2.5), ("杨", 2.5), ("胡", 2.2), ("唐", 2.2), ("邓", 2.0), ("易", 1.8),
    ("谭", 1.8), ("曾", 1.8), ("谢", 1.6), ("汤", 1.6), ("肖", 1.5), ("吴", 1.5), ("黎", 1.4),
    ("鲁", 1.2), ("宋", 1.2), ("赵", 1.2), ("朱", 1.2), ("何", 1.2), ("徐", 1.0), ("袁", 0.9),
    ("廖", 0.9), ("蒋", 0.9), ("寻", 0.8), ("孙", 0.8), ("高", 0.8), ("林", 0.8), ("郭", 0.8),
    ("贺", 0.8), ("钟", 0.7), ("叶", 0.7), ("马", 0.6), ("梁", 0.6), ("邱", 0.6), ("熊", 0.6),
    ("邹", 0.6), ("余", 0.6), ("方", 0.5), ("龙", 0.5), ("石", 0.5), ("戴", 0.5), ("夏", 0.5),
    ("潘", 0.5), ("文", 0.5), ("宁", 0.5), ("姚", 0.5), ("苏", 0.5), ("卢", 0.5), ("沈", 0.4),
    ("丁", 0.4), ("任", 0.4), ("傅", 0.4), ("杜", 0.4), ("范", 0.4), ("姜", 0.4), ("伍", 0.4),
    ("颜", 0.4), ("尹", 0.4), ("柳", 0.4), ("欧阳", 0.4), ("辜", 0.3), ("康", 0.3), ("邵", 0.3),
    ("瞿", 0.3), ("粟", 0.2), ("甘", 0.2),
)  # fmt: skip

# Given-name characters by sex and generation (born before 1970, 1970-1994, from 1995).
GIVEN = {
    ("M", 0): "建国华明德贵福祥生根松柏山林清正义忠良金发长春和平兴旺富荣光志",
    ("M", 1): "伟强军勇斌波涛杰鹏俊峰磊刚海东亮辉文武新宏斌胜利剑锋超军",
    ("M", 2): "浩轩博泽睿晨宇子一航然逸霖铭皓天佑昊阳翔嘉豪哲瑞乐俊熙",
    ("F", 0): "秀英兰芳桂香玉珍梅莲凤菊花翠娥淑贞金春满冬秋云仙玉",
    ("F", 1): "丽霞敏静燕娟艳萍琴红芳玲慧婷华颖丹蓉莉洁春晓雯",
    ("F", 2): "梓涵欣怡佳思雨萱诗悦可馨琪瑶雅婧彤语晴子沫妍一诺",
}
VILLAGE_FIRST = "石新大黄金龙桥塘山田杨白高东南西北上长清双花桃竹松枫柏沙青中和永丰兴福盛富荣光明古官礼仁凤鹤云泉湖洲"
VILLAGE_SECOND = "山冲坪湾塘田桥溪江河岭洲源坡园林港口湖峰丰兴安和阳星光华联合"
NAMED_GROUPS = (
    "大屋", "新屋", "塘边", "老屋", "石桥", "枫树", "上屋", "下屋", "茶园", "竹山", "杉树", "田心",
    "坳上", "龙潭", "桥头", "井边", "松山", "月塘", "黄泥", "马鞍", "岭下", "河边", "樟树", "柏树",
    "桃园", "荷叶", "长冲", "杨家", "对门", "湾里",
)  # fmt: skip
INDUSTRIES = (
    "花炮制造", "烟花", "鞭炮", "生物科技", "农业开发", "竹木制品", "建材", "食品", "豆豉",
    "物流", "电子科技", "茶业", "蒸菜", "夏布", "油茶", "机械",
)  # fmt: skip
ESTATES = ("花园", "小区", "新村", "家园", "名苑")
MOVE_REASONS = ("就近调整联系代表", "住址变更", "代表分工调整")
TEMP_REASON = "代表出缺，临时代管"
TEAM_KINDS = (
    (MemberKind.VOLUNTEER, 40),
    (MemberKind.PARTY_REP, 15),
    (MemberKind.WOMEN_REP, 15),
    (MemberKind.ENTREPRENEUR, 15),
    (MemberKind.NPC_DEPUTY, 8),
    (MemberKind.CPPCC_MEMBER, 7),
)
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "157", "158", "159", "166", "173", "175", "176", "177", "180", "181", "182", "183",
    "185", "186", "187", "188", "189", "191", "198", "199",
)  # fmt: skip

# Liuyang's 4 subdistricts and 28 towns (codes are plausible, not official;
# 大瑶镇 and 永和镇 keep the codes the tests use).
SUBDISTRICTS = ("淮川街道", "集里街道", "荷花街道", "关口街道")
TOWNS = (
    "大瑶镇", "永和镇", "社港镇", "淳口镇", "高坪镇", "永安镇", "北盛镇", "洞阳镇", "沿溪镇",
    "古港镇", "达浒镇", "张坊镇", "小河乡", "大围山镇", "官渡镇", "沙市镇", "龙伏镇", "镇头镇",
    "普迹镇", "枨冲镇", "柏加镇", "官桥镇", "澄潭江镇", "文家市镇", "金刚镇", "中和镇", "葛家镇",
    "蕉溪镇",
)  # fmt: skip
FIXED_TOWN_CODES = {"大瑶镇": "110", "永和镇": "210"}

COMPOUND_SURNAMES = {s for s, _w in SURNAMES if len(s) > 1}
CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1..99 in Chinese numerals: 1 一, 10 十, 12 十二, 20 二十, 23 二十三."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return (CN_DIGITS[tens] if tens > 1 else "") + "十" + (CN_DIGITS[ones] if ones else "")


# --- plans: the shape of the tree ---------------------------------------------------------


@dataclass
class GroupPlan:
    name: str
    households: int


@dataclass
class AreaPlan:
    name: str
    groups: list[GroupPlan]


@dataclass
class VillagePlan:
    name: str
    kind: str  # village / community
    code: str
    areas: list[AreaPlan]


@dataclass
class TownPlan:
    name: str
    kind: str  # town / subdistrict
    code: str
    villages: list[VillagePlan]


def _split(total: int, parts: int, rng: random.Random, jitter: float = 0.3) -> list[int]:
    """Split `total` into `parts` positive sizes around the mean."""
    weights = [rng.uniform(1 - jitter, 1 + jitter) for _ in range(parts)]
    s = sum(weights)
    sizes = [max(1, int(total * w / s)) for w in weights]
    i = 0
    while sum(sizes) < total:
        sizes[i % parts] += 1
        i += 1
    while sum(sizes) > total:
        j = sizes.index(max(sizes))
        sizes[j] -= 1
    return sizes


def _areas(
    households: int,
    rng: random.Random,
    n_groups: int | None = None,
    n_areas: int | None = None,
    group_names: Sequence[str] = (),
    area_names: Sequence[str] = (),
) -> list[AreaPlan]:
    """Areas (片) of a village, each with groups (组) of about 50 households."""
    n_areas = n_areas or len(area_names) or max(1, round(households / HOUSEHOLDS_PER_AREA))
    n_groups = n_groups or max(n_areas, round(households / HOUSEHOLDS_PER_GROUP))
    sizes = _split(households, n_groups, rng)
    names = list(group_names[:n_groups])
    names += [f"{cn_number(i)}组" for i in range(len(names) + 1, n_groups + 1)]
    per_area = _split(n_groups, n_areas, rng, jitter=0.0)
    areas, g = [], 0
    for a, k in enumerate(per_area):
        name = area_names[a] if area_names else f"{cn_number(a + 1)}片"
        areas.append(AreaPlan(name, [GroupPlan(names[g + i], sizes[g + i]) for i in range(k)]))
        g += k
    return areas


def small_plan(rng: random.Random) -> list[TownPlan]:
    """大瑶镇 and 永和镇 with three villages or communities each, ~2,000 households."""
    jia = ("大屋组", "新屋组", "塘边组", "老屋组", "石桥组", "枫树组")
    return [
        TownPlan(
            "大瑶镇",
            UnitKind.TOWN,
            "430181110000",
            [
                VillagePlan("李畋村", UnitKind.VILLAGE, "430181110201", _areas(360, rng, 6, 2)),
                VillagePlan("杨花村", UnitKind.VILLAGE, "430181110202", _areas(330, rng, 6, 2)),
                VillagePlan("大瑶社区", UnitKind.COMMUNITY, "430181110001", _areas(340, rng, 6, 2)),
            ],
        ),
        TownPlan(
            "永和镇",
            UnitKind.TOWN,
            "430181210000",
            [
                VillagePlan(
                    "佳成村",
                    UnitKind.VILLAGE,
                    "430181210201",
                    _areas(330, rng, 6, 2, jia, ("上片", "下片")),
                ),
                VillagePlan("湖洞村", UnitKind.VILLAGE, "430181210202", _areas(310, rng, 6, 2)),
                VillagePlan("永和社区", UnitKind.COMMUNITY, "430181210001", _areas(330, rng, 6, 2)),
            ],
        ),
    ]


def county_plan(rng: random.Random, scale: float = 1.0) -> list[TownPlan]:
    """About 32 towns, 350 villages and 420,000 households, times `scale`.

    Households scale linearly; towns and villages with the square root of the
    scale, so a small test county keeps groups of a realistic size.
    """
    root = math.sqrt(scale)
    n_towns = min(COUNTY_TOWNS, max(2, round(COUNTY_TOWNS * root)))
    n_villages = max(n_towns, round(COUNTY_VILLAGES * root))
    total = max(n_villages * 20, round(COUNTY_HOUSEHOLDS * scale))
    # 大瑶镇 and 永和镇 always; then the subdistricts and the other towns.
    names = list(TOWNS[:2]) + list(SUBDISTRICTS) + list(TOWNS[2:])
    chosen = names[:n_towns]
    used = set(FIXED_TOWN_CODES.values())
    codes, sub_n, town_n = {}, 0, 100
    for name in chosen:
        if name in FIXED_TOWN_CODES:
            codes[name] = FIXED_TOWN_CODES[name]
        elif name in SUBDISTRICTS:
            sub_n += 1
            codes[name] = f"{sub_n:03d}"
        else:
            town_n += 1
            while f"{town_n:03d}" in used:
                town_n += 1
            codes[name] = f"{town_n:03d}"
    chosen.sort(key=lambda n: codes[n])
    per_town = _split(n_villages, n_towns, rng, jitter=0.25)
    # Village list first (for the household split), then areas.
    skeleton: list[tuple[str, str, list[tuple[str, str, str]]]] = []
    for name, nv in zip(chosen, per_town, strict=True):
        is_sub = name in SUBDISTRICTS
        villages: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        if name == "大瑶镇":
            villages.append(("李畋村", UnitKind.VILLAGE, "201"))
            seen.add("李畋")
        if name == "永和镇":
            villages.append(("佳成村", UnitKind.VILLAGE, "201"))
            seen.add("佳成")
        n_comm = nv if is_sub else max(1, nv // 8)
        c, v = 0, len(villages)  # a fixed village above is village 201
        while len(villages) < nv:
            stem = rng.choice(VILLAGE_FIRST) + rng.choice(VILLAGE_SECOND)
            if stem in seen:
                continue
            seen.add(stem)
            if c < n_comm:
                c += 1
                villages.append((f"{stem}社区", UnitKind.COMMUNITY, f"{c:03d}"))
            else:
                v += 1
                villages.append((f"{stem}村", UnitKind.VILLAGE, f"{200 + v:03d}"))
        skeleton.append((name, UnitKind.SUBDISTRICT if is_sub else UnitKind.TOWN, villages))
    weights = [
        rng.uniform(0.7, 1.3) * (1.4 if kind == UnitKind.COMMUNITY else 1.0)
        for _t, _k, vs in skeleton
        for _n, kind, _c in vs
    ]
    s = sum(weights)
    counts = iter(max(20, round(total * w / s)) for w in weights)
    plan = []
    for name, kind, villages in skeleton:
        town_code = f"{REGION}{codes[name]}"
        vplans = []
        for vname, vkind, vcode in villages:
            n = next(counts)
            groups = NAMED_GROUPS if vname == "佳成村" else ()
            groups = tuple(f"{g}组" for g in groups)
            vplans.append(
                VillagePlan(vname, vkind, town_code + vcode, _areas(n, rng, group_names=groups))
            )
        plan.append(TownPlan(name, kind, town_code + "000", vplans))
    return plan


# --- the row writer -----------------------------------------------------------------------

_Through = GuardTeam.representatives.through
# The columns the generator fills, in row-tuple order; any other column takes its default.
COLUMNS: dict[type[models.Model], tuple[str, ...]] = {
    Unit: ("id", "parent_id", "path", "depth", "kind", "name", "code", "created_at"),
    Household: (
        "id", "unit_id", "head_name", "address", "latitude", "longitude", "tags", "search_key",
        "created_at",
    ),
    Member: (
        "id", "household_id", "name", "sex", "birth_date", "relation", "id_number", "phone",
        "created_at",
    ),
    Representative: (
        "id", "member_id", "unit_id", "user_id", "name", "term_start", "term_end", "created_at",
    ),
    HouseholdLink: (
        "id", "representative_id", "household_id", "valid_from", "valid_to", "reason",
        "out_of_range", "created_by_id", "created_at",
    ),
    Place: ("id", "unit_id", "kind", "name", "address", "representative_id", "created_at"),
    GuardTeam: ("id", "unit_id", "name", "created_at"),
    _Through: ("id", "guardteam_id", "representative_id"),
    GuardTeamMember: ("id", "team_id", "kind", "name", "phone", "created_at"),
}  # fmt: skip

FLUSH_ORDER: list[type[models.Model]] = [
    Unit,
    Household,
    Member,
    Representative,
    HouseholdLink,
    Place,
    GuardTeam,
    _Through,
    GuardTeamMember,
]


class RowWriter:
    """Buffers rows (tuples in concrete-field order) and writes them in bulk.

    On PostgreSQL it streams them with COPY; elsewhere it uses bulk_create.
    Ids are assigned here, so parents and children can be written together.
    """

    def __init__(self, flush_every: int = 200_000, suspend_foreign_keys: bool = False):
        self.copy = connection.vendor == "postgresql"
        self._dropped: list[tuple[str, str, str]] = []
        self.flush_every = flush_every
        self.fields = {m: COLUMNS[m] for m in FLUSH_ORDER}
        self.columns = {
            m: [m._meta.get_field(a.removesuffix("_id")).column for a in COLUMNS[m]]
            for m in FLUSH_ORDER
        }
        self.json_cols = {
            m: [
                i
                for i, a in enumerate(COLUMNS[m])
                if isinstance(m._meta.get_field(a.removesuffix("_id")), models.JSONField)
            ]
            for m in FLUSH_ORDER
        }
        # COPY writes the tuples as they are, so the encrypted columns (ID numbers,
        # mobiles) are encrypted here and their keyed hashes appended (`core.crypto`).
        self.encrypted = {
            m: [i for i, a in enumerate(COLUMNS[m]) if a in {f.name for f in encrypted_fields(m)}]
            for m in FLUSH_ORDER
        }
        self.hashed = {
            m: [(COLUMNS[m].index(f.source), f.column) for f in blind_index_fields(m)]
            for m in FLUSH_ORDER
        }
        for m in FLUSH_ORDER:
            self.columns[m] += [column for _i, column in self.hashed[m]]
        self.rows: dict[type[models.Model], list[tuple]] = {m: [] for m in FLUSH_ORDER}
        self.next_id = {m: (m.objects.aggregate(n=Max("id"))["n"] or 0) + 1 for m in FLUSH_ORDER}
        self.counts = {m: 0 for m in FLUSH_ORDER}
        self.pending = 0
        if self.copy and suspend_foreign_keys:
            self._drop_foreign_keys()

    def _drop_foreign_keys(self) -> None:
        """Drop the loaded tables' foreign keys; `finish` adds them back (and so checks them).

        PostgreSQL's advice for bulk loads: one validating join per constraint
        at the end is much cheaper than a deferred check per row at COMMIT.
        Everything runs in the build's transaction, so a failure restores them.
        """
        qn = connection.ops.quote_name
        tables = [m._meta.db_table for m in FLUSH_ORDER]
        with connection.cursor() as cur:
            cur.execute(
                "SELECT c.relname, con.conname, pg_get_constraintdef(con.oid) "
                "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
                "WHERE con.contype = 'f' AND c.relname = ANY(%s) "
                "AND pg_table_is_visible(c.oid) ORDER BY 1, 2",
                [tables],
            )
            self._dropped = list(cur.fetchall())
            for table, name, _definition in self._dropped:
                cur.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")

    def _restore_foreign_keys(self) -> None:
        qn = connection.ops.quote_name
        with connection.cursor() as cur:
            if self._dropped:  # statistics first, so each check is planned as a hash join
                for model in FLUSH_ORDER:
                    cur.execute(f"ANALYZE {qn(model._meta.db_table)}")
            for table, name, definition in self._dropped:
                cur.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
        self._dropped = []

    def new_id(self, model) -> int:
        n = self.next_id[model]
        self.next_id[model] = n + 1
        return n

    def add(self, model, row: tuple) -> None:
        self.rows[model].append(row)
        self.pending += 1

    def maybe_flush(self) -> None:
        if self.pending >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        for model in FLUSH_ORDER:
            rows = self.rows[model]
            if not rows:
                continue
            if self.copy:
                self._copy(model, rows)
            else:
                names = self.fields[model]
                model.objects.bulk_create(
                    [model(**dict(zip(names, r, strict=True))) for r in rows], batch_size=2000
                )
            self.counts[model] += len(rows)
            self.rows[model] = []
        self.pending = 0

    def _copy(self, model, rows: list[tuple]) -> None:
        qn = connection.ops.quote_name
        cols = ", ".join(qn(c) for c in self.columns[model])
        sql = f"COPY {qn(model._meta.db_table)} ({cols}) FROM STDIN"
        json_cols = self.json_cols[model]
        encrypted, hashed = self.encrypted[model], self.hashed[model]
        if encrypted or hashed:
            rows = [self._protect(r, encrypted, hashed) for r in rows]
        connection.ensure_connection()
        with connection.connection.cursor() as cur, cur.copy(sql) as copy:
            if json_cols:
                for r in rows:
                    r = list(r)
                    for i in json_cols:
                        r[i] = json.dumps(r[i], ensure_ascii=False)
                    copy.write_row(r)
            else:
                for r in rows:
                    copy.write_row(r)

    @staticmethod
    def _protect(row: tuple, encrypted: list[int], hashed: list[tuple[int, str]]) -> tuple:
        out = list(row)
        for i in encrypted:
            out[i] = encrypt(row[i] or "")
        out += [blind_index(row[i] or "") for i, _column in hashed]
        return tuple(out)

    def finish(self) -> None:
        self.flush()
        self._restore_foreign_keys()
        with connection.cursor() as cur:
            for sql in connection.ops.sequence_reset_sql(no_style(), FLUSH_ORDER):
                cur.execute(sql)


# --- the generator --------------------------------------------------------------------------


@dataclass
class Options:
    uncovered_rate: float = 0.03  # households with no representative (~97% covered)
    move_rate: float = 0.04  # households that changed representative earlier this year
    exception_rate: float = 0.005  # groups with one representative at 3 and one at 17
    unassigned_place_rate: float = 0.05
    exception_groups: tuple[tuple[str, str], ...] = ()  # (village, group) forced exceptions


@dataclass
class Result:
    mode: str
    seed: int
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Person:
    id: int
    name: str
    sex: str
    age: int


class Generator:
    def __init__(self, seed: int, options: Options, writer: RowWriter):
        self.rng = random.Random(seed)
        self.opt = options
        self.w = writer
        self.now = timezone.now()
        self.today = today()
        self.term_start = dt.date(self.today.year - 1, 1, 1)
        year_start = dt.date(self.today.year, 1, 1)
        if (self.today - year_start).days < 2:
            year_start = dt.date(self.today.year - 1, 6, 1)
        self.move_window = (year_start.toordinal() + 1, self.today.toordinal() - 1)
        self._surnames = [s for s, _w in SURNAMES]
        self._surname_cum = list(accumulate(w for _s, w in SURNAMES))
        kinds = [k for k, _w in TEAM_KINDS]
        self._team_kinds = (kinds, list(accumulate(w for _k, w in TEAM_KINDS)))
        self._id_seq: dict[tuple[int, str], int] = {}
        self._pinyin: dict[str, str] = {}
        self.unit_ids: dict[tuple[str, ...], int] = {}  # names from the city down -> id
        self.seed_rep_id: int | None = None
        self.stats = {"households_uncovered": 0, "links_moved": 0, "reps_out_of_range": 0}

    # -- small helpers

    def surname(self) -> str:
        r = self.rng.random() * self._surname_cum[-1]
        return self._surnames[bisect(self._surname_cum, r)]

    def given(self, sex: str, birth_year: int) -> str:
        gen = 0 if birth_year < 1970 else (1 if birth_year < 1995 else 2)
        pool = GIVEN[(sex, gen)]
        if self.rng.random() < 0.25:
            return self.rng.choice(pool)
        return self.rng.choice(pool) + self.rng.choice(pool)

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def key(self, name: str) -> str:
        k = self._pinyin.get(name)
        if k is None:
            k = self._pinyin[name] = pinyin_key(name)
        return k

    def birth(self, age: int) -> dt.date:
        return dt.date.fromordinal(self.today.toordinal() - age * 365 - self.rng.randrange(365))

    def id_number(self, born: dt.date, sex: str) -> str:
        """430181 + birth date + sequence (odd for men) + check digit, unique per run."""
        day = born.toordinal()
        while True:
            n = self._id_seq.get((day, sex), 0)
            if n < 495:
                break
            day += 1  # that day's sequence numbers are used up: shift a day
        self._id_seq[(day, sex)] = n + 1
        seq = 10 + 2 * n + (1 if sex == "M" else 0)
        body = f"{REGION}{dt.date.fromordinal(day):%Y%m%d}{seq:03d}"
        return body + ric.calc_check_digit(body + "0")

    def unit(self, parent_id, parent_path, index, kind, name, code, names) -> tuple[int, str]:
        uid = self.w.new_id(Unit)
        path = parent_path + encode_step(index)
        depth = len(path) // STEPLEN
        self.w.add(Unit, (uid, parent_id, path, depth, kind, name, code, self.now))
        self.unit_ids[names] = uid
        return uid, path

    # -- people

    def person(self, hid, name, sex, age, relation, phone_rate) -> _Person:
        mid = self.w.new_id(Member)
        born = self.birth(age)
        phone = self.mobile() if self.rng.random() < phone_rate else ""
        self.w.add(
            Member,
            (
                mid,
                hid,
                name,
                sex,
                born,
                relation,
                self.id_number(born, sex),
                phone,
                self.now,
            ),
        )
        return _Person(mid, name, sex, age)

    def phone_rate(self, age: int) -> float:
        if age < 14:
            return 0.0
        if age < 18:
            return 0.3
        return 0.92 if age < 70 else 0.5

    def household(
        self,
        unit_id,
        address,
        centre,
        head_name: str | None = None,
        alone: bool | None = None,
        head_sex: str | None = None,
    ) -> tuple[int, list[_Person], list[str]]:
        rng = self.rng
        hid = self.w.new_id(Household)
        if alone is None:
            alone = rng.random() < 0.05
        people: list[tuple[str, str, int, str]] = []  # name, sex, age, relation
        tags: list[str] = []
        if alone:
            age = rng.randint(68, 95)
            sex = head_sex or ("F" if rng.random() < 0.55 else "M")
            people.append(("", sex, age, Relation.HEAD))
            tags.append("elderly_alone")
        else:
            age = min(88, max(24, int(rng.gauss(52, 14))))
            sex = head_sex or ("M" if rng.random() < 0.85 else "F")
            people.append(("", sex, age, Relation.HEAD))
            p_spouse = 0.88 if age < 65 else (0.7 if age < 76 else 0.45)
            if rng.random() < p_spouse:
                other = "F" if sex == "M" else "M"
                sage = max(20, age + (rng.randint(-6, 1) if other == "F" else rng.randint(0, 5)))
                people.append(("", other, sage, Relation.SPOUSE))
            if age < 35:
                n_children = rng.choice((0, 1, 1, 2))
            elif age < 50:
                n_children = rng.choice((1, 1, 1, 2, 2))
            elif age < 65:
                n_children = rng.choice((0, 0, 1, 1, 2))
            else:
                n_children = rng.choice((0, 0, 0, 1))
            for _ in range(n_children):
                cage = max(0, age - rng.randint(22, 34))
                people.append(("", rng.choice("MF"), cage, Relation.CHILD))
            if 28 <= age <= 55 and rng.random() < 0.3:
                for psex in ("M", "F")[: rng.choice((1, 1, 2))]:
                    page = min(98, age + rng.randint(22, 32))
                    people.append(("", psex, page, Relation.PARENT))
            if 50 <= age <= 78 and rng.random() < 0.25:
                adults = any(r == Relation.CHILD and a >= 20 for _n, _s, a, r in people)
                for _ in range(rng.choice((1, 1, 2))):
                    people.append(("", rng.choice("MF"), rng.randint(1, 14), Relation.GRANDCHILD))
                if not adults:
                    tags.append("left_behind_child")
        # Names: children take the family (male adult's) surname.
        head_sex = people[0][1]
        spouse = next((p for p in people if p[3] == Relation.SPOUSE), None)
        family = self.surname()
        if head_name and head_sex == "M":
            family = head_name[:2] if head_name[:2] in COMPOUND_SURNAMES else head_name[0]
        head_surname = family if head_sex == "M" or spouse is None else self.surname()
        out: list[_Person] = []
        for i, (_n, psex, page, rel) in enumerate(people):
            if i == 0:
                name = head_name or head_surname + self.given(psex, self.today.year - page)
            elif rel in (Relation.CHILD, Relation.GRANDCHILD) or (
                rel == Relation.PARENT and psex == "M"
            ):
                name = family + self.given(psex, self.today.year - page)
            elif rel == Relation.SPOUSE and psex == "M":
                name = family + self.given(psex, self.today.year - page)
            else:
                name = self.surname() + self.given(psex, self.today.year - page)
            out.append(self.person(hid, name, psex, page, rel, self.phone_rate(page)))
        r = rng.random()
        if r < (0.15 if alone else 0.03):
            tags.append("low_income")
        if rng.random() < 0.025:
            tags.append("disabled")
        if out[0].sex == "M" and 40 <= out[0].age <= 80 and rng.random() < 0.04:
            tags.append("veteran")
        if rng.random() < 0.01:
            tags.append("poverty_monitored")
        lat = Decimal(f"{centre[0] + rng.uniform(-0.006, 0.006):.6f}")
        lng = Decimal(f"{centre[1] + rng.uniform(-0.006, 0.006):.6f}")
        head = out[0].name
        self.w.add(
            Household, (hid, unit_id, head, address, lat, lng, tags, self.key(head), self.now)
        )
        return hid, out, tags

    # -- representatives and links

    def partition(self, n: int, exception: bool) -> list[int]:
        """Sizes of the representatives' circles: 5-15 each, about 11 on average."""
        sizes: list[int] = []
        if exception and n >= 25:
            sizes, n = [3, 17], n - 20
        if n <= 0:
            return sizes
        k = max(1, round(n / HOUSEHOLDS_PER_REP))
        while n / k > 15:
            k += 1
        while k > 1 and n / k < 5:
            k -= 1
        base = [n // k + (1 if i < n % k else 0) for i in range(k)]
        for _ in range(k):  # a little variety, staying within 5-15
            i, j = self.rng.randrange(k), self.rng.randrange(k)
            d = self.rng.randint(1, 3)
            if i != j and base[i] - d >= 5 and base[j] + d <= 15:
                base[i] -= d
                base[j] += d
        return sizes + base

    def representative(self, member: _Person, group_id: int) -> int:
        rid = self.w.new_id(Representative)
        self.w.add(
            Representative,
            (rid, member.id, group_id, None, member.name, self.term_start, None, self.now),
        )
        return rid

    def link(self, rep_id, hid, start, end=None, reason="", out_of_range=False) -> None:
        self.w.add(
            HouseholdLink,
            (self.w.new_id(HouseholdLink), rep_id, hid, start, end, reason, out_of_range, None,
             self.now),
        )  # fmt: skip

    def group(
        self, names, unit_id, village, group, n_households, centre, is_community
    ) -> list[int]:
        """Households, members, representatives, links and guard teams of one group."""
        rng = self.rng
        seed_group = names[-3:] == ("李畋村", "一片", "一组")
        households: list[tuple[int, list[_Person]]] = []
        for i in range(n_households):
            if is_community:
                address = f"{village}{group}{i // 24 + 1}栋{(i % 24) // 4 + 1}0{i % 4 + 1}室"
            else:
                address = f"{village}{group}{i + 1}号"
            head, alone = None, None
            if seed_group and i == 0:
                head, alone = "辜大祥", False  # the seed article's representative
            elif seed_group and i == 1:
                head, alone = "叶玉计", True  # and the elderly man (叶伯) he visits
            sex = "M" if head else None
            hid, people, _tags = self.household(unit_id, address, centre, head, alone, sex)
            households.append((hid, people))
        protected = 2 if seed_group else 0
        candidates = list(range(protected, n_households))
        expected = n_households * self.opt.uncovered_rate
        n_uncovered = int(expected) + (rng.random() < expected - int(expected))
        n_uncovered = min(len(candidates), n_uncovered)
        uncovered = set(rng.sample(candidates, n_uncovered))
        self.stats["households_uncovered"] += len(uncovered)
        covered = [h for i, h in enumerate(households) if i not in uncovered]
        exception = (village, group) in self.opt.exception_groups or (
            not seed_group and rng.random() < self.opt.exception_rate
        )
        sizes = self.partition(len(covered), exception)
        reps: list[int] = []
        chunks: list[list[tuple[int, list[_Person]]]] = []
        pos = 0
        for size in sizes:
            chunk = covered[pos : pos + size]
            pos += size
            people = chunk[0][1]
            rep_member = next(
                (p for p in people if 25 <= p.age <= 70),
                next((p for p in people if p.age >= 18), people[0]),
            )
            if seed_group and not reps:
                rep_member = people[0]  # 辜大祥 himself
            rid = self.representative(rep_member, unit_id)
            if seed_group and not reps:
                self.seed_rep_id = rid
            reps.append(rid)
            chunks.append(chunk)
            if not 5 <= size <= 15:
                self.stats["reps_out_of_range"] += 1
        start = self.term_start
        for k, (rid, chunk) in enumerate(zip(reps, chunks, strict=True)):
            for j, (hid, _people) in enumerate(chunk):
                if j >= 15:
                    self.link(rid, hid, start, reason=TEMP_REASON, out_of_range=True)
                elif len(reps) > 1 and j > 0 and rng.random() < self.opt.move_rate:
                    other = reps[(k + rng.randrange(1, len(reps))) % len(reps)]
                    moved = dt.date.fromordinal(rng.randint(*self.move_window))
                    self.link(other, hid, start, moved)
                    self.link(rid, hid, moved, reason=rng.choice(MOVE_REASONS))
                    self.stats["links_moved"] += 1
                else:
                    self.link(rid, hid, start)
        self.teams(names, unit_id, village, group, reps)
        return reps

    def teams(self, names, unit_id, village, group, reps: list[int]) -> None:
        if not reps:
            return
        rng = self.rng
        n = max(1, round(len(reps) / REPS_PER_TEAM))
        sizes = _split(len(reps), n, rng, jitter=0.0)
        kinds, cum = self._team_kinds
        pos = 0
        for t, size in enumerate(sizes):
            tid = self.w.new_id(GuardTeam)
            suffix = f"第{cn_number(t + 1)}" if n > 1 else ""
            self.w.add(GuardTeam, (tid, unit_id, f"{village}{group}{suffix}邻里守心团", self.now))
            for rid in reps[pos : pos + size]:
                self.w.add(_Through, (self.w.new_id(_Through), tid, rid))
            pos += size
            for _ in range(rng.randint(3, 6)):
                kind = kinds[bisect(cum, rng.random() * cum[-1])]
                sex = "F" if kind == MemberKind.WOMEN_REP or rng.random() < 0.4 else "M"
                name = self.surname() + self.given(sex, rng.randint(1960, 2000))
                self.w.add(
                    GuardTeamMember,
                    (self.w.new_id(GuardTeamMember), tid, kind, name, self.mobile(), self.now),
                )

    def places(self, village: VillagePlan, stem: str, groups, is_town_seat: bool, town: str):
        """Schools, clinics, enterprises and buildings of a village, most with a representative."""
        rng = self.rng
        community = village.kind == UnitKind.COMMUNITY
        items: list[tuple[str, str]] = []
        items.append(
            (PlaceKind.HOSPITAL, f"{village.name}{'卫生服务站' if community else '卫生室'}")
        )
        if community:
            if rng.random() < 0.7:
                items.append((PlaceKind.SCHOOL, f"{stem}幼儿园"))
            for b in range(rng.randint(3, 8)):
                items.append((PlaceKind.BUILDING, f"{stem}{rng.choice(ESTATES)}{b + 1}栋"))
        else:
            if rng.random() < 0.45:
                items.append((PlaceKind.SCHOOL, f"{stem}小学"))
            items.append((PlaceKind.BUILDING, f"{village.name}党群服务中心"))
        if is_town_seat:
            stem_town = town.removesuffix("街道").removesuffix("镇").removesuffix("乡")
            items.append((PlaceKind.HOSPITAL, f"{town}卫生院"))
            items.append((PlaceKind.SCHOOL, f"浏阳市{stem_town}中学"))
        industries = rng.sample(INDUSTRIES, rng.randint(1, 4))
        for ind in industries:
            items.append((PlaceKind.ENTERPRISE, f"浏阳市{stem}{ind}有限公司"))
        for kind, name in items:
            gid, gname, reps = groups[rng.randrange(len(groups))]
            rep = None
            if reps and rng.random() >= self.opt.unassigned_place_rate:
                rep = rng.choice(reps)
            self.w.add(
                Place,
                (self.w.new_id(Place), gid, kind, name, f"{village.name}{gname}", rep, self.now),
            )

    # -- the whole tree

    def build(self, plan: list[TownPlan]) -> None:
        rng = self.rng
        city_names = (CITY_NAME,)
        city_id, city_path = self.unit(None, "", 1, UnitKind.CITY, CITY_NAME, CITY_CODE, city_names)
        for ti, town in enumerate(plan, start=1):
            tnames = (*city_names, town.name)
            tid, tpath = self.unit(city_id, city_path, ti, town.kind, town.name, town.code, tnames)
            town_centre = (rng.uniform(27.95, 28.45), rng.uniform(113.35, 114.15))
            for vi, village in enumerate(town.villages, start=1):
                vnames = (*tnames, village.name)
                vid, vpath = self.unit(
                    tid, tpath, vi, village.kind, village.name, village.code, vnames
                )
                centre = (
                    town_centre[0] + rng.uniform(-0.05, 0.05),
                    town_centre[1] + rng.uniform(-0.05, 0.05),
                )
                community = village.kind == UnitKind.COMMUNITY
                groups: list[tuple[int, str, list[int]]] = []
                for ai, area in enumerate(village.areas, start=1):
                    anames = (*vnames, area.name)
                    aid, apath = self.unit(vid, vpath, ai, UnitKind.AREA, area.name, "", anames)
                    for gi, group in enumerate(area.groups, start=1):
                        gnames = (*anames, group.name)
                        gid, _gpath = self.unit(
                            aid, apath, gi, UnitKind.GROUP, group.name, "", gnames
                        )
                        reps = self.group(
                            gnames, gid, village.name, group.name, group.households, centre,
                            community,
                        )  # fmt: skip
                        groups.append((gid, group.name, reps))
                stem = village.name.removesuffix("社区").removesuffix("村")
                self.places(village, stem, groups, vi == 1 and community, town.name)
                self.w.maybe_flush()


# --- boundaries --------------------------------------------------------------------------

# Degrees added around a unit's households, so the points sit inside its outline.
BOUNDARY_MARGIN = 0.002


def rectangle(min_lat: float, min_lng: float, max_lat: float, max_lng: float) -> dict:
    """A GeoJSON Polygon for the box (longitude first, closed ring, 6 decimals)."""
    w, s, e, n = (round(float(v), 6) for v in (min_lng, min_lat, max_lng, max_lat))
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def draw_boundaries(depths: Sequence[int] = (1, 2, 3)) -> int:
    """Give the city, each town and each village of the demo a simple outline: the box
    around its households' coordinates, with a margin. Real outlines come from the
    surveyors; these only let the map show something. Returns the units drawn."""
    boxes: dict[str, tuple[float, float, float, float]] = {}
    for depth in depths:
        rows = (
            Household.objects.filter(latitude__isnull=False, longitude__isnull=False)
            .annotate(prefix=Substr("unit__path", 1, depth * STEPLEN))
            .values("prefix")
            .annotate(s=Min("latitude"), w=Min("longitude"), n=Max("latitude"), e=Max("longitude"))
        )
        for r in rows:
            if len(r["prefix"]) == depth * STEPLEN:
                boxes[r["prefix"]] = (r["s"], r["w"], r["n"], r["e"])
    units = list(Unit.objects.filter(path__in=boxes))
    m = BOUNDARY_MARGIN
    for unit in units:
        s, w, n, e = (float(v) for v in boxes[unit.path])
        unit.boundary = rectangle(s - m, w - m, n + m, e + m)
    Unit.objects.bulk_update(units, ["boundary"], batch_size=500)
    return len(units)


# --- accounts --------------------------------------------------------------------------------


def create_demo_accounts(unit_ids: dict[tuple[str, ...], int], rep_id: int | None) -> list[User]:
    """One user per role (and a superuser), all with DEMO_PASSWORD, hashed once."""
    encoded = make_password(DEMO_PASSWORD)
    users = []
    for acc in DEMO_ACCOUNTS:
        user = User(
            phone=acc.phone,
            name=acc.name,
            password=encoded,
            is_superuser=acc.key == "superuser",
            is_staff=acc.key in ("superuser", Role.ADMIN),
        )
        user.save()
        users.append(user)
        if acc.key == "superuser":
            continue
        if acc.key == AUDITOR:
            user.groups.add(auditors_group())
            continue
        unit_id = unit_ids[acc.unit]
        RoleAssignment.objects.create(
            user=user,
            role=acc.key,
            unit_id=unit_id,
            department=(
                Department.objects.get_or_create(name=acc.department)[0] if acc.department else None
            ),
        )
        if acc.key == Role.REPRESENTATIVE and rep_id is not None:
            Representative.objects.filter(pk=rep_id).update(user=user)
    for user in users:
        if twofactor.required_for(user):
            twofactor.demo_device(user=user, secret=DEMO_OTP_SECRET)
    return users


def otp_note() -> str:
    """How the demo accounts that need two-factor log in ("" when none is present)."""
    phones = sorted(
        TOTPDevice.objects.filter(
            user__phone_hash__in=[phone_index(p) for p in DEMO_PHONES], confirmed=True
        ).values_list("user__phone", flat=True)
    )
    if not phones:
        return ""
    return (
        f"双因素验证 Two-factor ({', '.join(phones)}): 验证器密钥 authenticator key "
        f"{DEMO_OTP_SECRET}\n  或运行 or run `python -m linli demo_otp` 查看当前验证码 "
        "for the current code."
    )


def account_rows() -> list[tuple[str, str, str, str, str]]:
    """(role, phone, password, unit, name) of the demo accounts present in the database."""
    present = set(users_by_phones(DEMO_PHONES))
    return [
        (
            a.label,
            a.phone,
            DEMO_PASSWORD,
            "审计日志" if a.key == AUDITOR else " / ".join(a.unit[1:] or a.unit) or "全部",
            a.name,
        )
        for a in DEMO_ACCOUNTS
        if a.phone in present
    ]


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(r):
        cells = (str(c) + " " * (w - _width(str(c))) for c, w in zip(r, widths, strict=True))
        return "  ".join(cells).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), sep, *(line(r) for r in rows)]).rstrip()


# --- entry points ------------------------------------------------------------------------------


class DemoDataExists(Exception):
    pass


def check_empty() -> None:
    n = Unit.objects.count()
    if n:
        raise DemoDataExists(
            f"The database already has {n} organisation units; demo_data only fills an empty "
            "database (数据库已有组织数据). Use --if-empty to skip, or start from a new database."
        )
    taken = list(users_by_phones(DEMO_PHONES))
    if taken:
        raise DemoDataExists(
            "Accounts with the demo mobile numbers already exist: " + ", ".join(sorted(taken))
        )


def _count_rows(writer: RowWriter, gen: Generator) -> dict[str, int]:
    c = writer.counts
    counts = {
        "units": c[Unit],
        "households": c[Household],
        "members": c[Member],
        "representatives": c[Representative],
        "household_links": c[HouseholdLink],
        "places": c[Place],
        "guard_teams": c[GuardTeam],
        "guard_team_representatives": c[_Through],
        "guard_team_members": c[GuardTeamMember],
        **gen.stats,
        "users": len(DEMO_ACCOUNTS),
    }
    return counts


def build(
    mode: str,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """Build the `small` or `county` demo data into an empty database."""
    if mode not in ("small", "county"):
        raise ValueError(f"unknown mode {mode!r}")
    started = time.monotonic()
    rng_plan = random.Random(seed * 7 + 1)
    if mode == "small":
        plan = small_plan(rng_plan)
        options = Options(
            uncovered_rate=0.02,
            move_rate=0.05,
            exception_rate=0.0,
            unassigned_place_rate=0.15,
            exception_groups=(("李畋村", "三组"), ("佳成村", "石桥组")),
        )
    else:
        plan = county_plan(rng_plan, scale)
        options = Options()
    with transaction.atomic():
        check_empty()
        writer = RowWriter(suspend_foreign_keys=mode == "county")
        gen = Generator(seed, options, writer)
        gen.build(plan)
        if progress:
            progress(f"rows generated and written in {time.monotonic() - started:.1f}s")
        writer.finish()
        if progress:
            progress(f"constraints checked at {time.monotonic() - started:.1f}s")
        create_demo_accounts(gen.unit_ids, gen.seed_rep_id)
        draw_boundaries()
        counts = _count_rows(writer, gen)
        audit_record(
            actor=None,
            action=AuditAction(f"demo_data.{mode}"),
            target_type="org.unit",
            target_id=str(gen.unit_ids[(CITY_NAME,)]),
            detail={"seed": seed, "scale": scale, "counts": counts},
        )
    if connection.vendor == "postgresql" and mode == "county":
        with connection.cursor() as cur:
            for model in FLUSH_ORDER:
                cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return Result(mode=mode, seed=seed, seconds=time.monotonic() - started, counts=counts)
