"""Demo lists for the `small` demo county, written through the services.

The city's default list (the four ones, the five roles and the four rights: to be
informed, to attend village meetings, a service fund of at least 200 yuan a year,
training), in force since the first day of this year; and 大瑶镇's version, which raises
the service fund to 300 yuan and adds one entry of its own.

`seed` writes them directly (the demo run is audited once, as `demo_data.small`) after
checking them with the publishing rules; `publish_city_defaults` and
`publish_town_version` write the same lists through the services (the tests use them).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from linli.accounts.models import User
from linli.core.timeutil import today
from linli.org.models import Unit, UnitKind

from . import rules, services
from .models import CharterEntry, CharterStatus, CharterVersion, DutyLink, EntryKind

R, W = EntryKind.RESPONSIBILITY, EntryKind.RIGHT

# The city's default list: (code, kind, title, text, floor, floor unit, duty).
CITY_DEFAULTS: tuple[tuple[str, str, str, str, int | None, str, str], ...] = (
    ("contact", R, "每周联系联户", "每周至少与每户联系户线上或电话联系一次。", None, "", DutyLink.CONTACT),
    ("visit", R, "每月走访入户", "每月至少到每户联系户走访一次。", None, "", DutyLink.VISIT),
    ("deliberation", R, "每季民主议事", "每季度至少组织一次民主议事活动，让群众“拿话筒”。", None, "", DutyLink.DELIBERATION),
    ("report", R, "每年述职报告", "每年向联系户述职一次，向村（社区）“两委”报告履职一次。", None, "", DutyLink.REPORT),
    ("role-publicist", R, "政策宣传员", "宣传党的政策和村规民约。", None, "", ""),
    ("role-liaison", R, "民情联络员", "收集反映群众诉求，及时上报。", None, "", ""),
    ("role-safety", R, "安全防护员", "排查安全隐患，协助应急处置。", None, "", ""),
    ("role-mediator", R, "矛盾调解员", "就地化解邻里矛盾纠纷。", None, "", ""),
    ("role-model", R, "文明示范员", "带头践行文明新风。", None, "", ""),
    ("right-informed", W, "知情权", "及时知悉村（社区）重大事项和惠民政策。", None, "", ""),
    ("right-attend", W, "列席村级会议", "可列席村（社区）“两委”会议和村民代表会议。", None, "", ""),
    ("right-fund", W, "服务群众专项资金", "每年可使用服务群众专项资金为联系户办实事。", 200, "元/年", ""),
    ("right-training", W, "参加培训", "每年参加履职能力培训。", 8, "学时/年", ""),
)  # fmt: skip

TOWN_NAME = "大瑶镇"


TOWN_ENTRIES: tuple[dict[str, Any], ...] = (
    {"code": "right-fund", "kind": W, "text": "镇财政每年另行补助100元。", "floor": 300,
     "floor_unit": "元/年"},
    {"code": "town-festival", "kind": R, "title": "参与睦邻邻里节",
     "text": "每年至少参与组织一次睦邻邻里节活动。", "order": 5},
)  # fmt: skip


def city_entries() -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "kind": kind,
            "title": title,
            "text": text,
            "floor": floor,
            "floor_unit": floor_unit,
            "duty": duty,
            "order": i * 10,
        }
        for i, (code, kind, title, text, floor, floor_unit, duty) in enumerate(CITY_DEFAULTS)
    ]


def publish_city_defaults(actor, city: Unit, effective_from) -> CharterVersion:
    """Open, fill and publish the city's default list."""
    version = services.charter_draft_create(
        actor=actor, unit=city, title="村（居）民代表责权清单", effective_from=effective_from
    )
    for data in city_entries():
        services.charter_entry_add(actor=actor, version=version, **data)
    return services.charter_publish(actor=actor, version=version)


def publish_town_version(actor, town: Unit, effective_from) -> CharterVersion:
    """A town's version: the service fund raised to 300 yuan, one entry added."""
    version = services.charter_draft_create(
        actor=actor,
        unit=town,
        title=f"{town.name}村（居）民代表责权清单",
        effective_from=effective_from,
        note="服务群众专项资金提高到每年300元；增加参与睦邻邻里节。",
    )
    for data in TOWN_ENTRIES:
        services.charter_entry_add(actor=actor, version=version, **data)
    return services.charter_publish(actor=actor, version=version)


def _write(actor, unit: Unit, title: str, day, entries, note: str = "") -> CharterVersion:
    """A published version written directly, as the demo's other bulk rows are (the run
    is audited once, as `demo_data.small`); checked by the same rules as publishing."""
    version = CharterVersion(
        unit=unit,
        number=1,
        title=title,
        effective_from=day,
        note=note,
        status=CharterStatus.PUBLISHED,
        created_by=actor,
        published_by=actor,
        published_at=timezone.now(),
    )
    rows = [CharterEntry(version=version, **data) for data in entries]
    inherited = rules.in_force(unit, day, below=False).by_code()
    problems = rules.weakenings(inherited, rows)
    if problems:
        raise ValueError(f"demo list of {unit.name} weakens the list above: {problems}")
    version.save()
    CharterEntry.objects.bulk_create(rows)
    return version


def seed(progress=print) -> int:
    if CharterVersion.objects.exists():
        return 0
    actor = User.objects.filter(is_superuser=True).order_by("pk").first()
    city = Unit.objects.filter(kind=UnitKind.CITY).order_by("path").first()
    if actor is None or city is None:
        progress("demo charter: no superuser or city; skipped")
        return 0
    start = today().replace(month=1, day=1)
    made = 0
    with transaction.atomic():
        _write(actor, city, "村（居）民代表责权清单", start, city_entries())
        made += 1
        town = Unit.objects.filter(parent=city, name=TOWN_NAME).first()
        if town is not None:
            _write(
                actor,
                town,
                f"{town.name}村（居）民代表责权清单",
                start,
                TOWN_ENTRIES,
                note="服务群众专项资金提高到每年300元；增加参与睦邻邻里节。",
            )
            made += 1
    progress(f"demo charter: {made} published lists")
    return made
