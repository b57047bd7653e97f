"""Excel export of the team's compliance, from the scoped computation; audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from linli.accounts.services import audit_record
from linli.core.xlsx import write_xlsx

from . import queries
from .compliance import DUTIES, STATUS_LABELS

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
            row += [str(STATUS_LABELS[rc.overall]), start.isoformat(), end.isoformat()]
            yield row

    out, count = write_xlsx(HEADERS, rows(), sheet="履职", wide=("所属单位",))
    audit_record(
        actor=user,
        action="export.duties",
        target=unit,
        detail={"rows": count, "start": start.isoformat(), "end": end.isoformat()},
    )
    return Export(f"履职-{unit.name}-{start.isoformat()}-{end.isoformat()}.xlsx", out, count)
