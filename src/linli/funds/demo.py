"""Demo service fund for the `small` demo county.

The first town gives 300 yuan a representative this year, with approval above 100 yuan;
its representatives' funds are opened. The demo representative (13800000007) has
spent on their households: two counted spendings, one reversed (a mistaken amount,
re-entered), one refused by the village cadre and one waiting for the village cadre's
approval (13800000004 approves it in the demo).

Written through the services, as the town, the representative and the village cadre
would. Deterministic: dates relative to today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction

from linli.accounts.models import Role, RoleAssignment, User
from linli.accounts.selectors import phone_q
from linli.core.timeutil import today
from linli.org.models import VILLAGE_DEPTH, Representative, Unit, UnitKind, path_at

from . import selectors, services
from .models import FundEntry

DEMO_REP_PHONE = "13800000007"


def _day(back: int) -> dt.date:
    """`back` days ago, kept inside this year."""
    day = today() - dt.timedelta(days=back)
    return day if day.year == today().year else today().replace(month=1, day=1)


@transaction.atomic
def seed(progress: Callable[[str], object] = print) -> int:
    actor = User.objects.filter(is_superuser=True).order_by("pk").first()
    town = (
        Unit.objects.filter(kind__in=(UnitKind.TOWN, UnitKind.SUBDISTRICT)).order_by("path").first()
    )
    if actor is None or town is None:
        return 0
    year = today().year
    services.fund_rule_set(
        actor=actor, unit=town, year=year, allocation_fen=300_00, approval_fen=100_00
    )
    opened = services.allocations_open(actor=actor, unit=town, year=year)
    user = User.objects.filter(phone_q(DEMO_REP_PHONE)).first()
    rep = (
        Representative.objects.filter(user=user, term_end__isnull=True)
        .select_related("unit")
        .first()
        if user is not None
        else None
    )
    entries = 0
    if user is not None and rep is not None and rep.unit.path.startswith(town.path):
        households = list(selectors.households_for(rep)[:3])

        def spend(fen: int, back: int, purpose: str, n: int = 0) -> FundEntry:
            return services.fund_spend(
                actor=user,
                representative=rep,
                amount_fen=fen,
                day=_day(back),
                purpose=purpose,
                household=households[n % len(households)] if households else None,
            )

        spend(45_00, 40, "为独居老人购买常用药品")
        wrong = spend(88_00, 30, "慰问困难户购买米油（金额记错）", 1)
        services.fund_reverse(actor=user, entry=wrong, reason="金额记错，按实际金额重新登记")
        spend(68_50, 29, "慰问困难户购买米油", 1)
        refused = spend(150_00, 20, "购买邻里节奖品", 2)
        cadre = (
            RoleAssignment.objects.filter(
                role=Role.VILLAGE, unit__path=path_at(rep.unit.path, VILLAGE_DEPTH)
            )
            .select_related("user")
            .first()
        )
        decider = cadre.user if cadre is not None else actor
        services.fund_decide(
            actor=decider, entry=refused, approve=False, note="不属于服务群众支出范围"
        )
        # Left waiting for the village cadre's approval.
        spend(120_00, 3, "修缮村口路灯材料费", 2)
        entries = 6
    progress(f"  service fund: {opened} funds opened, {entries} entries")
    return opened
