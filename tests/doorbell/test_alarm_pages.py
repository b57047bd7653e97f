"""The alarm pages: the live panel (open alarms first, closed ones filtered and paged,
Excel), one alarm's page with its buttons, the response figures; hostile input is a
400 with the page, never a 500."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from linli.accounts.models import AuditAction, AuditLog
from linli.doorbell import services
from linli.doorbell.models import AlarmStatus

from .alarm_kit import AlarmWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county):
    return AlarmWorld(county)


def _login(client, user):
    client.force_login(user)
    return client


def test_the_panel_shows_open_alarms_with_who_was_told(client, world):
    alarm = world.press()
    page = _login(client, world.town).get(reverse("doorbell:alarms"))
    text = page.content.decode()
    assert page.status_code == 200
    assert world.household.address in text and "data-since" in text
    assert world.county.rep_a.member.name in text  # told
    part = client.get(reverse("doorbell:alarms"), {"part": "open"})
    assert part.status_code == 200 and f"/doorbell/alarms/{alarm.pk}/" in part.content.decode()
    assert "<html" not in part.content.decode()


def test_the_panel_of_another_town_and_an_unrelated_representative_is_empty(client, world):
    world.press()
    for user in (world.town_b, world.stranger_rep):
        page = _login(client, user).get(reverse("doorbell:alarms"))
        assert page.status_code == 200
        assert world.household.address not in page.content.decode()


def test_closed_alarms_filter_and_export(client, world):
    alarm = world.press()
    services.alarm_close(actor=world.cadre, alarm=alarm, outcome="false_press")
    _login(client, world.town)
    closed = client.get(reverse("doorbell:alarms"), {"outcome": "false_press"})
    assert world.household.address in closed.content.decode()
    other = client.get(reverse("doorbell:alarms"), {"outcome": "company"})
    assert world.household.address not in other.content.decode()
    for hostile in (
        {"start": "9999-99-99"},
        {"unit": "99999999999999999999"},
        {"status": "\x00"},
        {"start": "2026-05-01", "end": "2026-01-01"},
    ):
        assert client.get(reverse("doorbell:alarms"), hostile).status_code == 400
    export = client.get(reverse("doorbell:alarm_export"))
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    values = [c.value for c in sheet[2]]
    assert values[0] == alarm.pk and values[3] == world.household.address and values[12]
    assert AuditLog.objects.filter(action=AuditAction.EXPORT_DOORBELL).count() == 1


def test_the_alarm_page_and_its_buttons(client, world):
    alarm = world.press()
    _login(client, world.rep)
    page = client.get(reverse("doorbell:alarm_detail", args=[alarm.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and 'id="alarm-ack"' in text
    assert "13955550001" not in text  # mobiles masked
    url = reverse("doorbell:alarm_act", args=[alarm.pk, "acknowledge"])
    stale = client.post(url, {"version": alarm.version + 3})
    assert stale.status_code == 409
    assert client.post(url, {"version": alarm.version}).status_code == 302
    again = client.post(url, {})
    assert again.status_code == 409
    arrive = reverse("doorbell:alarm_act", args=[alarm.pk, "arrive"])
    assert client.post(arrive, {"latitude": "abc", "longitude": "1"}).status_code == 400
    assert client.post(arrive, {"latitude": "28.1", "longitude": "113.6"}).status_code == 302
    close = reverse("doorbell:alarm_act", args=[alarm.pk, "close"])
    refused = client.post(close, {"outcome": "nope"})
    assert refused.status_code == 400
    assert client.post(close, {"outcome": "shopping", "note": "买菜"}).status_code == 302
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLOSED and alarm.outcome_note == "买菜"
    assert client.post(reverse("doorbell:alarm_act", args=[alarm.pk, "dance"])).status_code == 404


def test_strangers_get_404_on_an_alarm(client, world):
    alarm = world.press()
    for user in (world.town_b, world.stranger_rep):
        _login(client, user)
        assert client.get(reverse("doorbell:alarm_detail", args=[alarm.pk])).status_code == 404
        url = reverse("doorbell:alarm_act", args=[alarm.pk, "acknowledge"])
        assert client.post(url, {}).status_code == 404
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.NOTIFIED


def test_a_told_neighbour_without_a_role_opens_the_alarm_page(client, world):
    alarm = world.press()
    from django.utils import timezone

    services.escalate_tick(now=timezone.now() + timezone.timedelta(minutes=4))
    page = _login(client, world.neighbour).get(reverse("doorbell:alarm_detail", args=[alarm.pk]))
    assert page.status_code == 200


def test_figures_page_and_export(client, world):
    alarm = world.press()
    services.alarm_acknowledge(actor=world.rep, alarm=alarm)
    _login(client, world.town)
    page = client.get(reverse("doorbell:figures"))
    assert page.status_code == 200 and world.county.rep_a.member.name in page.content.decode()
    assert client.get(reverse("doorbell:figures"), {"end": "x"}).status_code == 400
    export = client.get(reverse("doorbell:figures_export"))
    book = load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    assert book.sheetnames == ["按单位", "按代表"]
    assert book["按代表"]["A2"].value == world.county.rep_a.member.name
