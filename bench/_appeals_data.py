"""A year of appeals for the county benchmark, written with COPY.

Deterministic (seeded). Filing times are spread over the 365 days before the
load (weekdays and office hours busier); ~2 % are still open, the youngest
most likely so; the rest were resolved at one of the four levels (group,
village, town, city), rated by the resident or closed when nobody rated in
time, a few withdrawn. Every appeal has a "file" event, closed ones also
escalate/claim/resolve/rate (or expire_visit) events, open ones what brought
them to their state.

The data is consistent with a tick that ran at the load time (the "anchor"):
every reminder, claim-overdue and overdue mark that was due by then is set,
and no open appeal at a level that escalates automatically is past a deadline
(it would have been escalated). A later run moves the clocks of the open and
awaiting-rating appeals forward to its own time (`reanchor`), so the tick
finds the same situation whenever the benchmark runs.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import time
from dataclasses import dataclass

from django.db import connection, transaction

from linli.core.crypto import blind_index, decrypt, encrypt

SEED = 20261129
OPEN_SHARE = 0.02
META = "bench_appeals_meta"  # one row: anchor, counts, load time (not a Django table)
SNAPSHOT = "bench_appeals_snapshot"  # rows changed by the "just due" tick scenario
CHUNK = 25_000

LEVELS = ["group", "village", "town", "city"]
KIND_LEVEL = {
    "group": "group",
    "area": "group",
    "village": "village",
    "community": "village",
    "town": "town",
    "subdistrict": "town",
    "city": "city",
}
# Where a closed appeal was finally resolved, by the level it was filed at.
FINAL_FROM_GROUP = [("group", 0.62), ("village", 0.24), ("town", 0.10), ("city", 0.04)]
FINAL_FROM_VILLAGE = [("village", 0.70), ("town", 0.22), ("city", 0.08)]
# The current level of an open appeal.
OPEN_FROM_GROUP = [("group", 0.60), ("village", 0.25), ("town", 0.11), ("city", 0.04)]
OPEN_FROM_VILLAGE = [("village", 0.68), ("town", 0.24), ("city", 0.08)]
OPEN_STATUS = [
    ("pending", 0.18),
    ("claimed", 0.12),
    ("in_progress", 0.48),
    ("referred", 0.12),
    ("suspended", 0.10),
]
OPEN_STATUSES = ("pending", "claimed", "in_progress", "referred", "suspended")
KIND_WEIGHT = {"appeal": 0.60, "dispute": 0.15, "hazard": 0.12, "consult": 0.09, "suggestion": 0.04}
RATINGS = [(5, 0.72), (4, 0.20), (3, 0.08)]  # below 3 reopens, so a closed one has >= 3
MOBILE_PREFIXES = ("135", "136", "137", "138", "139", "150", "151", "158", "177", "186", "187")
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
HOUR = 3600.0
LOCAL = dt.timedelta(hours=8)  # Asia/Shanghai (no daylight saving): UTC + 8 h
DAY = 86400.0

PROBLEMS = {
    "roads": ("路面破损坑洼", "村道塌方需要修补"),
    "water": ("自来水停水", "排水沟堵塞积水"),
    "power": ("线路老化经常跳闸", "电压不稳"),
    "sanitation": ("垃圾没有及时清运", "河道有漂浮垃圾"),
    "facilities": ("路灯不亮", "井盖破损"),
    "housing": ("危房改造申请", "公租房维修"),
    "assistance": ("低保申请咨询", "临时救助申请"),
    "elderly": ("老人无人照料", "居家养老服务申请"),
    "medical": ("村卫生室缺药", "医保报销问题"),
    "education": ("子女入学问题", "校车接送问题"),
    "neighbour": ("邻居噪音扰民", "邻里排水纠纷"),
    "land": ("山林界址纠纷", "承包地边界纠纷"),
    "family": ("家庭赡养纠纷", "婚姻家庭矛盾"),
    "labour": ("拖欠工资", "工伤赔偿争议"),
    "property": ("宅基地界址纠纷", "房屋漏水纠纷"),
    "fire": ("楼道堆放杂物", "电动车室内充电"),
    "traffic_safety": ("路口缺少减速带", "校门口车辆乱停"),
    "geological": ("山体有滑坡迹象", "房后边坡开裂"),
    "building": ("房屋墙体开裂", "老旧房屋漏雨"),
    "food": ("无证摊贩售卖熟食", "过期食品"),
}


@dataclass
class County:
    categories: list[tuple[int, str, str, int | None]]  # id, code, kind, default department
    cat_weights: list[float]
    departments: list[int]
    policy: dict[tuple[str, str], tuple[int, int, str, int, bool, int]]
    unit_name: dict[int, str]
    ancestors: dict[int, dict[str, int]]  # group unit id -> level -> unit id
    unit_path: dict[int, str]
    groups: list[int]
    hh_id: list[int]
    hh_unit: list[int]
    hh_address: list[str]
    rep_of: dict[int, int]
    rep_name: dict[int, str]
    member: dict[int, tuple[str, str]]  # household id -> (name, phone)


def _fetch(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def read_county() -> County:
    cats = _fetch(
        "SELECT id, code, kind, default_department_id FROM appeals_category "
        "WHERE parent_id IS NOT NULL AND active ORDER BY id"
    )
    per_kind: dict[str, int] = {}
    for _id, _code, kind, _dept in cats:
        per_kind[kind] = per_kind.get(kind, 0) + 1
    weights = [KIND_WEIGHT.get(kind, 0.02) / per_kind[kind] for _i, _c, kind, _d in cats]
    policy = {
        (lv, urg): (ch, amount, unit, remind, auto, visit)
        for lv, urg, ch, amount, unit, remind, auto, visit in _fetch(
            "SELECT level, urgency, claim_hours, resolve_amount, resolve_unit, "
            "remind_before_hours, auto_escalate, visit_days FROM appeals_deadlinepolicy"
        )
    }
    units = _fetch("SELECT id, path, kind, name FROM org_unit")
    by_path = {path: (uid, kind) for uid, path, kind, _name in units}
    unit_name = {uid: name for uid, _p, _k, name in units}
    unit_path = {uid: path for uid, path, _k, _n in units}
    step = min(len(p) for _i, p, _k, _n in units)  # the root's path is one step long
    ancestors: dict[int, dict[str, int]] = {}
    groups = []
    for uid, path, kind, _name in units:
        if kind != "group":
            continue
        groups.append(uid)
        levels = {"group": uid}
        for end in range(len(path) - step, 0, -step):  # nearest first
            aid, akind = by_path[path[:end]]
            levels.setdefault(KIND_LEVEL[akind], aid)
        ancestors[uid] = levels
    groups.sort()
    hh_id, hh_unit, hh_address = [], [], []
    for hid, unit_id, address in _fetch(
        "SELECT id, unit_id, address FROM org_household ORDER BY id"
    ):
        hh_id.append(hid)
        hh_unit.append(unit_id)
        hh_address.append(address)
    rep_of = dict(
        _fetch(
            "SELECT household_id, representative_id FROM org_householdlink "
            "WHERE valid_to IS NULL ORDER BY household_id, valid_from, id"
        )
    )
    rep_name = dict(_fetch("SELECT id, name FROM org_representative"))
    member = {
        hid: (name, decrypt(phone))  # encrypted at rest (core.crypto)
        for hid, name, phone in _fetch(
            "SELECT DISTINCT ON (household_id) household_id, name, phone FROM org_member "
            "WHERE phone <> '' ORDER BY household_id, id"
        )
    }
    departments = [d for (d,) in _fetch("SELECT id FROM org_department WHERE active ORDER BY id")]
    return County(
        categories=cats,
        cat_weights=weights,
        departments=departments,
        policy=policy,
        unit_name=unit_name,
        ancestors=ancestors,
        unit_path=unit_path,
        groups=groups,
        hh_id=hh_id,
        hh_unit=hh_unit,
        hh_address=hh_address,
        rep_of=rep_of,
        rep_name=rep_name,
        member=member,
    )


APPEAL_COLS = [
    "id", "code", "kind", "category_id", "title", "description", "urgency", "channel",
    "status", "level", "unit_id", "origin_unit_id", "origin_path", "household_id", "address",
    "latitude", "longitude", "reporter_name", "reporter_phone", "created_by_id",
    "representative_id", "assignee_id", "department_id", "claim_due_at", "claim_overdue_at",
    "due_at", "remind_at", "reminded_at", "overdue_at", "suspended_at", "suspended_status",
    "supervised", "first_claim_due_at", "first_claimed_at", "resolved_at", "resolved_level",
    "resolved_on_time", "result", "visit_due_at", "rating", "rating_comment", "closed_at",
    "merged_into_id", "agreement", "version", "created_at", "updated_at",
    "reporter_phone_hash", "reached_level",
]  # fmt: skip
APPEAL_DEFAULTS = {c: None for c in APPEAL_COLS} | {
    "suspended_status": "",
    "supervised": False,
    "resolved_level": "",
    "result": "",
    "rating_comment": "",
    "agreement": "",
    "version": 1,
}
EVENT_COLS = [
    "id", "appeal_id", "action", "at", "actor_id", "actor_label", "from_status", "to_status",
    "level", "unit_id", "note", "internal", "data",
]  # fmt: skip
# Timestamp columns of an appeal that move with its clock (see `reanchor`).
CLOCK_COLUMNS = [
    "claim_due_at", "claim_overdue_at", "due_at", "remind_at", "reminded_at", "overdue_at",
    "suspended_at", "first_claim_due_at", "first_claimed_at", "resolved_at", "visit_due_at",
    "closed_at", "created_at", "updated_at",
]  # fmt: skip


class Generator:
    def __init__(self, county: County, n: int, anchor: dt.datetime, seed: int = SEED):
        from linli.core.calendar import deadline_after

        self.c = county
        self.n = n
        self.anchor = anchor
        self.rng = random.Random(seed)
        self.deadline_after = deadline_after
        self.day_count: dict[str, int] = {}
        self.due_cache: dict = {}
        self.next_event_id = 1
        self.counts = {
            "appeals": 0,
            "events": 0,
            "open": 0,
            "open_overdue_marked": 0,
            "open_claim_overdue_marked": 0,
            "open_due_within_24h": 0,
            "resolved_awaiting_rating": 0,
            "closed_rated": 0,
            "closed_unrated": 0,
            "withdrawn": 0,
        }
        self.status_counts: dict[str, int] = {}
        self.resolved_levels: dict[str, int] = {}

    # --- helpers -------------------------------------------------------------------

    def pick(self, table):
        r = self.rng.random()
        acc = 0.0
        for value, w in table:
            acc += w
            if r < acc:
                return value
        return table[-1][0]

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def code(self, at: dt.datetime) -> str:
        """Case code in the format of services._new_code (local date + 5 characters),
        unique: the n-th appeal of a day gets a bijective scramble of n."""
        local = at + LOCAL
        day = f"{local.year % 100:02d}{local.month:02d}{local.day:02d}"
        n = self.day_count.get(day, 0)
        self.day_count[day] = n + 1
        x = (n * 2654435761 + int(day) * 7919) % (32**5)  # odd multiplier: a bijection
        chars = []
        for _ in range(5):
            x, r = divmod(x, 32)
            chars.append(CODE_ALPHABET[r])
        return day + "".join(chars)

    def due(self, level: str, urgency: str, since: dt.datetime) -> dt.datetime:
        _ch, amount, unit, _r, _a, _v = self.c.policy[(level, urgency)]
        if unit != "working_days":
            return self.deadline_after(since, amount=amount, unit=unit)
        # The end of the n-th working day depends only on the local date: memoise.
        key = (amount, (since + LOCAL).date())
        due = self.due_cache.get(key)
        if due is None:
            due = self.due_cache[key] = self.deadline_after(since, amount=amount, unit=unit)
        return due

    def nominal(self, level: str, urgency: str) -> float:
        """Roughly how many seconds the level has (for planning; deadlines are exact)."""
        _ch, amount, unit, _r, _a, _v = self.c.policy[(level, urgency)]
        if unit == "hours":
            return amount * HOUR
        if unit == "days":
            return amount * DAY
        return amount * 1.4 * DAY

    def times(self) -> list[dt.datetime]:
        """Filing times over the last 365 days: weekdays and 8:00-20:00 busier."""
        out = []
        start = self.anchor - dt.timedelta(days=365)
        span = 365 * DAY - 120
        rng = self.rng
        while len(out) < self.n:
            t = start + dt.timedelta(seconds=rng.random() * span)
            local = t + LOCAL
            w = (1.0 if local.weekday() < 5 else 0.6) * (1.0 if 8 <= local.hour < 20 else 0.25)
            if rng.random() < w:
                out.append(t.replace(microsecond=0))
        out.sort()
        return out

    def choose_open(self, times: list[dt.datetime]) -> set[int]:
        """Exactly OPEN_SHARE of the appeals, the young ones most likely
        (P ~ exp(-age / tau), tau = open count / appeals per day)."""
        target = round(self.n * OPEN_SHARE)
        per_day = self.n / 365
        tau = max(target / per_day, 0.5) * DAY
        keyed = []
        for i in range(len(times) - 1, -1, -1):
            age = (self.anchor - times[i]).total_seconds()
            if age > 12 * tau and len(keyed) > 3 * target:
                break
            w = math.exp(-age / tau)
            keyed.append((self.rng.random() ** (1.0 / w) if w > 0 else 0.0, i))
        keyed.sort(reverse=True)
        return {i for _k, i in keyed[:target]}

    # --- one appeal ----------------------------------------------------------------

    def origin(self) -> dict:
        c = self.c
        rng = self.rng
        a: dict = {}
        if rng.random() < 0.85:
            k = rng.randrange(len(c.hh_id))
            hid = c.hh_id[k]
            group = c.hh_unit[k]
            a["household_id"] = hid
            a["address"] = c.hh_address[k]
            name, phone = c.member.get(hid, ("", ""))
            a["reporter_name"] = name
            a["reporter_phone"] = phone or self.mobile()
            rep = c.rep_of.get(hid)
        else:
            group = rng.choice(c.groups)
            anc = c.ancestors[group]
            a["household_id"] = None
            a["address"] = c.unit_name[anc["village"]] + c.unit_name[group] + "附近"
            a["reporter_name"] = ""
            a["reporter_phone"] = self.mobile()
            rep = None
        a["origin_unit_id"] = group
        a["origin_path"] = c.unit_path[group]
        a["representative_id"] = rep
        if rep is not None:
            a["channel"] = self.pick(
                [("representative", 0.55), ("hotline", 0.25), ("self", 0.12), ("api", 0.08)]
            )
        else:
            a["channel"] = self.pick([("hotline", 0.50), ("self", 0.40), ("api", 0.10)])
        return a

    def label(self, level: str, unit_id: int, rep: int | None) -> str:
        if level == "group" and rep is not None:
            return self.c.rep_name.get(rep, "")
        return self.c.unit_name[unit_id] + "工作人员"

    def build(self, appeal_id: int, created: dt.datetime, is_open: bool):
        rng = self.rng
        c = self.c
        cat_id, cat_code, kind, dept = rng.choices(c.categories, weights=c.cat_weights)[0]
        urgent = rng.random() < (0.15 if kind in ("dispute", "hazard") else 0.06)
        urgency = "urgent" if urgent else "normal"
        a = dict(APPEAL_DEFAULTS)
        a.update(self.origin())
        problem = rng.choice(PROBLEMS.get(cat_code, ("群众反映的问题",)))
        a.update(
            id=appeal_id,
            code=self.code(created),
            kind=kind,
            category_id=cat_id,
            title=problem,
            description=f"{a['address']}：{problem}，请尽快处理。",
            urgency=urgency,
            created_at=created,
        )
        group = a["origin_unit_id"]
        anc = c.ancestors[group]
        rep = a["representative_id"]
        start = "group" if rep is not None else "village"
        first_claim_h = c.policy[(start, urgency)][0]
        a["first_claim_due_at"] = created + dt.timedelta(hours=first_claim_h)
        events: list[tuple] = []

        def event(action, at, level, frm, to, data=None, label="", note="", internal=False):
            if data:
                data = dict(data)
                data.setdefault("by", "system")  # as services._event does without an actor
                data = json.dumps(data, ensure_ascii=False)
            else:
                data = '{"by": "system"}'
            events.append(
                (
                    0,
                    appeal_id,
                    action,
                    at,
                    None,
                    label,
                    frm,
                    to,
                    level,
                    anc[level],
                    note,
                    internal,
                    data,
                )
            )

        by = "resident" if a["channel"] == "self" else ""
        file_label = {
            "representative": c.rep_name.get(rep, "") if rep else "",
            "hotline": "12345热线",
            "api": "政务服务平台",
            "self": "",
        }[a["channel"]]
        event(
            "file",
            created,
            start,
            "",
            "pending",
            {"channel": a["channel"], "representative": rep, **({"by": by} if by else {})},
            file_label,
        )
        if is_open:
            self.build_open(a, events, event, start, anc, rep, urgency, created, dept)
        else:
            self.build_closed(a, events, event, start, anc, rep, urgency, created, dept)
        # Nothing here is returned down a level: where it is is the highest it reached.
        a["reached_level"] = a["level"]
        events.sort(key=lambda e: e[3])  # ids in time order
        first = self.next_event_id
        self.next_event_id += len(events)
        events = [(first + i, *e[1:]) for i, e in enumerate(events)]
        a["version"] = len(events)
        a["updated_at"] = events[-1][3]
        self.counts["appeals"] += 1
        self.counts["events"] += len(events)
        self.status_counts[a["status"]] = self.status_counts.get(a["status"], 0) + 1
        # The mobile is encrypted at rest and found through its keyed hash (core.crypto).
        a["reporter_phone_hash"] = blind_index(a["reporter_phone"] or "")
        a["reporter_phone"] = encrypt(a["reporter_phone"] or "")
        return tuple(a[col] for col in APPEAL_COLS), events

    def escalations(self, event, chain, since_times, anc, rep):
        for lv_from, lv_to, at in zip(chain, chain[1:], since_times[1:], strict=False):
            event(
                "escalate",
                at,
                lv_to,
                "pending",
                "pending",
                {
                    "from_level": lv_from,
                    "to_level": lv_to,
                    "from_unit": anc[lv_from],
                    "to_unit": anc[lv_to],
                    "to_unit_name": self.c.unit_name[anc[lv_to]],
                },
                self.label(lv_from, anc[lv_from], rep),
                "本级难以解决，上报",
            )

    def build_closed(self, a, events, event, start, anc, rep, urgency, created, dept):
        rng = self.rng
        room = (self.anchor - created).total_seconds() - 60
        if rng.random() < 0.01:  # withdrawn by the resident
            at = created + dt.timedelta(seconds=min(room, rng.uniform(0.5 * HOUR, 2 * DAY)))
            event("withdraw", at, start, "pending", "withdrawn", {"by": "resident"})
            a.update(
                status="withdrawn",
                level=start,
                unit_id=anc[start],
                closed_at=at,
                claim_due_at=a["first_claim_due_at"],
                due_at=self.due(start, urgency, created),
            )
            a["remind_at"] = a["due_at"] - dt.timedelta(hours=self.c.policy[(start, urgency)][3])
            self.counts["withdrawn"] += 1
            return
        table = FINAL_FROM_GROUP if start == "group" else FINAL_FROM_VILLAGE
        final = self.pick(table)
        chain = LEVELS[LEVELS.index(start) : LEVELS.index(final) + 1]
        # Offsets (seconds after filing) of: entering each level, claim, resolve.
        offs = [0.0]
        for lv in chain[:-1]:
            offs.append(offs[-1] + rng.uniform(0.1, 0.8) * self.nominal(lv, urgency))
        claim_h = self.c.policy[(final, urgency)][0]
        claim = offs[-1] + min(rng.expovariate(1 / (3 * HOUR)), 0.9 * claim_h * HOUR)
        dur = self.nominal(final, urgency)
        referred = final in ("town", "city") and rng.random() < 0.12
        late = (final == "city" or referred) and rng.random() < 0.25
        if late:
            resolve = offs[-1] + dur * rng.uniform(1.0, 1.5)
        else:
            resolve = claim + rng.uniform(0.05, 0.85) * max(dur - (claim - offs[-1]), HOUR)
        if resolve > room:  # filed recently: everything went faster
            f = room * rng.uniform(0.3, 0.9) / resolve
            offs = [o * f for o in offs]
            claim *= f
            resolve *= f
        t = [created + dt.timedelta(seconds=o) for o in offs]
        since = t[-1]
        claimed_at = created + dt.timedelta(seconds=claim)
        resolved_at = created + dt.timedelta(seconds=resolve)
        self.escalations(event, chain, t, anc, rep)
        label = self.label(final, anc[final], rep)
        event("claim", claimed_at, final, "pending", "claimed", {}, label)
        due = self.due(final, urgency, since)
        remind = due - dt.timedelta(hours=self.c.policy[(final, urgency)][3])
        if referred:
            dep = dept or rng.choice(self.c.departments)
            a["department_id"] = dep
            ref_at = claimed_at + (resolved_at - claimed_at) * 0.2
            event("refer", ref_at, final, "claimed", "referred", {}, label, "转相关部门办理")
            ans_at = claimed_at + (resolved_at - claimed_at) * 0.8
            event("answer", ans_at, final, "referred", "in_progress", {}, "部门工作人员", "已处理")
        if resolved_at > due:
            a["overdue_at"] = due
            event("overdue", due, final, "in_progress", "in_progress")
        a["reminded_at"] = remind if remind <= resolved_at else None
        result = "已到现场核实并处理完毕。"
        event("resolve", resolved_at, final, "in_progress", "resolved", {}, label, result)
        visit_days = self.c.policy[(final, urgency)][5]
        visit_due = resolved_at + dt.timedelta(days=visit_days)
        a.update(
            level=final,
            unit_id=anc[final],
            due_at=due,
            remind_at=remind,
            first_claimed_at=claimed_at,
            resolved_at=resolved_at,
            resolved_level=final,
            resolved_on_time=resolved_at <= due,
            result=result,
            visit_due_at=visit_due,
        )
        self.resolved_levels[final] = self.resolved_levels.get(final, 0) + 1
        rated_at = (
            resolved_at + dt.timedelta(days=visit_days * rng.uniform(0.02, 0.95))
            if rng.random() < 0.88
            else None
        )
        if rated_at is not None and rated_at <= self.anchor:
            rating = self.pick(RATINGS)
            event(
                "rate",
                rated_at,
                final,
                "resolved",
                "closed",
                {"rating": rating, "by_phone": True, "by": "resident"},
            )
            a.update(status="closed", rating=rating, closed_at=rated_at)
            if rng.random() < 0.1:
                a["rating_comment"] = "满意" if rating >= 4 else "基本满意"
            self.counts["closed_rated"] += 1
        elif visit_due <= self.anchor:
            event("expire_visit", visit_due, final, "resolved", "closed", {"no_rating": True})
            a.update(status="closed", closed_at=visit_due)
            self.counts["closed_unrated"] += 1
        else:
            a["status"] = "resolved"
            self.counts["resolved_awaiting_rating"] += 1

    def build_open(self, a, events, event, start, anc, rep, urgency, created, dept):
        rng = self.rng
        c = self.c
        anchor = self.anchor
        status = self.pick(OPEN_STATUS)
        table = OPEN_FROM_GROUP if start == "group" else OPEN_FROM_VILLAGE
        level = self.pick(table)
        age = (anchor - created).total_seconds()
        since = (
            created
            if level == start
            else created + dt.timedelta(seconds=rng.uniform(0.1, 0.95) * age)
        )
        active = status in ("pending", "claimed", "in_progress")
        for _attempt in range(4):
            claim_h, _amt, _unit, remind_h, auto, _visit = c.policy[(level, urgency)]
            due = self.due(level, urgency, since)
            claim_due = since + dt.timedelta(hours=claim_h)
            if not (active and auto):
                break
            # The tick escalates an active appeal at a level that escalates
            # automatically once a deadline passes: keep it inside its window.
            limit = claim_due if status == "pending" else due
            if limit > anchor + dt.timedelta(minutes=5):
                break
            window = (limit - since).total_seconds()
            new_since = anchor - dt.timedelta(seconds=rng.uniform(0.05, 0.9) * window)
            since = max(new_since, created)
            if level == start and since > created and level != "city":
                level = LEVELS[LEVELS.index(level) + 1]  # it was escalated at `since`
        chain = LEVELS[LEVELS.index(start) : LEVELS.index(level) + 1]
        if len(chain) > 1:
            gaps = sorted(rng.uniform(0, 1) for _ in range(len(chain) - 2))
            span = since - created
            t = [created] + [created + span * g for g in gaps] + [since]
            self.escalations(event, chain, t, anc, rep)
        label = self.label(level, anc[level], rep)
        a.update(level=level, unit_id=anc[level], due_at=due)
        a["remind_at"] = due - dt.timedelta(hours=remind_h)
        clock_stop = anchor
        if status == "pending":
            a["claim_due_at"] = claim_due
            if claim_due <= anchor:
                a["claim_overdue_at"] = claim_due
                event("claim_overdue", claim_due, level, "pending", "pending")
                self.counts["open_claim_overdue_marked"] += 1
            a["status"] = "pending"
        else:
            room = (anchor - since).total_seconds()
            claimed_at = since + dt.timedelta(
                seconds=min(rng.expovariate(1 / (3 * HOUR)), 0.5 * room)
            )
            a["first_claimed_at"] = claimed_at
            event("claim", claimed_at, level, "pending", "claimed", {}, label)
            now_status = "claimed"
            if status != "claimed" and not (status == "suspended" and rng.random() < 0.3):
                start_at = claimed_at + (anchor - claimed_at) * rng.uniform(0.05, 0.3)
                event("start", start_at, level, "claimed", "in_progress", {}, label)
                now_status = "in_progress"
                if status == "referred":
                    ref_at = start_at + (anchor - start_at) * rng.uniform(0.1, 0.6)
                    a["department_id"] = dept or rng.choice(c.departments)
                    event(
                        "refer",
                        ref_at,
                        level,
                        "in_progress",
                        "referred",
                        {},
                        label,
                        "转相关部门办理",
                    )
                    now_status = "referred"
            if status == "suspended":
                sus_at = claimed_at + (anchor - claimed_at) * rng.uniform(0.3, 0.9)
                event(
                    "suspend",
                    sus_at,
                    level,
                    now_status,
                    "suspended",
                    {},
                    label,
                    "等待当事人补充材料",
                )
                a["suspended_at"] = sus_at
                a["suspended_status"] = now_status
                clock_stop = sus_at
            a["status"] = status
        if a["remind_at"] <= clock_stop:
            a["reminded_at"] = a["remind_at"]
            if due > a["remind_at"]:
                data = {"due_at": due.isoformat()}
                event(
                    "remind", a["remind_at"], level, a["status"], a["status"], data, internal=True
                )
        if due <= clock_stop:
            a["overdue_at"] = due
            event("overdue", due, level, a["status"], a["status"])
            self.counts["open_overdue_marked"] += 1
        elif due <= anchor + dt.timedelta(hours=24) and status != "suspended":
            self.counts["open_due_within_24h"] += 1
        self.counts["open"] += 1


# --- loading -------------------------------------------------------------------------


def _copy(table: str, cols: list[str], rows) -> None:
    qn = connection.ops.quote_name
    sql = f"COPY {qn(table)} ({', '.join(qn(c) for c in cols)}) FROM STDIN"
    with connection.connection.cursor() as cur, cur.copy(sql) as copy:
        for r in rows:
            copy.write_row(r)


def _suspend_constraints(tables: list[str]) -> list[str]:
    """Drop the tables' foreign keys and secondary indexes; return the SQL to restore them.

    One validating pass per foreign key and one sorted build per index at the
    end are much cheaper than maintaining them row by row (and the deferred
    foreign keys would otherwise queue a trigger event per row until COMMIT).
    """
    qn = connection.ops.quote_name
    restore: list[str] = []
    with connection.cursor() as cur:
        cur.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
            "WHERE c.relname = ANY(%s) AND pg_table_is_visible(c.oid) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid) ORDER BY 1",
            [tables],
        )
        for name, definition in cur.fetchall():
            cur.execute(f"DROP INDEX {name}")
            restore.append(definition)
        cur.execute(
            "SELECT c.relname, con.conname, pg_get_constraintdef(con.oid) "
            "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
            "WHERE con.contype = 'f' AND c.relname = ANY(%s) AND pg_table_is_visible(c.oid) "
            "ORDER BY 1, 2",
            [tables],
        )
        fks = cur.fetchall()
        for table, name, _definition in fks:
            cur.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
        restore.append("ANALYZE appeals_appeal")
        restore.append("ANALYZE appeals_appealevent")
        for table, name, definition in fks:
            restore.append(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
    return restore


# The tables the load empties; every table that points at them is dealt with
# by _empty_appeal_tables.
APPEAL_TABLES = [
    "appeals_appeal",
    "appeals_appealevent",
    "appeals_appealphoto",
    "appeals_disputeparty",
    "appeals_mediationsession",
]


def _empty_appeal_tables(cur, log=print) -> None:
    """TRUNCATE the appeal tables, whatever else in the schema points at them.

    PostgreSQL refuses to TRUNCATE a table that another table's foreign key
    references, even when no row does (the duty logs' `appeal` link). Rows
    outside the appeal tables that may point at an appeal (nullable links,
    `on_delete=SET_NULL` in the models) lose the link, as deleting the appeals
    through Django would do, and keep everything else (the duty logs of
    04_duties.py stay); their foreign keys are dropped for the TRUNCATE and
    re-added, checked, in the same transaction. Tables whose rows cannot live
    without their appeal (a NOT NULL link) are emptied with them.
    """
    qn = connection.ops.quote_name
    cur.execute(
        "SELECT c.relname, con.conname, pg_get_constraintdef(con.oid), a.attname, a.attnotnull "
        "FROM pg_constraint con "
        "JOIN pg_class c ON c.oid = con.conrelid "
        "JOIN pg_class r ON r.oid = con.confrelid "
        "JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1] "
        "WHERE con.contype = 'f' AND r.relname = ANY(%s) AND NOT c.relname = ANY(%s) "
        "AND pg_table_is_visible(c.oid) ORDER BY 1, 2",
        [APPEAL_TABLES, APPEAL_TABLES],
    )
    outside = cur.fetchall()
    dependent = sorted({table for table, _n, _d, _c, notnull in outside if notnull})
    unlinked = [row for row in outside if not row[4]]
    for table, name, _definition, column, _notnull in unlinked:
        cur.execute(f"UPDATE {qn(table)} SET {qn(column)} = NULL WHERE {qn(column)} IS NOT NULL")
        if cur.rowcount:
            log(f"  unlinked {cur.rowcount:,} rows of {table} from their appeal")
        cur.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
    if dependent:
        log(f"  emptied with the appeals (their rows need an appeal): {', '.join(dependent)}")
    tables = ", ".join(qn(t) for t in [*APPEAL_TABLES, *dependent])
    # CASCADE only reaches tables that point at `dependent` ones: they need their rows too.
    cur.execute(f"TRUNCATE {tables}" + (" CASCADE" if dependent else ""))
    for table, name, definition, _column, _notnull in unlinked:
        cur.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")


def ensure_meta() -> None:
    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {META} ("
            "id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1), "
            "anchor timestamptz NOT NULL, loaded_at timestamptz NOT NULL, "
            "appeals integer NOT NULL, events bigint NOT NULL, load_seconds double precision, "
            "seed integer, counts jsonb NOT NULL DEFAULT '{}', "
            "snapshot_event_id bigint)"
        )


def read_meta() -> dict | None:
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT anchor, loaded_at, appeals, events, load_seconds, seed, counts, "
            f"snapshot_event_id FROM {META} WHERE id = 1"
        )
        row = cur.fetchone()
    if row is None:
        return None
    keys = ["anchor", "loaded_at", "appeals", "events", "load_seconds", "seed", "counts"]
    out = dict(zip([*keys, "snapshot_event_id"], row, strict=True))
    if isinstance(out["counts"], str):
        out["counts"] = json.loads(out["counts"])
    return out


def load(n: int, *, log=print) -> dict:
    """Empty the appeal tables and load `n` appeals; return counts and timings."""
    from django.utils import timezone

    t0 = time.perf_counter()
    anchor = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        with connection.cursor() as cur:
            _empty_appeal_tables(cur, log)
            cur.execute(f"DELETE FROM {META}")
        county = read_county()
        t_read = time.perf_counter() - t0
        log(f"  read the county ({len(county.hh_id):,} households) in {t_read:.1f}s")
        gen = Generator(county, n, anchor)
        times = gen.times()
        chosen = gen.choose_open(times)
        restore = _suspend_constraints(["appeals_appeal", "appeals_appealevent"])
        for lo in range(0, n, CHUNK):
            appeals, events = [], []
            for i in range(lo, min(n, lo + CHUNK)):
                row, evs = gen.build(i + 1, times[i], i in chosen)
                appeals.append(row)
                events.extend(evs)
            _copy("appeals_appeal", APPEAL_COLS, appeals)
            _copy("appeals_appealevent", EVENT_COLS, events)
        t_rows = time.perf_counter() - t0
        log(f"  rows generated and written in {t_rows:.1f}s")
        with connection.cursor() as cur:
            for sql in restore:
                cur.execute(sql)
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('appeals_appeal', 'id'), %s), "
                "setval(pg_get_serial_sequence('appeals_appealevent', 'id'), %s)",
                [n, gen.next_event_id - 1],
            )
        t_idx = time.perf_counter() - t0
        log(f"  indexes built and foreign keys checked at {t_idx:.1f}s")
        counts = dict(gen.counts)
        counts["status"] = gen.status_counts
        counts["resolved_level"] = gen.resolved_levels
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {META} (id, anchor, loaded_at, appeals, events, seed, counts) "
                "VALUES (1, %s, %s, %s, %s, %s, %s)",
                [anchor, anchor, counts["appeals"], counts["events"], SEED, json.dumps(counts)],
            )
    with connection.cursor() as cur:  # outside the transaction
        cur.execute("VACUUM ANALYZE appeals_appeal")
        cur.execute("VACUUM ANALYZE appeals_appealevent")
    seconds = time.perf_counter() - t0
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {META} SET load_seconds = %s", [seconds])
    log(f"  VACUUM ANALYZE done; load took {seconds:.1f}s")
    return {"seconds": seconds, "counts": counts}


def reanchor(*, log=print) -> float:
    """Move the clocks of open and awaiting-rating appeals (and their events) forward
    by the time since the last anchor, so the tick sees the situation of the load.

    Closed appeals keep their dates. Returns the shift in seconds.
    """
    from django.utils import timezone

    meta = read_meta()
    if meta is None:
        return 0.0
    now = timezone.now().replace(microsecond=0)
    shift = now - meta["anchor"]
    if shift.total_seconds() <= 0:
        return 0.0
    statuses = list(OPEN_STATUSES) + ["resolved"]
    sets = ", ".join(f"{c} = {c} + %(d)s" for c in CLOCK_COLUMNS)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE appeals_appealevent e SET at = e.at + %(d)s FROM appeals_appeal a "
            "WHERE e.appeal_id = a.id AND a.status = ANY(%(s)s)",
            {"d": shift, "s": statuses},
        )
        cur.execute(
            f"UPDATE appeals_appeal SET {sets} WHERE status = ANY(%(s)s)",
            {"d": shift, "s": statuses},
        )
        moved = cur.rowcount
        cur.execute(f"UPDATE {META} SET anchor = %s", [now])
    log(f"  moved the clocks of {moved:,} open/awaiting-rating appeals forward by {shift}")
    return shift.total_seconds()
