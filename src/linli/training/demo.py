"""Demo representative training for the `small` demo county.

The first town's cadre-training plan of this year: a session held a month ago (its
serving representatives enrolled, attendance recorded, one correction: a
representative first marked absent had come late, and is credited part of the
minutes), a session planned in three weeks with enrolments, and one cancelled.

Written through the services, as the town would. Deterministic: dates relative to
today, kept inside this year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction

from linli.accounts.models import User
from linli.core.timeutil import today
from linli.org.models import Representative, Unit, UnitKind

from . import services
from .models import AttendanceStatus


def _day(offset: int) -> dt.date:
    """`offset` days from today, kept inside this year (and past ones in the past)."""
    day = today() + dt.timedelta(days=offset)
    if day.year == today().year:
        return day
    return today().replace(month=1, day=1) if offset < 0 else today().replace(month=12, day=31)


@transaction.atomic
def seed(progress: Callable[[str], object] = print) -> int:
    actor = User.objects.filter(is_superuser=True).order_by("pk").first()
    town = (
        Unit.objects.filter(kind__in=(UnitKind.TOWN, UnitKind.SUBDISTRICT)).order_by("path").first()
    )
    if actor is None or town is None:
        return 0
    year = today().year
    plan = services.plan_create(
        actor=actor, unit=town, year=year, title=f"{year}年度村（居）民代表履职培训计划"
    )
    reps = list(
        Representative.objects.filter(
            term_end__isnull=True, unit__path__startswith=town.path
        ).order_by("unit__path", "pk")[:30]
    )
    held = services.session_create(
        actor=actor,
        plan=plan,
        title="代表履职能力专题培训",
        topic="民情收集与诉求办理流程",
        held_on=_day(-30),
        starts_at=dt.time(9, 0),
        duration_minutes=180,
        credit_minutes=180,
        place="镇政府三楼会议室",
        capacity=max(len(reps), 1),
    )
    upcoming = services.session_create(
        actor=actor,
        plan=plan,
        title="议事协商规则培训",
        topic="村民议事清单与表决程序",
        held_on=_day(21) if _day(21) > today() else today(),
        starts_at=dt.time(14, 30),
        duration_minutes=120,
        place="镇党群服务中心",
        capacity=max(len(reps), 1),
    )
    cancelled = services.session_create(
        actor=actor,
        plan=plan,
        title="消防安全知识培训",
        held_on=_day(10) if _day(10) > today() else today(),
        duration_minutes=90,
        place="镇应急管理站",
        capacity=40,
    )
    services.session_cancel(actor=actor, session=cancelled, reason="与防汛值班冲突，改期另行通知")
    attended = 0
    if reps:
        services.enrol(actor=actor, session=held, representatives=reps)
        marks = []
        for n, r in enumerate(reps):
            status = AttendanceStatus.EXCUSED if n % 7 == 3 else AttendanceStatus.PRESENT
            if n == 1:
                status = AttendanceStatus.ABSENT
            marks.append(services.Mark(r.pk, status))
        services.attendance_record(actor=actor, session=held, marks=marks)
        late = reps[1] if len(reps) > 1 else reps[0]
        services.attendance_record(
            actor=actor,
            session=held,
            marks=[services.Mark(late.pk, AttendanceStatus.PRESENT, 120)],
            reason="迟到一小时，签到表补录",
        )
        services.enrol(actor=actor, session=upcoming, representatives=reps[: len(reps) // 2 or 1])
        attended = sum(1 for m in marks if m.status == AttendanceStatus.PRESENT) + 1
    progress(f"  training: 1 plan, 3 sessions, {attended} representatives attended")
    return attended
