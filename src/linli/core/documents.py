"""Document intake (a yearly report's attachment): the kind is read from the
content's first bytes, never from the name, and the stored name gets the
extension of what was found. Shared by the page form and the API through the
service that stores the document.
"""

from __future__ import annotations

import io
import os
import zipfile
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from .errors import InvalidInput

if TYPE_CHECKING:
    # django-stubs makes ContentFile generic; at run time it is not subscriptable.
    _BytesContentFile = ContentFile[bytes]
else:
    _BytesContentFile = ContentFile

DOCUMENT_MAX_MB = 20
DOCUMENT_MAX_BYTES = DOCUMENT_MAX_MB * 2**20
# For the file picker only (a hint to the phone): the content decides.
ACCEPT = ".pdf,.doc,.docx,.wps,.odt,.txt,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc and WPS (Compound File Binary)
ZIP = b"PK\x03\x04"  # .docx and .odt
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# Bytes a plain-text document may hold besides printable text: tab, LF, FF, CR.
TEXT_CONTROLS = {9, 10, 12, 13}


class CheckedDocument(_BytesContentFile):
    """An upload that passed `document_check` (the service does not check it twice)."""

    def __init__(self, content: bytes, name: str, content_type: str) -> None:
        super().__init__(content, name=name)
        self.content_type = content_type


def _label(upload: Any) -> str:
    return os.path.basename(getattr(upload, "name", "") or "") or _("The document")


def _is_text(raw: bytes) -> bool:
    """Plain text in UTF-8 (with or without a byte-order mark) or GB18030."""
    if not raw.strip() or any(b < 32 and b not in TEXT_CONTROLS for b in raw[:65536]):
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _zip_kind(raw: bytes) -> tuple[str, str] | None:
    """A Word (.docx) or OpenDocument (.odt) text, by the members its archive names."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names and "[Content_Types].xml" in names:
                return (
                    ".docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                )
            # Read the (tiny) mimetype member only when it says it is tiny.
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 100:
                if archive.read("mimetype").strip() == ODT_MIMETYPE:
                    return ".odt", ODT_MIMETYPE.decode()
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError):
        return None
    return None


def sniff(raw: bytes, name: str = "") -> tuple[str, str] | None:
    """(extension, content type) of an accepted document, read from its content."""
    if raw.startswith(b"%PDF-"):
        return ".pdf", "application/pdf"
    if raw.startswith(b"\xff\xd8\xff"):
        return ".jpg", "image/jpeg"
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png", "image/png"
    if raw.startswith(OLE2):
        # A Word 97-2003 file or a Kingsoft WPS one: the same container.
        wps = name.lower().endswith(".wps")
        return (".wps", "application/vnd.ms-works") if wps else (".doc", "application/msword")
    if raw.startswith(ZIP):
        return _zip_kind(raw)
    # Plain text has no signature: it must be named so, and read as text.
    if name.lower().endswith(".txt") and _is_text(raw):
        return ".txt", "text/plain"
    return None


def document_check(upload: Any) -> CheckedDocument:
    """Accept a PDF, Word (.doc, .docx, WPS, .odt), plain-text, JPEG or PNG file of
    at most 20 MB, judged by content; raise InvalidInput otherwise. Images are
    re-encoded without metadata (and within the photo size limit)."""
    if isinstance(upload, CheckedDocument):
        return upload
    size = getattr(upload, "size", None)
    if size is not None and size > DOCUMENT_MAX_BYTES:
        raise _too_large()
    if hasattr(upload, "seek"):
        upload.seek(0)
    raw = upload.read(DOCUMENT_MAX_BYTES + 1) if hasattr(upload, "read") else bytes(upload)
    if len(raw) > DOCUMENT_MAX_BYTES:
        raise _too_large()
    name = getattr(upload, "name", "") or ""
    kind = sniff(raw, name)
    if kind is None:
        raise InvalidInput(
            _(
                "%(name)s is not an accepted document: only PDF, Word, plain text, "
                "JPEG or PNG files are accepted."
            )
            % {"name": _label(upload)},
            code="document_type",
        )
    extension, content_type = kind
    if content_type in ("image/jpeg", "image/png"):
        # A photographed report: re-encoded like any photo, so the phone's GPS
        # position and model (EXIF) are not published with it.
        from .photos import photo_prepare

        prepared = photo_prepare(ContentFile(raw, name=name))
        raw, extension, content_type = prepared.data, prepared.extension, prepared.content_type
    stem = os.path.splitext(os.path.basename(name))[0].strip() or "document"
    return CheckedDocument(raw, f"{stem[:80]}{extension}", content_type)


def _too_large() -> InvalidInput:
    return InvalidInput(
        _("The document is larger than %(mb)d MB.") % {"mb": DOCUMENT_MAX_MB},
        code="document_too_large",
    )
