"""Excel exports of notices, from the scoped reads; audited.

- the list of notices (the page's filters);
- a notice's reach: per child unit, then the unit's total, and from a village down one
  sheet per representative;
- a notice's deliveries in a unit's subtree.

Headers are Chinese whatever the page's language, like the other exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from django.utils import timezone

from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record
from linli.core.xlsx import Sheet, write_xlsx_sheets
from linli.duties.models import ContactMethod

from . import selectors
from .models import Notice

LIST_HEADERS = ["发布单位", "类别", "标题", "紧急", "提醒(小时)", "发布人", "发布时间", "状态"]
REACH_HEADERS = ["单位", "户数", "已送达", "到达率(%)"]
REP_HEADERS = ["代表", "所属单位", "联系户数", "已送达", "到达率(%)"]
DELIVERY_HEADERS = ["所属单位", "户主", "住址", "代表", "方式", "送达时间", "记录人", "计为联系"]
TOTAL_SUFFIX = "（合计）"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Export:
    filename: str
    file: IO[bytes]
    rows: int


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _percent(row) -> float | str:
    return row.percent if row.percent is not None else ""


def notices_xlsx(*, user, notices, filters: dict) -> Export:
    def rows():
        for n in notices.iterator():
            yield [
                n.unit.name,
                str(n.get_kind_display()),
                n.title,
                "是" if n.urgent else "",
                n.remind_after or "",
                n.published_by.name if n.published_by else "",
                _local(n.published_at),
                "已撤回" if n.withdrawn else "有效",
            ]

    out, (count,) = write_xlsx_sheets([Sheet("政策宣传", LIST_HEADERS, rows(), ("标题",))])
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_NOTICES,
        target_type="notices.notice",
        detail={"rows": count, "filters": filters},
    )
    return Export(f"政策宣传-{timezone.localdate().isoformat()}.xlsx", out, count)


def reach_xlsx(*, user, notice: Notice, reach: selectors.Reach) -> Export:
    def unit_rows():
        for row in reach.children:
            yield [row.label, row.households, row.reached, _percent(row)]
        t = reach.total
        yield [f"{t.label}{TOTAL_SUFFIX}", t.households, t.reached, _percent(t)]

    def rep_rows():
        for row in reach.representatives:
            yield [row.label, row.extra, row.households, row.reached, _percent(row)]

    sheets = [Sheet("到达情况", REACH_HEADERS, unit_rows(), ("单位",))]
    if reach.representatives:
        sheets.append(Sheet("按代表", REP_HEADERS, rep_rows(), ("所属单位",)))
    out, counts = write_xlsx_sheets(sheets)
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_NOTICES,
        target=notice,
        detail={"sheet": "reach", "unit": reach.unit.pk, "rows": sum(counts)},
    )
    return Export(f"政策宣传到达-{notice.pk}-{reach.unit.name}.xlsx", out, counts[0])


def deliveries_xlsx(*, user, notice: Notice, unit) -> Export:
    labels = dict(ContactMethod.choices)

    def rows():
        for d in selectors.deliveries_in(notice, unit).iterator(chunk_size=2000):
            yield [
                d.unit.name,
                d.household.head_name,
                d.household.address,
                d.representative.name,
                str(labels.get(d.method, d.method)),
                _local(d.delivered_at),
                d.recorded_by.name if d.recorded_by else "",
                "是" if d.contact_id else "",
            ]

    out, (count,) = write_xlsx_sheets(
        [Sheet("送达明细", DELIVERY_HEADERS, rows(), ("所属单位", "住址"))]
    )
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_NOTICES,
        target=notice,
        detail={"sheet": "deliveries", "unit": unit.pk, "rows": count},
    )
    return Export(f"政策宣传送达-{notice.pk}-{unit.name}.xlsx", out, count)
