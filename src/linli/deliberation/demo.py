"""Demo rows of the deliberation list for the `small` demo county, through the services.

- the town's catalogue (大瑶镇: public works, collective funds, land, public welfare,
  assistance reviews) and one entry of the village's own (李畋村);
- three appeals about the same road in 李畋村 and an item proposed from them;
- items at different stages: proposed by the demo representative, on the next
  meeting's agenda, one whose first vote failed its quorum, one being carried out with
  a progress update, one published (公示) with residents' comments;
- one undeliberated decision recorded by the town.

Meetings are `activities.Activity` rows of kind deliberation: the village's own when
the activities demo made some, else two made here (the activities app owns their
services; these rows are only the agenda's anchors).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from linli.accounts.models import User
from linli.activities.models import Activity, ActivityKind
from linli.appeals import services as appeal_services
from linli.appeals.models import Category
from linli.core.timeutil import today
from linli.org.models import Representative, Unit

from . import selectors, services
from .models import Item, Matter

TOWN_MATTERS = [
    ("GC", "村级公共工程建设", "道路、水利、村部等公共设施的新建、改建"),
    ("ZJ", "集体资金使用", "集体资金、资产的使用、处置和收益分配"),
    ("TD", "集体土地流转/征收", "集体土地承包、流转、征收补偿方案"),
    ("GY", "公益事业项目", "一事一议筹资筹劳的公益事业"),
    ("PY", "低保/救助对象评议", "低保、特困、临时救助对象的民主评议"),
]
ROAD = "李畋村村部门前道路"
RESIDENT_PHONES = ["13907310011", "13907310012", "13907310013"]


def _meeting(village: Unit, days: int, title: str) -> Activity:
    starts = timezone.now() + dt.timedelta(days=days)
    found = (
        selectors.meetings_for(village).filter(starts_at__date=starts.date()).first()
        if days
        else None
    )
    return found or Activity.objects.create(
        unit=village,
        kind=ActivityKind.DELIBERATION,
        title=title,
        place="村部会议室",
        starts_at=starts,
        on_service_day=True,
    )


def seed(progress=print) -> int:
    """Create the demo deliberation list once; return how many items were made."""
    if Item.objects.exists() or Matter.objects.exists():
        return 0
    try:
        town_user = User.objects.get_by_natural_key("13800000003")
        village_user = User.objects.get_by_natural_key("13800000004")
        rep_user = User.objects.get_by_natural_key("13800000007")
    except User.DoesNotExist:
        progress("demo deliberation: the demo accounts are missing; skipped")
        return 0
    village = Unit.objects.filter(name="李畋村").first()
    if village is None or village.parent is None:
        progress("demo deliberation: 李畋村 is missing; skipped")
        return 0
    town = village.parent
    with transaction.atomic():
        made = _seed(town, village, town_user, village_user, rep_user)
    progress(f"demo deliberation: {made} items")
    return made


def _seed(town, village, town_user, village_user, rep_user) -> int:
    matters = {
        code: services.matter_create(
            actor=town_user, unit=town, code=code, title=title, description=text
        )
        for code, title, text in TOWN_MATTERS
    }
    services.matter_create(
        actor=village_user, unit=village, code="CT", title="祠堂及公共活动场所修缮"
    )
    serving = selectors.serving_count(village)
    past = _meeting(village, -20, "第三季度睦邻议事会")
    nxt = _meeting(village, 5, "睦邻服务日议事会")
    made = 0

    # From the appeals to the agenda: three residents about the same road.
    rep = Representative.objects.filter(user=rep_user).select_related("unit").first()
    households = list(rep.unit.households.order_by("pk")[:3]) if rep is not None else []
    category = (
        Category.objects.filter(code="roads").first()
        or Category.objects.filter(parent__isnull=False).first()
    )
    appeals = []
    if category is not None:
        for i, household in enumerate(households):
            appeals.append(
                appeal_services.appeal_file(
                    actor=None,
                    category=category,
                    title="村部门前道路坑洼",
                    description="下雨后路面积水，老人出行不便",
                    household=household,
                    address=ROAD,
                    reporter_name=f"居民{i + 1}",
                    reporter_phone=RESIDENT_PHONES[i],
                )
            )
    if appeals:
        services.item_propose(
            actor=village_user,
            unit=village,
            title="硬化村部门前道路",
            description=f"{len(appeals)}位居民反映村部门前道路坑洼积水",
            matter=matters["GC"],
            appeals=appeals,
        )
        made += 1

    # Proposed by the demo representative.
    if Representative.objects.filter(user=rep_user, unit__path__startswith=village.path).exists():
        services.item_propose(
            actor=rep_user, unit=village, title="增设一组路灯", matter=matters["GY"]
        )
        made += 1

    # On the next meeting's agenda.
    item = services.item_propose(
        actor=village_user, unit=village, title="2026年度低保对象评议", matter=matters["PY"]
    )
    services.item_schedule(actor=village_user, item=item, meeting=nxt)
    made += 1

    # The first vote failed its quorum: back on the agenda of the next meeting.
    item = services.item_propose(
        actor=village_user, unit=village, title="集体山林流转方案", matter=matters["TD"]
    )
    services.item_schedule(actor=village_user, item=item, meeting=past)
    services.item_discuss(actor=village_user, item=item, note="对流转年限意见不一")
    services.item_vote(
        actor=village_user,
        item=item,
        present=serving // 2,
        votes_for=serving // 2,
        votes_against=0,
        votes_abstain=0,
        note="到会人数不足三分之二",
    )
    services.item_schedule(actor=village_user, item=item, meeting=nxt)
    made += 1

    if serving:
        # Being carried out.
        item = _decided(village_user, village, past, serving, "村集体收益分红方案", matters["ZJ"])
        services.item_progress(actor=village_user, item=item, note="分红名册已公示，开始发放")
        made += 1
        # Made public, with comments.
        item = _decided(village_user, village, past, serving, "修缮村小学围墙", matters["GC"])
        services.item_progress(actor=village_user, item=item, note="围墙已砌筑完成")
        services.item_complete(actor=village_user, item=item, note="验收合格")
        item = services.item_publish(actor=village_user, item=item)
        for name, text in [
            ("李大爷", "围墙修得结实，孩子们安全多了"),
            ("王阿姨", "建议再加装照明"),
        ]:
            services.comment_add(item=item, name=name, text=text, client="demo")
        made += 1

    services.skipped_record(
        actor=town_user,
        unit=village,
        matter=matters["ZJ"],
        decided="未经代表议事，直接决定以集体资金购置办公车辆",
        decided_on=today() - dt.timedelta(days=10),
        evidence="村务公开栏未见议事记录，财务凭证显示已支付",
    )
    return made


def _decided(actor, village, meeting, serving, title, matter):
    item = services.item_propose(actor=actor, unit=village, title=title, matter=matter)
    services.item_schedule(actor=actor, item=item, meeting=meeting)
    services.item_discuss(actor=actor, item=item, note="代表充分讨论")
    services.item_vote(
        actor=actor,
        item=item,
        present=serving,
        votes_for=serving,
        votes_against=0,
        votes_abstain=0,
    )
    return services.item_decide(actor=actor, item=item, decision=f"同意{title}")
