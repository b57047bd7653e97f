"""What an alarm tells whom: the SMS to a backup known only by a mobile carries no
third party's mobile (the outbox keeps SMS bodies in clear), and the outcome note
written at closing (it may describe a health problem) is shown only to those who may
see the health notes and to the person who closed the alarm: page, API, export."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from linli.accounts.models import Role
from linli.doorbell import policy, services
from linli.doorbell.models import AlarmEventKind
from linli.notify.models import Outbox
from tests.support.api import ApiClient
from tests.support.roles import make_user

from .alarm_kit import BACKUP_PHONE, AlarmWorld, device_for, press

pytestmark = pytest.mark.django_db
NOTE = "血压180，已送镇卫生院"


@pytest.fixture
def world(county):
    return AlarmWorld(county)


# --- 1. the SMS to a mobile-only backup -----------------------------------------------------


def test_the_sms_to_a_mobile_only_backup_names_the_primary_without_a_number(world):
    c = world.county
    c.rep_a.member.phone = "13911112222"
    c.rep_a.member.save(update_fields=["phone"])
    t0 = timezone.now()
    world.press(at=t0)
    services.escalate_tick(now=t0 + dt.timedelta(minutes=3))
    services.escalate_tick(now=t0 + dt.timedelta(minutes=6))
    [sms] = [o for o in Outbox.objects.filter(channel="sms") if o.address == BACKUP_PHONE]
    assert c.rep_a.member.name in sms.body and world.household.address in sms.body
    for phone in ("13911112222", world.rep.phone):
        assert phone not in sms.body
    # No mobile of anyone at all in the stored body.
    assert not re.search(r"1\d{10}", sms.body), sms.body


def test_without_a_pairing_the_sms_just_says_go(world):
    alarm = press(device_for(world.county.households_a[2]))
    alarm.pairing = None
    text = services._sms_text_no_account(alarm)
    assert text.endswith("请尽快前往看看。") and "结对代表" not in text


# --- 3. the outcome note ----------------------------------------------------------------------


def _closed_by_town(world):
    alarm = world.press()
    return services.alarm_close(actor=world.town, alarm=alarm, outcome="health", note=NOTE)


def test_who_reads_the_note(world, county):
    alarm = _closed_by_town(world)
    city = make_user("13955550020", "市干部", Role.CITY, county.city)
    other_town = make_user("13955550021", "甲镇另一干部", Role.TOWN, county.town_a)
    leader = make_user("13955550022", "组长", Role.GROUP_LEADER, county.group_a)
    readers = {world.town, world.cadre, world.rep, world.neighbour}  # closer, cadre, carers
    for user in readers:
        assert policy.can_see_outcome_note(user, alarm), user.name
    for user in (city, other_town, leader, county.superuser, world.stranger_rep):
        assert not policy.can_see_outcome_note(user, alarm), user.name
    # The reader function answers as the check for every alarm of a list.
    may = policy.outcome_note_reader(other_town)
    assert may(alarm) is False


def test_an_alarm_without_a_recipient_the_village_cadre_and_the_closer(world):
    alarm = press(device_for(world.county.households_a[2]))
    alarm = services.alarm_close(actor=world.cadre, alarm=alarm, outcome="repair", note="漏水")
    assert policy.can_see_outcome_note(world.cadre, alarm)
    assert not policy.can_see_outcome_note(world.town, alarm)


def test_the_page_hides_it_from_others(client, world, county):
    alarm = _closed_by_town(world)
    other_town = make_user("13955550021", "甲镇另一干部", Role.TOWN, county.town_a)
    url = reverse("doorbell:alarm_detail", args=[alarm.pk])
    client.force_login(other_town)
    page = client.get(url).content.decode()
    assert NOTE not in page and 'id="alarm-outcome"' in page  # the category stays
    client.force_login(world.cadre)
    page = client.get(url).content.decode()
    assert NOTE in page and 'id="alarm-outcome-note"' in page
    client.force_login(world.town)  # the closer
    assert NOTE in client.get(url).content.decode()


def test_the_api_answers_null_and_blanks_the_closing_event(world, county):
    alarm = _closed_by_town(world)
    other_town = make_user("13955550021", "甲镇另一干部", Role.TOWN, county.town_a)
    hidden = ApiClient(other_town).get(f"/doorbell/alarms/{alarm.pk}").json()
    assert hidden["outcome"] == "health" and hidden["outcome_note"] is None
    assert hidden["outcome_note_visible"] is False
    closing = [e for e in hidden["events"] if e["kind"] == AlarmEventKind.CLOSED]
    assert closing and all(NOTE not in e["note"] for e in closing)
    assert NOTE not in str(hidden)
    listed = ApiClient(other_town).get("/doorbell/alarms").json()["items"]
    assert [a["outcome_note"] for a in listed if a["id"] == alarm.pk] == [None]
    shown = ApiClient(world.cadre).get(f"/doorbell/alarms/{alarm.pk}").json()
    assert shown["outcome_note"] == NOTE and shown["outcome_note_visible"] is True
    assert any(e["note"] == NOTE for e in shown["events"])


def _export_notes(client, user) -> list:
    client.force_login(user)
    export = client.get(reverse("doorbell:alarm_export"))
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    return [row[13] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_the_export_leaves_the_note_out_for_others(client, world, county):
    _closed_by_town(world)
    other_town = make_user("13955550021", "甲镇另一干部", Role.TOWN, county.town_a)
    assert _export_notes(client, other_town) in ([None], [""])
    assert _export_notes(client, world.cadre) == [NOTE]
