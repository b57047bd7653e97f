"""The annual report (述职报告): the figures from the records, the chart, the .docx and
the PDF read back, the draft, presenting it as the year's duties.AnnualReport."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile

from linli.core.errors import Forbidden, InvalidInput
from linli.core.timeutil import today
from linli.duties.models import AnnualReport
from linli.evaluation import annual, annual_services
from linli.evaluation.models import AnnualReportDraft
from linli.funds import services as funds
from tests.support import factories

YEAR = today().year
OWN_TEXT = "今年我走访了全组群众ZW93"


def docx_text(content: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def docx_images(content: bytes) -> int:
    import docx

    document = docx.Document(io.BytesIO(content))
    return len(document.inline_shapes)


def pdf_text(content: bytes) -> str:
    """The PDF's text. Without a CJK font on the machine (a developer's box without
    fonts-noto-cjk; CI has it) WeasyPrint writes a box for each Chinese character and
    the font's text map comes back as UTF-16 read byte by byte: the NULs are dropped so
    the digits and Latin letters still read back."""
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    return text.replace("\x00", "")


CJK = annual.cjk_font_path() is not None


@pytest.fixture
def records(actors, county):
    """rep_a's year: three contacts, two visits, an appeal, a fund spending."""
    day = today()
    for h in county.households_a[:3]:
        factories.contact(county.rep_a, h, actor=actors.rep, day=day)
    for h in county.households_a[3:5]:
        factories.visit(county.rep_a, h, actor=actors.rep, day=day)
    factories.appeal(county.households_a[1])
    funds.fund_spend(
        actor=actors.rep,
        representative=county.rep_a,
        amount_fen=4321,
        day=day,
        purpose="慰问困难户",
    )
    return county.rep_a


def test_the_figures_come_from_the_records(records, county):
    a = annual.figures(records, YEAR)
    assert (a.households, a.contacts, a.visits) == (6, 3, 2)
    assert a.facts.appeals_owned == 1
    assert a.facts.fund_spent == 4321 and a.fund_spendings == 1
    assert a.village == county.village_a.name and a.town == county.town_a.name
    data = a.as_dict()
    assert data["contacts"] == 3 and data["fund_spent_fen"] == 4321
    # No training is recorded yet: said plainly.
    line = next(ln for s in a.sections for ln in s.lines if ln.key == "training_minutes")
    assert line.value == 0 and line.text


def test_households_served_follow_the_links_history(records, county, actors):
    from linli.org import services as org

    # A household moved to another representative mid-year still counts for rep_a.
    other = factories.appoint(county, 9, "新代表")
    org.link_assign(
        actor=county.superuser,
        household=county.households_a[0],
        representative=other,
        on_date=today(),
    )
    assert annual.figures(records, YEAR).households == 6
    assert annual.households_served(other.pk, dt.date(YEAR, 1, 1), today()) == 1


def test_the_docx_holds_the_header_numbers_chart_and_text(records, county, zh):
    a = annual.figures(records, YEAR)
    content = annual.render_docx(a, OWN_TEXT)
    text = docx_text(content)
    assert records.name in text and county.village_a.name in text and str(YEAR) in text
    assert "43.21" in text  # the spending, in yuan
    for key in ("households", "contacts", "visits"):
        assert str(getattr(a, key)) in text
    assert "服务户" in text or "联系" in text
    assert "未有培训记录" in text or "无培训记录" in text
    assert OWN_TEXT in text
    assert docx_images(content) == 1


def test_the_pdf_holds_the_numbers_and_text(records):
    a = annual.figures(records, YEAR)
    content = annual.render_pdf(a, OWN_TEXT + " ZW93")
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert "43.21" in text and "ZW93" in text and str(YEAR) in text
    if CJK:  # the Chinese reads back only where the CJK font is installed
        assert records.name in text and OWN_TEXT in text and "无培训记录" in text


def test_the_chart_draws_with_or_without_a_cjk_font(records):
    from PIL import Image

    a = annual.figures(records, YEAR)
    for font in ("", None, "/nonexistent/font.ttc"):
        png = annual.chart_png(a.bars, font_path=font)
        with Image.open(io.BytesIO(png)) as image:
            assert image.format == "PNG" and image.width > 400 and image.height > 50
    assert annual.chart_png([], font_path=None).startswith(b"\x89PNG")


def test_the_draft_is_kept_per_representative_and_year(records, actors):
    annual_services.draft_save(actor=actors.rep, representative=records, year=YEAR, text="一")
    annual_services.draft_save(actor=actors.rep, representative=records, year=YEAR, text="二")
    assert AnnualReportDraft.objects.get(representative=records, year=YEAR).text == "二"
    assert annual_services.draft_text(records, YEAR) == "二"


def test_only_the_representative_writes(records, actors):
    for who in (actors.town, actors.village, actors.rep_b):
        with pytest.raises(Forbidden):
            annual_services.draft_save(actor=who, representative=records, year=YEAR, text="x")
        with pytest.raises(Forbidden):
            annual_services.present(actor=who, representative=records, year=YEAR, text="x")
    assert not AnnualReport.objects.exists()


def test_present_records_the_years_report_with_the_pdf(records, actors):
    report = annual_services.present(
        actor=actors.rep, representative=records, year=YEAR, text=OWN_TEXT + " ZW93"
    )
    assert report.kind == "residents" and report.text.startswith(OWN_TEXT)
    assert report.document.name.endswith(".pdf")
    with report.document.open("rb") as f:
        content = f.read()
    assert "ZW93" in pdf_text(content) and "43.21" in pdf_text(content)
    assert annual.presented(records, YEAR) == report
    # Presenting again supersedes it (the duties' rules: append-only).
    again = annual_services.present(
        actor=actors.rep, representative=records, year=YEAR, text="修改后的述职ZW94"
    )
    report.refresh_from_db()
    assert report.superseded_by_id == again.pk
    assert annual.presented(records, YEAR) == again
    assert AnnualReport.objects.filter(superseded_by__isnull=True).count() == 1


def test_present_needs_text_and_a_served_open_year(records, actors):
    with pytest.raises(InvalidInput):
        annual_services.present(actor=actors.rep, representative=records, year=YEAR, text="  ")
    with pytest.raises(InvalidInput):  # long before their term
        annual_services.present(actor=actors.rep, representative=records, year=2001, text="x")


@pytest.mark.parametrize(
    "text", ["a\x00b", "\x07响铃", "x" * (annual.TEXT_MAX + 1), "中" * 1_000_000]
)
def test_hostile_text_is_refused(records, actors, text):
    with pytest.raises(InvalidInput):
        annual_services.draft_save(actor=actors.rep, representative=records, year=YEAR, text=text)
    assert not AnnualReportDraft.objects.exists()


@pytest.mark.parametrize("value", ["99999", "-1", "1999", str(YEAR + 1), "abc", "２０２４", "0"])
def test_hostile_years_are_refused(value):
    with pytest.raises(InvalidInput):
        annual.parse_year(value)


def test_a_kept_document_is_accepted_by_report_log(records, actors):
    """`duties.services.report_log` stores a generated document (checked by content)."""
    from linli.duties import services as duties

    pdf = annual.render_pdf(annual.figures(records, YEAR), "x")
    report = duties.report_log(
        actor=actors.rep,
        representative=records,
        kind="residents",
        day=today(),
        text="",
        document=ContentFile(pdf, name="r.pdf"),
    )
    assert report.document.name.endswith(".pdf")
