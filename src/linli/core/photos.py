"""Photo intake for appeals and home visits: images only (checked by content),
size-limited, re-encoded without metadata (EXIF carries the phone's GPS
position and model)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from linli.core.errors import InvalidInput

# Formats accepted, and what they are re-encoded to.
ACCEPTED = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "JPEG", "MPO": "JPEG", "GIF": "PNG"}
MAX_SIDE = 2560
# Refuse decompression bombs early (a tiny file claiming a huge canvas).
MAX_PIXELS = 40_000_000

# An uploaded file, or any object with `read()` (and `name`, `size`), or bytes.
Upload = Any


@dataclass(frozen=True)
class PreparedPhoto:
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int
    sha256: str


def _name(upload: Upload) -> str:
    return str(getattr(upload, "name", "") or _("photo"))


def photo_prepare(upload: Upload) -> PreparedPhoto:
    """Check one uploaded file is an image and return it re-encoded without metadata."""
    limit = settings.LINLI["PHOTO_MAX_BYTES"]
    size = getattr(upload, "size", None)
    raw = upload.read() if hasattr(upload, "read") else bytes(upload)
    size = len(raw) if size is None else size
    if size > limit or len(raw) > limit:
        raise InvalidInput(
            _("%(name)s is larger than %(mb)d MB.") % {"name": _name(upload), "mb": limit // 2**20},
            code="photo_too_large",
        )
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt = probe.format
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidInput(
                    _("%(name)s is too large an image.") % {"name": _name(upload)},
                    code="photo_too_large",
                )
            probe.verify()
        if fmt not in ACCEPTED:
            raise UnidentifiedImageError(fmt)
        with Image.open(io.BytesIO(raw)) as opened:
            img: Image.Image = ImageOps.exif_transpose(opened)
            img.thumbnail((MAX_SIDE, MAX_SIDE))
            out_format = ACCEPTED[fmt]
            if out_format == "JPEG" and img.mode not in ("RGB", "L"):
                img = img.convert("RGB")
            buf = io.BytesIO()
            # A fresh save writes no EXIF, XMP or ICC unless asked to.
            img.save(buf, format=out_format, quality=85, optimize=True)
            width, height = img.size
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise InvalidInput(
            _("%(name)s is not a photo: only JPEG, PNG, WebP or GIF images are accepted.")
            % {"name": _name(upload)},
            code="photo_not_image",
        ) from None
    data = buf.getvalue()
    ext, ctype = (".jpg", "image/jpeg") if out_format == "JPEG" else (".png", "image/png")
    return PreparedPhoto(data, ext, ctype, width, height, hashlib.sha256(data).hexdigest())


def photos_prepare(uploads: Iterable[Upload] | None, *, already: int = 0) -> list[PreparedPhoto]:
    """Check a batch of uploads against the per-record limit and prepare each.

    `already` is how many photos the record holds (an appeal adding more). Every
    upload is checked here, so a caller that prepares first writes nothing when
    one is refused.
    """
    checked = [u for u in (uploads or []) if u]
    photos_check_count(already, len(checked))
    return [photo_prepare(u) for u in checked]


def photos_check_count(already: int, adding: int) -> None:
    """Refuse `adding` more photos to a record that holds `already`.

    A record that grows (an appeal gaining photos with notes) must count
    `already` under its row lock, in the transaction that inserts: a count read
    before the lock lets two uploads at once both pass the limit.
    """
    limit = settings.LINLI["PHOTO_MAX_COUNT"]
    if already + adding > limit:
        raise InvalidInput(_("At most %(n)d photos.") % {"n": limit}, code="photo_count")
