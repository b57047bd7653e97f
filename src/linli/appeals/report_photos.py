"""Photos a resident chose on `/report/`, held while the form comes back with an error.

A browser cannot refill a file input, so the report page keeps the photos it has
already checked (`core.photos.photos_prepare`: images only, re-encoded, at most
`PHOTO_MAX_COUNT`) in the default storage under a random token kept in the
resident's session, with a small thumbnail to show beside the photo field.
They expire after `TTL`; every new hold sweeps the expired ones, so nothing
outlives an abandoned form for long. The filing takes them (and deletes them)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import secrets
from typing import Any, TypedDict

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from linli.core.photos import PreparedPhoto

SESSION_KEY = "linli_report_photos"
ROOT = "report-held"
TTL = dt.timedelta(hours=1)
THUMB = (160, 120)


class HeldPhoto(TypedDict):
    name: str  # the storage name
    extension: str
    content_type: str
    width: int
    height: int
    sha256: str
    thumb: str  # a data: URL of a small JPEG


class Held(TypedDict):
    token: str
    at: str  # ISO 8601, when first held
    photos: list[HeldPhoto]


def _thumb(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as img:
        small = img.convert("RGB")
        small.thumbnail(THUMB)
        buf = io.BytesIO()
        small.save(buf, format="JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def _expired(held: Held, now: dt.datetime) -> bool:
    try:
        return now - dt.datetime.fromisoformat(held["at"]) > TTL
    except (KeyError, ValueError):
        return True


def held(session: Any) -> list[HeldPhoto]:
    """The photos held for this session (none once expired)."""
    state: Held | None = session.get(SESSION_KEY)
    if not state:
        return []
    if _expired(state, timezone.now()):
        release(session)
        return []
    return list(state["photos"])


def hold(session: Any, prepared: list[PreparedPhoto]) -> list[HeldPhoto]:
    """Add checked photos to the ones held (the caller checked the count)."""
    photos = held(session)
    if not prepared:
        return photos
    _sweep()
    state: Held | None = session.get(SESSION_KEY)
    if state is None:
        state = {"token": secrets.token_hex(16), "at": timezone.now().isoformat(), "photos": []}
    known = {p["sha256"] for p in photos}
    for p in prepared:
        if p.sha256 in known:
            continue
        known.add(p.sha256)
        name = default_storage.save(
            f"{ROOT}/{state['token']}/{p.sha256}{p.extension}", ContentFile(p.data)
        )
        photos.append(
            {
                "name": name,
                "extension": p.extension,
                "content_type": p.content_type,
                "width": p.width,
                "height": p.height,
                "sha256": p.sha256,
                "thumb": _thumb(p.data),
            }
        )
    state["photos"] = photos
    session[SESSION_KEY] = state
    return photos


def keep_only(session: Any, shas: set[str]) -> list[HeldPhoto]:
    """Drop the held photos the resident took off the form."""
    state: Held | None = session.get(SESSION_KEY)
    photos = held(session)
    if not state or not photos:
        return photos
    kept = [p for p in photos if p["sha256"] in shas]
    for p in photos:
        if p["sha256"] not in shas:
            default_storage.delete(p["name"])
    state["photos"] = kept
    session[SESSION_KEY] = state
    return kept


def load(photos: list[HeldPhoto]) -> list[PreparedPhoto]:
    """The held photos, ready to be saved with the appeal (a missing file is skipped)."""
    out = []
    for p in photos:
        try:
            with default_storage.open(p["name"], "rb") as f:
                data = f.read()
        except OSError:
            continue
        out.append(
            PreparedPhoto(
                data, p["extension"], p["content_type"], p["width"], p["height"], p["sha256"]
            )
        )
    return out


def release(session: Any) -> None:
    """Forget the held photos and delete their files."""
    state: Held | None = session.pop(SESSION_KEY, None)
    for p in state["photos"] if state else []:
        default_storage.delete(p["name"])


def _sweep() -> None:
    """Delete held photos older than the TTL (forms abandoned after an error)."""
    try:
        tokens, _files = default_storage.listdir(ROOT)
    except (FileNotFoundError, NotImplementedError, OSError):
        return
    cutoff = timezone.now() - TTL
    for token in tokens:
        _dirs, files = default_storage.listdir(f"{ROOT}/{token}")
        names = [f"{ROOT}/{token}/{f}" for f in files]
        try:
            stale = all(default_storage.get_modified_time(n) < cutoff for n in names)
        except (NotImplementedError, OSError):
            continue
        if stale:
            for n in names:
                default_storage.delete(n)


__all__ = ["SESSION_KEY", "held", "hold", "keep_only", "load", "release"]
