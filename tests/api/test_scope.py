"""Scope: a user with any role in town A sees nothing of town B through the API.

Lists never contain town B's rows; details and filters naming a town B object
answer 404, the same as an id that does not exist; writes naming one answer
404 and change nothing.
"""

import pytest

from linli.accounts.models import AuditLog, Role
from linli.accounts.scope import HOUSEHOLD_ROLES
from linli.org.models import HouseholdLink
from tests.support.api import get, ids, patch, post
from tests.support.roles import ROLES

# list path -> town B ids it must never contain
LISTS = {
    "/units": lambda c: {c.city.pk, c.town_b.pk, c.village_b.pk, c.group_b.pk},
    "/households": lambda c: {h.pk for h in c.households_b},
    "/members": lambda c: {c.member_b.pk},
    "/representatives": lambda c: {c.rep_b.pk},
    "/links": lambda c: set(
        HouseholdLink.objects.filter(household__unit=c.group_b).values_list("pk", flat=True)
    ),
    "/places": lambda c: {c.place_b.pk},
    "/teams": lambda c: {c.team_b.pk},
}

# GET path (with query) that names a town B object -> 404
DETAILS = [
    lambda c: (f"/units/{c.town_b.pk}", {}),
    lambda c: (f"/units/{c.group_b.pk}", {}),
    lambda c: (f"/units/{c.town_b.pk}/children", {}),
    lambda c: (f"/households/{c.households_b[0].pk}", {}),
    lambda c: (f"/members/{c.member_b.pk}", {}),
    lambda c: (f"/representatives/{c.rep_b.pk}", {}),
    lambda c: ("/households", {"unit": c.town_b.pk}),
    lambda c: ("/representatives", {"unit": c.town_b.pk}),
    lambda c: ("/places", {"unit": c.village_b.pk}),
    lambda c: ("/teams", {"unit": c.village_b.pk}),
    lambda c: ("/coverage", {"unit": c.town_b.pk}),
    lambda c: ("/coverage/uncovered", {"unit": c.town_b.pk}),
]

# (method, path, payload) that names a town B object -> 404, nothing written
WRITES = [
    lambda c: ("post", "/units", {"parent_id": c.town_b.pk, "kind": "village", "name": "外村"}),
    lambda c: ("post", "/households", {"unit_id": c.group_b.pk, "head_name": "x", "address": "x"}),
    lambda c: ("patch", f"/households/{c.households_b[0].pk}", {"address": "x"}),
    lambda c: ("post", "/members", {"household_id": c.households_b[6].pk, "name": "x"}),
    lambda c: ("post", f"/members/{c.member_b.pk}/reveal", {}),
    lambda c: ("post", "/representatives", {"member_id": c.member_b.pk, "unit_id": c.group_b.pk}),
    lambda c: ("post", f"/representatives/{c.rep_b.pk}/end-term", {"reason": "x"}),
    lambda c: (
        "post",
        "/links",
        {"household_id": c.households_b[6].pk, "representative_id": c.rep_b.pk, "reason": "x"},
    ),
    lambda c: ("post", f"/households/{c.households_b[0].pk}/link/end", {"reason": "x"}),
    lambda c: ("post", "/places", {"unit_id": c.village_b.pk, "kind": "school", "name": "x"}),
    lambda c: ("post", f"/places/{c.place_b.pk}/assign", {"representative_id": None}),
    lambda c: ("post", "/teams", {"unit_id": c.village_b.pk, "name": "x"}),
    lambda c: ("post", f"/teams/{c.team_b.pk}/members", {"kind": "volunteer", "name": "x"}),
]


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_lists_never_contain_the_other_towns_rows(login_as, county, role):
    client = login_as(role)
    for path, town_b in LISTS.items():
        response = get(client, path, page_size=200)
        assert response.status_code == 200, (path, response.content)
        assert not ids(response) & town_b(county), path
    # Not vacuous: every role sees its own units, household roles their households,
    # a representative the households they serve.
    assert county.group_a.pk in ids(get(client, "/units", page_size=200))
    households = ids(get(client, "/households", page_size=200))
    if role in HOUSEHOLD_ROLES:
        assert households == {h.pk for h in county.households_a}
    elif role == Role.REPRESENTATIVE:
        assert households == {h.pk for h in county.households_a[:6]}


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_details_of_the_other_town_are_404(login_as, county, role):
    client = login_as(role)
    for detail in DETAILS:
        path, params = detail(county)
        response = get(client, path, **params)
        assert response.status_code == 404, (path, params, response.status_code)
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_writes_naming_the_other_town_are_404_and_change_nothing(login_as, county, role):
    client = login_as(role)
    audit_before = AuditLog.objects.count()
    links_before = list(HouseholdLink.objects.values_list("pk", "valid_to"))
    for write in WRITES:
        method, path, payload = write(county)
        send = post if method == "post" else patch
        response = send(client, path, payload)
        assert response.status_code == 404, (method, path, response.status_code)
    assert AuditLog.objects.count() == audit_before
    assert list(HouseholdLink.objects.values_list("pk", "valid_to")) == links_before
