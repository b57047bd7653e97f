"""Contract of /units."""

from linli.accounts.models import AuditLog, Role
from tests.support import factories
from tests.support.api import get, ids, post
from tests.support.queries import assert_queries_flat


def test_unit_list_is_paged_and_filtered(su_client, county):
    response = get(su_client, "/units")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 7 and body["page"] == 1 and body["pages"] == 1
    assert body["page_size"] == 50
    assert set(body["items"][0]) == {"id", "parent_id", "kind", "name", "code", "depth", "path"}

    assert ids(get(su_client, "/units", parent=county.town_a.pk)) == {county.village_a.pk}
    assert ids(get(su_client, "/units", kind="group")) == {county.group_a.pk, county.group_b.pk}
    assert ids(get(su_client, "/units", q="镇")) == {county.town_a.pk, county.town_b.pk}


def test_unit_list_pages_and_caps_the_page_size(su_client, county):
    second = get(su_client, "/units", page=2, page_size=3).json()
    assert second["pages"] == 3 and len(second["items"]) == 3 and second["page"] == 2
    assert get(su_client, "/units", page=9).json()["items"] == []
    assert get(su_client, "/units", page_size=100000).json()["page_size"] == 200
    assert get(su_client, "/units", page=0).status_code == 400


def test_unit_detail_and_children(su_client, county):
    response = get(su_client, f"/units/{county.village_a.pk}")
    assert response.status_code == 200
    assert response.json()["parent_id"] == county.town_a.pk
    children = get(su_client, f"/units/{county.village_a.pk}/children")
    assert [u["id"] for u in children.json()] == [county.group_a.pk]


def test_unknown_unit_is_404_with_code(su_client, county):
    response = get(su_client, "/units/999999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert get(su_client, "/units/999999/children").status_code == 404


def test_town_cadre_creates_a_village_in_their_town(login_as, county):
    client = login_as(Role.TOWN)
    response = post(
        client,
        "/units",
        {"parent_id": county.town_a.pk, "kind": "village", "name": "新村", "code": ""},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["parent_id"] == county.town_a.pk and body["depth"] == 3
    assert AuditLog.objects.filter(action="unit.create", target_id=str(body["id"])).exists()


def test_unit_create_refusals_carry_codes(login_as, county):
    client = login_as(Role.TOWN)
    bad_kind = post(client, "/units", {"parent_id": county.town_a.pk, "kind": "x", "name": "新村"})
    assert (bad_kind.status_code, bad_kind.json()["code"]) == (400, "unit_kind")
    wrong_order = post(
        client, "/units", {"parent_id": county.village_a.pk, "kind": "town", "name": "错镇"}
    )
    assert (wrong_order.status_code, wrong_order.json()["code"]) == (400, "unit_kind_order")
    duplicate = post(
        client, "/units", {"parent_id": county.town_a.pk, "kind": "village", "name": "李畋村"}
    )
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "unit_exists")
    top = post(client, "/units", {"parent_id": None, "kind": "city", "name": "新市"})
    assert (top.status_code, top.json()["code"]) == (403, "forbidden")
    # A parent outside the user's scope does not exist for them.
    other_town = post(
        client, "/units", {"parent_id": county.town_b.pk, "kind": "village", "name": "外村"}
    )
    assert other_town.status_code == 404


def test_group_leader_may_not_create_units(login_as, county):
    client = login_as(Role.GROUP_LEADER)
    response = post(
        client, "/units", {"parent_id": county.group_a.pk, "kind": "group", "name": "二组"}
    )
    # A group cannot go under a group anyway; the permission check comes first.
    assert response.status_code == 403


def test_a_unit_moves_with_its_subtree(client, county):
    from tests.conftest import make_user

    city_admin = make_user("13744440001", "市管理员", Role.ADMIN, county.city)
    client.force_login(city_admin)
    response = post(client, f"/units/{county.village_a.pk}/move", {"parent_id": county.town_b.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["parent_id"] == county.town_b.pk
    assert body["path"].startswith(county.town_b.path)
    assert AuditLog.objects.filter(action="unit.move", target_id=str(body["id"])).exists()
    upside_down = post(client, f"/units/{county.town_a.pk}/move", {"parent_id": county.group_b.pk})
    assert (upside_down.status_code, upside_down.json()["code"]) == (400, "unit_kind_order")


def test_a_move_is_refused_outside_the_users_units(login_as, county):
    client = login_as(Role.TOWN)  # town A
    # The new parent lies in town B: it does not exist for this user.
    response = post(client, f"/units/{county.village_a.pk}/move", {"parent_id": county.town_b.pk})
    assert response.status_code == 404
    # Within town A a move works: the group stays in village A, so its team and links hold.
    area = post(
        client, "/units", {"parent_id": county.village_a.pk, "kind": "area", "name": "一片"}
    ).json()
    moved = post(client, f"/units/{county.group_a.pk}/move", {"parent_id": area["id"]})
    assert moved.status_code == 200, moved.content


def test_unit_list_query_count_does_not_grow_with_rows(su_client, county, superuser):
    def build(n):
        for _ in range(n):
            factories.add_unit(county, county.town_a)

    assert_queries_flat(build, lambda: get(su_client, "/units", page_size=200))
