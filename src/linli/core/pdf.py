"""PDF from HTML (WeasyPrint), for the reports a unit downloads or sends up the line.

The page's text is Chinese: WeasyPrint finds the system's fonts through fontconfig, and
the stylesheet below names the CJK families a server has (Debian's fonts-noto-cjk, which
CI installs; the common Windows and macOS ones for a developer's machine). Charts are
drawn as inline SVG by the caller (no JavaScript runs in a PDF).

WeasyPrint is imported when a PDF is made, not at start-up: it loads Pango, and a server
that never makes a PDF should not need it to start.
"""

from __future__ import annotations

FONT_STACK = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", '
    '"Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", sans-serif'
)

BASE_CSS = f"""
@page {{ size: A4; margin: 18mm 16mm 20mm; @bottom-center {{ content: counter(page) " / " counter(pages); font-size: 9pt; color: #666; }} }}
html {{ font-family: {FONT_STACK}; font-size: 10.5pt; color: #1a1a1a; line-height: 1.5; }}
h1 {{ font-size: 18pt; margin: 0 0 4mm; }}
h2 {{ font-size: 13pt; margin: 6mm 0 2mm; border-bottom: 0.4pt solid #999; padding-bottom: 1mm; }}
table {{ border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; page-break-inside: auto; }}
th, td {{ border: 0.4pt solid #999; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }}
th {{ background: #eef2f6; font-weight: bold; }}
td.num, th.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
tr {{ page-break-inside: avoid; }}
.muted {{ color: #666; font-size: 9pt; }}
svg {{ max-width: 100%; }}
"""


def html_to_pdf(html: str, *, css: str = "") -> bytes:
    """The PDF of an HTML document (its own <style> applies after BASE_CSS and `css`)."""
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    pdf: bytes = HTML(string=html).write_pdf(stylesheets=[CSS(string=BASE_CSS + css)])
    return pdf
