"""Leaders and cadres record contacts and home visits for a representative from the
pages (`?rep=`, from the representative's drill-down), and come back to it; anyone
outside the representative's unit, and a representative naming another, gets 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.accounts.models import Role
from linli.core.timeutil import today
from linli.duties.models import ContactLog, HomeVisit
from tests.support.roles import Actors, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def actors(county):
    return Actors(county)


@pytest.fixture
def leader_b(county):
    """The group leader of another village's group (大屋组, town B)."""
    return make_user("13700000098", "大屋组组长", Role.GROUP_LEADER, county.group_b)


def test_drill_down_offers_recording_for_each_owed_household(client, actors):
    county = actors.county
    rep = county.rep_a
    client.force_login(actors.group_leader)
    html = client.get(reverse("duties:rep", args=[rep.pk]), {"period": "week"}).content.decode()
    contact_url = reverse("duties:contact_new")
    visit_url = reverse("duties:visit_new")
    for h in county.households_a[:6]:
        assert f"{contact_url}?rep={rep.pk}&amp;household={h.pk}" in html
        assert f"{visit_url}?rep={rep.pk}&amp;household={h.pk}" in html
    assert "登记联系" in html and "登记走访" in html
    assert 'id="pick-household"' in html  # any household they serve, from a picker
    # The representative's unit seen by someone without a write role: no buttons.
    client.force_login(actors.rep_b)
    assert client.get(reverse("duties:rep", args=[rep.pk])).status_code == 404


def test_group_leader_records_a_contact_for_their_representative(client, actors):
    county = actors.county
    rep, household = county.rep_a, county.households_a[0]
    client.force_login(actors.group_leader)
    back = reverse("duties:rep", args=[rep.pk]) + "?period=week"
    url = reverse("duties:contact_new") + f"?rep={rep.pk}&household={household.pk}"

    page = client.get(url).content.decode()
    assert "代为" in page and rep.name in page
    assert f'name="rep" value="{rep.pk}"' in page
    # The form posts the representative in its hidden field.
    r = client.post(
        reverse("duties:contact_new"),
        {
            "rep": rep.pk,
            "household": household.pk,
            "day": today().isoformat(),
            "method": "in_person",
            "role": "liaison",
            "note": "纸质台账补录",
            "next": back,
        },
    )

    assert r.status_code == 302 and r["Location"] == back
    contact = ContactLog.objects.get()
    assert contact.representative == rep and contact.household == household
    assert contact.created_by == actors.group_leader
    # Without `next`, the leader comes back to the drill-down too.
    r = client.post(
        url,
        {
            "household": county.households_a[1].pk,
            "day": today().isoformat(),
            "method": "phone",
            "role": "liaison",
        },
    )
    assert r.status_code == 302 and r["Location"] == reverse("duties:rep", args=[rep.pk])
    assert ContactLog.objects.filter(created_by=actors.group_leader).count() == 2


def test_village_cadre_records_a_visit_for_a_representative(client, actors):
    county = actors.county
    rep, household = county.rep_a, county.households_a[2]
    client.force_login(actors.village)
    url = reverse("duties:visit_new") + f"?rep={rep.pk}&household={household.pk}"
    page = client.get(url).content.decode()
    assert household.head_name in page and f'name="rep" value="{rep.pk}"' in page

    r = client.post(
        url,
        {"household": household.pk, "day": today().isoformat(), "role": "safety", "met": "李二"},
    )

    assert r.status_code == 302 and r["Location"] == reverse("duties:rep", args=[rep.pk])
    v = HomeVisit.objects.get()
    assert (v.representative, v.household, v.created_by) == (rep, household, actors.village)
    # The drill-down no longer lists it as owed a visit.
    html = client.get(reverse("duties:rep", args=[rep.pk])).content.decode()
    owed_visits = html[html.index('id="rep-owed-visits"') :]
    owed_visits = owed_visits[: owed_visits.index("</ul>")]
    assert f"household={household.pk}" not in owed_visits


def test_leader_of_another_group_gets_404_and_writes_nothing(client, actors, leader_b):
    county = actors.county
    rep, household = county.rep_a, county.households_a[0]
    client.force_login(leader_b)
    contact = reverse("duties:contact_new") + f"?rep={rep.pk}&household={household.pk}"
    visit = reverse("duties:visit_new") + f"?rep={rep.pk}&household={household.pk}"
    assert client.get(contact).status_code == 404
    assert client.get(visit).status_code == 404
    data = {"rep": rep.pk, "household": household.pk, "day": today().isoformat()}
    r = client.post(reverse("duties:contact_new"), data | {"method": "phone", "role": "liaison"})
    assert r.status_code == 404
    assert client.post(reverse("duties:visit_new"), data | {"role": "liaison"}).status_code == 404
    assert not ContactLog.objects.exists() and not HomeVisit.objects.exists()


def test_representative_cannot_record_for_another_representative(client, actors, rep_c):
    county = actors.county
    client.force_login(actors.rep_b)
    # Another town's representative, and one of the same group (rep_c): both 404.
    for rep in (county.rep_a, rep_c):
        r = client.get(reverse("duties:contact_new"), {"rep": rep.pk})
        assert r.status_code == 404
    client.force_login(actors.rep)
    r = client.get(reverse("duties:contact_new"), {"rep": rep_c.pk})
    assert r.status_code == 404
    r = client.post(
        reverse("duties:contact_new"),
        {
            "rep": rep_c.pk,
            "household": county.households_a[0].pk,
            "day": today().isoformat(),
            "method": "phone",
            "role": "liaison",
        },
    )
    assert r.status_code == 404 and not ContactLog.objects.exists()
    # Naming themself is the same as naming no one; a malformed id is a 404.
    assert client.get(reverse("duties:contact_new"), {"rep": county.rep_a.pk}).status_code == 200
    assert client.get(reverse("duties:contact_new"), {"rep": "x1"}).status_code == 404
