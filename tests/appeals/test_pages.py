"""Pages: queue, detail with actions, filing for a resident, export, numbers,
and the public report and tracking pages."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from linli.appeals import services
from linli.appeals.models import Appeal, AppealPhoto, PhoneCode, Status
from linli.core.crypto import blind_index
from linli.notify.models import Outbox
from tests.support.factories import RESIDENT_PHONE, png_bytes
from tests.support.queries import assert_queries_flat

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def test_representative_queue_lists_the_appeal_overdue_first(client, actors, file_appeal):
    a = file_appeal(description="第一件")
    b = file_appeal(description="第二件，已超期")
    Appeal.objects.filter(pk=b.pk).update(due_at=a.created_at)
    r = _login(client, actors.rep).get(reverse("appeals:queue"))
    assert r.status_code == 200
    html = r.content.decode()
    assert html.index(b.code) < html.index(a.code)
    assert "queue-item overdue" in html


def test_queue_page_query_count_does_not_grow_with_appeals(client, actors, file_appeal):
    _login(client, actors.rep)
    assert_queries_flat(
        lambda n: [file_appeal() for _ in range(n)], lambda: client.get(reverse("appeals:queue"))
    )


def test_list_page_filters_and_pages(client, actors, file_appeal):
    for _ in range(3):
        file_appeal()
    _login(client, actors.town)
    r = client.get(reverse("appeals:list"), {"status": "open", "level": "group"})
    assert r.status_code == 200 and r.content.decode().count("/appeals/2") >= 3
    r = client.get(reverse("appeals:list"), {"status": "closed"})
    assert "No appeals match." in r.content.decode() or "没有" in r.content.decode()


def test_detail_offers_the_allowed_actions_and_claim_works(client, actors, file_appeal):
    appeal = file_appeal()
    _login(client, actors.rep)
    r = client.get(reverse("appeals:detail", args=[appeal.code]))
    html = r.content.decode()
    assert 'data-action="claim"' in html and 'data-action="escalate"' in html
    assert 'data-action="supervise"' not in html
    r = client.post(
        reverse("appeals:act", args=[appeal.code, "claim"]), {"version": appeal.version}
    )
    assert r.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == Status.CLAIMED


def test_refused_action_shows_the_reason_and_changes_nothing(client, actors, file_appeal):
    appeal = file_appeal()
    _login(client, actors.rep)
    r = client.post(
        reverse("appeals:act", args=[appeal.code, "resolve"]), {"note": "x"}, follow=True
    )
    appeal.refresh_from_db()
    assert appeal.status == Status.PENDING
    assert "msg-error" in r.content.decode()


def test_note_with_photo_and_non_image_refused(client, actors, file_appeal):
    appeal = file_appeal()
    _login(client, actors.rep)
    ok = SimpleUploadedFile("pole.jpg", png_bytes(exif=True), content_type="image/jpeg")
    client.post(
        reverse("appeals:act", args=[appeal.code, "note"]),
        {"note": "现场已设警示杆", "photos": [ok]},
    )
    assert AppealPhoto.objects.filter(appeal=appeal).count() == 1
    bad = SimpleUploadedFile("virus.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    r = client.post(
        reverse("appeals:act", args=[appeal.code, "note"]),
        {"note": "再拍一张", "photos": [bad]},
        follow=True,
    )
    assert AppealPhoto.objects.filter(appeal=appeal).count() == 1
    assert "msg-error" in r.content.decode()
    photo = AppealPhoto.objects.get(appeal=appeal)
    r = client.get(reverse("appeals:photo", args=[photo.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    # Someone outside the appeal's scope gets nothing.
    client.force_login(actors.town_b)
    assert client.get(reverse("appeals:photo", args=[photo.pk])).status_code == 404


def test_other_town_gets_404_on_detail(client, actors, file_appeal):
    appeal = file_appeal()
    _login(client, actors.town_b)
    assert client.get(reverse("appeals:detail", args=[appeal.code])).status_code == 404
    assert (
        client.post(
            reverse("appeals:act", args=[appeal.code, "supervise"]), {"note": "x"}
        ).status_code
        == 404
    )


def test_representative_files_for_a_resident_of_their_household(client, actors):
    _login(client, actors.rep)
    r = client.get(reverse("appeals:create"))
    assert r.status_code == 200
    household = actors.county.households_a[3]
    r = client.post(
        reverse("appeals:create"),
        {
            "category": "roads",
            "description": "村道塌了一块",
            "urgency": "urgent",
            "household": household.pk,
            "reporter_name": "李三",
            "reporter_phone": "13800001234",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    appeal = Appeal.objects.get()
    assert appeal.channel == "representative"
    assert appeal.representative == actors.county.rep_a


def test_export_masks_phones_and_is_audited(client, actors, file_appeal):
    from linli.accounts.models import AuditLog

    file_appeal()
    _login(client, actors.town)
    r = client.get(reverse("appeals:export"), {"status": "open"})
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    rows = list(wb.active.values)
    assert rows[0][0] == "案件编号"
    assert len(rows) == 2
    assert RESIDENT_PHONE not in str(rows[1]) and "139****5678" in rows[1]
    assert AuditLog.objects.filter(action="export.appeals", actor=actors.town).exists()


def test_stats_page_shows_the_rates(client, actors, file_appeal):
    file_appeal()
    _login(client, actors.city)
    r = client.get(reverse("appeals:stats"), {"unit": actors.county.city.pk})
    assert r.status_code == 200
    assert actors.county.town_a.name in r.content.decode()


def _code_for(phone):
    body = (
        Outbox.objects.filter(channel="sms", address_hash=blind_index(phone), kind="appeal.code")
        .latest("id")
        .body
    )
    return re.search(r"\d{6}", body).group(0)


def test_public_report_with_code_then_track_and_rate(client, actors, manhole_category):
    """A resident with no account: code by SMS, report, follow by code + phone, rate."""
    county = actors.county
    r = client.post(reverse("appeals:report"), {"phone": RESIDENT_PHONE, "send_code": "1"})
    assert r.status_code == 200
    assert PhoneCode.objects.filter(phone_hash=blind_index(RESIDENT_PHONE)).count() == 1
    code = _code_for(RESIDENT_PHONE)
    photo = SimpleUploadedFile("manhole.png", png_bytes(), content_type="image/png")
    r = client.post(
        reverse("appeals:report"),
        {
            "phone": RESIDENT_PHONE,
            "code": code,
            "category": manhole_category.code,
            "description": "小区门口井盖松动破损",
            "urgency": "normal",
            "town": county.town_a.pk,
            "village": county.village_a.pk,
            "group": county.group_a.pk,
            "address": "一组小区门口",
            "photos": [photo],
        },
    )
    assert r.status_code == 302
    appeal = Appeal.objects.get()
    assert r["Location"] == reverse("appeals:track_detail", args=[appeal.code])
    assert appeal.channel == "self" and appeal.unit == county.group_a
    page = client.get(r["Location"]).content.decode()
    assert appeal.code in page

    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    services.appeal_act(
        actor=actors.rep, appeal=appeal, action="note", note="内部备注", internal=True
    )
    services.appeal_act(actor=actors.rep, appeal=appeal, action="resolve", note="已更换井盖")

    # Another browser: follow by code + phone.
    other = type(client)()
    r = other.post(reverse("appeals:track"), {"code": appeal.code.lower(), "phone": RESIDENT_PHONE})
    assert r.status_code == 302
    page = other.get(r["Location"]).content.decode()
    assert "已更换井盖" in page and "内部备注" not in page
    r = other.post(
        reverse("appeals:track_act", args=[appeal.code, "rate"]), {"rating": "5", "note": "满意"}
    )
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED and appeal.rating == 5


def test_public_report_refuses_a_wrong_code(client, actors, manhole_category):
    client.post(reverse("appeals:report"), {"phone": RESIDENT_PHONE, "send_code": "1"})
    r = client.post(
        reverse("appeals:report"),
        {
            "phone": RESIDENT_PHONE,
            "code": "000000" if _code_for(RESIDENT_PHONE) != "000000" else "111111",
            "category": manhole_category.code,
            "description": "x",
            "urgency": "normal",
            "village": actors.county.village_a.pk,
        },
    )
    assert r.status_code == 400
    assert Appeal.objects.count() == 0


def test_track_with_a_wrong_phone_finds_nothing(client, file_appeal):
    appeal = file_appeal()
    r = client.post(reverse("appeals:track"), {"code": appeal.code, "phone": "13900000000"})
    assert r.status_code == 200
    assert client.get(reverse("appeals:track_detail", args=[appeal.code])).status_code == 404


def test_list_page_query_count_does_not_grow_with_appeals(client, actors, file_appeal):
    _login(client, actors.town)
    assert_queries_flat(
        lambda n: [file_appeal() for _ in range(n)],
        lambda: client.get(reverse("appeals:list"), {"status": "open", "level": "group"}),
    )


@pytest.mark.parametrize("version", ["99999999999999999999", "-1", "0", "abc", "1\x00"])
def test_a_version_no_page_would_send_is_refused_and_changes_nothing(
    client, actors, file_appeal, version
):
    """Found on the command centre's walk: an odd version skipped the concurrent-edit
    check and the action went through."""
    appeal = file_appeal()
    _login(client, actors.rep)
    r = client.post(
        reverse("appeals:act", args=[appeal.code, "claim"]), {"version": version}, follow=True
    )
    assert r.status_code in (200, 400)
    if r.status_code == 200:
        assert "该诉求刚被他人更新" in r.content.decode()
    appeal.refresh_from_db()
    assert appeal.status == Status.PENDING
    assert not appeal.events.filter(action="claim").exists()
