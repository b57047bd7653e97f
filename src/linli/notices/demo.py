"""Demo notices: a policy notice of the city, and an urgent flood alert of 大瑶镇 with
some deliveries already recorded. Like the rest of the demo, the rows are not audited
one by one (the `demo_data` run is audited once): the notices are plain rows, the
deliveries go through the services' checks and contacts (`services.deliver_one`, the
phone and in-person ones are the week's contacts of the representatives) without the
audit row of `delivery_record`."""

from __future__ import annotations

import itertools

from django.db import transaction

from linli.accounts.models import User
from linli.accounts.selectors import user_by_phone
from linli.org.demo import CITY_NAME
from linli.org.models import Household, Unit, UnitKind
from linli.org.selectors import current_links

from . import services
from .models import Notice

CITY_PHONE = "13800000002"  # the demo command centre (黎建华)
TOWN_PHONE = "13800000003"  # the demo town cadre (罗海燕)
REP_PHONE = "13800000007"  # the demo representative (辜大祥)
METHODS = itertools.cycle(["in_person", "phone", "online"])


def seed(progress=print) -> int:
    if Notice.objects.exists():
        return 0
    city_user = user_by_phone(CITY_PHONE)
    town_user = user_by_phone(TOWN_PHONE)
    city = Unit.objects.filter(parent__isnull=True, name=CITY_NAME).first()
    town = Unit.objects.filter(kind=UnitKind.TOWN, name="大瑶镇").first()
    if not (city_user and town_user and city and town):
        progress("demo notices: the demo city, town or accounts are missing; skipped")
        return 0
    with transaction.atomic():
        Notice.objects.create(
            published_by=city_user,
            unit=city,
            kind="policy",
            title="城乡居民医保2027年度集中缴费开始",
            body="2027年度城乡居民基本医疗保险集中缴费期为即日起至12月31日。"
            "请各位代表逐户告知缴费标准和缴费方式（微信、支付宝、村便民服务点）。",
        )
        flood = Notice.objects.create(
            published_by=town_user,
            unit=town,
            kind="flood",
            title="防汛预警：今明两天有强降雨",
            body="大溪河水位上涨，请低洼地带、河边住户做好转移准备，夜间不要靠近河道。"
            "请代表逐户当面或电话通知到位，独居老人要确认安全。",
            urgent=True,
            remind_after=6,
        )
        made = _deliveries(flood, town_user)
    progress(f"demo notices: 2 notices, {made} deliveries")
    return made


def _deliveries(notice: Notice, actor: User) -> int:
    """Half of the demo representative's households, and the first household of some
    other representatives of the town."""
    links = list(
        current_links()
        .filter(household__unit__path__startswith=notice.unit.path)
        .select_related("household__unit", "representative__user")
        .order_by("representative_id", "household_id")
    )
    mine = [lnk for lnk in links if getattr(lnk.representative.user, "phone", "") == REP_PHONE]
    chosen = [lnk.household for lnk in mine[: len(mine) // 2]]
    firsts: dict[int, Household] = {}
    for lnk in links:
        firsts.setdefault(lnk.representative_id, lnk.household)
    chosen += [h for rep, h in list(firsts.items())[::3] if h not in chosen][:40]
    made = 0
    for household in chosen:
        made += services.deliver_one(actor, notice, household, next(METHODS), None).created
    return made
