"""Demo service days and activities for the `small` demo county.

The first town keeps the 10th of each month; its first village keeps its own second
Saturday, the others follow the town. In that village: a deliberation meeting held
last week (recorded in the duties as its organisers' deliberation event), a festival
held earlier this month, and coming activities on the next service days with sign-ups
(the demo representative's by account, residents' by mobile), and one cancelled.

Written through the services as a superuser would (the residents' sign-ups are rows
as an import would leave them: their one-time codes cannot be typed here).
Deterministic: dates relative to today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from linli.accounts.models import User
from linli.accounts.selectors import phone_q
from linli.core.timeutil import today
from linli.org.models import Representative, Unit, UnitKind

from . import selectors, services
from .models import LAST, Activity, ActivityKind, RuleKind, Signup

DEMO_REP_PHONE = "13800000007"
RESIDENTS = [("周阿姨", "13900001001"), ("吴大爷", "13900001002"), ("郑师傅", "13900001003")]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@transaction.atomic
def seed(progress: Callable[[str], object] = print) -> int:
    actor = User.objects.filter(is_superuser=True).order_by("pk").first()
    town = (
        Unit.objects.filter(kind__in=(UnitKind.TOWN, UnitKind.SUBDISTRICT)).order_by("path").first()
    )
    if actor is None or town is None:
        return 0
    villages = list(
        Unit.objects.filter(parent=town, kind__in=(UnitKind.VILLAGE, UnitKind.COMMUNITY)).order_by(
            "path"
        )
    )
    if not villages:
        return 0
    now = today()
    year_start = now.replace(month=1, day=1)
    services.service_day_set(
        actor=actor, unit=town, kind=RuleKind.MONTH_DAY, month_day=10, effective_from=year_start
    )
    village = villages[0]
    services.service_day_set(
        actor=actor,
        unit=village,
        kind=RuleKind.WEEKDAY,
        nth=2,
        weekday=5,
        effective_from=year_start,
    )
    if len(villages) > 2:
        services.service_day_set(
            actor=actor,
            unit=villages[2],
            kind=RuleKind.MONTH_DAY,
            month_day=LAST,
            effective_from=year_start,
        )
    reps = list(
        Representative.objects.filter(
            unit__path__startswith=village.path, term_end__isnull=True
        ).order_by("unit__path", "pk")[:3]
    )
    demo_rep = Representative.objects.filter(phone_q(DEMO_REP_PHONE, "user__")).first()
    if demo_rep is not None and demo_rep.unit.path.startswith(village.path):
        reps = [demo_rep, *[r for r in reps if r.pk != demo_rep.pk]][:3]
    made = 0

    def plan(kind: str, title: str, place: str, start: dt.datetime, **kw: object) -> Activity:
        nonlocal made
        made += 1
        return services.activity_create(
            actor=actor,
            unit=village,
            kind=kind,
            title=title,
            place=place,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            organisers=reps[:2],
            **kw,  # type: ignore[arg-type]
        )

    # Held: a deliberation meeting last week, a festival earlier.
    meeting = plan(
        ActivityKind.DELIBERATION,
        "睦邻议事会：村道路灯安装",
        f"{village.name}村部会议室",
        _at(now - dt.timedelta(days=5), 19, 30),
    )
    if reps:
        services.activity_hold(
            actor=actor,
            activity=meeting,
            outcome="议定在主干道新装路灯12盏，费用由村集体与受益户分担，下月动工。",
            walk_ins=23,
        )
    festival = plan(
        ActivityKind.FESTIVAL,
        "睦邻邻里节：百家宴",
        f"{village.name}文化广场",
        _at(now - dt.timedelta(days=12), 11),
    )
    services.activity_hold(
        actor=actor,
        activity=festival,
        outcome="全村120余人参加，表彰好邻居5户。",
        walk_ins=120,
    )

    # Coming, on the next service days.
    coming = selectors.coming_service_days(village, start=now + dt.timedelta(days=1), count=2)
    first = coming[0] if coming else now + dt.timedelta(days=7)
    second = coming[1] if len(coming) > 1 else first + dt.timedelta(days=28)
    lecture = plan(
        ActivityKind.LECTURE,
        "睦邻微宣讲：防范电信诈骗",
        f"{village.name}村部",
        _at(first, 9),
        capacity=30,
        description="派出所民警讲解常见电信诈骗手法，现场答疑。",
    )
    plan(
        ActivityKind.HOME_HELP,
        "为独居老人打扫卫生",
        f"{village.name}一组",
        _at(first, 14),
        capacity=6,
    )
    plan(ActivityKind.REPAIR, "义务维修小家电", f"{village.name}村部门口", _at(second, 9))
    rainy = plan(ActivityKind.VOLUNTEER, "河道清理志愿服务", f"{village.name}河边", _at(second, 15))
    services.activity_cancel(actor=actor, activity=rainy, reason="汛期水位上涨，改期举行")

    for name, phone in RESIDENTS:
        Signup.objects.create(activity=lecture, name=name, phone=phone)
    if demo_rep is not None and demo_rep.user is not None:
        services.signup_by_account(actor=demo_rep.user, activity=lecture)
    progress(f"activities: {made} activities, service days for {town.name} and {village.name}")
    return made
