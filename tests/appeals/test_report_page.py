"""The resident's report page (`/report/`): the place picker reaches the group
(town › village › area › group, or a search by name), and after any error the
form comes back as it was left, photos included (issue 10, defects 1 and 2)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from linli.accounts.models import Role
from linli.appeals import selectors
from linli.appeals.models import Appeal, Level
from linli.appeals.report_photos import SESSION_KEY
from linli.core.crypto import blind_index
from linli.notify.models import Outbox
from linli.org import services as org_services
from linli.org.models import UnitKind
from tests.support.factories import RESIDENT_PHONE, add_unit, png_bytes
from tests.support.roles import make_user

pytestmark = pytest.mark.django_db

REPORT = reverse("appeals:report")
UNITS = reverse("appeals:public_units")


@pytest.fixture
def area_group(actors):
    """李畋村 › 二片 › 三组, with a representative of its own (an account)."""
    county = actors.county
    area = add_unit(county, county.village_a, UnitKind.AREA, "二片")
    group = add_unit(county, area, UnitKind.GROUP, "三组")
    su = county.superuser
    household = org_services.household_create(
        actor=su, unit=group, head_name="周一", address="李畋村三组1号"
    )
    member = org_services.member_create(
        actor=su, household=household, name="周代表", relation="head", phone="13800138099"
    )
    user = make_user("13700000199", "周代表", Role.REPRESENTATIVE, group)
    org_services.representative_appoint(
        actor=su, member=member, unit=group, term_start=county.rep_a.term_start, user=user
    )
    return area, group, user


def _code(phone=RESIDENT_PHONE):
    body = (
        Outbox.objects.filter(channel="sms", address_hash=blind_index(phone), kind="appeal.code")
        .latest("id")
        .body
    )
    return re.search(r"\d{6}", body).group(0)


def _selected(html: str, name: str) -> str | None:
    select = re.search(rf'<select id="id_{name}"[^>]*>(.*?)</select>', html, re.S)
    if select is None:
        return None
    chosen = re.search(r'<option value="(\d+)" selected>', select.group(1))
    return chosen.group(1) if chosen else None


def _report(client, county, manhole_category, **extra):
    data = {
        "phone": RESIDENT_PHONE,
        "category": manhole_category.code,
        "description": "井盖松动破损，晚上有人踩空",
        "urgency": "normal",
        "town": county.town_a.pk,
        "village": county.village_a.pk,
        "address": "三组路口",
    }
    data.update(extra)
    return client.post(REPORT, {k: v for k, v in data.items() if v is not None})


def test_the_picker_offers_areas_and_the_groups_below_them(client, actors, area_group):
    county = actors.county
    area, group, _user = area_group
    html = client.get(UNITS, {"town": county.town_a.pk, "village": county.village_a.pk}).content
    html = html.decode()
    # The village's groups, whether directly below it or in an area, and its areas.
    assert f'<option value="{county.group_a.pk}">一组</option>' in html
    assert f'<option value="{group.pk}">二片 / 三组</option>' in html
    assert f'<option value="{area.pk}">二片</option>' in html
    # Choosing the area narrows the groups to it.
    html = client.get(
        UNITS, {"town": county.town_a.pk, "village": county.village_a.pk, "area": area.pk}
    ).content.decode()
    assert f'value="{group.pk}"' in html and f'value="{county.group_a.pk}"' not in html
    # Choosing a group fills in its area; a stale choice from another town is dropped.
    html = client.get(
        UNITS, {"town": county.town_a.pk, "village": county.village_a.pk, "group": group.pk}
    ).content.decode()
    assert _selected(html, "area") == str(area.pk) and _selected(html, "group") == str(group.pk)
    html = client.get(
        UNITS, {"town": county.town_b.pk, "village": county.village_a.pk, "group": group.pk}
    ).content.decode()
    assert _selected(html, "town") == str(county.town_b.pk)
    assert _selected(html, "village") is None and _selected(html, "group") is None


def test_a_search_by_place_name_fills_the_picker(client, actors, area_group):
    county = actors.county
    _area, group, _user = area_group
    html = client.get(UNITS, {"q": "三组"}).content.decode()
    assert "大瑶镇 › 李畋村 › 二片 › 三组" in html
    assert f"unit={group.pk}" in html
    html = client.get(UNITS, {"q": "李畋小学"}).content.decode()
    assert "李畋小学（大瑶镇 › 李畋村）" in html
    assert f"unit={county.place_a.unit_id}" in html
    assert "没有" in client.get(UNITS, {"q": "不存在的地方"}).content.decode()
    html = client.get(UNITS, {"unit": group.pk}).content.decode()
    assert _selected(html, "town") == str(county.town_a.pk)
    assert _selected(html, "village") == str(county.village_a.pk)
    assert _selected(html, "group") == str(group.pk)


def test_a_report_at_a_group_in_an_area_reaches_that_groups_representative(
    client, actors, manhole_category, area_group
):
    """Defect 1: the appeal is placed at the group chosen on the form, not its area."""
    county = actors.county
    area, group, rep_user = area_group
    client.post(REPORT, {"phone": RESIDENT_PHONE, "send_code": "1"})
    r = _report(client, county, manhole_category, code=_code(), area=area.pk, group=group.pk)
    assert r.status_code == 302, r.content.decode()[:2000]
    appeal = Appeal.objects.get()
    assert (appeal.level, appeal.unit) == (Level.GROUP, group)
    assert selectors.queue_for(rep_user).filter(pk=appeal.pk).exists()
    assert not selectors.queue_for(actors.rep).filter(pk=appeal.pk).exists()


def test_a_registered_resident_is_routed_to_their_household_and_it_is_preselected(
    client, actors, manhole_category
):
    county = actors.county
    org_services.member_create(
        actor=county.superuser,
        household=county.households_a[1],
        name="李四",
        relation="head",
        phone=RESIDENT_PHONE,
    )
    client.post(REPORT, {"phone": RESIDENT_PHONE, "send_code": "1"})
    r = _report(client, county, manhole_category, code=_code(), group=county.group_a.pk)
    assert r.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.household == county.households_a[1]
    assert appeal.representative == county.rep_a
    # Next visit: the confirmed number starts from the resident's own group.
    html = client.get(REPORT).content.decode()
    assert _selected(html, "group") == str(county.group_a.pk)
    assert _selected(html, "village") == str(county.village_a.pk)


def test_a_wrong_code_brings_the_form_back_as_it_was_left(client, actors, manhole_category):
    """Defect 2: selects filled, text kept, the error beside the code, the photo kept."""
    county = actors.county
    client.post(REPORT, {"phone": RESIDENT_PHONE, "send_code": "1"})
    wrong = "000000" if _code() != "000000" else "111111"
    photo = SimpleUploadedFile("manhole.png", png_bytes(), content_type="image/png")
    r = _report(
        client, county, manhole_category, code=wrong, group=county.group_a.pk, photos=[photo]
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert _selected(html, "town") == str(county.town_a.pk)
    assert _selected(html, "village") == str(county.village_a.pk)
    assert _selected(html, "group") == str(county.group_a.pk)
    assert "井盖松动破损，晚上有人踩空" in html and "三组路口" in html
    code_row = html[html.index('class="form-row code-row"') :]
    code_row = code_row[: code_row.index("</fieldset>")]
    assert "验证码不正确" in code_row
    held = client.session[SESSION_KEY]["photos"]
    assert len(held) == 1 and held[0]["sha256"] in html and "data:image/jpeg;base64," in html
    # Corrected, with the held photo kept: it is filed with the photo.
    r = _report(
        client,
        county,
        manhole_category,
        code=_code(),
        group=county.group_a.pk,
        keep_photos=held[0]["sha256"],
    )
    assert r.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.unit == county.group_a and appeal.photos.count() == 1
    assert SESSION_KEY not in client.session


def test_a_missing_description_and_a_bad_photo_are_shown_beside_their_fields(
    client, actors, manhole_category
):
    county = actors.county
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    r = _report(
        client, county, manhole_category, description="", group=county.group_a.pk, photos=[fake]
    )
    assert r.status_code == 400
    html = r.content.decode()
    desc = html[html.index('for="id_description"') : html.index('for="id_photos"')]
    assert "errorlist" in desc
    start = html.index('for="id_photos"')
    photos = html[start : html.index("<legend>", start)]
    assert "不是照片" in photos
    assert _selected(html, "group") == str(county.group_a.pk)
    assert Appeal.objects.count() == 0


def test_sending_the_code_keeps_the_place_and_the_photos(client, actors, manhole_category):
    county = actors.county
    photo = SimpleUploadedFile("manhole.png", png_bytes(), content_type="image/png")
    r = _report(
        client, county, manhole_category, send_code="1", group=county.group_a.pk, photos=[photo]
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert _selected(html, "group") == str(county.group_a.pk)
    assert "errorlist" not in html
    assert len(client.session[SESSION_KEY]["photos"]) == 1
    # Unticking the held photo leaves it out.
    r = _report(client, county, manhole_category, code=_code(), group=county.group_a.pk)
    assert r.status_code == 302
    assert Appeal.objects.get().photos.count() == 0
