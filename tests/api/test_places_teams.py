"""Contract of /places and /teams."""

from linli.accounts.models import Role
from linli.org import services
from linli.org.models import GuardTeamMember
from tests.support.api import get, ids, post
from tests.support.queries import assert_queries_flat


def test_place_list_and_filters(su_client, county, superuser):
    for n in range(10):
        services.place_create(
            actor=superuser,
            unit=county.village_a,
            kind="enterprise",
            name=f"企业{n}",
            representative=county.rep_a,
        )
    response = get(su_client, "/places", page_size=200)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 12
    school = next(p for p in body["items"] if p["id"] == county.place_a.pk)
    assert school["kind"] == "school" and school["representative"] is None
    assert school["unit"]["id"] == county.village_a.pk
    assert ids(get(su_client, "/places", unit=county.town_b.pk)) == {county.place_b.pk}
    assert ids(get(su_client, "/places", assigned="false")) == {
        county.place_a.pk,
        county.place_b.pk,
    }


def test_place_create_and_assign(login_as, county):
    client = login_as(Role.VILLAGE)
    bad = post(client, "/places", {"unit_id": county.village_a.pk, "kind": "zoo", "name": "x"})
    assert (bad.status_code, bad.json()["code"]) == (400, "place_kind")

    created = post(
        client,
        "/places",
        {"unit_id": county.village_a.pk, "kind": "building", "name": "村部大楼", "address": "村口"},
    )
    assert created.status_code == 201, created.content
    place = created.json()
    assert place["representative"] is None and place["address"] == "村口"

    assigned = post(client, f"/places/{place['id']}/assign", {"representative_id": county.rep_a.pk})
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["representative"]["id"] == county.rep_a.pk
    cleared = post(client, f"/places/{place['id']}/assign", {"representative_id": None})
    assert cleared.json()["representative"] is None

    out_of_scope = post(client, f"/places/{county.place_b.pk}/assign", {"representative_id": None})
    assert out_of_scope.status_code == 404


def test_team_list_masks_member_phones(su_client, county, superuser):
    for n in range(8):
        team = services.team_create(
            actor=superuser,
            unit=county.village_a,
            name=f"守心团{n}",
            representatives=[county.rep_a],
        )
        services.team_member_add(
            actor=superuser, team=team, kind="volunteer", name=f"志愿{n}", phone=f"1390013810{n}"
        )
    response = get(su_client, "/teams", page_size=200)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 10
    team_a = next(t for t in body["items"] if t["id"] == county.team_a.pk)
    assert team_a["representatives"] == [{"id": county.rep_a.pk, "name": county.rep_a.name}]
    assert team_a["members"][0]["phone_masked"] == "138****8011"
    assert team_a["members"][0]["kind"] == "volunteer"
    text = response.content.decode()
    for member in GuardTeamMember.objects.all():
        assert member.phone not in text
    assert ids(get(su_client, "/teams", unit=county.town_b.pk)) == {county.team_b.pk}


def test_team_create_and_add_member(login_as, county):
    client = login_as(Role.VILLAGE)
    created = post(
        client,
        "/teams",
        {
            "unit_id": county.village_a.pk,
            "name": "二号守心团",
            "representative_ids": [county.rep_a.pk],
        },
    )
    assert created.status_code == 201, created.content
    team = created.json()
    assert [r["id"] for r in team["representatives"]] == [county.rep_a.pk]
    assert team["members"] == []

    bad_phone = post(
        client, f"/teams/{team['id']}/members", {"kind": "volunteer", "name": "张", "phone": "123"}
    )
    assert (bad_phone.status_code, bad_phone.json()["code"]) == (400, "mobile_invalid")
    bad_kind = post(client, f"/teams/{team['id']}/members", {"kind": "boss", "name": "张"})
    assert (bad_kind.status_code, bad_kind.json()["code"]) == (400, "team_member_kind")
    added = post(
        client,
        f"/teams/{team['id']}/members",
        {"kind": "party_rep", "name": "张三", "phone": "13900138123"},
    )
    assert added.status_code == 201, added.content
    assert added.json()["phone_masked"] == "139****8123"
    assert "13900138123" not in added.content.decode()


def test_team_with_a_representative_out_of_scope_is_404(login_as, county):
    client = login_as(Role.VILLAGE)
    response = post(
        client,
        "/teams",
        {"unit_id": county.village_a.pk, "name": "x", "representative_ids": [county.rep_b.pk]},
    )
    assert response.status_code == 404
    assert (
        post(
            client, f"/teams/{county.team_b.pk}/members", {"kind": "volunteer", "name": "x"}
        ).status_code
        == 404
    )


def test_place_list_query_count_does_not_grow_with_rows(su_client, county, superuser):
    def build(n):
        for _ in range(n):
            services.place_create(
                actor=superuser,
                unit=county.village_a,
                kind="enterprise",
                name="企业",
                representative=county.rep_a,
            )

    assert_queries_flat(build, lambda: get(su_client, "/places", page_size=200))


def test_team_list_query_count_does_not_grow_with_rows(su_client, county, superuser):
    def build(n):
        for _ in range(n):
            team = services.team_create(
                actor=superuser,
                unit=county.village_a,
                name="守心团",
                representatives=[county.rep_a],
            )
            services.team_member_add(actor=superuser, team=team, kind="volunteer", name="志愿")

    assert_queries_flat(build, lambda: get(su_client, "/teams", page_size=200))
