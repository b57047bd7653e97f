"""Demo appeals for the `small` demo county, made through the real services so
every state, deadline, event and notification is what the platform would make.

They tell the seed's stories: the broken manhole cover (closed, rated), and
appeals waiting at each level so every demo account has something to do.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from linli.accounts.models import User
from linli.accounts.selectors import user_by_phone
from linli.org.models import Department, Representative, Unit
from linli.org.selectors import current_links

from . import services
from .models import Appeal, Category

RESIDENT_PHONES = ["13907310001", "13907310002", "13907310003", "13907310004", "13907310005"]


def _user(phone: str) -> User:
    user = user_by_phone(phone)
    if user is None:
        raise User.DoesNotExist(phone)
    return user


def seed(progress=print) -> int:
    """Create the demo appeals once; return how many were made."""
    if Appeal.objects.exists():
        return 0
    try:
        rep_user = _user("13800000007")
        village = _user("13800000004")
        town = _user("13800000003")
        dept = _user("13800000008")
    except User.DoesNotExist:
        progress("demo appeals: the demo accounts are missing; skipped")
        return 0
    rep = Representative.objects.get(user=rep_user)
    households = [
        link.household
        for link in current_links()
        .filter(representative=rep)
        .select_related("household__unit")
        .order_by("household_id")[:6]
    ]
    other_group = (
        Unit.objects.filter(kind="group", path__startswith=rep.unit.village_path())
        .exclude(pk=rep.unit_id)
        .order_by("path")
        .first()
    ) or rep.unit
    cat = {c.code: c for c in Category.objects.all()}
    housing = Department.objects.get(name="住建局")
    water = Department.objects.get(name="水务局")
    made = 0

    def file(i, code, text, **kw):
        nonlocal made
        made += 1
        return services.appeal_file(
            actor=kw.pop("actor", None),
            category=cat[code],
            description=text,
            household=kw.pop("household", households[i % len(households)] if households else None),
            reporter_phone=RESIDENT_PHONES[i % len(RESIDENT_PHONES)],
            reporter_name=kw.pop("name", ""),
            **kw,
        )

    def act(appeal, actor, action, note="", **kw):
        return services.appeal_act(actor=actor, appeal=appeal, action=action, note=note, **kw)

    with transaction.atomic():
        # The seed's story, from report to rating.
        a = file(0, "facilities", "小区门口的井盖松动破损，晚上有人踩空，很危险", name="李四")
        act(a, rep_user, "claim")
        act(a, rep_user, "note", "到现场查看：井盖破损，已设置警示杆并拉警戒线")
        act(a, rep_user, "escalate", "井盖需要整体更换，请村里协调")
        act(a, village, "escalate", "需镇里协调住建部门更换")
        act(a, town, "claim")
        act(a, town, "refer", "请住建局尽快更换井盖", department=housing)
        act(a, dept, "answer", "已安排施工队更换新井盖")
        act(a, town, "resolve", "住建局已更换井盖，隐患消除")
        act(a, None, "rate", "处理很及时，谢谢代表", rating=5, resident_phone=a.reporter_phone)

        # Waiting for the representative to claim.
        file(1, "facilities", "组里路口的路灯坏了一个星期，晚上看不见路", name="李桂香")
        file(2, "sanitation", "垃圾清运不及时，堆在塘边发臭", urgency="urgent")
        # Claimed and in hand.
        b = file(3, "elderly", "独居老人李奶奶想申请居家养老上门服务")
        act(b, rep_user, "claim")
        act(b, rep_user, "start")
        act(b, rep_user, "note", "已上门了解情况，帮老人准备申请材料")
        # Escalated to the village, waiting there.
        c = file(4, "roads", "村道被大车压出几个大坑，下雨积水", name="李建军")
        act(c, rep_user, "escalate", "需要村里安排修补")
        # Referred to the water department by the town.
        d = file(5, "water", "自来水水压低，三楼以上没水", urgency="urgent")
        act(d, rep_user, "escalate", "涉及供水管网")
        act(d, village, "escalate", "需协调水务部门")
        act(d, town, "claim")
        act(d, town, "refer", "请水务局核查管网压力", department=water)
        # Resolved, waiting for the resident's rating.
        e = file(0, "assistance", "家里遭了火灾，想了解临时救助怎么申请")
        act(e, rep_user, "claim")
        act(e, rep_user, "resolve", "已帮助提交临时救助申请，村里已受理")
        # A dispute in mediation.
        f = file(1, "neighbour", "两户为宅基地边界砌墙发生争执")
        act(f, rep_user, "claim")
        act(f, rep_user, "party_add", party={"name": "李德明", "role": "申请人"})
        act(f, rep_user, "party_add", party={"name": "李德华", "role": "被申请人"})
        act(f, rep_user, "mediate", "双方到场，同意请村里重新丈量边界")
        # Reported by a resident about another group (no household link).
        file(2, "hazard_other", "后山有树倒在电线上", household=None, unit=other_group)
        # Filed from the hotline, overdue at the village.
        g = file(3, "housing", "危房改造补助申请一直没有回音", actor=town, channel="hotline")
        act(g, rep_user, "escalate", "需村里核实")
        Appeal.objects.filter(pk=g.pk).update(due_at=timezone.now() - dt.timedelta(hours=3))
    progress(f"demo appeals: {made} appeals in every state")
    return made


__all__ = ["seed"]
