"""Demo hundred best, benefits and reserve pool for the `small` demo county.

The scores of this year and last year are computed first (`evaluation`). Last year's
selection has gone through every step to its final list (its public notice is dated back
to last winter, the only row the demo writes by hand), and its hundred best received
their benefits; this year's selection is on public notice now, with one resident's
objection waiting for the city. The reserve pool of this year is proposed by the demo's
rule (age under 45, at least 60 points). Written through the services, as the city and
the towns would; deterministic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction

from linli.accounts.models import User
from linli.core.timeutil import today
from linli.evaluation import services as evaluation

from . import selectors, services
from .models import Selection

KINDS = (
    ("景区免票", "市文旅广体局", "全市A级景区免门票"),
    ("公交乘车优惠", "市公交公司", "市内公交免费乘车"),
    ("有线电视收视费减免", "广电网络公司", "减免一年收视费"),
    ("创业贷款贴息", "市农商银行", "创业贷款财政贴息"),
)
CITATION = "扎根邻里，带头调解矛盾纠纷，组织邻里服务日活动，群众评价好。"


def _run(actor: User, year: int, seats_per_town: int) -> Selection:
    sel = services.selection_open(actor=actor, year=year, seats=100)
    towns = list(selectors.towns())
    for town in towns:
        services.quota_set(actor=actor, selection=sel, town=town, seats=seats_per_town)
    for town in towns:
        for row in selectors.suggestions(sel, town):
            n = services.nominate(
                actor=actor,
                selection=sel,
                representative=row.score.representative,
                citation=CITATION,
            )
            services.town_decide(actor=actor, nomination=n, approve=True, note="同意推荐")
        services.town_submit(actor=actor, selection=sel, town=town)
    services.stage_advance(actor=actor, selection=sel)
    services.stage_advance(actor=actor, selection=sel)
    for n in sel.nominations.all():
        services.city_decide(actor=actor, nomination=n, approve=True, note="审批通过")
    return services.stage_advance(actor=actor, selection=sel, days=7)


@transaction.atomic
def seed(progress: Callable[[str], object] = print) -> int:
    actor = User.objects.filter(is_superuser=True).order_by("pk").first()
    if actor is None or not selectors.towns().exists():
        return 0
    year = today().year
    evaluation.scores_compute(year - 1)
    evaluation.scores_compute(year)
    # Last year: to the final list; its notice ran last winter.
    last = _run(actor, year - 1, 3)
    ended = today() - dt.timedelta(days=30)
    Selection.objects.filter(pk=last.pk).update(
        notice_starts=ended - dt.timedelta(days=6), notice_ends=ended
    )
    last = services.selection_finalise(actor=actor, selection=last, note="公示期满无异议")
    kinds = [
        services.benefit_kind_save(actor=actor, name=n, provider=p, description=d)
        for n, p, d in KINDS
    ]
    finalists = list(selectors.final_list(actor, year - 1).select_related("representative__unit"))
    for i, n in enumerate(finalists):
        services.benefit_issue(
            actor=actor,
            kind=kinds[0],
            representative=n.representative,
            year=year - 1,
            issued_on=today() - dt.timedelta(days=20),
            reference=f"JQ-{year - 1}-{i + 1:03d}",
        )
    # This year: on public notice, one objection waiting.
    this = _run(actor, year, 2)
    first = selectors.public_nominees(this).first()
    if first is not None:
        services.objection_file(
            nomination=first,
            text="该代表本年度走访次数偏少，请核实。",
            phone="13900001111",
            name="",
            client="demo",
        )
    services.reserve_rule_set(actor=actor, year=year, max_age=45, min_score=60)
    proposed = services.reserve_propose(actor=actor, year=year)
    progress(
        f"  hundred best: {len(finalists)} on last year's list, "
        f"{selectors.public_nominees(this).count()} on notice; {proposed} reserve candidates"
    )
    return len(finalists)
