"""Contract of /coverage and /coverage/uncovered."""

from linli.accounts.models import Role
from tests.support import factories
from tests.support.api import get, ids
from tests.support.queries import assert_queries_flat


def test_coverage_of_a_town_has_totals_and_child_rows(su_client, county):
    response = get(su_client, "/coverage", unit=county.town_a.pk)
    assert response.status_code == 200
    body = response.json()
    total = body["total"]
    assert total["unit"]["id"] == county.town_a.pk
    assert (total["households"], total["uncovered_households"]) == (7, 1)
    assert total["representatives"] == 1 and total["representatives_out_of_range"] == 0
    assert (total["places"], total["unassigned_places"]) == (1, 1)
    assert abs(total["household_rate"] - 6 / 7) < 1e-9
    assert total["complete"] is False
    assert [row["unit"]["id"] for row in body["children"]] == [county.village_a.pk]
    assert body["children"][0]["households"] == 7


def test_coverage_defaults_to_the_top_of_the_users_scope(login_as, county):
    client = login_as(Role.VILLAGE)
    body = get(client, "/coverage").json()
    assert body["total"]["unit"]["id"] == county.village_a.pk
    assert [row["unit"]["id"] for row in body["children"]] == [county.group_a.pk]


def test_uncovered_households_are_paged(su_client, county):
    response = get(su_client, "/coverage/uncovered", unit=county.city.pk)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["pages"] == 1
    assert ids(response) == {county.households_a[6].pk, county.households_b[6].pk}
    assert all(row["representative"] is None for row in body["items"])


def test_coverage_of_an_unknown_unit_is_404(su_client, county):
    assert get(su_client, "/coverage", unit=999999).status_code == 404
    assert get(su_client, "/coverage/uncovered", unit=999999).status_code == 404


def test_uncovered_list_query_count_does_not_grow_with_rows(su_client, county):
    assert_queries_flat(
        lambda n: factories.add_households(county, n),
        lambda: get(su_client, "/coverage/uncovered", unit=county.city.pk),
    )
