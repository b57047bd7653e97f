"""Demo negative list and breach records for the `small` demo county.

The city's catalogue (and one entry of 大瑶镇's own), then breach records through the
real services, one or more in each stage: the demo representative has one waiting for
their statement, the town has one with a statement and one whose window passed waiting
for review, and decided and withdrawn ones show the history.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from linli.accounts.models import User
from linli.accounts.selectors import user_by_phone
from linli.core.timeutil import today
from linli.org.models import Representative, Unit, UnitKind

from . import services
from .models import Breach, BreachEvent, NegativeEntry, Severity

# (code, title, severity, description)
CITY_LIST = [
    (
        "FM-01",
        "利用代表身份谋取私利",
        Severity.SEVERE,
        "借代表身份为本人或亲属争取补助、低保、项目等不正当利益。",
    ),
    ("FM-02", "收受群众财物", Severity.SERIOUS, "收受联系户或办事群众的礼品、礼金、宴请。"),
    (
        "FM-03",
        "泄露群众个人信息",
        Severity.SERIOUS,
        "擅自向他人透露联系户的身份证号、电话、家庭情况等个人信息。",
    ),
    (
        "FM-04",
        "无故不履行联系户职责",
        Severity.MINOR,
        "连续一个月以上无正当理由不联系、不走访所联系的农户。",
    ),
    (
        "FM-05",
        "弄虚作假虚报履职记录",
        Severity.SERIOUS,
        "编造联系、走访、议事记录或照片，虚报履职情况。",
    ),
    (
        "FM-06",
        "参与黑恶势力或违法活动",
        Severity.SEVERE,
        "参与、包庇黑恶势力，或参与赌博、非法集资等违法犯罪活动。",
    ),
    (
        "FM-07",
        "煽动群众越级上访、聚众闹事",
        Severity.SEVERE,
        "挑唆、组织群众越级上访或聚集，扰乱正常秩序。",
    ),
    (
        "FM-08",
        "推诿敷衍群众诉求",
        Severity.MINOR,
        "对群众反映的问题不受理、不上报、不反馈，造成群众不满。",
    ),
    (
        "FM-09",
        "散布不实言论",
        Severity.MINOR,
        "在微信群等场合散布未经核实的信息或不当言论。",
    ),
]
TOWN_ENTRY = (
    "DY-01",
    "违规占用耕地建房不报告",
    Severity.SERIOUS,
    "本人或联系户违规占用耕地建房，代表知情不报、不劝阻。（大瑶镇补充）",
)


def seed_catalogue(actor: User) -> int:
    """The city's list (idempotent: entries already there are left alone)."""
    made = 0
    for code, title, severity, description in CITY_LIST:
        if not NegativeEntry.objects.filter(code=code).exists():
            services.entry_create(
                actor=actor,
                unit=None,
                code=code,
                title=title,
                severity=severity,
                description=description,
            )
            made += 1
    return made


def _user(phone: str) -> User | None:
    return user_by_phone(phone)


def _backdate(breach: Breach, days: int) -> None:
    """A record reported `days` ago (the services date it today)."""
    delta = dt.timedelta(days=days)
    Breach.objects.filter(pk=breach.pk).update(
        reported_at=breach.reported_at - delta, respond_by=breach.respond_by - delta
    )
    BreachEvent.objects.filter(breach=breach).update(at=breach.reported_at - delta)
    breach.refresh_from_db()


def seed(progress=print) -> int:
    """Create the demo catalogue and breach records once; return how many records."""
    if Breach.objects.exists():
        return 0
    admin = _user("13800000001")
    town = _user("13800000003")
    village = _user("13800000004")
    rep_user = _user("13800000007")
    if not all((admin, town, village, rep_user)):
        progress("demo conduct: the demo accounts are missing; skipped")
        return 0
    assert admin and town and village and rep_user
    with transaction.atomic():
        seed_catalogue(admin)
        rep = Representative.objects.select_related("unit").get(user=rep_user)
        town_unit = Unit.objects.get(path=rep.unit.town_path())
        if town_unit.kind in (UnitKind.TOWN, UnitKind.SUBDISTRICT) and not (
            NegativeEntry.objects.filter(code=TOWN_ENTRY[0]).exists()
        ):
            code, title, severity, description = TOWN_ENTRY
            services.entry_create(
                actor=town,
                unit=town_unit,
                code=code,
                title=title,
                severity=severity,
                description=description,
            )
        entries = {e.code: e for e in NegativeEntry.objects.all()}
        others = list(
            Representative.objects.filter(
                term_end__isnull=True, unit__path__startswith=rep.unit.village_path()
            )
            .exclude(pk=rep.pk)
            .select_related("unit")
            .order_by("pk")[:5]
        )
        while len(others) < 5:
            others.append(rep)
        day = today()

        def report(who, target, code, text, days_ago=0, **kw):
            b = services.breach_report(
                actor=who,
                representative=target,
                entry=entries[code],
                description=text,
                occurred_on=day - dt.timedelta(days=2),
                **kw,
            )
            if days_ago:
                _backdate(b, days_ago)
            return b

        # The town reports; the village cadre writes down what a representative says;
        # the administrator reviews (no one reviews what they reported or wrote).
        # Waiting for the demo representative's statement.
        report(
            town,
            rep,
            "FM-04",
            "本月以来未联系一组3户联系户，联系户反映找不到代表。",
            place="李畋村一组",
        )
        # A statement is in: the administrator reviews.
        stated = report(
            town,
            others[0],
            "FM-02",
            "群众反映代表在协调宅基地纠纷后收下一方送的两条烟。",
            source="李某（村民）",
            days_ago=2,
        )
        services.breach_statement(
            actor=village,
            breach=stated,
            text="代表称烟是邻居过年走动时放下的，已于次日退回，可请邻居作证。",
        )
        # The window passed without a statement: the administrator may decide.
        report(
            town,
            others[1],
            "FM-05",
            "上报的三次走访照片为同一张照片翻拍，走访户表示未见到代表。",
            days_ago=10,
        )
        # Decided: confirmed (severe) and dismissed; and one withdrawn.
        severe = report(
            town,
            others[2],
            "FM-01",
            "代表为其弟虚报困难情况申请临时救助。",
            days_ago=20,
        )
        services.breach_statement(
            actor=village, breach=severe, text="承认帮弟弟填写了申请表，但不清楚情况不属实。"
        )
        services.breach_confirm(
            actor=admin,
            breach=severe,
            reason="经核实申请材料不实，代表明知其弟不符合条件仍代为申请，情节严重。",
        )
        dismissed = report(
            town, others[3], "FM-09", "有群众反映代表在微信群转发不实消息。", days_ago=15
        )
        services.breach_statement(
            actor=village, breach=dismissed, text="转发的是镇政府公众号发布的通知。"
        )
        services.breach_dismiss(
            actor=admin, breach=dismissed, reason="经核实所转内容为官方通知，不属于不实言论。"
        )
        withdrawn = report(
            town, others[4], "FM-08", "群众反映代表未上报其家门口路灯损坏问题。", days_ago=5
        )
        services.breach_withdraw(
            actor=town, breach=withdrawn, reason="核实后代表已于当日上报诉求，系误报。"
        )
    count = Breach.objects.count()
    progress(f"demo conduct: {NegativeEntry.objects.count()} entries, {count} breach records")
    return count
