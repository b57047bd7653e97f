"""PDFs are made from HTML with the system's CJK fonts: the Chinese text comes back out."""

from __future__ import annotations

import io

from pypdf import PdfReader

from linli.core.pdf import html_to_pdf


def test_a_chinese_page_makes_a_pdf_whose_text_reads_back():
    pdf = html_to_pdf(
        "<html><body><h1>浏阳市 2026年11月 月度报告</h1>"
        "<table><tr><th>单位</th><th class='num'>满意率</th></tr>"
        "<tr><td>永安镇</td><td class='num'>96.5%</td></tr></table></body></html>"
    )
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "月度报告" in text and "永安镇" in text and "96.5%" in text
    # The glyphs come from a CJK font, not boxes: the embedded fonts name one.
    fonts = {
        str(f.get_object().get("/BaseFont", ""))
        for page in reader.pages
        for f in (page["/Resources"].get("/Font") or {}).values()
    }
    assert any("CJK" in f or "Hei" in f or "Han" in f for f in fonts), fonts
