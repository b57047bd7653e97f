"""Contract of /households."""

from linli.accounts.models import AuditLog, Role
from linli.org import services
from linli.org.models import Household
from tests.support import factories
from tests.support.api import get, ids, patch, post
from tests.support.queries import assert_queries_flat


def test_household_list_shows_current_representative_without_n_plus_1(su_client, county, superuser):
    for n in range(20):
        services.household_create(
            actor=superuser, unit=county.group_a, head_name=f"新{n}", address=f"新址{n}"
        )
    response = get(su_client, "/households", page_size=200)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 34
    row = next(r for r in body["items"] if r["id"] == county.households_a[0].pk)
    assert row["representative"] == {"id": county.rep_a.pk, "name": county.rep_a.name}
    assert row["unit"] == {"id": county.group_a.pk, "name": "一组", "kind": "group"}
    assert row["tags"] == ["elderly_alone"]
    uncovered = next(r for r in body["items"] if r["id"] == county.households_a[6].pk)
    assert uncovered["representative"] is None


def test_household_filters(su_client, county):
    a = {h.pk for h in county.households_a}
    assert ids(get(su_client, "/households", unit=county.town_a.pk)) == a
    assert ids(get(su_client, "/households", tag="elderly_alone")) == {county.households_a[0].pk}
    assert ids(get(su_client, "/households", tag="独居老人")) == {county.households_a[0].pk}
    assert ids(get(su_client, "/households", q="李3")) == {county.households_a[3].pk}
    assert ids(get(su_client, "/households", q="li3")) == {county.households_a[3].pk}
    assert ids(get(su_client, "/households", covered="no")) == {
        county.households_a[6].pk,
        county.households_b[6].pk,
    }
    assert len(ids(get(su_client, "/households", covered="yes", page_size=200))) == 12


def test_household_filter_with_unknown_tag_is_400(su_client, county):
    response = get(su_client, "/households", tag="nonsense")
    assert (response.status_code, response.json()["code"]) == (400, "household_tag")


def test_household_filter_with_unknown_unit_is_404(su_client, county):
    assert get(su_client, "/households", unit=999999).status_code == 404


def test_household_detail_has_members_masked_representative_and_history(
    su_client, county, superuser
):
    h = county.households_a[0]
    response = get(su_client, f"/households/{h.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["representative"]["id"] == county.rep_a.pk
    assert [m["id"] for m in body["members"]] == [county.member_a.pk]
    member = body["members"][0]
    assert member["phone_masked"] == "138****8001"
    assert member["id_number_masked"].startswith("430181") and "*" in member["id_number_masked"]
    assert "birth_date" not in member
    assert county.member_a.phone not in response.content.decode()
    assert county.member_a.id_number not in response.content.decode()
    assert [link["representative"]["id"] for link in body["links"]] == [county.rep_a.pk]
    assert body["links"][0]["valid_to"] is None


def test_household_create_and_update(login_as, county):
    client = login_as(Role.VILLAGE)
    created = post(
        client,
        "/households",
        {
            "unit_id": county.group_a.pk,
            "head_name": "王建国",
            "address": "一组12号",
            "tags": ["低保"],
            "latitude": 28.15,
            "longitude": 113.64,
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["tags"] == ["low_income"] and body["representative"] is None
    assert body["members"] == [] and body["links"] == []
    assert body["latitude"] == 28.15

    changed = patch(client, f"/households/{body['id']}", {"address": "一组13号", "latitude": None})
    assert changed.status_code == 200, changed.content
    assert changed.json()["address"] == "一组13号"
    assert changed.json()["latitude"] is None
    assert changed.json()["head_name"] == "王建国"
    entry = AuditLog.objects.filter(action="household.update").latest("id")
    assert entry.detail["fields"] == ["address", "latitude"]


def test_household_bad_input_is_400_and_changes_nothing(su_client, county):
    before = Household.objects.count()
    blank = post(
        su_client, "/households", {"unit_id": county.group_a.pk, "head_name": " ", "address": "x"}
    )
    assert (blank.status_code, blank.json()["code"]) == (400, "required")
    assert blank.json()["message"]
    bad_tag = post(
        su_client,
        "/households",
        {"unit_id": county.group_a.pk, "head_name": "王", "address": "x", "tags": ["x"]},
    )
    assert (bad_tag.status_code, bad_tag.json()["code"]) == (400, "household_tag")
    assert Household.objects.count() == before
    h = county.households_a[1]
    off_map = patch(su_client, f"/households/{h.pk}", {"latitude": 100})
    # Refused by the schema (`core.inputs.Latitude`) before the service sees it.
    assert (off_map.status_code, off_map.json()["code"]) == (400, "invalid")
    assert off_map.json()["details"][0]["loc"][-1] == "latitude"
    h.refresh_from_db()
    assert h.latitude is None


def test_group_leader_may_read_but_not_create_households(login_as, county):
    client = login_as(Role.GROUP_LEADER)
    assert get(client, "/households").json()["count"] == 7
    response = post(
        client, "/households", {"unit_id": county.group_a.pk, "head_name": "王", "address": "x"}
    )
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


def test_household_list_query_count_does_not_grow_with_rows(su_client, county):
    def build(n):
        factories.add_representatives(county, n)  # covered households
        factories.add_households(county, n)  # uncovered ones

    assert_queries_flat(build, lambda: get(su_client, "/households", page_size=200))


def test_household_detail_query_count_does_not_grow_with_members_and_links(
    su_client, county, superuser
):
    household = county.households_a[0]
    reps = iter(factories.add_representatives(county, 4))

    def build(n):
        for _ in range(n):
            services.member_create(actor=superuser, household=household, name="李某")
            services.link_assign(
                actor=superuser, household=household, representative=next(reps), reason="调整"
            )

    assert_queries_flat(build, lambda: get(su_client, f"/households/{household.pk}"), n=2)
