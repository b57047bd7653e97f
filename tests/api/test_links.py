"""Contract of /links and /households/{id}/link/end (联户, 5-15 households)."""

import datetime as dt

from linli.accounts.models import Role
from linli.org import services
from linli.org.models import HouseholdLink
from tests.support import factories
from tests.support.api import get, ids, post
from tests.support.queries import assert_queries_flat


def _second_rep(county, superuser):
    member = services.member_create(
        actor=superuser, household=county.households_a[6], name="李新", relation="head"
    )
    return services.representative_appoint(
        actor=superuser, member=member, unit=county.group_a, term_start=dt.date(2025, 1, 1)
    )


def test_link_list_and_filters(su_client, county, superuser):
    other = _second_rep(county, superuser)
    services.link_assign(
        actor=superuser,
        household=county.households_a[0],
        representative=other,
        on_date=dt.date(2025, 6, 15),
        reason="调整",
    )
    response = get(su_client, "/links", page_size=200)
    assert response.status_code == 200
    assert response.json()["count"] == 13
    h0 = county.households_a[0].pk
    history = get(su_client, "/links", household=h0).json()["items"]
    assert [(r["representative"]["id"], r["active"]) for r in history] == [
        (county.rep_a.pk, False),
        (other.pk, True),
    ]
    assert history[0]["valid_to"] == "2025-06-15"
    assert history[1]["household"]["id"] == h0 and history[1]["reason"] == "调整"

    on_before = get(su_client, "/links", household=h0, on="2025-06-14")
    assert [r["representative"]["id"] for r in on_before.json()["items"]] == [county.rep_a.pk]
    on_day = get(su_client, "/links", household=h0, on="2025-06-15")
    assert [r["representative"]["id"] for r in on_day.json()["items"]] == [other.pk]
    assert get(su_client, "/links", household=h0, on="2024-12-31").json()["count"] == 0

    assert len(ids(get(su_client, "/links", representative=county.rep_a.pk))) == 6
    assert (
        get(su_client, "/links", representative=county.rep_a.pk, active="true").json()["count"] == 5
    )
    assert get(su_client, "/links", active="false").json()["count"] == 1


def test_link_assign_creates_a_link(login_as, county):
    client = login_as(Role.GROUP_LEADER)
    response = post(
        client,
        "/links",
        {
            "household_id": county.households_a[6].pk,
            "representative_id": county.rep_a.pk,
            "on_date": "2025-03-01",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["household"]["id"] == county.households_a[6].pk
    assert body["representative"]["id"] == county.rep_a.pk
    assert body["valid_from"] == "2025-03-01" and body["active"] is True
    assert body["out_of_range"] is False


def test_duplicate_link_is_409(su_client, county):
    response = post(
        su_client,
        "/links",
        {"household_id": county.households_a[0].pk, "representative_id": county.rep_a.pk},
    )
    assert (response.status_code, response.json()["code"]) == (409, "link_exists")


def test_leaving_a_representative_below_five_needs_a_reason(su_client, county, superuser):
    # Given rep_a at 5 households after one family moved away ...
    ended = post(
        su_client,
        f"/households/{county.households_a[5].pk}/link/end",
        {"on_date": "2025-02-01", "reason": "搬迁"},
    )
    assert ended.status_code == 200, ended.content
    assert ended.json()["valid_to"] == "2025-02-01" and ended.json()["active"] is False
    other = _second_rep(county, superuser)
    before = HouseholdLink.objects.count()
    body = {
        "household_id": county.households_a[4].pk,
        "representative_id": other.pk,
        "on_date": "2025-03-01",
    }

    # ... moving one more away without a reason is refused and changes nothing,
    refused = post(su_client, "/links", body)
    assert refused.status_code == 400
    assert refused.json()["code"] == "link_out_of_range"
    assert "5-15" in refused.json()["message"]
    assert HouseholdLink.objects.count() == before

    # and with a reason it goes through, flagged.
    accepted = post(su_client, "/links", {**body, "reason": "原代表年老，临时调整"})
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["out_of_range"] is True


def test_link_refusals_carry_codes(su_client, county):
    other_village = post(
        su_client,
        "/links",
        {"household_id": county.households_a[6].pk, "representative_id": county.rep_b.pk},
    )
    assert (other_village.status_code, other_village.json()["code"]) == (
        400,
        "link_other_village",
    )
    not_linked = post(
        su_client, f"/households/{county.households_a[6].pk}/link/end", {"reason": "搬迁"}
    )
    assert (not_linked.status_code, not_linked.json()["code"]) == (409, "link_missing")
    no_reason = post(
        su_client, f"/households/{county.households_a[0].pk}/link/end", {"reason": " "}
    )
    assert (no_reason.status_code, no_reason.json()["code"]) == (400, "required")


def test_link_with_household_out_of_scope_is_404_and_writes_nothing(login_as, county):
    client = login_as(Role.VILLAGE)
    before = HouseholdLink.objects.count()
    response = post(
        client,
        "/links",
        {"household_id": county.households_b[6].pk, "representative_id": county.rep_a.pk},
    )
    assert response.status_code == 404
    response = post(
        client,
        "/links",
        {"household_id": county.households_a[6].pk, "representative_id": county.rep_b.pk},
    )
    assert response.status_code == 404
    assert HouseholdLink.objects.count() == before


def test_link_list_query_count_does_not_grow_with_rows(su_client, county):
    assert_queries_flat(
        lambda n: factories.add_representatives(county, n),
        lambda: get(su_client, "/links", page_size=200),
    )
