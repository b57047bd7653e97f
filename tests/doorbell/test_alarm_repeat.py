"""Repeated presses of one household's doorbell while its alarm is open: one alarm, one
escalation; each further press is a line on the timeline and a reminder push to the
people already told (no SMS, no new ladder)."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.utils import timezone

from linli.doorbell import policy, services
from linli.doorbell.models import Alarm, AlarmEventKind, AlarmNotice, AlarmOutcome
from linli.notify.models import Outbox
from linli.notify.services import sms_text

from .alarm_kit import AlarmWorld, device_for, press
from .test_alarm_live import cookie_of, socket


@pytest.mark.django_db
def test_three_presses_in_three_seconds_are_one_alarm_and_one_ladder(county):
    world = AlarmWorld(county)
    t0 = timezone.now().replace(microsecond=0)
    first = world.press(at=t0)
    second = world.press(at=t0 + dt.timedelta(seconds=1))
    third = world.press(at=t0 + dt.timedelta(seconds=2))
    assert first.pk == second.pk == third.pk
    assert Alarm.objects.count() == 1
    kinds = list(first.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds.count(AlarmEventKind.PRESSED_AGAIN) == 2
    # Nobody new told, no SMS again: the primary's one SMS.
    assert AlarmNotice.objects.count() == 1
    assert Outbox.objects.filter(channel="sms", kind=services.NOTIFY_KIND).count() == 1

    services.alarm_acknowledge(actor=world.rep, alarm=first)
    # Acknowledged: nothing escalates within the arrival timeout (20 minutes), no
    # "nobody answered" SMS to anyone (test_alarm_arrival.py: after it).
    assert services.escalate_tick(now=t0 + dt.timedelta(minutes=15)) == {"escalated": 0}
    assert Outbox.objects.filter(channel="sms", kind=services.NOTIFY_KIND).count() == 1


@pytest.mark.django_db
def test_a_press_after_the_alarm_is_closed_raises_a_new_one(county):
    world = AlarmWorld(county)
    first = world.press()
    services.alarm_close(actor=world.rep, alarm=first, outcome=AlarmOutcome.FALSE_PRESS)
    again = world.press()
    assert again.pk != first.pk and Alarm.objects.count() == 2


@pytest.mark.django_db
def test_a_second_doorbell_of_the_same_household_joins_the_open_alarm(county):
    world = AlarmWorld(county)
    first = world.press()
    other = device_for(world.household)
    from .alarm_kit import press

    assert press(other).pk == first.pk


async def _next_alarm_push(ws) -> dict:
    """The next alarm push on the socket, past the inbox's badge updates (the alarm's
    quiet in-app row, delivered after its commit, sends `{"unread": n}`)."""
    while True:
        message = await ws.receive_json()
        if "alarm" in message:
            return message


@pytest.mark.django_db(transaction=True)
def test_the_people_told_get_a_reminder_push_with_sound(county):
    world = AlarmWorld(county)
    cookie = cookie_of(world.rep)

    async def run():
        ws = socket(cookie, "/ws/notify/")
        assert await ws.connect()
        await ws.receive_json()  # the unread count
        alarm = await database_sync_to_async(world.press)()
        await _next_alarm_push(ws)
        later = timezone.now() + dt.timedelta(seconds=policy.REMIND_SECONDS + 1)
        again = await database_sync_to_async(world.press)(at=later)
        reminder = await _next_alarm_push(ws)
        await ws.disconnect()
        return alarm, again, reminder

    alarm, again, reminder = async_to_sync(run)()
    assert again.pk == alarm.pk
    assert reminder["sound"] is True and reminder["alarm"]["id"] == alarm.pk
    assert "again" in reminder["body"] or "再次" in reminder["body"]


@pytest.mark.django_db(transaction=True)
def test_a_stuck_button_rings_the_pages_at_most_once_in_a_while(county, monkeypatch):
    """A doorbell that sends press after press (a stuck button, a looping firmware):
    every press is a line on the timeline, but the reminder (push with sound, panel
    change) goes at most once every REMIND_SECONDS."""
    sent: list = []
    monkeypatch.setattr(services, "_send", lambda *sends: sent.extend(sends))
    world = AlarmWorld(county)
    t0 = timezone.now().replace(microsecond=0)
    gap = policy.REMIND_SECONDS
    offsets = [0, 1, 2, gap - 1, gap + 1, gap + 2, 2 * gap + 2]
    for seconds in offsets:  # each press commits (its pushes run after it)
        alarm = world.press(at=t0 + dt.timedelta(seconds=seconds))
    changes = [m["change"] for _groups, m in sent if m.get("type") == "alarm.change"]
    banners = [m for _groups, m in sent if m.get("type") == "notify.push"]
    # The raise, then a reminder at gap + 1 and at 2 * gap + 2: not for the presses between.
    assert changes == ["notified", "pressed_again", "pressed_again"]
    assert len(banners) == 3 and all(b["sound"] for b in banners)
    assert alarm.events.filter(kind=AlarmEventKind.PRESSED_AGAIN).count() == len(offsets) - 1
    assert Alarm.objects.count() == 1


# --- the ladder tells nobody twice ---


def _sms_to(phone: str) -> int:
    return sum(
        1
        for o in Outbox.objects.filter(channel="sms", kind=services.NOTIFY_KIND)
        if o.address == phone
    )


@pytest.mark.django_db
def test_a_cadre_who_is_also_a_backup_is_told_once_and_the_top_comes_at_once(county):
    from linli.doorbell.models import DoorbellSettings

    world = AlarmWorld(county)
    # The duty cadre is also the pairing's third backup.
    DoorbellSettings.objects.create(unit=county.village_a, duty_cadre=world.cadre)
    world.pairing.backups.create(order=3, kind="neighbour", user=world.cadre, name="村干部")
    t0 = timezone.now().replace(microsecond=0)
    n = dt.timedelta(minutes=3)
    alarm = world.press(at=t0)
    for k in (1, 2, 3):
        assert services.escalate_tick(now=t0 + k * n) == {"escalated": 1}
    alarm.refresh_from_db()
    # Told at the backup step (3); the cadre step tells nobody new: no timer, red now.
    assert alarm.step == 3 and alarm.next_step_at is None
    assert AlarmNotice.objects.filter(alarm=alarm, user=world.cadre).count() == 1
    assert _sms_to(world.cadre.phone) == 1
    assert services.escalate_tick(now=t0 + 10 * n) == {"escalated": 0}
    assert _sms_to(world.cadre.phone) == 1


@pytest.mark.django_db
def test_a_backup_with_the_same_mobile_as_someone_told_is_skipped_at_once(county):
    world = AlarmWorld(county)
    # Backup 2 (mobile only) is the primary's own number written differently.
    world.pairing.backups.filter(order=2).update(phone="+86 139-5555-0001")
    t0 = timezone.now().replace(microsecond=0)
    n = dt.timedelta(minutes=3)
    alarm = world.press(at=t0)
    assert services.escalate_tick(now=t0 + n) == {"escalated": 1}  # backup 1
    assert services.escalate_tick(now=t0 + 2 * n) == {"escalated": 1}  # straight to the cadre
    alarm.refresh_from_db()
    assert alarm.step == 3 and alarm.next_step_at is None
    assert not AlarmNotice.objects.filter(alarm=alarm, step=2).exists()
    assert AlarmNotice.objects.get(alarm=alarm, step=3).user_id == world.cadre.pk
    assert _sms_to("13955550001") == 1


# --- the SMS texts ---


@pytest.mark.django_db
def test_the_sms_texts_name_the_doorbell_once_and_no_link_for_a_mobile_only_backup(county):
    world = AlarmWorld(county)
    t0 = timezone.now().replace(microsecond=0)
    n = dt.timedelta(minutes=3)
    alarm = world.press(at=t0)
    services.escalate_tick(now=t0 + n)
    services.escalate_tick(now=t0 + 2 * n)
    rows = {o.address: o for o in Outbox.objects.filter(kind=services.NOTIFY_KIND)}
    primary = rows["13955550001"]
    text = sms_text(primary)
    assert text.count("爱心门铃") == 1 and f"/doorbell/alarms/{alarm.pk}/" in text
    family = rows["13955550002"]
    text = sms_text(family)
    assert "/doorbell/" not in text and "我马上到" not in text
    # The primary by name only: no third party's mobile in a body the outbox keeps in
    # clear (docs/doorbell.md; test_alarm_privacy.py).
    assert world.household.address in text and "13955550001" not in text
    assert world.county.rep_a.member.name in text


# --- who may say they are going ---


@pytest.mark.django_db
def test_town_and_city_may_close_but_not_say_they_are_going(county, client):
    from linli.accounts.models import Role
    from linli.core.errors import Forbidden
    from linli.doorbell import policy
    from tests.support.roles import make_user

    world = AlarmWorld(county)
    city = make_user("13955550011", "市指挥中心", Role.CITY, county.city)
    alarm = world.press()
    for outsider in (world.town, city):
        assert not policy.can_attend(outsider, alarm) and policy.can_respond(outsider, alarm)
        with pytest.raises(Forbidden):
            services.alarm_acknowledge(actor=outsider, alarm=alarm)
        with pytest.raises(Forbidden):
            services.alarm_arrive(actor=outsider, alarm=alarm)
    client.force_login(world.town)
    page = client.get(f"/doorbell/alarms/{alarm.pk}/").content.decode()
    assert "/acknowledge/" not in page and "/arrive/" not in page and "/close/" in page
    answer = client.post(f"/doorbell/alarms/{alarm.pk}/acknowledge/")
    assert answer.status_code == 403
    # The village cadre (not told yet) may go; the town closes a confirmed false press.
    assert policy.can_attend(world.cadre, alarm)
    services.alarm_acknowledge(actor=world.cadre, alarm=alarm)
    closed = services.alarm_close(actor=world.town, alarm=alarm, outcome=AlarmOutcome.FALSE_PRESS)
    assert closed.status == "closed"


# --- hostile input on the pages ---


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["0", "abc", "-1", "99999999999999999999"])
@pytest.mark.parametrize("action", ["acknowledge", "arrive", "close"])
def test_a_bad_version_is_refused_and_nothing_changes(county, client, version, action):
    world = AlarmWorld(county)
    alarm = world.press()
    client.force_login(world.rep)
    body = {"version": version, "outcome": "false_press", "note": "误按"}
    answer = client.post(f"/doorbell/alarms/{alarm.pk}/{action}/", body)
    assert answer.status_code == 400
    assert "版本号无效" in answer.content.decode()
    alarm.refresh_from_db()
    assert alarm.status == "notified" and alarm.acknowledged_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/doorbell/alarms/export.xlsx", "/doorbell/alarms/figures/export.xlsx"]
)
def test_an_export_with_bad_filters_is_a_400_like_its_page(county, client, path):
    world = AlarmWorld(county)
    world.press()
    client.force_login(world.town)
    answer = client.get(path, {"start": "0001-01-01"})
    assert answer.status_code == 400
    assert answer["Content-Type"].startswith("text/html")
    assert client.get(path).status_code == 200


# --- false press and readable figures ---


@pytest.mark.django_db
def test_a_false_press_files_no_appeal(county, client):
    from linli.appeals.models import Appeal
    from linli.core.errors import InvalidInput

    world = AlarmWorld(county)
    alarm = world.press()
    with pytest.raises(InvalidInput):
        services.alarm_close(
            actor=world.rep, alarm=alarm, outcome="false_press", note="误按", raise_appeal=True
        )
    client.force_login(world.rep)
    body = {"outcome": "false_press", "note": "误按", "raise_appeal": "on"}
    answer = client.post(f"/doorbell/alarms/{alarm.pk}/close/", body)
    assert answer.status_code == 400 and "误按不能提交诉求" in answer.content.decode()
    alarm.refresh_from_db()
    assert alarm.status == "notified" and not Appeal.objects.exists()


def test_durations_read_as_minutes_and_seconds():
    from django.utils import translation

    from linli.doorbell.selectors import duration_text

    with translation.override("zh-hans"):
        assert duration_text(455) == "7分35秒"
        assert duration_text(45.4) == "45秒"
        assert duration_text(3720) == "1小时2分"
        assert duration_text(None) == "—"


@pytest.mark.django_db
def test_the_figures_page_shows_minutes_and_seconds(county, client):
    world = AlarmWorld(county)
    t0 = timezone.now() - dt.timedelta(days=1)
    alarm = world.press(at=t0)
    Alarm.objects.filter(pk=alarm.pk).update(
        acknowledged_at=t0 + dt.timedelta(seconds=455), acknowledged_by=world.rep
    )
    client.force_login(world.town)
    page = client.get("/doorbell/alarms/figures/").content.decode()
    assert "7分35秒" in page and "455" not in page


# --- the alarm's page: what the person hurrying to the door needs ---


@pytest.mark.django_db
def test_the_alarm_page_shows_the_recipient_health_to_carers_and_an_audited_call(county, client):
    from linli.accounts.models import AuditAction, AuditLog
    from linli.doorbell.models import EmergencyContact

    world = AlarmWorld(county)
    contact = EmergencyContact.objects.create(
        recipient=world.recipient, order=1, name="女儿李梅", phone="13955550077"
    )
    alarm = world.press()
    url = f"/doorbell/alarms/{alarm.pk}/"
    client.force_login(world.rep)  # the primary: a carer
    page = client.get(url).content.decode()
    assert "李奶奶" in page and "独居" in page and f"/doorbell/care/{world.recipient.pk}/" in page
    assert "高血压" in page and "139****0077" in page and "13955550077" not in page
    health = AuditLog.objects.filter(action=AuditAction.DOORBELL_HEALTH_VIEW)
    assert health.count() == 1 and health.get().detail == {"via": "alarm"}
    call = client.post(f"{url}call/{contact.pk}/")
    assert call.status_code == 302 and call["Location"] == "tel:13955550077"
    assert AuditLog.objects.filter(action=AuditAction.DOORBELL_CONTACT_CALL).count() == 1

    client.force_login(world.town)  # sees the alarm, not the health notes nor the numbers
    page = client.get(url).content.decode()
    assert "李奶奶" in page and "高血压" not in page and "/call/" not in page
    assert client.post(f"{url}call/{contact.pk}/").status_code == 403
    assert AuditLog.objects.filter(action=AuditAction.DOORBELL_CONTACT_CALL).count() == 1


@pytest.mark.django_db
def test_the_care_page_calls_a_contact_for_the_carers_audited(county, client):
    """A representative on a visit calls the family from the care record's page: the
    number goes to the phone's dialer, the call is recorded; others see masked numbers
    and no button, and a forged POST is refused."""
    from linli.accounts.models import AuditAction, AuditLog
    from linli.doorbell.models import EmergencyContact

    world = AlarmWorld(county)
    contact = EmergencyContact.objects.create(
        recipient=world.recipient, order=1, name="女儿李梅", phone="13955550077"
    )
    url = f"/doorbell/care/{world.recipient.pk}/"
    client.force_login(world.rep)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"{url}call/{contact.pk}/" in page and "13955550077" not in page
    assert client.get(f"{url}call/{contact.pk}/").status_code == 405
    call = client.post(f"{url}call/{contact.pk}/")
    assert call.status_code == 302 and call["Location"] == "tel:13955550077"
    audit = AuditLog.objects.get(action=AuditAction.DOORBELL_CARE_CONTACT_CALL)
    assert audit.detail == {"contact": contact.pk, "recipient": world.recipient.pk}
    assert client.post(f"{url}call/999999/").status_code == 404

    client.force_login(world.town)  # may read the record, not call the family
    page = client.get(url).content.decode()
    assert "/call/" not in page and "139****0077" in page
    assert client.post(f"{url}call/{contact.pk}/").status_code == 403
    assert AuditLog.objects.filter(action=AuditAction.DOORBELL_CARE_CONTACT_CALL).count() == 1


@pytest.mark.django_db
def test_a_press_long_after_an_alarm_left_open_raises_a_new_alarm_and_sms(county):
    """An alarm answered on Monday and never closed must not swallow Wednesday's press:
    only an alarm raised within JOIN_MINUTES is joined."""
    world = AlarmWorld(county)
    t0 = timezone.now().replace(microsecond=0) - dt.timedelta(days=2)
    first = world.press(at=t0)
    services.alarm_acknowledge(actor=world.rep, alarm=first)
    services.alarm_arrive(actor=world.rep, alarm=Alarm.objects.get(pk=first.pk))
    sms_before = Outbox.objects.filter(channel="sms", kind=services.NOTIFY_KIND).count()

    later = world.press(at=t0 + dt.timedelta(minutes=services.JOIN_MINUTES + 1))
    assert later.pk != first.pk
    assert later.status == "notified" and later.next_step_at is not None
    assert Outbox.objects.filter(channel="sms", kind=services.NOTIFY_KIND).count() == sms_before + 1
    # A press within the window of the new alarm joins it.
    again = world.press(at=t0 + dt.timedelta(minutes=services.JOIN_MINUTES + 2))
    assert again.pk == later.pk


@pytest.mark.django_db
def test_acknowledging_from_a_page_opened_before_an_escalation_goes_through(county):
    """The primary opened the alarm page (its version) before the tick told backup 1;
    "我马上到" tapped afterwards must not be refused as stale."""
    world = AlarmWorld(county)
    t0 = timezone.now().replace(microsecond=0)
    alarm = world.press(at=t0)
    shown = Alarm.objects.get(pk=alarm.pk).version
    assert services.escalate_tick(now=t0 + dt.timedelta(minutes=10)) == {"escalated": 1}
    done = services.alarm_acknowledge(actor=world.rep, alarm=alarm, version=shown)
    assert done.status == "acknowledged"


@pytest.mark.django_db
def test_one_alarm_that_fails_to_escalate_does_not_stop_the_others(county, monkeypatch, caplog):
    world = AlarmWorld(county)
    t0 = timezone.now().replace(microsecond=0)
    broken = world.press(at=t0)
    other_household = county.households_a[2]
    other = press(device_for(other_household), at=t0 + dt.timedelta(seconds=1))
    # No pairing there: its ladder is the cadre's step; make its timer due as well.
    Alarm.objects.filter(pk=other.pk).update(next_step_at=t0 + dt.timedelta(minutes=1))
    real = services._notify_step

    def failing(alarm, step, **kw):
        if alarm.pk == broken.pk:
            raise RuntimeError("cannot read this alarm")
        return real(alarm, step, **kw)

    monkeypatch.setattr(services, "_notify_step", failing)
    result = services.escalate_tick(now=t0 + dt.timedelta(hours=1))
    assert result == {"escalated": 1}
    assert "escalating alarm" in caplog.text
    assert Alarm.objects.get(pk=other.pk).next_step_at is None  # dealt with
    still = Alarm.objects.get(pk=broken.pk)
    assert still.step == 0 and still.next_step_at is not None  # tried again next tick


@pytest.mark.django_db
def test_a_primary_without_an_account_is_told_by_sms_to_their_resident_mobile(county):
    world = AlarmWorld(county)
    county.rep_a.user = None
    county.rep_a.save(update_fields=["user"])
    county.rep_a.member.phone = "13966660001"
    county.rep_a.member.save(update_fields=["phone", "phone_hash"])
    alarm = world.press()
    notice = AlarmNotice.objects.get(alarm=alarm)
    assert notice.step == 0 and notice.role == "primary" and notice.user is None
    assert notice.phone == "13966660001" and notice.sms
    assert any(o.address == "13966660001" for o in Outbox.objects.filter(channel="sms"))


@pytest.mark.django_db
def test_a_duty_cadre_who_left_the_post_is_replaced_by_the_village_cadres(county):
    from linli.accounts.models import RoleAssignment
    from linli.doorbell.models import DoorbellSettings

    world = AlarmWorld(county, backups=False)
    former = world.town  # any account; give it the village role, make it the duty cadre
    RoleAssignment.objects.create(user=former, role="village", unit=county.village_a)
    DoorbellSettings.objects.create(unit=county.village_a, duty_cadre=former)
    told = [p.user for p in services.cadres_for(world.press())]
    assert told == [former]
    RoleAssignment.objects.filter(user=former, role="village").delete()
    services.alarm_close(
        actor=world.cadre, alarm=Alarm.objects.get(), outcome=AlarmOutcome.FALSE_PRESS
    )
    told = [p.user for p in services.cadres_for(world.press())]
    assert told == [world.cadre]
