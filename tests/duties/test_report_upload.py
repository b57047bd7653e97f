"""A yearly report's document is judged by its content (PDF, Word, plain text, JPEG
or PNG, at most 20 MB), by the same check on the page and through the API, which
now takes the document in a multipart request."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from linli.core import documents
from linli.core.documents import document_check
from linli.core.errors import InvalidInput
from linli.core.timeutil import today
from linli.duties import services
from linli.duties.models import AnnualReport
from tests.duties.test_api import Api
from tests.support.factories import png_bytes
from tests.support.roles import Actors

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%report\n%%EOF\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def odt_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    return buf.getvalue()


def plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("evil.exe", EXE)
    return buf.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def actors(county):
    return Actors(county)


# --- the shared check ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,data,stored",
    [
        ("述职报告.pdf", PDF, "述职报告.pdf"),
        ("述职报告.docx", docx_bytes(), "述职报告.docx"),
        ("述职报告.doc", OLE2, "述职报告.doc"),
        ("述职报告.wps", OLE2, "述职报告.wps"),
        ("述职报告.odt", odt_bytes(), "述职报告.odt"),
        ("述职报告.txt", "一年来共联系群众三百余次。".encode(), "述职报告.txt"),
        ("述职报告.txt", "一年来共联系群众三百余次。".encode("gb18030"), "述职报告.txt"),
        ("现场.jpg", png_bytes(fmt="JPEG"), "现场.jpg"),
        ("现场.png", png_bytes(), "现场.png"),
        # The content decides, not the name: a PDF called .docx is stored as a PDF.
        ("述职报告.docx", PDF, "述职报告.pdf"),
        ("scan", png_bytes(), "scan.png"),
    ],
)
def test_accepted_documents_are_known_by_their_content(name, data, stored):
    checked = document_check(SimpleUploadedFile(name, data))
    assert checked.name == stored
    if stored.endswith((".jpg", ".png")):
        # Images are re-encoded (without metadata): the same kind of image.
        assert Image.open(io.BytesIO(checked.read())).format == Image.open(io.BytesIO(data)).format
    else:
        assert checked.read() == data


def test_a_photographed_report_loses_its_exif():
    raw = png_bytes(exif=True)
    assert Image.open(io.BytesIO(raw)).getexif()
    checked = document_check(SimpleUploadedFile("述职报告.jpg", raw))
    out = Image.open(io.BytesIO(checked.read()))
    assert checked.name == "述职报告.jpg" and out.format == "JPEG" and not out.getexif()


@pytest.mark.parametrize(
    "name,data",
    [
        ("述职报告.pdf", EXE),  # an executable named .pdf
        ("x.exe", b"MZ"),
        ("述职报告.docx", plain_zip()),  # a zip that is not a Word document
        ("述职报告.pdf", b""),
        ("page.txt", b"<html>\x00\x01</html>"),  # binary, named .txt
        ("notes.md", b"# plain text without the .txt name"),
        ("image.gif", b"GIF89a\x01\x00\x01\x00"),
    ],
)
def test_other_files_are_refused_whatever_their_name(name, data):
    with pytest.raises(InvalidInput) as err:
        document_check(SimpleUploadedFile(name, data))
    assert err.value.code == "document_type"
    assert "不是可接受的文件" in err.value.message


def test_a_document_over_20_mb_is_refused(monkeypatch):
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (20 * 2**20))
    with pytest.raises(InvalidInput) as err:
        document_check(big)
    assert err.value.code == "document_too_large" and "20 MB" in err.value.message
    # Read to the limit and no further, even when the upload does not say its size.
    monkeypatch.setattr(documents, "DOCUMENT_MAX_BYTES", 10)
    unsized = io.BytesIO(PDF)
    unsized.name = "x.pdf"
    with pytest.raises(InvalidInput) as err:
        document_check(unsized)
    assert err.value.code == "document_too_large"


def test_the_service_checks_the_document_and_a_correction_keeps_it(actors, media):
    county = actors.county
    base = {"actor": actors.rep, "representative": county.rep_a, "day": today()}
    with pytest.raises(InvalidInput) as err:
        services.report_log(**base, kind="residents", document=SimpleUploadedFile("r.pdf", EXE))
    assert err.value.code == "document_type"
    assert not AnnualReport.objects.exists() and not list(media.rglob("*.*"))

    report = services.report_log(
        **base, kind="residents", document=SimpleUploadedFile("r.pdf", PDF)
    )
    assert report.document.name.startswith(f"duties/reports/{today():%Y}/")
    fixed = services.report_log(**base, kind="residents", feedback="村民满意", supersedes=report)
    assert fixed.document.name == report.document.name


# --- the API -----------------------------------------------------------------------------------


def _multipart(user, payload: dict, **files):
    api = Api(user)
    return api.client.post(
        "/api/v1/duties/reports", {"payload": json.dumps(payload), **files}, headers=api.headers
    )


def test_api_records_a_report_with_a_document(actors):
    county = actors.county
    r = _multipart(
        actors.rep,
        {"kind": "committees", "day": today().isoformat(), "audience": "村两委"},
        document=SimpleUploadedFile("向两委报告.pdf", PDF, content_type="application/pdf"),
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["text"] == "" and body["document_url"]
    report = AnnualReport.objects.get(pk=body["id"])
    assert report.representative == county.rep_a and report.document.name.endswith(".pdf")
    client = Client()
    client.force_login(actors.rep)
    got = client.get(body["document_url"])
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF

    # A leader attaches one for their representative; text only still works as JSON.
    r = _multipart(
        actors.village,
        {"representative_id": county.rep_a.pk, "kind": "residents", "day": today().isoformat()},
        document=SimpleUploadedFile("述职.docx", docx_bytes()),
    )
    assert r.status_code == 201 and r.json()["document_url"].endswith("/document/")
    r = Api(actors.rep).post(
        "/duties/reports",
        {"kind": "residents", "day": today().isoformat(), "text": "述职全文"},
    )
    assert r.status_code == 201 and r.json()["document_url"] is None


def test_api_refuses_a_bad_document_with_400_in_chinese(actors, media):
    r = _multipart(
        actors.rep,
        {"kind": "residents", "day": today().isoformat()},
        document=SimpleUploadedFile("述职报告.pdf", EXE, content_type="application/pdf"),
    )
    assert r.status_code == 400
    assert r.json() == {
        "code": "document_type",
        "message": "述职报告.pdf 不是可接受的文件：只接受 PDF、Word、纯文本、JPEG 或 PNG 文件。",
    }
    # Neither text nor document: the usual refusal.
    r = _multipart(actors.rep, {"kind": "residents", "day": today().isoformat()})
    assert r.status_code == 400 and r.json()["code"] == "report_empty"
    assert not AnnualReport.objects.exists() and not list(media.rglob("*.*"))


# --- the page ----------------------------------------------------------------------------------


def test_page_form_uses_the_same_check(client, actors):
    county = actors.county
    client.force_login(actors.rep)
    data = {"representative": county.rep_a.pk, "kind": "residents", "day": today().isoformat()}
    page = client.get(reverse("duties:report_new")).content.decode()
    assert 'accept=".pdf' in page
    r = client.post(
        reverse("duties:report_new"), data | {"document": SimpleUploadedFile("r.pdf", EXE)}
    )
    assert r.status_code == 200 and "r.pdf 不是可接受的文件" in r.content.decode()
    assert not AnnualReport.objects.exists()
    # A scanned page named .pdf is taken for what it is: a PNG.
    r = client.post(
        reverse("duties:report_new"), data | {"document": SimpleUploadedFile("r.pdf", png_bytes())}
    )
    assert r.status_code == 302
    assert AnnualReport.objects.get().document.name.endswith(".png")
