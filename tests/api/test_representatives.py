"""Contract of /representatives."""

import datetime as dt

from linli.accounts.models import Role, RoleAssignment
from linli.org import services
from tests.support import factories
from tests.support.api import get, ids, post
from tests.support.queries import assert_queries_flat
from tests.support.roles import make_user


def test_representative_list_counts_active_households(su_client, county, superuser):
    for n in range(10):
        member = services.member_create(
            actor=superuser, household=county.households_a[n % 7], name=f"候选{n}"
        )
        services.representative_appoint(actor=superuser, member=member, unit=county.group_a)
    response = get(su_client, "/representatives", page_size=200)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 12
    row = next(r for r in body["items"] if r["id"] == county.rep_a.pk)
    assert row["active_households"] == 6 and row["active"] is True
    assert row["unit"]["id"] == county.group_a.pk
    assert row["phone_masked"] == "138****8001"
    assert row["term_start"] == "2025-01-01" and row["term_end"] is None
    assert "13800138001" not in response.content.decode()


def test_representative_filters(su_client, county, superuser):
    services.representative_end_term(
        actor=superuser, representative=county.rep_b, term_end=dt.date(2025, 6, 1), reason="换届"
    )
    assert ids(get(su_client, "/representatives", unit=county.town_a.pk)) == {county.rep_a.pk}
    assert ids(get(su_client, "/representatives", active="true")) == {county.rep_a.pk}
    assert ids(get(su_client, "/representatives", active="false")) == {county.rep_b.pk}


def test_representative_detail_lists_current_households(su_client, county):
    response = get(su_client, f"/representatives/{county.rep_a.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["active_households"] == 6
    assert [h["id"] for h in body["households"]] == [h.pk for h in county.households_a[:6]]


def test_appoint_and_end_term(login_as, county):
    client = login_as(Role.VILLAGE)
    member = post(
        client,
        "/members",
        {"household_id": county.households_a[6].pk, "name": "李新", "relation": "head"},
    ).json()
    account = make_user("13700009999", "李新", Role.GROUP_LEADER, county.group_a)

    response = post(
        client,
        "/representatives",
        {
            "member_id": member["id"],
            "unit_id": county.group_a.pk,
            "term_start": "2025-03-01",
            "user_id": account.pk,
        },
    )
    assert response.status_code == 201, response.content
    rep = response.json()
    assert rep["user_id"] == account.pk and rep["active_households"] == 0
    assert rep["households"] == [] and rep["name"] == "李新"
    assert RoleAssignment.objects.filter(user=account, role=Role.REPRESENTATIVE).exists()

    again = post(
        client, "/representatives", {"member_id": member["id"], "unit_id": county.group_a.pk}
    )
    assert (again.status_code, again.json()["code"]) == (409, "rep_exists")

    no_reason = post(client, f"/representatives/{county.rep_a.pk}/end-term", {"reason": ""})
    assert (no_reason.status_code, no_reason.json()["code"]) == (400, "required")
    ended = post(
        client,
        f"/representatives/{county.rep_a.pk}/end-term",
        {"term_end": "2025-06-30", "reason": "换届"},
    )
    assert ended.status_code == 200, ended.content
    body = ended.json()
    assert body["active"] is False and body["term_end"] == "2025-06-30"
    assert body["active_households"] == 0 and body["households"] == []
    twice = post(client, f"/representatives/{county.rep_a.pk}/end-term", {"reason": "x"})
    assert (twice.status_code, twice.json()["code"]) == (409, "rep_term_ended")


def test_appoint_refuses_a_resident_of_another_village(su_client, county, superuser):
    member = services.member_create(actor=superuser, household=county.households_b[3], name="刘新")
    response = post(
        su_client, "/representatives", {"member_id": member.pk, "unit_id": county.group_a.pk}
    )
    assert (response.status_code, response.json()["code"]) == (400, "rep_other_village")


def test_appoint_with_an_unknown_account_is_404(su_client, county, superuser):
    member = services.member_create(actor=superuser, household=county.households_a[6], name="李新")
    response = post(
        su_client,
        "/representatives",
        {"member_id": member.pk, "unit_id": county.group_a.pk, "user_id": 999999},
    )
    assert response.status_code == 404


def test_representative_list_query_count_does_not_grow_with_rows(su_client, county):
    assert_queries_flat(
        lambda n: factories.add_representatives(county, n),
        lambda: get(su_client, "/representatives", page_size=200),
    )
