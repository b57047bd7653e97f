"""Notices fixtures: town A with two villages, each with its representative and their
accounts, and a town cadre who publishes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from linli.accounts.models import Role
from linli.org import services as org
from linli.org.models import Household, Representative, Unit, UnitKind
from tests.support import factories
from tests.support.roles import make_user


@dataclass
class Town:
    county: factories.County
    town: Unit
    village_a: Unit
    village_c: Unit
    group_c: Unit
    households_c: list[Household]
    rep_a: Representative
    rep_c: Representative
    cadre: object  # town cadre of town A
    cadre_b: object  # town cadre of town B
    village_cadre: object  # cadre of village A
    user_a: object  # rep_a's account
    user_c: object  # rep_c's account
    user_b: object  # rep_b's account (town B)


@pytest.fixture
def town(county, superuser) -> Town:
    su = superuser
    village_c = org.unit_create(
        actor=su, parent=county.town_a, kind=UnitKind.VILLAGE, name="白沙村"
    )
    group_c = org.unit_create(actor=su, parent=village_c, kind=UnitKind.GROUP, name="白沙一组")
    households_c = [
        org.household_create(actor=su, unit=group_c, head_name=f"白{n}", address=f"白沙村一组{n}号")
        for n in range(5)
    ]
    member = org.member_create(
        actor=su,
        household=households_c[0],
        name="白代表",
        relation="head",
        id_number=factories.valid_id_number(77),
    )
    rep_c = org.representative_appoint(
        actor=su, member=member, unit=group_c, term_start=factories.TERM_START, account=False
    )
    for h in households_c:
        org.link_assign(actor=su, household=h, representative=rep_c, on_date=factories.TERM_START)
    user_a = make_user("13700000301", "李代表号", Role.REPRESENTATIVE, county.group_a)
    county.rep_a.user = user_a
    county.rep_a.save(update_fields=["user"])
    user_c = make_user("13700000302", "白代表号", Role.REPRESENTATIVE, group_c)
    rep_c.user = user_c
    rep_c.save(update_fields=["user"])
    user_b = make_user("13700000303", "刘代表号", Role.REPRESENTATIVE, county.group_b)
    county.rep_b.user = user_b
    county.rep_b.save(update_fields=["user"])
    return Town(
        county=county,
        town=county.town_a,
        village_a=county.village_a,
        village_c=village_c,
        group_c=group_c,
        households_c=households_c,
        rep_a=county.rep_a,
        rep_c=rep_c,
        cadre=make_user("13700000304", "大瑶镇干部", Role.TOWN, county.town_a),
        cadre_b=make_user("13700000305", "永和镇干部", Role.TOWN, county.town_b),
        village_cadre=make_user("13700000306", "李畋村干部", Role.VILLAGE, county.village_a),
        user_a=user_a,
        user_c=user_c,
        user_b=user_b,
    )


@pytest.fixture
def publish(town):
    from linli.notices import services

    def make(unit=None, **kw):
        kw.setdefault("kind", "flood")
        kw.setdefault("title", "防汛预警：今夜强降雨")
        kw.setdefault("body", "请低洼地带住户做好转移准备。")
        return services.notice_publish(actor=town.cadre, unit=unit or town.town, **kw)

    return make
