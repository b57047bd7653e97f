"""The service fund pages: the representative's own fund (spend with a receipt photo,
reverse), the cadres' queue, totals with drill-down, the ledger and its Excel export,
the rule page; hostile form input answers 400 with a Chinese message and writes
nothing; lists do not grow a statement per row."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse

from linli.core.timeutil import today
from linli.funds import services
from linli.funds.models import FundAllocation, FundEntry, FundRule
from tests.support.factories import upload
from tests.support.queries import assert_queries_flat

from .conftest import fresh

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def form(**kw):
    data = {"amount": "12.50", "day": str(today()), "purpose": "给李奶奶买药"}
    data.update(kw)
    return data


def page(client, name, *args, **params):
    return client.get(reverse(name, args=args), params, **ZH)


def test_the_representative_spends_with_a_receipt_and_sees_the_balance(client, county, rep_user):
    client.force_login(rep_user)
    body = page(client, "funds:mine").content.decode()
    assert "我的服务资金" in body and "200.00" in body
    r = client.post(
        reverse("funds:mine"),
        {**form(household=county.households_a[1].pk), "receipts": [upload(), upload("b.png")]},
        **ZH,
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    entry = FundEntry.objects.get()
    assert entry.amount_fen == 1250 and entry.receipts.count() == 2
    assert entry.household_id == county.households_a[1].pk
    body = page(client, "funds:mine").content.decode()
    assert "187.50" in body and "给李奶奶买药" in body
    detail = page(client, "funds:entry", entry.pk).content.decode()
    receipt = entry.receipts.first()
    assert reverse("funds:receipt", args=[receipt.pk]) in detail
    photo = client.get(reverse("funds:receipt", args=[receipt.pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"


HOSTILE_FORMS = [
    ({"amount": "99999999999999999999"}, "金额"),
    ({"amount": "-5"}, "负数"),
    ({"amount": "0"}, "大于零"),
    ({"amount": "12.345"}, "两位小数"),
    ({"amount": "十元"}, "以元为单位"),
    ({"amount": "1e5"}, "以元为单位"),
    ({"amount": "NaN"}, "以元为单位"),
    ({"amount": "12\x00"}, "无法识别这个请求"),
    ({"purpose": "买药\x1b[31m"}, ""),
    ({"purpose": "   "}, ""),
    ({"purpose": "x" * 501}, ""),
    ({"day": "0001-01-01"}, ""),
    ({"day": "9999-12-31"}, ""),
    ({"day": "2026-02-30"}, ""),
    ({"day": "昨天"}, ""),
    ({"household": "9223372036854775808"}, ""),
    ({"household": "-1"}, ""),
    ({"appeal": "A\x07"}, ""),
]


@pytest.mark.parametrize("change, words", HOSTILE_FORMS)
def test_hostile_form_input_is_a_400_in_chinese(client, county, rep_user, change, words):
    client.force_login(rep_user)
    r = client.post(reverse("funds:mine"), form(**change), **ZH)
    assert r.status_code == 400
    text = r.content.decode()
    # The form's error beside the field; a NUL is refused before any view (the 400 page).
    assert 'class="errorlist' in text or "无法识别这个请求" in text
    assert words in text
    assert not FundEntry.objects.exists() and not FundAllocation.objects.exists()


def test_a_future_day_and_overspending_are_refused_on_the_page(client, county, rep_user):
    client.force_login(rep_user)
    tomorrow = today() + dt.timedelta(days=1)
    r = client.post(reverse("funds:mine"), form(day=str(tomorrow)), **ZH)
    assert r.status_code == 400 and "不能晚于今天" in r.content.decode()
    r = client.post(reverse("funds:mine"), form(amount="200.01"), **ZH)
    assert r.status_code == 409 and "余额不足" in r.content.decode()
    assert not FundEntry.objects.exists()


def test_the_village_cadre_approves_from_the_queue_and_reverses(
    client, county, rep_user, village_cadre, town_cadre
):
    services.fund_rule_set(
        actor=town_cadre,
        unit=county.village_a,
        year=today().year,
        allocation_fen=20000,
        approval_fen=5000,
    )
    entry = services.fund_spend(
        actor=rep_user,
        representative=county.rep_a,
        amount_fen=8000,
        day=today(),
        purpose="修水管",
    )
    client.force_login(village_cadre)
    queue = page(client, "funds:queue").content.decode()
    assert "修水管" in queue and "待审批支出" in queue
    r = client.post(reverse("funds:entry", args=[entry.pk]), {"action": "refuse", "note": ""}, **ZH)
    assert r.status_code == 400
    r = client.post(
        reverse("funds:entry", args=[entry.pk]), {"action": "approve", "note": "同意"}, **ZH
    )
    assert r.status_code == 302
    entry.refresh_from_db()
    assert entry.status == "approved"
    assert "修水管" not in page(client, "funds:queue").content.decode()
    r = client.post(
        reverse("funds:entry", args=[entry.pk]), {"action": "reverse", "reason": "发票作废"}, **ZH
    )
    assert r.status_code == 302
    assert FundAllocation.objects.get().spent_fen == 0
    detail = page(client, "funds:entry", entry.pk).content.decode()
    assert "已被冲正" in detail and "发票作废" in detail


def test_the_representative_may_not_approve_their_own(client, county, rep_user, town_cadre):
    services.fund_rule_set(
        actor=town_cadre,
        unit=county.village_a,
        year=today().year,
        allocation_fen=20000,
        approval_fen=0,
    )
    entry = services.fund_spend(
        actor=rep_user, representative=county.rep_a, amount_fen=800, day=today(), purpose="x"
    )
    client.force_login(rep_user)
    assert "批准" not in page(client, "funds:entry", entry.pk).content.decode()
    r = client.post(reverse("funds:entry", args=[entry.pk]), {"action": "approve"}, **ZH)
    assert r.status_code == 403
    assert FundEntry.objects.get().status == "pending"


def test_totals_drill_down_from_the_town_to_the_representative(
    client, county, rep_user, town_cadre
):
    services.fund_spend(
        actor=rep_user, representative=county.rep_a, amount_fen=3000, day=today(), purpose="x"
    )
    client.force_login(town_cadre)
    town = page(client, "funds:totals").content.decode()
    assert county.town_a.name in town and county.village_a.name in town and "30.00" in town
    assert county.town_b.name not in town
    village = page(client, "funds:totals", unit=county.village_a.pk).content.decode()
    assert county.rep_a.name in village and "170.00" in village
    assert page(client, "funds:totals", unit=county.town_b.pk).status_code == 404
    assert page(client, "funds:totals", unit="x").status_code == 400
    assert page(client, "funds:totals", year="12345").status_code == 400


def test_the_rule_page_refuses_less_than_200_yuan_in_chinese(client, county, town_cadre):
    client.force_login(town_cadre)
    url = reverse("funds:rule", args=[county.village_a.pk])
    r = client.post(
        url, {"action": "rule", "year": today().year, "allocation": "150", "approval": "50"}, **ZH
    )
    assert r.status_code == 400
    assert "不得少于 200.00 元" in r.content.decode()
    assert not FundRule.objects.exists()
    r = client.post(
        url, {"action": "rule", "year": today().year, "allocation": "300", "approval": "50"}, **ZH
    )
    assert r.status_code == 302
    rule = FundRule.objects.get()
    assert (rule.allocation_fen, rule.approval_fen) == (30000, 5000)
    r = client.post(url, {"action": "open", "year": today().year}, **ZH)
    assert r.status_code == 302
    assert FundAllocation.objects.get().amount_fen == 30000


def test_the_export_holds_the_ledger_and_the_funds_in_yuan_and_fen(
    client, county, rep_user, town_cadre
):
    from openpyxl import load_workbook

    e = services.fund_spend(
        actor=rep_user,
        representative=county.rep_a,
        amount_fen=1234,
        day=today(),
        purpose='=HYPERLINK("x")',
    )
    services.fund_reverse(actor=rep_user, entry=e, reason="记错")
    client.force_login(town_cadre)
    r = client.get(reverse("funds:export"), {"year": today().year})
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    ledger = [row for row in book["台账"].iter_rows(values_only=True)]
    assert ledger[0][:8] == (
        "编号",
        "年度",
        "代表",
        "单位",
        "类型",
        "状态",
        "金额（元）",
        "金额（分）",
    )
    amounts = sorted((row[6], row[7]) for row in ledger[1:])
    assert amounts == [("-12.34", -1234), ("12.34", 1234)]
    assert '=HYPERLINK("x")' in [row[9] for row in ledger[1:]]  # kept as text
    funds = [row for row in book["资金"].iter_rows(values_only=True)]
    assert funds[1][3:7] == ("200.00", "0.00", "0.00", "200.00")
    from linli.accounts.models import AuditLog

    assert AuditLog.objects.filter(action="export.funds").count() == 1


def test_lists_do_not_grow_a_statement_per_row(client, county, rep_user, town_cadre):
    client.force_login(fresh(town_cadre))

    def build(n):
        for _ in range(n):
            services.fund_spend(
                actor=fresh(rep_user),
                representative=county.rep_a,
                amount_fen=100,
                day=today(),
                purpose="x",
                household=county.households_a[0].pk,
            )

    assert_queries_flat(build, lambda: client.get(reverse("funds:entries")))
    assert_queries_flat(build, lambda: client.get(reverse("funds:queue")))
    assert_queries_flat(
        build, lambda: client.get(reverse("funds:totals"), {"unit": county.village_a.pk})
    )


def test_a_representative_sees_only_their_own_fund(
    client, county, rep_user, rep_b_user, town_b_cadre
):
    e = services.fund_spend(
        actor=rep_user,
        representative=county.rep_a,
        amount_fen=100,
        day=today(),
        purpose="甲的支出",
    )
    client.force_login(rep_b_user)
    assert "甲的支出" not in page(client, "funds:mine").content.decode()
    assert page(client, "funds:entry", e.pk).status_code == 404
    assert page(client, "funds:entries").status_code == 403
    client.force_login(town_b_cadre)
    assert page(client, "funds:entry", e.pk).status_code == 404
    assert "甲的支出" not in page(client, "funds:entries").content.decode()
