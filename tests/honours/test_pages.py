"""The hundred-best pages: the city opens and steps the selection, a town nominates from
its ranking (the excluded refused in Chinese), a nomination's decisions and the
objections' answers; the public notice and its objection form (hostile input: control
characters, huge text, bad mobiles, odd dates answer 400 with a Chinese message, never
500, and nothing is written), no personal data on public pages; the final list;
benefits and the reserve pool pages and their Excel exports."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from linli.honours import services
from linli.honours.models import (
    BenefitIssue,
    Nomination,
    NominationStatus,
    Objection,
    ReserveCandidate,
    Selection,
    SelectionStage,
)

from .conftest import YEAR, confirm_breach
from .test_benefits_reserve import _born, final_list

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
PHONE = "13912345678"


def get(client, name, *args, **params):
    return client.get(reverse(name, args=args), params, **ZH)


def post(client, name, *args, data=None, query=""):
    return client.post(reverse(name, args=args) + query, data or {}, **ZH)


def on_notice(actors, county, scored):
    sel = services.selection_open(actor=actors.city, year=YEAR, seats=10)
    services.quota_set(actor=actors.city, selection=sel, town=county.town_a, seats=3)
    n = services.nominate(
        actor=actors.town, selection=sel, representative=county.rep_a, citation="带头修路十公里"
    )
    services.town_decide(actor=actors.town, nomination=n, approve=True)
    services.town_submit(actor=actors.town, selection=sel, town=county.town_a)
    services.stage_advance(actor=actors.city, selection=sel)
    services.stage_advance(actor=actors.city, selection=sel)
    services.city_decide(actor=actors.city, nomination=n, approve=True)
    services.stage_advance(actor=actors.city, selection=sel, days=7)
    return n


def test_the_city_opens_and_the_town_nominates_through_the_pages(client, actors, county, scored):
    client.force_login(actors.city)
    r = post(client, "honours:selection", data={"action": "open", "year": YEAR, "seats": 50})
    assert r.status_code == 302
    sel = Selection.objects.get(year=YEAR)
    r = post(client, "honours:quotas", YEAR, data={"town": county.town_a.pk, "seats": 2})
    assert r.status_code == 302
    r = post(client, "honours:quotas", YEAR, data={"town": county.town_b.pk, "seats": 49})
    assert r.status_code == 400 and "超过" in r.content.decode()
    client.force_login(actors.town)
    body = get(client, "honours:selection", year=YEAR).content.decode()
    assert "百佳村(居)民代表" in body and "推荐" in body
    assert get(client, "honours:quotas", YEAR).status_code == 403
    page = get(client, "honours:nominate", YEAR).content.decode()
    assert "建议人选" in page and county.rep_a.name in page
    r = post(
        client,
        "honours:nominate",
        YEAR,
        data={"representative": county.rep_a.pk, "citation": "调解纠纷"},
    )
    assert r.status_code == 302
    n = Nomination.objects.get()
    r = post(client, "honours:nomination", n.pk, data={"action": "town_approve", "note": ""})
    assert r.status_code == 302
    n.refresh_from_db()
    assert n.status == NominationStatus.TOWN_APPROVED
    r = post(
        client,
        "honours:selection",
        data={"action": "submit", "town": county.town_a.pk},
        query=f"?year={YEAR}",
    )
    assert r.status_code == 302
    # The town cannot move the stage; the page says so in Chinese.
    r = post(client, "honours:selection", data={"action": "advance"}, query=f"?year={YEAR}")
    assert r.status_code == 403 and "只能由市级" in r.content.decode()
    sel.refresh_from_db()
    assert sel.stage == SelectionStage.NOMINATING


def test_an_excluded_representative_is_refused_on_the_page(client, actors, county, scored):
    confirm_breach(actors, county)
    sel = services.selection_open(actor=actors.city, year=YEAR)
    services.quota_set(actor=actors.city, selection=sel, town=county.town_a, seats=2)
    client.force_login(actors.town)
    page = get(client, "honours:nominate", YEAR).content.decode()
    assert "严重违规，不得推荐" in page
    r = post(client, "honours:nominate", YEAR, data={"representative": county.rep_a.pk})
    assert r.status_code == 400 and not Nomination.objects.exists()


def test_the_public_notice_and_an_objection(client, actors, county, scored):
    n = on_notice(actors, county, scored)
    body = get(client, "honours:public_notice").content.decode()
    assert county.rep_a.name in body and "带头修路十公里" in body and "95.00" in body
    # No personal data: no ID number, no mobile.
    member = county.rep_a.member
    for secret in (member.id_number, member.phone, "13800138001"):
        assert secret and secret not in body
    page = get(client, "honours:public_nominee", n.pk).content.decode()
    assert "提出异议" in page and member.id_number not in page
    r = post(
        client,
        "honours:public_nominee",
        n.pk,
        data={"text": "该代表很少走访。", "name": "王五", "phone": PHONE},
    )
    assert r.status_code == 302
    o = Objection.objects.get()
    assert o.phone == PHONE and o.name == "王五"
    # The staff see it; only the city sees the whole mobile.
    client.force_login(actors.town)
    staff = get(client, "honours:nomination", n.pk).content.decode()
    assert "该代表很少走访" in staff and PHONE not in staff and "139****5678" in staff
    client.force_login(actors.city)
    city = get(client, "honours:nomination", n.pk).content.decode()
    assert PHONE in city
    r = post(
        client,
        "honours:nomination",
        n.pk,
        data={"action": "dismiss", "objection": o.pk, "answer": "经核查不属实"},
    )
    assert r.status_code == 302
    o.refresh_from_db()
    assert o.status == "dismissed" and o.decided_by == actors.city


HOSTILE = [
    {"text": "异议\x00", "phone": PHONE},
    {"text": "异议\x1b[31m", "phone": PHONE},
    {"text": "异" * 5000, "phone": PHONE},
    {"text": "异议", "phone": "123"},
    {"text": "异议", "phone": "1391234567\x07"},
    {"text": "异议", "phone": "+1 202 555 0100"},
    {"text": "异议", "phone": "9" * 500},
    {"text": "", "phone": PHONE},
    {"text": "异议", "phone": PHONE, "name": "名" * 500},
    {"text": "异议", "phone": PHONE, "name": "王\x0b五"},
]


@pytest.mark.parametrize("data", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_objections_answer_400_in_chinese(client, actors, county, scored, data):
    n = on_notice(actors, county, scored)
    r = post(client, "honours:public_nominee", n.pk, data=data)
    assert r.status_code == 400, r.content[:300]
    body = r.content.decode()
    # The form's error in Chinese (a NUL is refused before the form, by the 400 page).
    if "errorlist" in body:
        assert any(w in body for w in ("字符", "手机号", "必填", "最多", "不能")), body
    else:
        assert "\x00" in data["text"] and 'lang="zh-hans"' in body
    assert not Objection.objects.exists()


def test_odd_ids_years_and_queries_never_500(client, actors, county, scored):
    n = on_notice(actors, county, scored)
    assert get(client, "honours:public_nominee", 2**63 + 5).status_code in (400, 404)
    assert get(client, "honours:public_final", 1999).status_code == 404
    assert get(client, "honours:public_final", YEAR).status_code == 200
    assert client.get("/honours/public/99999999999999999999999/").status_code in (400, 404)
    client.force_login(actors.town)
    for q in ({"year": "abc"}, {"year": "99999"}, {"year": "-1"}):
        assert get(client, "honours:selection", **q).status_code == 400
    r = get(client, "honours:reserve", year="1", status="nope", unit="x")
    assert r.status_code == 400
    assert get(client, "honours:nomination", n.pk).status_code == 200
    r = post(client, "honours:nomination", n.pk, data={"action": "uphold", "objection": "x"})
    assert r.status_code in (400, 403)
    r = post(client, "honours:nomination", n.pk, data={"action": "explode"})
    assert r.status_code == 404


def test_objections_are_throttled_on_the_page(client, actors, county, scored):
    n = on_notice(actors, county, scored)
    for _ in range(5):
        r = post(client, "honours:public_nominee", n.pk, data={"text": "异议", "phone": PHONE})
        assert r.status_code == 302
    r = post(client, "honours:public_nominee", n.pk, data={"text": "异议", "phone": PHONE})
    assert r.status_code == 429 and "次数过多" in r.content.decode()
    assert Objection.objects.count() == 5


def test_the_final_list_page_and_the_benefits(client, actors, county, scored, later):
    final_list(actors, county, [county.rep_a, scored[1]], later)
    body = get(client, "honours:public_final", YEAR).content.decode()
    assert county.rep_a.name in body and scored[1].name in body
    assert county.rep_a.member.id_number not in body
    client.force_login(actors.city)
    r = post(
        client,
        "honours:benefit_kinds",
        data={"action": "add", "name": "景区免票", "provider": "文旅局", "description": ""},
    )
    assert r.status_code == 302
    client.force_login(actors.town)
    kind_id = (
        __import__("linli.honours.models", fromlist=["BenefitKind"]).BenefitKind.objects.get().pk
    )
    r = post(
        client,
        "honours:benefits",
        data={
            "kind": kind_id,
            "representative": county.rep_a.pk,
            "issued_on": "2026-01-05",
            "reference": "JQ-7",
        },
        query=f"?year={YEAR}",
    )
    assert r.status_code == 302, r.content[:500]
    issue = BenefitIssue.objects.get()
    body = get(client, "honours:benefits", year=YEAR).content.decode()
    assert "景区免票" in body and "JQ-7" in body
    # A representative not on the final list is not among the choices.
    r = post(
        client,
        "honours:benefits",
        data={"kind": kind_id, "representative": scored[2].pk, "issued_on": "2026-01-05"},
        query=f"?year={YEAR}",
    )
    assert r.status_code == 400
    r = get(client, "honours:benefits_export", year=YEAR)
    book = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row]
    assert "景区免票" in cells and "JQ-7" in cells
    r = post(client, "honours:benefit_revoke", issue.pk, data={"reason": "登记错误"})
    assert r.status_code == 302
    issue.refresh_from_db()
    assert issue.revoked_by == actors.town
    # Town B's cadre sees none of it.
    client.force_login(actors.town_b)
    assert "JQ-7" not in get(client, "honours:benefits", year=YEAR).content.decode()
    assert get(client, "honours:benefit_revoke", issue.pk).status_code == 404


def test_the_reserve_pages(client, actors, county, scored):
    _born(county.rep_a, 30)
    client.force_login(actors.city)
    r = post(
        client,
        "honours:reserve",
        data={"action": "rule", "max_age": 40, "min_score": 90},
        query=f"?year={YEAR}",
    )
    assert r.status_code == 302
    r = post(client, "honours:reserve", data={"action": "propose"}, query=f"?year={YEAR}")
    assert r.status_code == 302
    c = ReserveCandidate.objects.get()
    client.force_login(actors.village)
    body = get(client, "honours:reserve", year=YEAR).content.decode()
    assert county.rep_a.name in body and "40" in body
    page = get(client, "honours:reserve_candidate", c.pk).content.decode()
    assert "按规则" in page and 'value="confirm"' not in page
    client.force_login(actors.town)
    r = post(client, "honours:reserve_candidate", c.pk, data={"action": "decline", "note": ""})
    assert r.status_code == 400
    r = post(client, "honours:reserve_candidate", c.pk, data={"action": "confirm", "note": "同意"})
    assert r.status_code == 302
    r = get(client, "honours:reserve_export", year=YEAR, status="confirmed")
    book = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row]
    assert county.rep_a.name in cells and "已确认" in cells
    client.force_login(actors.rep)
    assert get(client, "honours:reserve").status_code == 403
