"""Fixes from walking the doorbell pages as a stranger on a 360 px phone: a search in
the bind form picks what it found, a refused bind keeps the search and the choice, a
refused sequence reset says so at the top, an alarm form's refusal names its fields and
a bad phone location is one plain sentence, the care register and the settings have a way back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.accounts.models import Role
from linli.doorbell.models import AlarmStatus
from linli.org.models import Household
from tests.doorbell.devices_support import device
from tests.support.roles import make_user

from .alarm_kit import AlarmWorld

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def cadre(county):
    return make_user("13600009101", "李畋村干部", Role.VILLAGE, county.village_a)


def _target(county, address="李畋村柳树湾17号"):
    homes = Household.objects.filter(unit__path__startswith=county.village_a.path)
    target = homes.order_by("id").last()
    target.address = address
    target.save(update_fields=["address"])
    return target


def _selected(page):
    return page.context["bind_form"]["household"].value()


def test_a_search_that_leaves_out_the_current_household_preselects_its_first_match(
    client, cadre, county
):
    target = _target(county)
    d = device(county.village_a, device_id="DB-W1", household=county.households_a[0])
    client.force_login(cadre)
    url = reverse("doorbell:device_detail", args=[d.pk])
    found = client.get(url, {"hq": "柳树湾"}, **ZH)
    assert str(_selected(found)) == str(target.pk)
    assert 'name="hq" value="柳树湾"' in found.content.decode()
    # Without a search the current household stays chosen.
    assert str(_selected(client.get(url, **ZH))) == str(county.households_a[0].pk)


def test_a_refused_bind_keeps_the_search_and_the_choice(client, cadre, county):
    target = _target(county)
    d = device(county.village_a, device_id="DB-W2", household=county.households_a[0])
    client.force_login(cadre)
    refused = client.post(
        reverse("doorbell:device_bind", args=[d.pk]),
        {"household": target.pk, "hq": "柳树湾"},
        **ZH,
    )
    assert refused.status_code == 409
    text = refused.content.decode()
    assert "勾选确认改绑" in text  # the reason, at the top
    assert 'value="柳树湾"' in text
    assert str(_selected(refused)) == str(target.pk)
    d.refresh_from_db()
    assert d.household == county.households_a[0]
    # Ticking the confirmation then binds.
    ok = client.post(
        reverse("doorbell:device_bind", args=[d.pk]),
        {"household": target.pk, "hq": "柳树湾", "move": "on"},
    )
    assert ok.status_code == 302
    d.refresh_from_db()
    assert d.household == target
    # A hostile search in the refused form is dropped, never a 500.
    hostile = client.post(
        reverse("doorbell:device_bind", args=[d.pk]), {"household": "x", "hq": "\x00" * 50}, **ZH
    )
    assert hostile.status_code == 400


def test_a_refused_sequence_reset_says_so_at_the_top(client, cadre, county):
    d = device(county.village_a, device_id="DB-W3", last_seq=500)
    client.force_login(cadre)
    refused = client.post(
        reverse("doorbell:device_seq_reset", args=[d.pk]),
        {"to": "-5", "reason": "固件重置", "confirm": "on"},
        **ZH,
    )
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "序号未重置" in text and 'value="固件重置"' in text
    d.refresh_from_db()
    assert d.last_seq == 500


def test_a_refused_close_names_the_fields_and_a_bad_location_is_one_sentence(client, county):
    world = AlarmWorld(county)
    alarm = world.press()
    client.force_login(world.rep)
    arrive = reverse("doorbell:alarm_act", args=[alarm.pk, "arrive"])
    bad = client.post(arrive, {"latitude": "9999", "longitude": "-1e308"}, **ZH)
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "未能读取手机定位" in text and "确保该值" not in text
    assert client.post(arrive, {}).status_code == 302
    close = reverse("doorbell:alarm_act", args=[alarm.pk, "close"])
    refused = client.post(close, {"note": "x" * 10000}, **ZH)
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "经过：这个字段是必填项" in text and "说明：" in text
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ARRIVED


def test_the_care_register_form_has_a_way_back(client, cadre):
    client.force_login(cadre)
    page = client.get(reverse("doorbell:care_register"), **ZH)
    assert page.status_code == 200
    assert f'href="{reverse("doorbell:care_list")}"' in page.content.decode()


def test_the_maintenance_note_fits_a_phone(client, cadre, county):
    from linli.doorbell.models import MaintenanceTask, TaskKind

    d = device(county.village_a, device_id="DB-W4")
    MaintenanceTask.objects.create(device=d, unit=d.unit, kind=TaskKind.OFFLINE)
    client.force_login(cadre)
    text = client.get(reverse("doorbell:tasks"), **ZH).content.decode()
    # `.report textarea { width: 100% }` keeps the textarea inside a 360 px screen.
    assert '<form class="report" method="post"' in text


def test_the_settings_page_has_a_way_back(client, cadre, county):
    client.force_login(cadre)
    page = client.get(reverse("doorbell:settings", args=[county.village_a.pk]), **ZH)
    assert page.status_code == 200
    assert f'href="{reverse("doorbell:care_list")}"' in page.content.decode()


def test_a_missed_arrival_reads_as_what_happened_not_as_a_confirmation(client, county):
    """The timeline line sits next to the acknowledger's name: "确认…" read as if they
    had confirmed it."""
    import datetime as dt

    from django.utils import timezone

    from linli.doorbell import services

    world = AlarmWorld(county)
    alarm = world.press()
    services.alarm_acknowledge(actor=world.rep, alarm=alarm)
    services.escalate_tick(now=timezone.now() + dt.timedelta(minutes=30))
    client.force_login(world.rep)
    text = client.get(reverse("doorbell:alarm_detail", args=[alarm.pk]), **ZH).content.decode()
    assert "前往者未按时到达：已告知下一位" in text and "确认前往者" not in text


def test_the_primary_records_a_visit_from_the_care_record(client, county):
    """My pairings has "登记走访"; the care record it leads to had none."""
    from .care_support import People

    people = People(county)
    recipient = people.paired()
    visit = f"{reverse('duties:visit_new')}?household={recipient.household_id}"
    client.force_login(people.rep)
    page = client.get(reverse("doorbell:care_detail", args=[recipient.pk]), **ZH)
    assert page.status_code == 200 and visit in page.content.decode()
    for other in (people.village, people.neighbour):
        client.force_login(other)
        text = client.get(reverse("doorbell:care_detail", args=[recipient.pk]), **ZH)
        assert visit not in text.content.decode()
