"""Walk 15 (the fund as a stranger uses it): a spending dated before the
representative's term is refused (it would open a fund for a year they did not
serve)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from linli.core.errors import InvalidInput
from linli.funds import services
from linli.funds.models import FundAllocation, FundEntry

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def test_a_spending_before_the_term_opens_no_fund(county, rep_user, zh):
    before = county.rep_a.term_start - dt.timedelta(days=1)
    with pytest.raises(InvalidInput) as refused:
        services.fund_spend(
            actor=rep_user,
            representative=county.rep_a,
            amount_fen=500,
            day=before,
            purpose="买药",
        )
    assert refused.value.code == "day_before_term"
    assert "任期" in refused.value.message
    assert not FundAllocation.objects.exists() and not FundEntry.objects.exists()


def test_the_page_refuses_a_day_before_the_term_in_chinese(client, county, rep_user):
    client.force_login(rep_user)
    before = county.rep_a.term_start - dt.timedelta(days=1)
    data = {"amount": "5", "day": before.isoformat(), "purpose": "买药"}
    r = client.post(reverse("funds:mine"), data, **ZH)
    assert r.status_code == 400
    assert "任期" in r.content.decode()
    assert not FundAllocation.objects.exists()
    # The first day of the term is fine.
    data["day"] = county.rep_a.term_start.isoformat()
    r = client.post(reverse("funds:mine"), data, **ZH)
    assert r.status_code == 302
    assert FundAllocation.objects.get().year == county.rep_a.term_start.year


def test_a_representatives_row_opens_their_own_ledger(client, county, rep_user, town_cadre):
    """The totals link each representative's row to their own entries (not the group's)."""
    from linli.core.timeutil import today

    services.fund_spend(
        actor=rep_user, representative=county.rep_a, amount_fen=500, day=today(), purpose="买药"
    )
    fund = FundAllocation.objects.get(representative=county.rep_a)
    client.force_login(town_cadre)
    totals = client.get(
        reverse("funds:totals"), {"unit": county.village_a.pk, "year": today().year}, **ZH
    ).content.decode()
    assert f"fund={fund.pk}" in totals
    r = client.get(reverse("funds:entries"), {"fund": fund.pk}, **ZH)
    assert r.status_code == 200 and "买药" in r.content.decode()
    assert client.get(reverse("funds:entries"), {"fund": "x"}, **ZH).status_code == 400
    other = FundAllocation.objects.create(
        representative=county.rep_b, year=today().year, amount_fen=20000
    )
    assert client.get(reverse("funds:entries"), {"fund": other.pk}, **ZH).status_code == 404
    assert client.get(reverse("funds:export"), {"fund": other.pk}, **ZH).status_code == 404


def test_an_unknown_case_code_is_a_form_error_not_a_404(client, county, rep_user):
    from linli.core.timeutil import today

    client.force_login(rep_user)
    data = {"amount": "5", "day": today().isoformat(), "purpose": "买药", "appeal": "NOSUCH1"}
    r = client.post(reverse("funds:mine"), data, **ZH)
    assert r.status_code == 400
    assert not FundEntry.objects.exists()
