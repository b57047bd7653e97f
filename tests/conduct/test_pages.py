"""The conduct pages: the negative list (print, export), the breach records (filters,
paging, export), reporting, one record's page with its actions, and a representative's
own records with the statement form."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from linli.accounts.models import AuditLog
from linli.conduct.models import Breach, BreachEvidence, BreachStage
from tests.support.factories import upload

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _cells(response) -> list:
    content = b"".join(response.streaming_content)
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


def test_the_negative_list_for_a_representative(actors, catalogue, report):
    report()
    body = _client(actors.rep).get(reverse("conduct:entries"), **ZH).content.decode()
    assert "利用代表身份谋取私利" in body and "严重" in body
    assert "data-print" in body and "conduct.css" in body
    assert reverse("conduct:mine") in body  # the open record against them
    assert reverse("conduct:entry_new") not in body


def test_the_negative_list_exports(actors, catalogue):
    response = _client(actors.village).get(
        reverse("conduct:entries_export"), {"severity": "severe"}
    )
    assert response.status_code == 200
    rows = _cells(response)
    assert rows[0][0] == "编号"
    assert {r[0] for r in rows[1:]} == {"FM-01", "FM-06", "FM-07"}
    assert AuditLog.objects.filter(action="export.conduct_entries").exists()


def test_the_catalogue_writer_adds_an_entry(actors, catalogue, county):
    c = _client(actors.town)
    page = c.get(reverse("conduct:entry_new"), **ZH)
    assert page.status_code == 200
    response = c.post(
        reverse("conduct:entry_new"),
        {"unit": county.town_a.pk, "code": "DY-09", "title": "镇条目", "severity": "minor"},
    )
    assert response.status_code == 302
    # The city's list is not the town's to offer.
    assert "全市负面清单" not in page.content.decode()
    assert _client(actors.rep).get(reverse("conduct:entry_new")).status_code == 403


def test_the_breach_records_filter_page_and_export(actors, report, clock, media, county):
    report("FM-01")
    report("FM-04")
    c = _client(actors.town)
    body = c.get(reverse("conduct:breaches"), {"severity": "severe"}, **ZH).content.decode()
    assert "利用代表身份谋取私利" in body and "无故不履行联系户职责" not in body
    rows = c.get(reverse("conduct:breaches"), {"q": "低保"}, HTTP_HX_REQUEST="true")
    assert rows.status_code == 200 and "<html" not in rows.content.decode()
    assert c.get(reverse("conduct:breaches"), {"unit": 10**30}).status_code == 200
    by_unit = c.get(reverse("conduct:breaches"), {"unit": county.village_a.pk, "severity": "minor"})
    assert "无故不履行联系户职责" in by_unit.content.decode()
    assert "利用代表身份谋取私利" not in by_unit.content.decode()
    export = c.get(reverse("conduct:breaches_export"), {"stage": "reported"})
    cells = _cells(export)
    assert cells[0][1] == "代表" and len(cells) == 3
    assert _client(actors.rep).get(reverse("conduct:breaches")).status_code == 403


def test_report_through_the_page_with_a_photo(actors, catalogue, county, clock, media):
    c = _client(actors.village)
    assert c.get(reverse("conduct:breach_new"), **ZH).status_code == 200
    response = c.post(
        reverse("conduct:breach_new"),
        {
            "representative": county.rep_a.pk,
            "entry": catalogue["FM-03"].pk,
            "description": "把联系户电话告诉推销人员",
            "occurred_on": (clock.today - dt.timedelta(days=1)).isoformat(),
            "photos": [upload()],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    breach = Breach.objects.get()
    assert BreachEvidence.objects.filter(breach=breach).count() == 1
    page = c.get(reverse("conduct:breach", args=[breach.pk]), **ZH).content.decode()
    assert (
        "把联系户电话告诉推销人员" in page
        and reverse("conduct:evidence", args=[breach.evidence.get().pk]) in page
    )


def test_the_representative_states_on_the_phone_page(actors, report):
    breach = report()
    c = _client(actors.rep)
    mine = c.get(reverse("conduct:mine"), **ZH).content.decode()
    assert reverse("conduct:breach", args=[breach.pk]) in mine
    page = c.get(reverse("conduct:breach", args=[breach.pk]), **ZH).content.decode()
    assert 'name="text"' in page and "2026-03-09" in page
    assert "formaction" not in page  # no review for the representative
    response = c.post(
        reverse("conduct:breach_act", args=[breach.pk, "statement"]), {"text": "已退回，有人证"}
    )
    assert response.status_code == 302
    breach.refresh_from_db()
    assert breach.stage == BreachStage.STATED and breach.statement_by == actors.rep


def test_the_review_page_refuses_an_early_confirm_in_chinese(actors, report):
    breach = report()
    c = _client(actors.town)
    page = c.get(reverse("conduct:breach", args=[breach.pk]), **ZH).content.decode()
    assert "formaction" not in page  # confirm is not offered yet; dismiss is
    response = c.post(
        reverse("conduct:breach_act", args=[breach.pk, "confirm"]), {"reason": "属实"}, **ZH
    )
    assert response.status_code == 400
    assert "陈述" in response.content.decode()
    breach.refresh_from_db()
    assert breach.stage == BreachStage.REPORTED
    response = c.post(reverse("conduct:breach_act", args=[breach.pk, "dismiss"]), {"reason": ""})
    assert response.status_code == 400
    response = c.post(
        reverse("conduct:breach_act", args=[breach.pk, "dismiss"]), {"reason": "查无实据"}
    )
    assert response.status_code == 302
    breach.refresh_from_db()
    assert breach.stage == BreachStage.DISMISSED


def test_an_unknown_action_is_a_404(actors, report):
    breach = report()
    c = _client(actors.town)
    assert c.post(reverse("conduct:breach_act", args=[breach.pk, "delete"])).status_code == 404


def test_another_representative_cannot_open_the_record(actors, report):
    breach = report()
    c = _client(actors.rep_b)
    assert c.get(reverse("conduct:breach", args=[breach.pk])).status_code == 404
    mine = c.get(reverse("conduct:mine"), **ZH).content.decode()
    assert "利用代表身份" not in mine


def test_list_pages_do_not_grow_queries_with_rows(actors, report, django_assert_max_num_queries):
    for _ in range(5):
        report()
    c = _client(actors.town)
    c.get(reverse("conduct:breaches"))
    with django_assert_max_num_queries(25):
        assert c.get(reverse("conduct:breaches")).status_code == 200


def test_change_is_offered_only_on_entries_one_may_change(actors, catalogue, county):
    """A town cadre saw "Change" on the city's entries and got a 404 (the browser sweep)."""
    c = _client(actors.town)
    c.post(
        reverse("conduct:entry_new"),
        {"unit": county.town_a.pk, "code": "DY-09", "title": "镇条目", "severity": "minor"},
    )
    body = c.get(reverse("conduct:entries"), **ZH).content.decode()
    town_entry = catalogue["FM-01"].__class__.objects.get(code="DY-09")
    assert reverse("conduct:entry_edit", args=[town_entry.pk]) in body
    for entry in catalogue.values():
        assert reverse("conduct:entry_edit", args=[entry.pk]) not in body
    assert c.get(reverse("conduct:entry_edit", args=[town_entry.pk])).status_code == 200
