"""The pages: the calendar and its feed, the list and export, the form, the public page
with sign-up from the phone (no account), the organisers' page on the day."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from linli.activities import services
from linli.activities.models import Activity, ActivityStatus, RuleKind, ServiceDayRule, Signup
from linli.core.timeutil import today
from linli.duties.models import Deliberation
from tests.support.factories import png_bytes, upload

from .conftest import RESIDENT, sent_code

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def test_the_calendar_shows_service_days_and_activities_of_the_month(
    client, county, town_cadre, rep_user, make_activity
):
    services.service_day_set(
        actor=town_cadre, unit=county.town_a, kind=RuleKind.MONTH_DAY, month_day=LAST_OK,
        effective_from=today().replace(day=1),
    )  # fmt: skip
    a = make_activity(title="邻里节包饺子", starts_at=timezone.now() + dt.timedelta(hours=2))
    client.force_login(rep_user)
    r = client.get(reverse("activities:calendar"), **ZH)
    body = r.content.decode()
    assert r.status_code == 200
    assert county.village_a.name in body and "邻里服务日" in body
    month = timezone.localtime(a.starts_at).strftime("%Y-%m")
    r = client.get(reverse("activities:calendar"), {"month": month, "unit": county.village_a.pk})
    body = r.content.decode()
    # In the desk's month grid and in the phone's list of days.
    assert body.count("邻里节包饺子") == 2 and 'class="month-grid"' in body
    assert (
        f"webcal://testserver/activities/calendar/{county.village_a.pk}.ics" in r.content.decode()
    )


LAST_OK = 28


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "2025-13", "x", "2025-00"])
def test_a_bad_month_is_refused_not_a_500(client, county, rep_user, month):
    client.force_login(rep_user)
    assert client.get(reverse("activities:calendar"), {"month": month}).status_code == 400
    r = client.get(reverse("activities:calendar"), {"unit": "1\x00"})
    assert r.status_code == 400


def test_the_other_towns_unit_is_not_offered(client, county, rep_user):
    client.force_login(rep_user)
    r = client.get(reverse("activities:calendar"), {"unit": county.village_b.pk})
    assert r.status_code == 404


def test_the_ics_feed_is_public_and_holds_no_personal_data(
    client, county, town_cadre, make_activity, rep_user
):
    services.service_day_set(
        actor=town_cadre, unit=county.town_a, kind=RuleKind.WEEKDAY, nth=2, weekday=5,
        effective_from=today() - dt.timedelta(days=40),
    )  # fmt: skip
    a = make_activity(title="防诈, 宣讲; 第一场", capacity=5)
    services.signup_by_account(actor=rep_user, activity=a)
    r = client.get(reverse("activities:ics", args=[county.village_a.pk]))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    text = r.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "VERSION:2.0" in text and "TZID:Asia/Shanghai" in text
    assert text.count("BEGIN:VEVENT") == text.count("END:VEVENT") >= 2
    assert f"UID:activity-{a.pk}@testserver" in text
    assert "SUMMARY:防诈\\, 宣讲\\; 第一场" in text
    start = timezone.localtime(a.starts_at).strftime("%Y%m%dT%H%M%S")
    assert f"DTSTART;TZID=Asia/Shanghai:{start}" in text
    assert "DTSTART;VALUE=DATE:" in text and "DTSTAMP:" in text
    for line in text.split("\r\n"):
        assert len(line.encode()) <= 75
    # No names, no mobiles.
    for private in (rep_user.name, county.rep_a.name, rep_user.phone):
        assert private not in text
    assert client.get(reverse("activities:ics", args=[county.group_a.pk])).status_code == 404
    assert client.get("/activities/calendar/99999999999999999999.ics").status_code == 400


def test_the_phone_sign_up_flow_without_an_account(client, county, make_activity):
    a = make_activity(capacity=1)
    url = reverse("activities:detail", args=[a.pk])
    page = client.get(url, **ZH)
    assert page.status_code == 200
    body = page.content.decode()
    assert a.title in body and county.rep_a.name in body and "获取验证码" in body
    signup = reverse("activities:signup", args=[a.pk])
    # Step one: the code.
    r = client.post(signup, {"action": "code", "name": "王阿姨", "phone": RESIDENT}, **ZH)
    assert r.status_code == 200 and "验证码已发送" in r.content.decode()
    # A wrong code: the form again with its error, nothing signed up.
    r = client.post(
        signup, {"action": "signup", "name": "王阿姨", "phone": RESIDENT, "code": "1"}, **ZH
    )
    assert r.status_code == 400 and not Signup.objects.exists()
    r = client.post(
        signup,
        {"action": "signup", "name": "王阿姨", "phone": RESIDENT, "code": sent_code(RESIDENT)},
    )
    assert r.status_code == 302
    s = Signup.objects.get()
    assert s.name == "王阿姨" and s.phone == RESIDENT
    page = client.get(url, **ZH).content.decode()
    assert "名额已满" in page
    # The public page never shows who signed up.
    assert "王阿姨" not in page and RESIDENT[-4:] not in page


def test_hostile_sign_up_input_is_a_400(client, make_activity):
    a = make_activity()
    signup = reverse("activities:signup", args=[a.pk])
    r = client.post(signup, {"action": "signup", "name": "王\x00", "phone": RESIDENT, "code": "1"})
    assert r.status_code == 400
    r = client.post(signup, {"action": "code", "name": "王", "phone": "123"})
    assert r.status_code == 400
    assert client.get("/activities/99999999999999999999/").status_code == 400


def test_a_signed_in_representative_signs_up_with_one_tap(client, rep_user, make_activity):
    a = make_activity()
    client.force_login(rep_user)
    r = client.post(reverse("activities:signup", args=[a.pk]), {"action": "account"})
    assert r.status_code == 302
    assert Signup.objects.get().user == rep_user
    client.post(reverse("activities:signup", args=[a.pk]), {"action": "account_cancel"})
    assert Signup.objects.get().cancelled_at is not None


def test_organisers_see_who_signed_up(client, county, rep_user, village_cadre, make_activity):
    a = make_activity(organisers=[])
    services.signup_by_account(actor=rep_user, activity=a)
    client.force_login(village_cadre)
    assert rep_user.name in client.get(reverse("activities:detail", args=[a.pk])).content.decode()
    client.force_login(rep_user)  # not an organiser of this one
    body = client.get(reverse("activities:detail", args=[a.pk])).content.decode()
    assert 'id="signups"' not in body


def test_plan_an_activity_through_the_form(client, county, rep_user):
    client.force_login(rep_user)
    r = client.get(reverse("activities:create"), {"unit": county.village_a.pk}, **ZH)
    assert r.status_code == 200
    day = today() + dt.timedelta(days=3)
    r = client.post(
        reverse("activities:create"),
        {
            "unit": county.village_a.pk,
            "kind": "repair",
            "title": "帮李奶奶修水管",
            "place": "一组3号",
            "day": day.isoformat(),
            "start": "09:30",
            "end": "11:00",
            "capacity": "4",
            "organisers": [county.rep_a.pk],
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    a = Activity.objects.get()
    assert a.capacity == 4 and timezone.localtime(a.starts_at).strftime("%H:%M") == "09:30"
    assert list(a.organisers.all()) == [county.rep_a]
    r = client.post(
        reverse("activities:create"),
        {"unit": county.village_a.pk, "kind": "repair", "title": "x", "place": "y",
         "day": "9999-01-01", "start": "09:30", "organisers": [county.rep_a.pk]},
    )  # fmt: skip
    assert r.status_code == 200 and Activity.objects.count() == 1


def test_list_filters_and_excel_export(client, county, village_cadre, make_activity, town_b_cadre):
    make_activity(title="防火宣讲", kind="lecture")
    make_activity(title="义务理发", kind="volunteer")
    client.force_login(village_cadre)
    r = client.get(reverse("activities:list"), {"kind": "lecture"})
    body = r.content.decode()
    assert "防火宣讲" in body and "义务理发" not in body
    for bad in ({"start": "0001-01-01"}, {"end": "9999-12-31"}, {"unit": str(10**30)}):
        assert client.get(reverse("activities:list"), bad).status_code == 400
        assert client.get(reverse("activities:export"), bad).status_code == 400
    r = client.get(reverse("activities:export"), {"kind": "volunteer"})
    book = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row if c]
    assert "义务理发" in cells and "防火宣讲" not in cells
    client.force_login(town_b_cadre)
    assert "防火宣讲" not in client.get(reverse("activities:list")).content.decode()


def test_on_the_day_attendance_photos_and_a_held_deliberation_meeting(
    client, county, rep_user, make_activity
):
    a = make_activity(
        actor=rep_user,
        kind="deliberation",
        title="议事: 修路",
        starts_at=timezone.now() + dt.timedelta(seconds=1),
    )
    services.signup_by_account(actor=rep_user, activity=a)
    Activity.objects.filter(pk=a.pk).update(starts_at=timezone.now() - dt.timedelta(hours=1))
    client.force_login(rep_user)
    url = reverse("activities:manage", args=[a.pk])
    assert client.get(url).status_code == 200
    s = Signup.objects.get()
    r = client.post(url, {"action": "attendance", "attended": [s.pk], "walk_ins": "3"})
    assert r.status_code == 302
    r = client.post(url, {"action": "photos", "photos": [upload("a.png"), upload("b.png")]})
    assert r.status_code == 302 and a.photos.count() == 2
    photo = a.photos.first()
    assert client.get(reverse("activities:photo", args=[photo.pk])).status_code == 200
    r = client.post(url, {"action": "photos", "photos": [upload("x.png", b"not an image")]})
    assert r.status_code == 400 and a.photos.count() == 2
    r = client.post(url, {"action": "held", "outcome": "一致同意修路"})
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.status == ActivityStatus.HELD
    assert Deliberation.objects.get(pk=a.deliberation_id).attendee_count == 4
    # Visitors never get the photo.
    client.logout()
    assert client.get(reverse("activities:photo", args=[photo.pk])).status_code == 404
    assert png_bytes()  # the upload helper's bytes are a real image


def test_the_service_day_page(client, county, village_cadre, rep_user):
    client.force_login(village_cadre)
    url = reverse("activities:service_day", args=[county.village_a.pk])
    assert client.get(url).status_code == 200
    r = client.post(
        url, {"kind": "weekday", "nth": "2", "weekday": "5", "effective_from": today().isoformat()}
    )
    assert r.status_code == 302
    assert ServiceDayRule.objects.get().nth == 2
    r = client.post(url, {"kind": "month_day", "month_day": "", "effective_from": "0001-01-01"})
    assert r.status_code == 400
    client.force_login(rep_user)
    assert client.get(url).status_code == 200  # reads the history
    r = client.post(url, {"kind": "follow", "effective_from": today().isoformat()})
    assert r.status_code == 404 and ServiceDayRule.objects.count() == 1


def test_the_admin_is_read_only_and_masks_the_mobile(client, superuser, make_activity):
    a = make_activity()
    # A resident's sign-up, as an import would leave it.
    Signup.objects.create(activity=a, name="王阿姨", phone=RESIDENT)
    client.force_login(superuser)
    for model in ("activity", "servicedayrule", "signup"):
        r = client.get(reverse(f"admin:activities_{model}_changelist"))
        assert r.status_code == 200, model
        assert client.get(reverse(f"admin:activities_{model}_add")).status_code == 403
    body = client.get(reverse("admin:activities_signup_changelist")).content.decode()
    assert "王阿姨" in body and RESIDENT not in body
    signup = Signup.objects.get()
    body = client.get(reverse("admin:activities_signup_change", args=[signup.pk])).content.decode()
    assert RESIDENT not in body


def test_date_fields_show_their_value_in_the_chinese_page(
    client, county, village_cadre, make_activity
):
    """A `type=date` input takes only ISO dates: the locale's 2026/12/15 left it empty,
    so the service-day form came up with no "effective from" and the edit page lost
    the activity's date (found on the issue 12 browser journey)."""
    client.force_login(village_cadre)
    page = client.get(
        reverse("activities:service_day", args=[county.village_a.pk]),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    assert f'value="{today().isoformat()}"' in page
    activity = make_activity()
    day = timezone.localtime(activity.starts_at).date().isoformat()
    edit = client.get(
        reverse("activities:edit", args=[activity.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert f'name="day" value="{day}"' in edit.content.decode()


def test_no_service_day_is_not_called_the_towns(client, county, village_cadre):
    client.force_login(village_cadre)
    page = client.get(
        reverse("activities:service_day", args=[county.village_a.pk]),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    assert "尚未设置服务日" in page and "（镇（街道）的）" not in page


def test_a_deliberation_meeting_links_to_its_agenda(client, county, village_cadre, make_activity):
    client.force_login(village_cadre)
    meeting = make_activity(kind="deliberation", title="睦邻议事会")
    agenda = f"{reverse('deliberation:list')}?meeting={meeting.pk}"
    for name in ("activities:detail", "activities:manage"):
        assert agenda in client.get(reverse(name, args=[meeting.pk])).content.decode()
    other = make_activity()
    assert (
        "?meeting="
        not in client.get(reverse("activities:detail", args=[other.pk])).content.decode()
    )


def test_the_feed_address_is_machine_text_that_wraps(client, county, village_cadre):
    """The calendar feed's address is marked translate="no" and may break on a 360px
    phone (the sweep found it English and scrolling sideways)."""
    client.force_login(village_cadre)
    page = client.get(reverse("activities:calendar"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert 'class="muted feed-url"' in page.content.decode()
    assert 'translate="no">http://' in page.content.decode()


def test_a_meetings_public_page_leads_residents_to_the_notice_board(client, county, make_activity):
    """Anyone on a deliberation meeting's page finds the village's board of decisions;
    before, nothing public linked to it."""
    meeting = make_activity(kind="deliberation", title="睦邻议事会")
    page = client.get(
        reverse("activities:detail", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    board = reverse("deliberation:public_board", args=[county.village_a.pk])
    assert (
        f'href="{board}"' in page.content.decode() and "查看议事决定公示" in page.content.decode()
    )
    assert client.get(board).status_code == 200
    other = make_activity()
    assert (
        "/deliberation/public/"
        not in client.get(reverse("activities:detail", args=[other.pk])).content.decode()
    )
