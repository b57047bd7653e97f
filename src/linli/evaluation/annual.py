"""The representative's annual report (述职报告): what the records say they did in a
year, as figures (`figures`), a bar chart (`chart_png`, Pillow), a Word document
(`render_docx`, python-docx) and a PDF (`render_pdf`, WeasyPrint), with the text the
representative writes themself (`AnnualReportDraft`) and, when they present it, the
year's `duties.AnnualReport` (`annual_services.present`).

The figures are `facts.gather` for one representative, and the reads that facts do not
carry, done here unscoped for one representative (as `facts` is unscoped): the
households linked to them at some time in the year (`org.HouseholdLink` with its
history), their contact logs and home visits (current records only: a corrected or
withdrawn one is not counted twice), the deliberation events they organised, the titles
of the activities they held and the count of their counted fund spendings. The pages
and the API decide who may see a representative (`visible_q`, `can_view`): a
representative sees only their own, leaders and cadres those of their subtrees.

The document is always written in Chinese (a representative presents it to the
residents), whatever the page's language.
"""

from __future__ import annotations

import base64
import datetime as dt
import glob
import io
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from linli.accounts.scope import scope_for
from linli.activities.models import Activity, ActivityStatus
from linli.core.errors import InvalidInput, NotFound
from linli.core.inputs import EVENT_YEARS, is_id
from linli.core.timeutil import today
from linli.duties import compliance
from linli.duties.models import CURRENT, AnnualReport, ContactLog, Deliberation, HomeVisit
from linli.duties.models import ReportKind as DutyReportKind
from linli.funds.models import FundEntry, FundEntryKind, FundEntryStatus, yuan
from linli.org.models import HouseholdLink, Representative, Unit

from . import facts as facts_module
from .policy import SEE_ROLES

NOTHING = Q(pk__in=[])
TEXT_MAX = 20000  # the most a duties.AnnualReport's text holds
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"
# Where Debian's fonts-noto-cjk puts its collections (the first found is used).
CJK_FONT_GLOBS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/**/NotoSansCJK*-Regular.ttc",
    "/usr/share/fonts/**/NotoSansCJK*.ttc",
    "/usr/share/fonts/**/NotoSerifCJK*.ttc",
    "/usr/share/fonts/**/*CJK*.tt[cf]",
    "/usr/share/fonts/**/wqy*.tt[cf]",
)
# In Noto's CJK collections the faces are ordered JP, KR, SC, TC, HK: index 2 is Chinese.
CJK_TTC_INDEX = 2


# --- who sees a representative's report -------------------------------------------------------


def visible_q(user: Any, prefix: str = "") -> Q:
    """A filter on `Representative`: the user's own representative records, and the
    representatives of the subtrees where they hold a role that sees the evaluation
    (`policy.SEE_ROLES`, the household roles)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    if scope.user_id is None:
        return NOTHING
    own = Q(**{f"{prefix}pk__in": scope.representative_ids})
    return scope.path_q(f"{prefix}unit__path", scope.paths_for(set(SEE_ROLES))) | own


def can_edit(user: Any, representative: Representative) -> bool:
    """Only the representative themself writes and presents their report (their
    serving record); leaders and cadres read it."""
    return representative.pk in scope_for(user).representative_ids


def visible_representatives(user: Any) -> QuerySet[Representative]:
    return Representative.objects.filter(visible_q(user)).select_related("unit")


def representative_get(user: Any, pk: Any) -> Representative:
    """A representative the user may see, else `NotFound` (never says it exists)."""
    if not is_id(pk):
        raise NotFound(_("No such representative."))
    rep = visible_representatives(user).filter(pk=int(pk)).first()
    if rep is None:
        raise NotFound(_("No such representative."))
    return rep


# --- the year -------------------------------------------------------------------------------


def parse_year(value: Any, default: int | None = None) -> int:
    """A year from a query string or body: digits within the platform's years and not in
    the future; anything else is `InvalidInput` (400), never a 500."""
    if value in (None, "") and default is not None:
        return default
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 4:
        raise InvalidInput(_("The year is not valid."), code="year")
    year = int(text)
    if not EVENT_YEARS[0] <= year <= today().year:
        raise InvalidInput(_("The year is not valid."), code="year")
    return year


def served_years(representative: Representative) -> list[int]:
    """The years of the representative's term up to this one, newest first."""
    first = max(representative.term_start.year, EVENT_YEARS[0])
    last = today().year
    if representative.term_end is not None:
        last = min(last, representative.term_end.year)
    return list(range(last, first - 1, -1))


def check_served(representative: Representative, year: int) -> None:
    if year not in served_years(representative):
        raise InvalidInput(
            _("%(name)s did not serve as a representative in %(year)d.")
            % {"name": representative.name, "year": year},
            code="not_serving",
        )


# --- the figures ------------------------------------------------------------------------------


@dataclass
class Line:
    """One figure of the report: its label, its number and how it is written."""

    key: str
    label: str
    value: int | None
    text: str


@dataclass
class Section:
    title: str
    lines: list[Line] = field(default_factory=list)


@dataclass
class Bar:
    """One bar of the chart: done out of owed."""

    label: str
    done: int
    owed: int
    text: str


@dataclass
class AnnualFigures:
    representative: Representative
    year: int
    village: str
    town: str
    first: dt.date
    last: dt.date
    facts: facts_module.Facts
    households: int
    contacts: int
    visits: int
    deliberations: int
    activity_titles: list[str]
    fund_spendings: int
    sections: list[Section]
    bars: list[Bar]

    def as_dict(self) -> dict[str, Any]:
        f = self.facts
        return {
            "representative": {"id": self.representative.pk, "name": self.representative.name},
            "year": self.year,
            "village": self.village,
            "town": self.town,
            "start": self.first.isoformat(),
            "end": self.last.isoformat(),
            "households": self.households,
            "contacts": self.contacts,
            "visits": self.visits,
            "deliberations": self.deliberations,
            "duty_required": f.duty_required,
            "duty_fulfilled": f.duty_fulfilled,
            "duties": {
                name: {"required": req, "fulfilled": ful} for name, (req, ful) in f.duties.items()
            },
            "appeals_owned": f.appeals_owned,
            "appeals_resolved": f.appeals_resolved,
            "appeals_rated": f.appeals_rated,
            "appeals_satisfied": f.appeals_satisfied,
            "activities": f.activities,
            "activity_titles": self.activity_titles,
            "alarms_told": f.alarms_told,
            "alarms_answered": f.alarms_answered,
            "alarms_acknowledged": f.alarms_acknowledged,
            "ack_seconds_mean": _mean_seconds(f),
            "fund_amount_fen": f.fund_amount,
            "fund_spent_fen": f.fund_spent,
            "fund_spendings": self.fund_spendings,
            "training_minutes": f.training_minutes,
            "sections": [
                {
                    "title": s.title,
                    "lines": [
                        {"key": ln.key, "label": ln.label, "value": ln.value, "text": ln.text}
                        for ln in s.lines
                    ],
                }
                for s in self.sections
            ],
        }


def _mean_seconds(f: facts_module.Facts) -> int | None:
    return round(f.ack_seconds / f.alarms_acknowledged) if f.alarms_acknowledged else None


def _moments(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(first, dt.time.min, tzinfo=tz),
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def _unit_name(path: str) -> str:
    return Unit.objects.filter(path=path).values_list("name", flat=True).first() or ""


def households_served(rep_id: int, first: dt.date, last: dt.date) -> int:
    """The households linked to the representative at some time in [first, last]: links
    with history, so a household moved to another representative mid-year counts for
    both (each served it)."""
    return (
        HouseholdLink.objects.filter(representative_id=rep_id, valid_from__lte=last)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=first))
        .values("household_id")
        .distinct()
        .count()
    )


def figures(representative: Representative, year: int) -> AnnualFigures:
    """Everything the report shows for one representative and year (a checked year)."""
    _reps, gathered = facts_module.gather(year, [representative.pk])
    f = gathered.get(representative.pk) or facts_module.Facts()
    first, last = facts_module.year_bounds(year)
    rep_id = representative.pk
    if last < first:  # the year has not begun: nothing recorded
        households = contacts = visits = deliberations = spendings = 0
        titles: list[str] = []
    else:
        start, end = _moments(first, last)
        households = households_served(rep_id, first, last)
        in_year = Q(day__gte=first, day__lte=last)
        contacts = ContactLog.objects.filter(CURRENT, in_year, representative_id=rep_id).count()
        visits = HomeVisit.objects.filter(CURRENT, in_year, representative_id=rep_id).count()
        deliberations = Deliberation.objects.filter(CURRENT, in_year, organisers__pk=rep_id).count()
        titles = list(
            Activity.objects.filter(
                organisers__pk=rep_id,
                starts_at__gte=start,
                starts_at__lt=end,
                status=ActivityStatus.HELD,
            )
            .order_by("starts_at", "pk")
            .values_list("title", flat=True)
        )
        spendings = (
            FundEntry.objects.filter(
                allocation__representative_id=rep_id,
                allocation__year=year,
                kind=FundEntryKind.SPEND,
                status=FundEntryStatus.APPROVED,
            )
            .exclude(pk__in=FundEntry.objects.filter(reverses__isnull=False).values("reverses"))
            .count()
        )
    out = AnnualFigures(
        representative=representative,
        year=year,
        village=_unit_name(representative.unit.village_path()),
        town=_unit_name(representative.unit.town_path()),
        first=first,
        last=last,
        facts=f,
        households=households,
        contacts=contacts,
        visits=visits,
        deliberations=deliberations,
        activity_titles=titles,
        fund_spendings=spendings,
        sections=[],
        bars=[],
    )
    out.sections = _sections(out)
    out.bars = _bars(out)
    return out


def _n(value: int) -> str:
    return f"{value:,}"


def _sections(a: AnnualFigures) -> list[Section]:
    f = a.facts
    duties = Section(_("The four ones"))
    duties.lines += [
        Line("contacts", _("Contacts with households recorded"), a.contacts, _n(a.contacts)),
        Line("visits", _("Home visits recorded"), a.visits, _n(a.visits)),
        Line(
            "deliberations",
            _("Deliberation events organised"),
            a.deliberations,
            _n(a.deliberations),
        ),
    ]
    for name, (req, ful) in f.duties.items():
        duties.lines.append(
            Line(
                f"duty_{name}",
                str(compliance.duty_label(name)),
                ful,
                _("%(done)s of %(owed)s owed") % {"done": _n(ful), "owed": _n(req)},
            )
        )
    duties.lines.append(
        Line(
            "duty_total",
            _("All duties"),
            f.duty_fulfilled,
            _("%(done)s of %(owed)s owed")
            % {"done": _n(f.duty_fulfilled), "owed": _n(f.duty_required)},
        )
    )
    served = Section(_("Households served"))
    served.lines.append(
        Line("households", _("Households linked in the year"), a.households, _n(a.households))
    )
    appeals = Section(_("Appeals"))
    appeals.lines += [
        Line("appeals_owned", _("Appeals handled"), f.appeals_owned, _n(f.appeals_owned)),
        Line("appeals_resolved", _("Appeals resolved"), f.appeals_resolved, _n(f.appeals_resolved)),
        Line(
            "appeals_rated", _("Appeals rated by residents"), f.appeals_rated, _n(f.appeals_rated)
        ),
        Line(
            "appeals_satisfied",
            _("Rated satisfied"),
            f.appeals_satisfied,
            _n(f.appeals_satisfied),
        ),
    ]
    activities = Section(_("Activities"))
    activities.lines.append(
        Line("activities", _("Activities organised and held"), f.activities, _n(f.activities))
    )
    for i, title in enumerate(a.activity_titles[:50], start=1):
        activities.lines.append(Line(f"activity_{i}", "", None, title))
    doorbell = Section(_("Love doorbell"))
    mean = _mean_seconds(f)
    doorbell.lines += [
        Line("alarms_told", _("Alarms told of"), f.alarms_told, _n(f.alarms_told)),
        Line("alarms_answered", _("Alarms answered"), f.alarms_answered, _n(f.alarms_answered)),
        Line(
            "ack_seconds_mean",
            _("Mean seconds to acknowledge"),
            mean,
            "—" if mean is None else _n(mean),
        ),
    ]
    fund = Section(_("Service fund"))
    if f.fund_amount is None:
        fund.lines.append(
            Line("fund_amount", _("Allocated (yuan)"), None, _("No fund was opened this year."))
        )
    else:
        fund.lines.append(
            Line("fund_amount", _("Allocated (yuan)"), f.fund_amount, yuan(f.fund_amount))
        )
    fund.lines += [
        Line("fund_spent", _("Spent (yuan)"), f.fund_spent, yuan(f.fund_spent)),
        Line("fund_spendings", _("Spendings counted"), a.fund_spendings, _n(a.fund_spendings)),
    ]
    training = Section(_("Training"))
    if f.training_minutes:
        hours, minutes = divmod(f.training_minutes, 60)
        training.lines.append(
            Line(
                "training_minutes",
                _("Training attended"),
                f.training_minutes,
                _("%(h)d hours %(m)d minutes") % {"h": hours, "m": minutes},
            )
        )
    else:
        training.lines.append(
            Line("training_minutes", _("Training attended"), 0, _("No training is recorded."))
        )
    return [served, duties, appeals, activities, doorbell, fund, training]


def _bars(a: AnnualFigures) -> list[Bar]:
    f = a.facts
    bars = [
        Bar(str(compliance.duty_label(name)), min(ful, req), req, f"{ful}/{req}")
        for name, (req, ful) in f.duties.items()
    ]
    bars += [
        Bar(_("Appeals resolved"), f.appeals_resolved, f.appeals_owned,
            f"{f.appeals_resolved}/{f.appeals_owned}"),
        Bar(_("Rated satisfied"), f.appeals_satisfied, f.appeals_rated,
            f"{f.appeals_satisfied}/{f.appeals_rated}"),
        Bar(_("Alarms answered"), f.alarms_answered, f.alarms_told,
            f"{f.alarms_answered}/{f.alarms_told}"),
    ]  # fmt: skip
    if f.fund_amount:
        bars.append(
            Bar(_("Service fund"), f.fund_spent, f.fund_amount,
                f"{yuan(f.fund_spent)}/{yuan(f.fund_amount)}")
        )  # fmt: skip
    return bars


# --- the chart ------------------------------------------------------------------------------


def cjk_font_path() -> str | None:
    """The first CJK font file of the server (Debian's fonts-noto-cjk), or None."""
    for pattern in CJK_FONT_GLOBS:
        found = sorted(glob.glob(pattern, recursive=True))
        if found:
            return found[0]
    return None


def _font(size: int, path: str | None) -> Any:
    from PIL import ImageFont

    if path:
        for index in (CJK_TTC_INDEX, 0) if path.endswith(".ttc") else (0,):
            try:
                return ImageFont.truetype(path, size, index=index)
            except (OSError, ValueError):
                continue
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # an old Pillow without sizes
        return ImageFont.load_default()


def chart_size(png: bytes) -> tuple[int, int]:
    """The chart's size in CSS pixels (it is drawn at twice that, for sharp print)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return image.width // 2, image.height // 2


def chart_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def chart_png(bars: list[Bar], *, font_path: str | None = "") -> bytes:
    """A horizontal bar chart as PNG: for each part a grey track (what was owed) and a
    red bar (what was done), with "done/owed" written beside it. `font_path` "" finds
    the CJK font; None uses Pillow's own font (Chinese labels then show as boxes, the
    numbers stay readable)."""
    from PIL import Image, ImageDraw

    path = cjk_font_path() if font_path == "" else font_path
    scale = 2
    label_w, bar_w, text_w = 220 * scale, 360 * scale, 140 * scale
    row_h, pad = 34 * scale, 14 * scale
    rows = bars or [Bar(_("No records"), 0, 0, "0/0")]
    width = label_w + bar_w + text_w + 2 * pad
    height = pad * 2 + row_h * len(rows)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = _font(14 * scale, path)
    for i, bar in enumerate(rows):
        top = pad + i * row_h
        mid = top + row_h // 2
        draw.text(
            (pad + label_w - 10 * scale, mid), bar.label, fill="#1a1a1a", font=font, anchor="rm"
        )
        x0 = pad + label_w
        track = (x0, top + 6 * scale, x0 + bar_w, top + row_h - 6 * scale)
        draw.rectangle(track, fill="#e3e7ec")
        if bar.owed > 0 and bar.done > 0:
            w = max(2, round(bar_w * min(bar.done, bar.owed) / bar.owed))
            draw.rectangle((x0, track[1], x0 + w, track[3]), fill="#c8161d")
        draw.text((x0 + bar_w + 10 * scale, mid), bar.text, fill="#1a1a1a", font=font, anchor="lm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# --- the documents --------------------------------------------------------------------------


def title_of(a: AnnualFigures) -> str:
    return _("%(name)s's report on %(year)d") % {"name": a.representative.name, "year": a.year}


def filename(a: AnnualFigures, ext: str) -> str:
    """Chinese whatever the page's language, like the document (Django's FileResponse
    sends it URL-encoded as `filename*`)."""
    return f"{a.representative.name}-{a.year}年度述职报告.{ext}"


def _paragraphs(text: str) -> list[str]:
    return [p for p in (text or "").replace("\r\n", "\n").split("\n")]


def render_docx(a: AnnualFigures, text: str, *, chart: bytes | None = None) -> bytes:
    """The report as a Word document: header, figures, chart, the representative's text."""
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    with translation.override("zh-hans"):
        sections, png = _sections(a), chart or chart_png(_bars(a))
        document = docx.Document()
        style = document.styles["Normal"]
        style.font.name = "Noto Sans CJK SC"
        style.font.size = Pt(11)
        rpr = style.element.get_or_add_rPr()
        rpr.get_or_add_rFonts().set(qn("w:eastAsia"), "Noto Sans CJK SC")
        document.add_heading(title_of(a), level=0)
        document.add_paragraph(
            "\n".join(
                [
                    _("Representative: %(name)s") % {"name": a.representative.name},
                    _("Village: %(village)s (%(town)s)") % {"village": a.village, "town": a.town},
                    _("Year: %(year)d (records from %(start)s to %(end)s)")
                    % {"year": a.year, "start": a.first.isoformat(), "end": a.last.isoformat()},
                ]
            )
        )
        document.add_heading(_("The figures"), level=1)
        table = document.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for section in sections:
            row = table.add_row().cells
            row[0].merge(row[1])
            row[0].text = section.title
            row[0].paragraphs[0].runs[0].bold = True
            for line in section.lines:
                cells = table.add_row().cells
                cells[0].text = line.label
                cells[1].text = line.text
        document.add_heading(_("Chart"), level=1)
        document.add_picture(io.BytesIO(png), width=Cm(16))
        document.add_heading(_("In my own words"), level=1)
        for paragraph in _paragraphs(text) or [""]:
            document.add_paragraph(paragraph)
        if not text.strip():
            document.add_paragraph(_("(No text written yet.)"))
        out = io.BytesIO()
        document.save(out)
    return out.getvalue()


def render_pdf(a: AnnualFigures, text: str, *, chart: bytes | None = None) -> bytes:
    """The report as PDF (the same content as the Word document)."""
    from linli.core.pdf import html_to_pdf

    with translation.override("zh-hans"):
        png = chart or chart_png(_bars(a))
        html = render_to_string(
            "evaluation/annual_pdf.html",
            {
                "a": a,
                "sections": _sections(a),
                "title": title_of(a),
                "chart": chart_data_uri(png),
                "paragraphs": [p for p in _paragraphs(text) if p.strip()],
                "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            },
        )
    return html_to_pdf(html, css="img.chart { width: 100%; }")


def presented(representative: Representative, year: int) -> AnnualReport | None:
    """The year's current report to the residents, if one was recorded."""
    return (
        AnnualReport.objects.filter(
            CURRENT,
            representative=representative,
            kind=DutyReportKind.RESIDENTS,
            day__gte=dt.date(year, 1, 1),
            day__lte=dt.date(year, 12, 31),
        )
        .order_by("-day", "-id")
        .first()
    )


def presented_ids(representative_ids: list[int], year: int) -> set[int]:
    """Of these representatives, those whose year's report to the residents is recorded
    (one query for a page of a list)."""
    return set(
        AnnualReport.objects.filter(
            CURRENT,
            representative_id__in=representative_ids,
            kind=DutyReportKind.RESIDENTS,
            day__gte=dt.date(year, 1, 1),
            day__lte=dt.date(year, 12, 31),
        ).values_list("representative_id", flat=True)
    )
