"""The short link in every SMS to a resident (`/t/<token>`, `appeals/links.py`): it
opens the tracking page of that appeal without a login, expires, cannot be forged,
and the page it opens lets the resident rate and withdraw."""

from __future__ import annotations

import re
import time
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from linli.appeals import links, services
from linli.appeals.models import AppealEvent, AppealPhoto, Status
from linli.core.crypto import blind_index
from linli.notify.models import Outbox
from tests.support.factories import RESIDENT_PHONE, png_bytes

pytestmark = pytest.mark.django_db

LINK = re.compile(r"(https?://\S+/t/(\S+))$")


def _sms_to_resident(kind: str) -> str:
    return (
        Outbox.objects.filter(channel="sms", address_hash=blind_index(RESIDENT_PHONE), kind=kind)
        .latest("id")
        .body
    )


def _link_in(body: str) -> tuple[str, str]:
    """The absolute link at the end of an SMS, and its path."""
    found = LINK.search(body)
    assert found, f"no link at the end of the SMS: {body!r}"
    url = found.group(1)
    return url, urlsplit(url).path


def _resolved(actors, file_appeal, **kw):
    appeal = file_appeal(**kw)
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    services.appeal_act(actor=actors.rep, appeal=appeal, action="resolve", note="已更换井盖")
    appeal.refresh_from_db()
    return appeal


def _token_signed_ago(appeal, days: float) -> str:
    with mock.patch("django.core.signing.time.time", return_value=time.time() - days * 86400):
        return links.token_for(appeal)


def _open(token: str, client: Client | None = None):
    return (client or Client()).get(reverse("appeals:track_link", kwargs={"token": token}))


# --- the link in the SMS -------------------------------------------------------------------


def test_every_sms_to_the_resident_ends_with_a_link_to_their_appeal(actors, file_appeal):
    appeal = _resolved(actors, file_appeal)
    for kind in ("appeal.filed", "appeal.claim", "appeal.resolve"):
        url, path = _link_in(_sms_to_resident(kind))
        assert url.startswith(settings.LINLI["PUBLIC_URL"] + "/t/"), url
        response = Client().get(path)
        assert response.status_code == 302, (kind, response.status_code)
        assert response["Location"] == reverse("appeals:track_detail", args=[appeal.code])


def test_the_resolved_sms_link_opens_the_appeal_without_login_and_asks_for_a_rating(
    actors, file_appeal
):
    photo = SimpleUploadedFile("manhole.png", png_bytes(), content_type="image/png")
    appeal = _resolved(actors, file_appeal, photos=[photo])
    body = _sms_to_resident("appeal.resolve")
    assert "已办结" in body and "已更换井盖" in body and "请点击链接评价" in body
    _url, path = _link_in(body)
    phone = Client()  # the resident's phone: no account, no code typed
    response = phone.get(path, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert appeal.code in page and "已更换井盖" in page
    assert "您对办理结果满意吗" in page and 'name="rating"' in page
    # The same session the tracking form gives: the appeal's photos are served to it.
    p = AppealPhoto.objects.get(appeal=appeal)
    assert phone.get(reverse("appeals:photo", args=[p.pk])).status_code == 200
    assert Client().get(reverse("appeals:photo", args=[p.pk])).status_code == 404


def test_the_link_is_short_and_built_on_the_public_url(actors, file_appeal):
    with override_settings(LINLI={**settings.LINLI, "PUBLIC_URL": "https://linli.example.gov.cn/"}):
        appeal = file_appeal()
    url, _path = _link_in(_sms_to_resident("appeal.filed"))
    assert url.startswith("https://linli.example.gov.cn/t/" + appeal.code + ".")
    assert len(url) <= 70, url
    assert len(links.token_for(appeal)) <= 40


# --- expiry, tampering, hostile input ------------------------------------------------------


def test_a_link_expires_after_the_configured_days(actors, file_appeal):
    appeal = file_appeal()
    assert settings.LINLI["TRACK_LINK_DAYS"] == 30
    assert _open(_token_signed_ago(appeal, 29)).status_code == 302
    client = Client()
    response = _open(_token_signed_ago(appeal, 31), client)
    assert response.status_code == 410
    page = response.content.decode()
    assert "链接已过期" in page and "30 天内有效" in page
    # A way back: the tracking form with the case code filled in.
    back = f"{reverse('appeals:track')}?code={appeal.code}"
    assert back in page
    assert f'value="{appeal.code}"' in client.get(back).content.decode()
    # The expired link gave no tracking session.
    assert client.get(reverse("appeals:track_detail", args=[appeal.code])).status_code == 404
    # The setting applies to links already sent.
    with override_settings(LINLI={**settings.LINLI, "TRACK_LINK_DAYS": 7}):
        assert _open(_token_signed_ago(appeal, 8)).status_code == 410
        assert _open(_token_signed_ago(appeal, 6)).status_code == 302


def _assert_refused(response):
    assert response.status_code == 404
    page = response.content.decode()
    assert "链接无效" in page and reverse("appeals:track") in page


def test_a_tampered_or_borrowed_token_opens_nothing(actors, file_appeal):
    appeal = file_appeal()
    other = file_appeal(reporter_phone="13900000002", description="另一件诉求")
    token = links.token_for(appeal)
    code, stamp, sig = token.split(".")
    flipped = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    client = Client()
    for bad in (
        f"{code}.{stamp}.{flipped}",  # signature changed
        f"{other.code}.{stamp}.{sig}",  # another appeal's code with this signature
        f"{code}.{signing.b62_encode(signing.b62_decode(stamp) + 86400)}.{sig}",  # time changed
        f"{code[:-1]}{'Z' if code[-1] != 'Z' else 'Y'}.{stamp}.{sig}",  # unknown case code
    ):
        _assert_refused(_open(bad, client))
    # Signed for another mobile (not the reporter's): refused.
    appeal.reporter_phone = "13900000003"
    _assert_refused(_open(links.token_for(appeal), client))
    for code_ in (appeal.code, other.code):
        assert client.get(reverse("appeals:track_detail", args=[code_])).status_code == 404
    # A genuine token opens its own appeal only.
    client.get(reverse("appeals:track_link", kwargs={"token": links.token_for(other)}))
    assert client.get(reverse("appeals:track_detail", args=[other.code])).status_code == 200
    assert client.get(reverse("appeals:track_detail", args=[code])).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/t/%00",
        "/t/ABC%00DEF.1kXyz1.AAAAAAAAAAAAAAAA",
        "/t/%1b%5b31m.x.y",
        "/t/%0d%0aSet-Cookie:%20x=1",
        "/t/" + "A" * 10_000,
        "/t/" + "A" * 20 + "." + "z" * 10 + "." + "-" * 16 + "x" * 5000,
        "/t/%E4%BA%95%E7%9B%96",
        "/t/%FF%FE",
        "/t/...",
        "/t/ABCDEF.%20.AAAAAAAAAAAAAAAA",
    ],
)
def test_hostile_tokens_get_a_404_never_a_500(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404), (path[:60], response.status_code)


# --- rating and withdrawing on the page the link opens -------------------------------------


def _page_through_link(appeal) -> Client:
    client = Client()
    assert _open(links.token_for(appeal), client).status_code == 302
    return client


def _act(client, appeal, action, data):
    url = reverse("appeals:track_act", args=[appeal.code, action])
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_rating_from_the_linked_page_closes_the_appeal(actors, file_appeal):
    appeal = _resolved(actors, file_appeal)
    client = _page_through_link(appeal)
    page = _act(client, appeal, "rate", {"note": "很满意"})
    assert "请给出 1 到 5 分的评价" in page
    appeal.refresh_from_db()
    assert appeal.status == Status.RESOLVED
    page = _act(client, appeal, "rate", {"rating": "5", "note": "很满意"})
    assert "感谢您的评价" in page and "重新" not in page
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED and appeal.rating == 5
    event = AppealEvent.objects.filter(appeal=appeal, action="rate").get()
    assert event.to_status == Status.CLOSED and event.data["rating"] == 5
    assert event.data["by_phone"] is False  # the resident's own rating
    assert "您对办理结果满意吗" not in page  # nothing left to rate


def test_a_low_rating_from_the_linked_page_says_it_is_reopened(actors, file_appeal):
    appeal = _resolved(actors, file_appeal)
    page = _act(_page_through_link(appeal), appeal, "rate", {"rating": "2", "note": "还是松的"})
    assert "该诉求已重新打开，将再次办理" in page
    appeal.refresh_from_db()
    assert appeal.status == Status.PENDING and appeal.rating == 2


def test_withdrawing_from_the_linked_page_needs_the_confirmation(actors, file_appeal):
    appeal = file_appeal()
    client = _page_through_link(appeal)
    page = client.get(reverse("appeals:track_detail", args=[appeal.code])).content.decode()
    assert "撤回这件诉求" in page and "我确认撤回这件诉求" in page
    page = _act(client, appeal, "withdraw", {"note": "已自行修好"})
    assert "请先勾选" in page
    appeal.refresh_from_db()
    assert appeal.status == Status.PENDING
    page = _act(client, appeal, "withdraw", {"note": "已自行修好", "confirm": "1"})
    assert "您的诉求已撤回" in page
    appeal.refresh_from_db()
    assert appeal.status == Status.WITHDRAWN
    event = AppealEvent.objects.get(appeal=appeal, action="withdraw")
    assert event.to_status == Status.WITHDRAWN and event.note == "已自行修好"
    # Withdrawn: the page offers neither action any more, and a replayed POST is refused.
    assert 'name="confirm"' not in page and 'name="rating"' not in page
    page = _act(client, appeal, "withdraw", {"confirm": "1"})
    assert "不能执行" in page


def test_the_development_inbox_shows_the_link_as_a_link(client, actors, file_appeal):
    """A demo without an SMS gateway: the resident taps the link in the dev inbox."""
    file_appeal()
    url, _path = _link_in(_sms_to_resident("appeal.filed"))
    page = client.get(reverse("notify:dev_inbox"), {"phone": RESIDENT_PHONE}).content.decode()
    assert f'<a href="{url}"' in page
