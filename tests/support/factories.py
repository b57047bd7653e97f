"""Factories for the common objects, built through the real services.

`County` is the shared small world: a city with two towns (A: 大瑶镇, B: 永和镇), each
with one village, one group, seven households (six linked to the town's
representative), a member with an ID number and phone, a place and a guard team.
The other helpers add to a county: more representatives, appeals, duty records.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools

from linli.org import services as org
from linli.org.models import UnitKind

TERM_START = dt.date(2025, 1, 1)
RESIDENT_PHONE = "13912345678"
APPEAL_TEXT = "小区门口的井盖松动破损，晚上有人踩空"

_seq = itertools.count(1000)


def valid_id_number(seq: int, birth: str = "19800101", region: str = "430181") -> str:
    """A mainland ID number with a correct check digit."""
    from stdnum.cn import ric

    body = f"{region}{birth}{seq % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def png_bytes(size=(40, 30), color=(200, 30, 30), exif=False, fmt="PNG") -> bytes:
    """A small image (JPEG with camera EXIF when `exif`)."""
    from PIL import Image

    img = Image.new("RGB", size, color)
    buf = io.BytesIO()
    if exif:
        ex = Image.Exif()
        ex[0x010F] = "PhoneMaker"  # Make
        ex[0x0110] = "PhoneModel"  # Model
        img.save(buf, format="JPEG", exif=ex)
    else:
        img.save(buf, format=fmt)
    return buf.getvalue()


def upload(name: str = "photo.png", content: bytes | None = None, content_type="image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content or png_bytes(), content_type=content_type)


def seed_reference_data() -> None:
    """Re-run the seed migrations (idempotent): departments, appeal categories and
    deadline policies, the holiday calendar. A transactional test's teardown flushes
    them with every other table."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from linli.core.models import CalendarYear

    for module in (
        "linli.org.migrations.0003_seed_departments",
        "linli.appeals.migrations.0002_seed_categories_policies",
        "linli.core.migrations.0002_seed_calendar",
    ):
        if module.startswith("linli.core") and CalendarYear.objects.exists():
            continue
        importlib.import_module(module).seed(apps, SimpleNamespace(connection=connection))


class County:
    """Two towns, each with one village, one group, one representative and households."""

    def __init__(self, su):
        s = org
        self.superuser = su
        self.city = s.unit_create(
            actor=su, parent=None, kind=UnitKind.CITY, name="浏阳市", code="430181000000"
        )
        self.town_a = s.unit_create(
            actor=su, parent=self.city, kind=UnitKind.TOWN, name="大瑶镇", code="430181110000"
        )
        self.town_b = s.unit_create(
            actor=su, parent=self.city, kind=UnitKind.TOWN, name="永和镇", code="430181210000"
        )
        self.village_a = s.unit_create(
            actor=su, parent=self.town_a, kind=UnitKind.VILLAGE, name="李畋村"
        )
        self.village_b = s.unit_create(
            actor=su, parent=self.town_b, kind=UnitKind.VILLAGE, name="佳成村"
        )
        self.group_a = s.unit_create(
            actor=su, parent=self.village_a, kind=UnitKind.GROUP, name="一组"
        )
        self.group_b = s.unit_create(
            actor=su, parent=self.village_b, kind=UnitKind.GROUP, name="大屋组"
        )
        self.households_a = [
            s.household_create(
                actor=su,
                unit=self.group_a,
                head_name=f"李{n}",
                address=f"李畋村一组{n}号",
                tags=["elderly_alone"] if n == 0 else [],
            )
            for n in range(7)
        ]
        self.households_b = [
            s.household_create(
                actor=su, unit=self.group_b, head_name=f"刘{n}", address=f"佳成村大屋组{n}号"
            )
            for n in range(7)
        ]
        self.member_a = s.member_create(
            actor=su,
            household=self.households_a[0],
            name="李大祥",
            relation="head",
            id_number=valid_id_number(1),
            phone="13800138001",
        )
        self.member_b = s.member_create(
            actor=su,
            household=self.households_b[0],
            name="刘生辉",
            relation="head",
            id_number=valid_id_number(2),
            phone="13800138002",
        )
        # Without the account of their mobile: the tests give the representatives the
        # accounts they need (`roles.Actors`, `roles.user_in_town`, ...).
        self.rep_a = s.representative_appoint(
            actor=su, member=self.member_a, unit=self.group_a, term_start=TERM_START, account=False
        )
        self.rep_b = s.representative_appoint(
            actor=su, member=self.member_b, unit=self.group_b, term_start=TERM_START, account=False
        )
        # Six of seven households linked; the seventh stays uncovered.
        for h in self.households_a[:6]:
            s.link_assign(actor=su, household=h, representative=self.rep_a, on_date=TERM_START)
        for h in self.households_b[:6]:
            s.link_assign(actor=su, household=h, representative=self.rep_b, on_date=TERM_START)
        self.place_a = s.place_create(actor=su, unit=self.village_a, kind="school", name="李畋小学")
        self.place_b = s.place_create(
            actor=su, unit=self.village_b, kind="hospital", name="佳成村卫生室"
        )
        self.team_a = s.team_create(
            actor=su, unit=self.village_a, name="李畋村邻里守心团", representatives=[self.rep_a]
        )
        self.team_b = s.team_create(
            actor=su, unit=self.village_b, name="佳成村邻里守心团", representatives=[self.rep_b]
        )
        s.team_member_add(
            actor=su, team=self.team_a, kind="volunteer", name="张志愿", phone="13800138011"
        )
        s.team_member_add(
            actor=su, team=self.team_b, kind="npc_deputy", name="王代表", phone="13800138012"
        )


def appoint(county, seq: int, name: str, term_start=TERM_START, household_index: int = 6):
    """A further representative of group A, living in one of its households (unlinked)."""
    su = county.superuser
    member = org.member_create(
        actor=su,
        household=county.households_a[household_index],
        name=name,
        relation="other",
        id_number=valid_id_number(seq),
    )
    return org.representative_appoint(
        actor=su, member=member, unit=county.group_a, term_start=term_start
    )


def add_unit(county, parent, kind: str = UnitKind.VILLAGE, name: str | None = None):
    """One more unit below `parent`, through the service (path computed)."""
    return org.unit_create(
        actor=county.superuser, parent=parent, kind=kind, name=name or f"新单位{next(_seq)}"
    )


def add_member(county, household, name: str | None = None, **kw):
    """One more member of `household` (relation `other` unless given)."""
    kw.setdefault("relation", "other")
    return org.member_create(
        actor=county.superuser, household=household, name=name or f"成员{next(_seq)}", **kw
    )


def add_households(county, n: int, unit=None, prefix: str = "新"):
    """`n` more households in town A's group (or `unit`), unlinked."""
    su = county.superuser
    unit = unit or county.group_a
    out = []
    for _ in range(n):
        i = next(_seq)
        out.append(
            org.household_create(
                actor=su, unit=unit, head_name=f"{prefix}{i}", address=f"{unit.name}{i}号"
            )
        )
    return out


def add_representatives(county, n: int):
    """`n` more representatives in town A's group, each serving one new household."""
    su = county.superuser
    reps = []
    for _ in range(n):
        i = next(_seq)
        household = org.household_create(
            actor=su, unit=county.group_a, head_name=f"赵{i}", address=f"李畋村一组赵{i}号"
        )
        member = org.member_create(
            actor=su, household=household, name=f"赵代表{i}", relation="head"
        )
        rep = org.representative_appoint(
            actor=su, member=member, unit=county.group_a, term_start=county.rep_a.term_start
        )
        org.link_assign(actor=su, household=household, representative=rep, on_date=rep.term_start)
        reps.append(rep)
    return reps


def appeal(household=None, *, actor=None, category=None, **kw):
    """A resident's appeal (filed from `household`, by default without an account)."""
    from linli.appeals import services
    from linli.appeals.models import Category

    defaults = dict(
        actor=actor,
        category=category or Category.objects.get(code="facilities"),
        description=APPEAL_TEXT,
        household=household,
        reporter_name="李四",
        reporter_phone=RESIDENT_PHONE,
    )
    defaults.update(kw)
    return services.appeal_file(**defaults)


def contact(representative, household, *, actor, **kw):
    from linli.duties import services

    return services.contact_log(
        actor=actor, representative=representative, household=household, **kw
    )


def visit(representative, household, *, actor, **kw):
    from linli.duties import services

    kw.setdefault("met", "户主")  # a visit says who was met or what was found
    return services.visit_log(actor=actor, representative=representative, household=household, **kw)


def deliberation(unit, organisers, *, actor, day=None, **kw):
    from linli.core.timeutil import today
    from linli.duties import services

    defaults = dict(place="村部", topic="修路议事", attendee_count=12)
    defaults.update(kw)
    return services.deliberation_log(
        actor=actor, unit=unit, organisers=list(organisers), day=day or today(), **defaults
    )


def report(representative, *, actor, kind="residents", day=None, **kw):
    from linli.core.timeutil import today
    from linli.duties import services

    defaults = dict(text="一年来走访联系群众情况")
    defaults.update(kw)
    return services.report_log(
        actor=actor, representative=representative, kind=kind, day=day or today(), **defaults
    )


def notification(user, *, kind: str = "appeal.assigned", title: str = "新的诉求", **kw):
    """An in-app notification in the user's inbox (as a delivery would leave it)."""
    from linli.notify.models import Notification

    return Notification.objects.create(user=user, kind=kind, title=title, **kw)
