"""Demo duty records for the `small` demo county.

Two parts:

- **a past** (`_history`): from the first day of this year (or of last quarter,
  when earlier) up to the end of last week, contacts and home visits of every
  representative with the households they served on each day, the groups'
  deliberation events of each quarter and some yearly reports, so that the team
  page's month, quarter and year views mean something. Most representatives keep
  up; some fall behind; one did nothing since the first of last month; one group
  held no deliberation last quarter. These rows are dated further back than the
  late-entry window lets the services write, so they are bulk-written, as an
  import of paper registers would be (`docs/duties.md`, "Performance"): the
  records in bulk (plain INSERTs of prepared rows), then the rollup (`DutyTally`) filled for the
  whole history by `compliance.warm(since=...)`, exactly as after a bulk import.
- **this week** (through the services, as a phone would): the demo
  representative has contacted some of their households and visited two, so
  their page shows work done and work owed.

Deterministic: a fixed seed, dates relative to today.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections import defaultdict

from django.db import connection, transaction
from django.utils import timezone

from linli.accounts.models import User
from linli.accounts.selectors import user_by_phone
from linli.core.timeutil import today
from linli.org.models import HouseholdLink, Representative, Unit, UnitKind
from linli.org.selectors import current_links

from . import compliance, services
from .models import (
    AnnualReport,
    ContactLog,
    ContactMethod,
    Deliberation,
    FiveRole,
    HomeVisit,
    ReportKind,
    month_middle,
    week_of,
)

SEED = 20261130
DEMO_REP_PHONE = "13800000007"
BEHIND_SHARE = 0.2  # representatives who fall behind; the others miss nothing
# How often a representative keeping up / falling behind contacts and visits.
KEEPS_UP = (1.0, 1.0)
FALLS_BEHIND = (0.6, 0.5)

_METHODS = [ContactMethod.PHONE] * 6 + [ContactMethod.ONLINE] * 3 + [ContactMethod.IN_PERSON]
_ROLES = [FiveRole.LIAISON] * 7 + [FiveRole.PUBLICIST, FiveRole.SAFETY, FiveRole.MEDIATOR]
_NOTES = ["", "", "", "电话问候，家中一切正常", "微信问候", "提醒注意用电安全", "转告村里通知"]
_MET = ["户主", "户主夫妇", "户主及子女", "老人", "户主母亲"]
_FINDINGS = [
    "家中一切正常",
    "老人身体尚好，药品充足",
    "检查了用电用气安全",
    "屋后排水沟有些堵塞，已提醒清理",
    "孩子在外务工，老人独自在家",
    "询问了医保缴费情况",
]
_NEEDS = ["", "", "", "希望村里修缮路灯", "需要代办医保报销", "需要联系家庭医生"]
_RISKS = ["", "", "", "", "老房子墙体有裂缝", "独居老人，需多走动"]
_TOPICS = [
    "村组道路维修筹资",
    "垃圾分类与环境卫生",
    "村规民约修订",
    "防汛抗旱准备",
    "邻里纠纷调解经验交流",
    "集体收益分配方案",
]


def seed(progress=print) -> int:
    if ContactLog.objects.exists():
        return 0
    user = user_by_phone(DEMO_REP_PHONE)
    rep = Representative.objects.filter(user=user, term_end__isnull=True).first() if user else None
    if user is None or rep is None:
        progress("demo duties: the demo representative is missing; skipped")
        return 0
    now = today()
    with transaction.atomic():
        made = _history(now, rep, progress)
        made += _this_week(now, user, rep)
    progress(f"demo duties: {made} records")
    return made


def _this_week(now: dt.date, user: User, rep: Representative) -> int:
    """The demo representative's week so far, through the services."""
    households = [
        link.household
        for link in current_links()
        .filter(representative=rep)
        .select_related("household")
        .order_by("household_id")
    ]
    monday = now - dt.timedelta(days=now.weekday())
    made = 0
    for i, h in enumerate(households[: len(households) // 2]):
        day = max(monday, now - dt.timedelta(days=i % 3))
        services.contact_log(
            actor=user, representative=rep, household=h, day=day, method="phone",
            role=FiveRole.LIAISON, note="电话问候，家中一切正常",
        )  # fmt: skip
        made += 1
    for h in households[:2]:
        services.visit_log(
            actor=user, representative=rep, household=h, day=now, role=FiveRole.SAFETY,
            met="户主", findings="检查了用电用气安全", needs="", risks="",
        )  # fmt: skip
        made += 1
    return made


def _quarter_start(day: dt.date) -> dt.date:
    return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _next_quarter(day: dt.date) -> dt.date:
    return _next_month(_next_month(_next_month(day)))


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


class _Links:
    """Who served each household on a day (the link history, in memory)."""

    def __init__(self):
        self.by_household: dict[int, list[tuple[dt.date, dt.date | None, int]]] = defaultdict(list)
        for hid, rid, start, end in HouseholdLink.objects.values_list(
            "household_id", "representative_id", "valid_from", "valid_to"
        ).order_by("household_id", "valid_from", "id"):
            self.by_household[hid].append((start, end, rid))

    def serving(self, household: int, day: dt.date) -> int | None:
        for start, end, rid in self.by_household[household]:
            if start <= day and (end is None or end > day):
                return rid
        return None


def _history(now: dt.date, demo_rep: Representative, progress) -> int:
    rng = random.Random(SEED)
    start = min(dt.date(now.year, 1, 1), _quarter_start(_quarter_start(now) - dt.timedelta(1)))
    this_monday = now - dt.timedelta(days=now.weekday())
    last_month = (now.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    reps = list(
        Representative.objects.filter(term_start__lte=now)
        .select_related("unit")
        .order_by("unit__path", "pk")
    )
    if not reps:
        return 0
    users = dict(Representative.objects.filter(user__isnull=False).values_list("pk", "user_id"))
    # Profiles: the demo representative keeps up; a share falls behind; one
    # (the first outside the demo representative's group) did nothing since last month.
    others = [r for r in reps if r.pk != demo_rep.pk]
    behind = {r.pk for r in rng.sample(others, max(1, int(len(others) * BEHIND_SHARE)))}
    missed = next(
        (r for r in others if r.unit_id != demo_rep.unit_id and r.pk not in behind), others[0]
    )
    behind.discard(missed.pk)
    rates = {r.pk: FALLS_BEHIND if r.pk in behind else KEEPS_UP for r in reps}

    # Silent from the first week counted in last month (the one holding its first Thursday).
    silent_from = last_month + dt.timedelta(days=(3 - last_month.weekday()) % 7 - 3)

    def silent(rep_id: int, day: dt.date) -> bool:
        return rep_id == missed.pk and day >= silent_from

    links = _Links()
    households = sorted(links.by_household)
    contacts: list[tuple] = []
    visits: list[tuple] = []
    ops = connection.ops
    day_ = functools.cache(ops.adapt_datefield_value)

    @functools.cache
    def at(day: dt.date, hour: int):
        return ops.adapt_datetimefield_value(_at(day, hour))

    # Contacts: every week fully before this one.
    monday = start - dt.timedelta(days=start.weekday())
    while monday < this_monday:
        for hid in households:
            day = monday + dt.timedelta(days=rng.randrange(7))
            rid = links.serving(hid, day)
            if rid is None or silent(rid, day) or rng.random() >= rates.get(rid, KEEPS_UP)[0]:
                continue
            contacts.append(
                (
                    rid, hid, day_(day), day_(week_of(day)), rng.choice(_METHODS),
                    rng.choice(_ROLES), rng.choice(_NOTES), False, users.get(rid), at(day, 19),
                )
            )  # fmt: skip
        monday += dt.timedelta(days=7)
    # Home visits: every month up to this week (this month: the days before it,
    # and fewer of them, the month is still running).
    month = start.replace(day=1)
    while month < this_monday:
        last = min(_next_month(month), this_monday) - dt.timedelta(days=1)
        share = min(1.0, ((last - month).days + 1) / 28)
        for hid in households:
            day = month + dt.timedelta(days=rng.randrange((last - month).days + 1))
            rid = links.serving(hid, day)
            if (
                rid is None
                or silent(rid, day)
                or rng.random() >= rates.get(rid, KEEPS_UP)[1] * share
            ):
                continue
            visits.append(
                (
                    rid, hid, day_(day), day_(week_of(day)), day_(month_middle(month)),
                    rng.choice(_ROLES), rng.choice(_MET), rng.choice(_FINDINGS),
                    rng.choice(_NEEDS), rng.choice(_RISKS), "", False, users.get(rid),
                    at(day, 20),
                )
            )  # fmt: skip
        month = _next_month(month)
    _insert(ContactLog, CONTACT_COLUMNS, contacts)
    _insert(HomeVisit, VISIT_COLUMNS, visits)
    made = len(contacts) + len(visits)
    made += _deliberations(rng, now, start, reps, missed)
    made += _reports(rng, now, reps, behind, missed, users)
    # As after any bulk import of logs: fill the rollup for the whole history.
    compliance.invalidate(since=start)
    compliance.warm(day=now, since=start)
    progress(
        f"demo duties: {len(contacts)} contacts and {len(visits)} home visits since {start}, "
        f"{len(behind)} representatives behind, one silent since {silent_from}"
    )
    return made


# The columns of the bulk rows, in tuple order (the others are null).
CONTACT_COLUMNS = (
    "representative", "household", "day", "week", "method", "role", "note", "void",
    "created_by", "created_at",
)  # fmt: skip
VISIT_COLUMNS = (
    "representative", "household", "day", "week", "month", "role", "met", "findings", "needs",
    "risks", "note", "void", "created_by", "created_at",
)  # fmt: skip


def _insert(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Plain INSERTs of prepared rows: a hundred thousand model instances through
    `bulk_create` took most of a minute; these take a second or two."""
    qn = connection.ops.quote_name
    cols = ", ".join(qn(model._meta.get_field(c).column) for c in columns)
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({cols}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cur:
        for i in range(0, len(rows), 5000):
            cur.executemany(sql, rows[i : i + 5000])


def _deliberations(rng, now, start, reps, missed) -> int:
    """One event a quarter in most groups, organised by the group's representatives;
    the group of `missed` held none last quarter; this quarter, some so far."""
    by_group: dict[int, list[Representative]] = defaultdict(list)
    for r in reps:
        if r.unit.kind == UnitKind.GROUP:
            by_group[r.unit_id].append(r)
    groups = {u.pk: u for u in Unit.objects.filter(pk__in=by_group).select_related("parent")}
    this_quarter = _quarter_start(now)
    last_quarter = _quarter_start(this_quarter - dt.timedelta(days=1))
    events: list[Deliberation] = []
    organisers: list[list[Representative]] = []
    quarter = _quarter_start(start)
    while quarter <= this_quarter:
        end = min(_next_quarter(quarter), now) - dt.timedelta(days=1)
        running = quarter == this_quarter
        # In the running quarter, more groups have met the later it is.
        held_by_now = min(0.9, 0.3 + (now - quarter).days / 92)
        for gid in sorted(by_group):
            if quarter == last_quarter and gid == missed.unit_id:
                continue
            if end < quarter or rng.random() >= (held_by_now if running else 0.95):
                continue
            day = quarter + dt.timedelta(days=rng.randrange((end - quarter).days + 1))
            group = groups[gid]
            events.append(
                Deliberation(
                    unit=group,
                    day=day,
                    place=f"{group.parent.name if group.parent else ''}{group.name}议事点",
                    topic=rng.choice(_TOPICS),
                    attendee_count=rng.randint(12, 40),
                    minutes="村头事村头述，邻里情邻里评。",
                    outcomes="形成一致意见，报村委会备案。",
                    created_at=_at(day, 15),
                )  # fmt: skip
            )
            organisers.append(by_group[gid])
        quarter = _next_quarter(quarter)
    Deliberation.objects.bulk_create(events, batch_size=1000)
    through = Deliberation.organisers.through
    through.objects.bulk_create(
        [
            through(deliberation_id=e.pk, representative_id=r.pk)
            for e, reps_ in zip(events, organisers, strict=True)
            for r in reps_
        ],
        batch_size=2000,
    )
    return len(events)


def _reports(rng, now, reps, behind, missed, users) -> int:
    """This year's reports so far: most have reported to the residents, fewer to
    the village committees; those behind and the silent one less often."""
    first = dt.date(now.year, 1, 1)
    span = max((now - first).days, 1)
    rows: list[AnnualReport] = []
    for r in reps:
        lagging = r.pk in behind or r.pk == missed.pk
        for kind, p in ((ReportKind.RESIDENTS, 0.9), (ReportKind.COMMITTEES, 0.8)):
            if rng.random() >= (p / 2 if lagging else p):
                continue
            day = first + dt.timedelta(days=rng.randrange(span))
            rows.append(
                AnnualReport(
                    representative_id=r.pk,
                    kind=kind,
                    day=day,
                    audience="本组村民" if kind == ReportKind.RESIDENTS else "村“两委”",
                    text=f"{r.name}{now.year}年度履职情况：联系走访群众，收集反映诉求，参与民主议事。",
                    created_by_id=users.get(r.pk),
                    created_at=_at(day, 10),
                )  # fmt: skip
            )
    AnnualReport.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
