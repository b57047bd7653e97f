"""Photos are checked by content and stripped of metadata; one-time codes expire and lock."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from linli.appeals import services
from linli.appeals.models import PhoneCode
from linli.core.errors import Conflict, InvalidInput
from linli.core.photos import photo_prepare, photos_prepare
from tests.support.factories import png_bytes

pytestmark = pytest.mark.django_db


def test_jpeg_is_reencoded_without_exif():
    raw = png_bytes(exif=True)
    assert Image.open(io.BytesIO(raw)).getexif()  # the upload carries metadata
    prepared = photo_prepare(SimpleUploadedFile("a.jpg", raw))
    out = Image.open(io.BytesIO(prepared.data))
    assert out.format == "JPEG" and not out.getexif()
    assert (prepared.width, prepared.height) == (40, 30)


@pytest.mark.parametrize(
    "name,data",
    [
        ("photo.jpg", b"%PDF-1.4 not a photo"),
        ("photo.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        ("photo.jpg", b""),
    ],
)
def test_non_images_are_refused_whatever_their_name(name, data):
    with pytest.raises(InvalidInput) as e:
        photo_prepare(SimpleUploadedFile(name, data))
    assert e.value.code == "photo_not_image"


def test_size_and_count_limits():
    big = SimpleUploadedFile("big.png", png_bytes())
    with override_settings(LINLI={**settings.LINLI, "PHOTO_MAX_BYTES": 10}):
        with pytest.raises(InvalidInput) as e:
            photo_prepare(big)
        assert e.value.code == "photo_too_large"
    with pytest.raises(InvalidInput) as e:
        photos_prepare([SimpleUploadedFile("p.png", png_bytes())] * 7)
    assert e.value.code == "photo_count"


def test_code_is_checked_once_and_locks_after_wrong_attempts():
    services.phone_code_request(phone="13812345678")
    with pytest.raises(Conflict):
        services.phone_code_request(phone="13812345678")
    for _ in range(5):
        with pytest.raises(InvalidInput) as e:
            services.phone_code_verify(phone="13812345678", code="abcdef")
        assert e.value.code == "code_wrong"
    with pytest.raises(InvalidInput) as e:
        services.phone_code_verify(phone="13812345678", code="123456")
    assert e.value.code == "code_locked"


def test_expired_code_is_refused():
    services.phone_code_request(phone="13812345679")
    PhoneCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(InvalidInput) as e:
        services.phone_code_verify(phone="13812345679", code="000000")
    assert e.value.code == "code_expired"
