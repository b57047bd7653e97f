"""The annual report's pages: 我的述职报告 (figures, chart, draft, downloads, present),
a representative's report read by the cadres of their subtree, the cadres' list; scope
(others 404), hostile input (400 in Chinese, never 500)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.urls import reverse

from linli.core.timeutil import today
from linli.duties.models import AnnualReport
from linli.evaluation import annual
from linli.evaluation.models import AnnualReportDraft
from tests.support import factories

from .test_annual import docx_text, pdf_text

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
YEAR = today().year


@pytest.fixture
def rep(actors, county):
    for h in county.households_a[:3]:
        factories.contact(county.rep_a, h, actor=actors.rep, day=today())
    factories.visit(county.rep_a, county.households_a[4], actor=actors.rep, day=today())
    return county.rep_a


def url(name, *args, **params):
    out = reverse(name, args=args)
    if params:
        out += "?" + "&".join(f"{k}={quote(str(v))}" for k, v in params.items())
    return out


def body(response) -> str:
    return response.content.decode()


def test_the_representative_sees_writes_and_presents_their_report(client, actors, rep):
    client.force_login(actors.rep)
    r = client.get(url("evaluation:annual_mine"), **ZH)
    assert r.status_code == 200
    text = body(r)
    assert "我的述职报告" in text and rep.name in text and "data:image/png;base64," in text
    assert "提交述职" in text and "尚未述职" in text
    # Save a draft.
    r = client.post(
        url("evaluation:annual_report", rep.pk), {"year": YEAR, "text": "我的述职ZW95"}, **ZH
    )
    assert r.status_code == 302
    assert AnnualReportDraft.objects.get(representative=rep, year=YEAR).text == "我的述职ZW95"
    assert "我的述职ZW95" in body(client.get(url("evaluation:annual_mine"), **ZH))
    # Download both, with their text and numbers.
    r = client.get(url("evaluation:annual_docx", rep.pk, year=YEAR), **ZH)
    assert r.status_code == 200 and r["Content-Type"] == annual.DOCX_TYPE
    assert "filename*=utf-8''" in r["Content-Disposition"]
    assert quote(rep.name) in r["Content-Disposition"]
    content = b"".join(r.streaming_content)
    got = docx_text(content)
    assert "我的述职ZW95" in got and rep.name in got and "走访入户记录" in got
    r = client.get(url("evaluation:annual_pdf", rep.pk, year=YEAR), **ZH)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert "ZW95" in pdf_text(b"".join(r.streaming_content))
    # Present.
    r = client.post(
        url("evaluation:annual_report", rep.pk),
        {"year": YEAR, "text": "我的述职ZW95", "action": "present"},
        **ZH,
    )
    assert r.status_code == 302
    report = AnnualReport.objects.get()
    assert report.document and report.text == "我的述职ZW95"
    text = body(client.get(url("evaluation:annual_mine", year=YEAR), **ZH))
    assert "已述职" in text


def test_cadres_of_the_subtree_read_only(client, actors, rep):
    from linli.evaluation import annual_services

    annual_services.present(actor=actors.rep, representative=rep, year=YEAR, text="述职ZW96")
    for user in (actors.town, actors.village, actors.city):
        client.force_login(user)
        r = client.get(url("evaluation:annual_report", rep.pk), **ZH)
        assert r.status_code == 200, user
        assert rep.name in body(r) and "提交述职" not in body(r)
        assert client.get(url("evaluation:annual_pdf", rep.pk)).status_code == 200
        r = client.post(url("evaluation:annual_report", rep.pk), {"text": "x", "year": YEAR})
        assert r.status_code == 403
        # Their list shows the representative.
        listed = body(client.get(url("evaluation:annual_team"), **ZH))
        assert rep.name in listed and "已述职" in listed
        assert "述职ZW96" in body(client.get(url("evaluation:annual_report", rep.pk), **ZH))
    assert AnnualReportDraft.objects.get().text == "述职ZW96"


def test_strangers_get_404(client, actors, rep, county):
    for user in (actors.rep_b, actors.town_b):
        client.force_login(user)
        for name in ("evaluation:annual_report", "evaluation:annual_docx", "evaluation:annual_pdf"):
            r = client.get(url(name, rep.pk), **ZH)
            assert r.status_code == 404, (user, name)
            assert rep.name not in body(r)
        r = client.post(url("evaluation:annual_report", rep.pk), {"text": "x", "year": YEAR})
        assert r.status_code == 404
    client.force_login(actors.town_b)
    assert rep.name not in body(client.get(url("evaluation:annual_team"), **ZH))
    # A representative is refused the cadres' list; a cadre the representative's page.
    client.force_login(actors.rep_b)
    assert client.get(url("evaluation:annual_team")).status_code == 403
    client.force_login(actors.town)
    assert client.get(url("evaluation:annual_mine")).status_code == 403
    assert not AnnualReportDraft.objects.exists()


@pytest.mark.parametrize("year", ["99999", "-1", "1999", str(YEAR + 1), "abc", "2001"])
def test_hostile_years_answer_400(client, actors, rep, year):
    client.force_login(actors.rep)
    for name in ("evaluation:annual_report", "evaluation:annual_docx", "evaluation:annual_pdf"):
        r = client.get(url(name, rep.pk, year=year), **ZH)
        assert r.status_code == 400, (name, r.status_code)
    assert client.get(url("evaluation:annual_mine", year=year), **ZH).status_code == 400
    r = client.post(url("evaluation:annual_report", rep.pk), {"year": year, "text": "x"}, **ZH)
    assert r.status_code == 400
    assert not AnnualReportDraft.objects.exists()


@pytest.mark.parametrize(
    "text,message",
    [
        # A NUL is refused before the view, by the site's input guard (its 400 page).
        ("控制\x00字符", "无法识别这个请求"),
        ("\x1b[31m红", "不允许"),
        ("a" * 1_000_000, "20000"),
    ],
)
def test_hostile_text_answers_400_in_chinese(client, actors, rep, text, message):
    client.force_login(actors.rep)
    for action in ("save", "present"):
        r = client.post(
            url("evaluation:annual_report", rep.pk),
            {"year": YEAR, "text": text, "action": action},
            **ZH,
        )
        assert r.status_code == 400
        assert message in body(r), body(r)[:3000]
    assert not AnnualReportDraft.objects.exists() and not AnnualReport.objects.exists()


def test_an_unknown_action_writes_nothing(client, actors, rep):
    client.force_login(actors.rep)
    r = client.post(url("evaluation:annual_report", rep.pk), {"year": YEAR, "action": "drop"})
    assert r.status_code == 403
    assert not AnnualReportDraft.objects.exists()
