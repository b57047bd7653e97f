"""Excel export of the team's compliance, from the scoped computation; audited.

Three sheets: 履职 (one row per representative), 单位汇总 (the roll-up per child
unit, then the unit's total: `compliance.rollup` through `queries.team_compliance`)
and 未完成明细 (one row per representative and duty behind or missed). Headers are
Chinese whatever the page's language, like the other exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from django.utils import translation

from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record
from linli.core.xlsx import Sheet, write_xlsx_sheets

from . import queries
from .compliance import DUTIES, STATUS_LABELS, all_duties, duty_label, subjects_label

DUTY_HEADERS = {
    "contacts": "每周联系",
    "visits": "每月走访",
    "deliberations": "每季议事",
    "reports": "年度报告",
}
HEADERS = ["代表", "所属单位"]
for _duty in DUTIES:
    _name = DUTY_HEADERS[_duty]
    HEADERS += [f"{_name}应完成", f"{_name}已完成", f"{_name}完成率(%)", f"{_name}状态"]
HEADERS += ["总体状态", "统计起始", "统计截止"]

UNIT_HEADERS = ["单位", "代表人数", "未达标人数"]
for _duty in DUTIES:
    _name = DUTY_HEADERS[_duty]
    UNIT_HEADERS += [f"{_name}应完成", f"{_name}已完成", f"{_name}完成率(%)"]
UNIT_HEADERS += ["统计起始", "统计截止"]
TOTAL_SUFFIX = "（合计）"


def _added() -> list[str]:
    """The duties the apps above add (`duties.extra`): the care visits."""
    return list(all_duties()[len(DUTIES) :])


def _header(duty: str) -> str:
    if duty in DUTY_HEADERS:
        return DUTY_HEADERS[duty]
    with translation.override("zh-hans"):
        return str(duty_label(duty))


def _added_headers(duty: str, *, status: bool) -> list[str]:
    """An added duty's columns: due, met in time, rate, (status,) what it is owed for,
    overdue."""
    name = _header(duty)
    with translation.override("zh-hans"):
        subjects = str(subjects_label(duty))
    return [
        f"{name}应完成",
        f"{name}按时完成",
        f"{name}完成率(%)",
        *([f"{name}状态"] if status else []),
        f"{name}{subjects}",
        f"{name}逾期",
    ]


def rep_headers() -> list[str]:
    added = [h for d in _added() for h in _added_headers(d, status=True)]
    return HEADERS[:-3] + added + HEADERS[-3:]


def unit_headers() -> list[str]:
    added = [h for d in _added() for h in _added_headers(d, status=False)]
    return UNIT_HEADERS[:-2] + added + UNIT_HEADERS[-2:]


BEHIND_HEADERS = [
    "代表",
    "所属单位",
    "履职事项",
    "应完成",
    "已完成",
    "未完成",
    "完成率(%)",
    "状态",
    "统计起始",
    "统计截止",
]


@dataclass
class Export:
    filename: str
    file: IO[bytes]
    rows: int


def compliance_xlsx(*, user, unit, start, end) -> Export:
    result = queries.team_compliance(user, unit=unit, start=start, end=end)

    def rows():
        for rc in result.rows:
            rep = rc.representative
            row = [rep.name, rep.unit.name]
            for duty in DUTIES:
                d = rc.duties[duty]
                row += [
                    d.required,
                    d.fulfilled,
                    d.rate if d.rate is not None else "",
                    # Nothing due: no verdict, as on the page.
                    str(STATUS_LABELS[rc.status(duty)]) if d.required else "",
                ]
            for duty in _added():
                d = rc.duties[duty]
                row += [
                    d.required,
                    d.fulfilled,
                    d.rate if d.rate is not None else "",
                    str(STATUS_LABELS[rc.status(duty)]) if d.required else "",
                    d.subjects,
                    d.overdue,
                ]
            row += [str(STATUS_LABELS[rc.overall]), start.isoformat(), end.isoformat()]
            yield row

    period = [start.isoformat(), end.isoformat()]

    def unit_row(name: str, uc) -> list:
        row = [name, uc.representatives, uc.behind]
        for duty in DUTIES:
            d = uc.duties[duty]
            row += [d.required, d.fulfilled, d.rate if d.rate is not None else ""]
        for duty in _added():
            d = uc.duties[duty]
            rate = d.rate if d.rate is not None else ""
            row += [d.required, d.fulfilled, rate, d.subjects, d.overdue]
        return row + period

    def unit_rows():
        for child in result.children:
            yield unit_row(child.unit.name, child)
        if result.total is not None:
            yield unit_row(f"{unit.name}{TOTAL_SUFFIX}", result.total)

    def behind_rows():
        for rc in result.rows:
            rep = rc.representative
            for duty in all_duties():
                d = rc.duties[duty]
                status = rc.status(duty)
                if not d.required or status == "on_track":
                    continue
                yield [
                    rep.name,
                    rep.unit.name,
                    _header(duty),
                    d.required,
                    d.fulfilled,
                    d.owed,
                    d.rate if d.rate is not None else "",
                    str(STATUS_LABELS[status]),
                    *period,
                ]

    out, (count, _units, behind) = write_xlsx_sheets(
        [
            Sheet("履职", rep_headers(), rows(), ("所属单位",)),
            Sheet("单位汇总", unit_headers(), unit_rows(), ("单位",)),
            Sheet("未完成明细", BEHIND_HEADERS, behind_rows(), ("所属单位",)),
        ]
    )
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_DUTIES,
        target=unit,
        detail={
            "rows": count,
            "behind": behind,
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
    )
    return Export(f"履职-{unit.name}-{start.isoformat()}-{end.isoformat()}.xlsx", out, count)
