"""Contract of /members: masked everywhere, revealed only through an audited call."""

from linli.accounts.models import AuditLog, Role
from linli.org import services
from linli.org.models import Member
from tests.support import factories
from tests.support.api import get, ids, post
from tests.support.factories import valid_id_number
from tests.support.queries import assert_queries_flat


def test_member_list_is_masked_and_filtered(su_client, county, superuser):
    for n in range(15):
        services.member_create(
            actor=superuser,
            household=county.households_a[1],
            name=f"李{n}",
            id_number=valid_id_number(100 + n),
            phone=f"139001380{n:02d}",
        )
    response = get(su_client, "/members", page_size=200)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 17
    text = response.content.decode()
    for member in Member.objects.all():
        assert member.phone not in text and member.id_number not in text
    row = next(m for m in body["items"] if m["id"] == county.member_a.pk)
    assert row == {
        "id": county.member_a.pk,
        "household_id": county.households_a[0].pk,
        "name": "李大祥",
        "sex": county.member_a.sex,
        "relation": "head",
        "id_number_masked": county.member_a.id_number_masked,
        "phone_masked": "138****8001",
    }
    assert ids(get(su_client, "/members", household=county.households_b[0].pk)) == {
        county.member_b.pk
    }


def test_member_detail_is_masked(su_client, county):
    response = get(su_client, f"/members/{county.member_a.pk}")
    assert response.status_code == 200
    assert response.json()["phone_masked"] == "138****8001"
    assert county.member_a.id_number not in response.content.decode()
    assert get(su_client, "/members/999999").status_code == 404


def test_member_create_validates_id_number_and_mobile(login_as, county):
    client = login_as(Role.VILLAGE)
    base = {"household_id": county.households_a[2].pk, "name": "李小红", "relation": "child"}
    good_id = valid_id_number(7, birth="19900215")

    bad_check = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")
    response = post(client, "/members", {**base, "id_number": bad_check})
    assert (response.status_code, response.json()["code"]) == (400, "id_number_checksum")
    assert response.json()["message"]

    response = post(client, "/members", {**base, "id_number": "43018119900215"})
    assert (response.status_code, response.json()["code"]) == (400, "id_number_length")

    response = post(client, "/members", {**base, "phone": "12345"})
    assert (response.status_code, response.json()["code"]) == (400, "mobile_invalid")

    response = post(client, "/members", {**base, "relation": "cousin"})
    assert (response.status_code, response.json()["code"]) == (400, "relation")
    assert not Member.objects.filter(name="李小红").exists()

    created = post(client, "/members", {**base, "id_number": good_id, "phone": "139 0013 8000"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["phone_masked"] == "139****8000"
    assert body["id_number_masked"] == good_id[:6] + "********" + good_id[-4:]
    assert good_id not in created.content.decode()

    again = post(client, "/members", {**base, "id_number": good_id})
    assert (again.status_code, again.json()["code"]) == (409, "id_number_exists")


def test_member_create_in_a_household_out_of_scope_is_404(login_as, county):
    client = login_as(Role.VILLAGE)
    response = post(client, "/members", {"household_id": county.households_b[1].pk, "name": "x"})
    assert response.status_code == 404
    assert not Member.objects.filter(name="x").exists()


def test_reveal_returns_raw_values_and_is_audited(login_as, county):
    client = login_as(Role.GROUP_LEADER)
    response = post(client, f"/members/{county.member_a.pk}/reveal")
    assert response.status_code == 200
    assert response.json() == {
        "id": county.member_a.pk,
        "id_number": county.member_a.id_number,
        "phone": "13800138001",
    }
    entry = AuditLog.objects.filter(action="member.reveal").latest("id")
    assert entry.target_id == str(county.member_a.pk)


def test_reveal_out_of_scope_is_404_and_not_audited(login_as, county):
    client = login_as(Role.TOWN)
    before = AuditLog.objects.count()
    response = post(client, f"/members/{county.member_b.pk}/reveal")
    assert response.status_code == 404
    assert AuditLog.objects.count() == before


def test_member_list_query_count_does_not_grow_with_rows(su_client, county, superuser):
    def build(n):
        for _ in range(n):
            factories.add_member(county, county.households_a[1])

    assert_queries_flat(build, lambda: get(su_client, "/members", page_size=200))
