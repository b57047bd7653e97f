"""Photos on home visits: checked by content before anything is written, saved with
the visit, carried over by a correction that brings none, served only to those
who may see the visit, on the form, in the history and through the API."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from linli.accounts.models import Role
from linli.appeals.models import Appeal
from linli.core.errors import InvalidInput
from linli.core.timeutil import today
from linli.duties import services
from linli.duties.models import HomeVisit, HomeVisitPhoto
from tests.duties.test_api import Api
from tests.support.factories import png_bytes
from tests.support.roles import Actors, make_user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def actors(county):
    return Actors(county)


def photo(name="p.jpg", **kw) -> SimpleUploadedFile:
    fmt = "JPEG" if name.endswith(".jpg") and not kw.get("exif") else "PNG"
    return SimpleUploadedFile(name, png_bytes(fmt=fmt, **kw), content_type="image/jpeg")


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def visit(actors, household=0, **kw) -> HomeVisit:
    county = actors.county
    kw.setdefault("met", "户主")
    return services.visit_log(
        actor=kw.pop("actor", actors.rep),
        representative=county.rep_a,
        household=county.households_a[household],
        **kw,
    )


# --- the service -----------------------------------------------------------------------------


def test_photos_are_saved_with_the_visit_without_metadata_under_random_names(actors, media):
    v = visit(actors, photos=[photo("a.jpg", exif=True), photo("b.png", size=(64, 48))])

    photos = list(v.photos.all())
    assert len(photos) == 2 and HomeVisitPhoto.objects.count() == 2
    first, second = photos
    # Filed under the month of upload as stored (UTC): not the local date, which runs
    # ahead of it for eight hours at the turn of a month.
    assert first.image.name.startswith(f"duties/visits/{timezone.now():%Y/%m}/")
    assert first.sha256 not in first.image.name  # a random name, not the content hash
    assert (first.content_type, second.content_type) == ("image/jpeg", "image/png")
    assert (second.width, second.height) == (64, 48)
    with first.image.open("rb") as f:
        data = f.read()
    assert len(data) == first.size and not Image.open(io.BytesIO(data)).getexif()
    assert len(stored_files(media)) == 2


def test_a_pdf_named_jpg_is_refused_and_nothing_is_written(actors, media, reference_data):
    uploads = [photo("good.jpg"), SimpleUploadedFile("现场.jpg", PDF, content_type="image/jpeg")]

    with pytest.raises(InvalidInput) as err:
        visit(
            actors,
            photos=uploads,
            raise_appeal={"category": "water", "description": "屋后排水沟堵塞"},
        )

    assert err.value.code == "photo_not_image"
    assert "现场.jpg 不是照片" in err.value.message
    assert not HomeVisit.objects.exists() and not HomeVisitPhoto.objects.exists()
    assert not Appeal.objects.exists()
    assert stored_files(media) == []


def test_more_photos_than_allowed_are_refused(actors, media):
    with pytest.raises(InvalidInput) as err:
        visit(actors, photos=[photo(f"{i}.jpg") for i in range(7)])

    assert err.value.code == "photo_count" and "最多 6 张照片" in err.value.message
    assert not HomeVisit.objects.exists() and stored_files(media) == []


def test_a_correction_keeps_the_photos_unless_it_brings_new_ones(actors, media):
    # Given a visit with two photos
    original = visit(actors, met="李奶奶", photos=[photo("a.jpg"), photo("b.jpg")])
    names = sorted(p.image.name for p in original.photos.all())

    # When it is corrected without photos, the correction shows the same files
    fixed = visit(actors, met="李奶奶和儿子", supersedes=original)
    assert sorted(p.image.name for p in fixed.photos.all()) == names
    assert original.photos.count() == 2  # the old record is never changed
    assert len(stored_files(media)) == 2  # shared, not copied

    # When the correction is corrected with one new photo, that photo replaces them
    again = visit(actors, met="李奶奶", photos=[photo("c.jpg")], supersedes=fixed)
    assert [p.image.name for p in again.photos.all()] != names
    assert again.photos.count() == 1 and fixed.photos.count() == 2
    assert len(stored_files(media)) == 3

    # A withdrawal (a void copy) carries no photos
    void = services.record_withdraw(actor=actors.rep, record=again, reason="记错了户")
    assert void.photos.count() == 0


# --- the pages -------------------------------------------------------------------------------


def test_visit_form_takes_several_photos_and_the_history_shows_them(client, actors):
    county = actors.county
    household = county.households_a[1]
    client.force_login(actors.rep)
    url = reverse("duties:visit_new") + f"?household={household.pk}"
    page = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'accept="image/*"' in page and "multiple" in page and 'capture="environment"' in page

    # Two inputs of the same name (camera and gallery) both count.
    r = client.post(
        url,
        {
            "household": household.pk,
            "day": today().isoformat(),
            "role": "liaison",
            "met": "李一",
            "photos": [photo("1.jpg"), photo("2.png")],
        },
    )

    assert r.status_code == 302, r.content.decode()[:2000]
    v = HomeVisit.objects.get()
    assert v.photos.count() == 2
    html = client.get(reverse("duties:mine"), {"history": "visit"}).content.decode()
    for p in v.photos.all():
        assert reverse("duties:visit_photo", args=[p.pk]) in html


def test_a_bad_photo_on_the_form_is_shown_and_nothing_is_written(client, actors, media):
    household = actors.county.households_a[1]
    client.force_login(actors.rep)
    r = client.post(
        reverse("duties:visit_new"),
        {
            "household": household.pk,
            "day": today().isoformat(),
            "role": "liaison",
            "met": "户主",
            "photos": [SimpleUploadedFile("x.jpg", PDF, content_type="image/jpeg")],
        },
    )
    assert r.status_code == 200
    assert "x.jpg 不是照片" in r.content.decode()
    assert not HomeVisit.objects.exists() and stored_files(media) == []


def test_correcting_a_visit_on_the_page_shows_and_keeps_its_photos(client, actors):
    original = visit(actors, met="李奶奶", photos=[photo("a.jpg")])
    old_url = reverse("duties:visit_photo", args=[original.photos.get().pk])
    client.force_login(actors.rep)
    r = client.get(reverse("duties:correct", args=["visit", original.pk]))
    page = client.get(r["Location"]).content.decode()
    assert old_url in page and "原记录的照片会保留" in page

    r = client.post(
        r["Location"],
        {
            "supersedes": original.pk,
            "household": original.household_id,
            "day": original.day.isoformat(),
            "role": "liaison",
            "met": "李奶奶和儿子",
        },
    )

    assert r.status_code == 302, r.content.decode()[:2000]
    fixed = HomeVisit.objects.get(supersedes=original)
    assert fixed.met == "李奶奶和儿子"
    assert [p.image.name for p in fixed.photos.all()] == [original.photos.get().image.name]


def test_photo_is_served_to_those_who_may_see_the_visit_only(client, actors):
    county = actors.county
    v = visit(actors, photos=[photo("a.jpg")])
    p = v.photos.get()
    url = reverse("duties:visit_photo", args=[p.pk])
    other_leader = make_user("13700000099", "大屋组组长", Role.GROUP_LEADER, county.group_b)

    for user in (actors.rep, actors.group_leader, actors.village, actors.town):
        client.force_login(user)
        r = client.get(url)
        assert r.status_code == 200, user
        assert r["Content-Type"] == "image/jpeg"
        assert b"".join(r.streaming_content) == p.image.open("rb").read()
    for user in (actors.rep_b, other_leader, actors.town_b):
        client.force_login(user)
        assert client.get(url).status_code == 404, user
    client.logout()
    assert client.get(url).status_code == 404
    assert client.get(reverse("duties:visit_photo", args=[p.pk + 100])).status_code == 404

    # The leader's drill-down shows the thumbnail too.
    client.force_login(actors.group_leader)
    html = client.get(
        reverse("duties:rep", args=[county.rep_a.pk]), {"history": "visit", "period": "month"}
    ).content.decode()
    assert url in html


# --- the API ---------------------------------------------------------------------------------


def _multipart(user, path, payload: dict, **files):
    api = Api(user)
    return api.client.post(
        f"/api/v1{path}", {"payload": json.dumps(payload), **files}, headers=api.headers
    )


def test_api_records_a_visit_with_photos_in_a_multipart_request(actors):
    county = actors.county
    household = county.households_a[2]
    r = _multipart(
        actors.rep,
        "/duties/visits",
        {"household_id": household.pk, "met": "李二", "findings": "屋顶漏雨"},
        photos=[photo("1.jpg"), photo("2.jpg")],
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["household_id"] == household.pk and body["findings"] == "屋顶漏雨"
    assert len(body["photo_urls"]) == 2
    client = Client()
    client.force_login(actors.rep)
    assert client.get(body["photo_urls"][0]).status_code == 200

    # JSON keeps working, and lists name the photos.
    r = Api(actors.rep).post(
        "/duties/visits", {"household_id": county.households_a[3].pk, "met": "户主"}
    )
    assert r.status_code == 201 and r.json()["photo_urls"] == []
    listing = Api(actors.rep).get("/duties/visits").json()
    assert sorted(len(v["photo_urls"]) for v in listing["items"]) == [0, 2]

    # A leader records for the representative, with a photo.
    r = _multipart(
        actors.group_leader,
        "/duties/visits",
        {
            "household_id": county.households_a[4].pk,
            "representative_id": county.rep_a.pk,
            "findings": "屋顶漏雨",
        },
        photos=[photo("3.png")],
    )
    assert r.status_code == 201 and len(r.json()["photo_urls"]) == 1


def test_api_refuses_a_bad_photo_with_400_and_writes_nothing(actors, media):
    household = actors.county.households_a[2]
    r = _multipart(
        actors.rep,
        "/duties/visits",
        {"household_id": household.pk, "met": "户主"},
        photos=[photo("1.jpg"), SimpleUploadedFile("2.jpg", PDF, content_type="image/jpeg")],
    )
    assert r.status_code == 400
    assert r.json()["code"] == "photo_not_image" and "不是照片" in r.json()["message"]
    assert not HomeVisit.objects.exists() and stored_files(media) == []
    # A multipart request without its JSON payload is malformed.
    api = Api(actors.rep)
    r = api.client.post("/api/v1/duties/visits", {"photos": [photo("1.jpg")]}, headers=api.headers)
    assert r.status_code == 400 and r.json()["code"] == "invalid"


def test_api_correction_without_photos_keeps_them(actors):
    household = actors.county.households_a[2]
    first = _multipart(
        actors.rep,
        "/duties/visits",
        {"household_id": household.pk, "met": "户主"},
        photos=[photo("1.jpg")],
    ).json()
    r = Api(actors.rep).post(
        "/duties/visits",
        {"household_id": household.pk, "met": "更正", "supersedes": first["id"]},
    )
    assert r.status_code == 201, r.content
    assert len(r.json()["photo_urls"]) == 1
    assert r.json()["photo_urls"] != first["photo_urls"]  # a row of its own, the same file
