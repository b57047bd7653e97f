"""Hostile values in every field of the page forms and the public report pages: a form
error or a 4xx, never a 500."""

import pytest
from django.urls import reverse

from linli.accounts.models import Role
from tests.support.roles import make_user

pytestmark = pytest.mark.django_db
HOSTILE = [
    "\x00",
    "a\x07b",
    "9" * 40,
    "-1",
    "1e309",
    "NaN",
    "0001-01-01",
    "9999-12-31",
    "<script>",
    "x" * 20000,
]


def test_hostile_values_in_the_page_forms_answer_without_a_server_error(
    client, county, reference_data
):
    cadre = make_user("13799990001", "村干部", Role.VILLAGE, county.village_a)
    client.force_login(cadre)
    unit = county.village_a.pk
    rep = county.rep_a.pk
    urls = [
        reverse(n, args=[a])
        for n, a in [
            ("org:unit_child_create", unit),
            ("org:unit_rename", unit),
            ("org:place_create", unit),
            ("org:team_create", unit),
            ("org:team_member_add", unit),
            ("org:representative_appoint", unit),
            ("org:representative_end_term", rep),
        ]
    ]
    bad = []
    for url in urls:
        for v in HOSTILE:
            data = {
                k: v
                for k in (
                    "name",
                    "kind",
                    "place_kind",
                    "address",
                    "representative",
                    "team",
                    "member",
                    "phone",
                    "term_start",
                    "term_end",
                    "reason",
                    "unit",
                    "representatives",
                    "q",
                    "code",
                )
            }
            try:
                r = client.post(url, data)
            except Exception as e:  # noqa: BLE001
                bad.append((url, repr(v)[:20], repr(e)[:80]))
                continue
            if r.status_code >= 500:
                bad.append((url, repr(v)[:20], r.status_code))
            elif r.status_code == 200:
                assert "<form" in r.content.decode()  # the form came back
    client.logout()
    for v in HOSTILE:
        for url in [f"/t/{v}", "/report/?q=" + v, "/report/units/?village=" + v + "&town=" + v]:
            try:
                r = client.get(url)
            except Exception as e:  # noqa: BLE001
                bad.append((url[:30], repr(e)[:80]))
                continue
            if r.status_code >= 500:
                bad.append((url[:30], r.status_code))
    assert bad == []
