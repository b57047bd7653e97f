"""Excel exports of the lists, from the scoped reads; audited. Headers are Chinese
whatever the page's language, like the other exports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record
from linli.core.xlsx import Sheet, write_xlsx_sheets

from .models import CharterEntry, CharterStatus, CharterVersion, DutyLink, EntryKind
from .rules import Charter

KIND_NAMES = {EntryKind.RESPONSIBILITY: "责任", EntryKind.RIGHT: "权利"}
STATUS_NAMES = {CharterStatus.DRAFT: "草稿", CharterStatus.PUBLISHED: "已发布"}
DUTY_NAMES = {
    DutyLink.CONTACT: "每周联系",
    DutyLink.VISIT: "每月走访",
    DutyLink.DELIBERATION: "每季议事",
    DutyLink.REPORT: "年度报告",
}

LIST_HEADERS = [
    "类别",
    "编码",
    "名称",
    "内容",
    "不少于",
    "计量单位",
    "来自",
    "版本",
    "提高者",
    "补充说明",
    "履职规则",
]
VERSION_HEADERS = ["单位", "版本", "标题", "施行日期", "状态", "修订说明", "发布人", "发布时间"]
ENTRY_HEADERS = ["单位", "版本", "编码", "类别", "名称", "内容", "不少于", "计量单位", "履职事项"]


@dataclass
class Export:
    filename: str
    file: IO[bytes]
    rows: int


def charter_xlsx(*, user, charter: Charter) -> Export:
    def rows():
        for e in charter.entries:
            yield [
                KIND_NAMES.get(EntryKind(e.kind), e.kind),
                e.code,
                e.title,
                e.text,
                e.floor if e.floor is not None else "",
                e.floor_unit,
                e.unit.name,
                e.version.number,
                e.raised_by.name if e.raised_by else "",
                "；".join(f"{s.unit.name}：{s.text}" for s in e.supplements),
                e.duty_text,
            ]

    out, (count,) = write_xlsx_sheets(
        [Sheet("责权清单", LIST_HEADERS, rows(), ("名称", "内容", "补充说明", "履职规则"))]
    )
    day = charter.day.isoformat()
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_CHARTER,
        target=charter.unit,
        detail={"rows": count, "day": day, "what": "in_force"},
    )
    return Export(f"责权清单-{charter.unit.name}-{day}.xlsx", out, count)


def versions_xlsx(*, user, versions: QuerySet[CharterVersion], unit_name: str) -> Export:
    versions = versions.prefetch_related(
        Prefetch("entries", CharterEntry.objects.order_by("order", "id"))
    )

    def version_rows():
        for v in versions:
            yield [
                v.unit.name,
                v.number,
                v.title,
                v.effective_from.isoformat(),
                STATUS_NAMES.get(CharterStatus(v.status), v.status),
                v.note,
                v.published_by.name if v.published_by else "",
                timezone.localtime(v.published_at).strftime("%Y-%m-%d %H:%M")
                if v.published_at
                else "",
            ]

    def entry_rows():
        for v in versions:
            for e in v.entries.all():
                yield [
                    v.unit.name,
                    v.number,
                    e.code,
                    KIND_NAMES.get(EntryKind(e.kind), e.kind),
                    e.title,
                    e.text,
                    e.floor if e.floor is not None else "",
                    e.floor_unit,
                    DUTY_NAMES.get(DutyLink(e.duty), "") if e.duty else "",
                ]

    out, (count, entries) = write_xlsx_sheets(
        [
            Sheet("版本", VERSION_HEADERS, version_rows(), ("单位", "标题", "修订说明")),
            Sheet("条目", ENTRY_HEADERS, entry_rows(), ("单位", "名称", "内容")),
        ]
    )
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_CHARTER,
        target_type="charter.charterversion",
        detail={"rows": count, "entries": entries, "what": "versions"},
    )
    return Export(f"责权清单版本-{unit_name}.xlsx", out, count)
