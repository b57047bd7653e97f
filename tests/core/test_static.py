"""Static files: content-hashed names, served compressed with a far-future cache,
and the favicon and web-app icons linked from every page."""

from __future__ import annotations

import functools
import gzip
import io
import json
import re
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client, override_settings
from PIL import Image

from linli.core.management.commands import serve

ONE_YEAR = 365 * 24 * 3600
MANIFEST = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _max_age(response) -> int:
    match = re.search(r"max-age=(\d+)", response.get("Cache-Control", ""))
    return int(match.group(1)) if match else 0


def test_production_storage_is_hashed_and_compressed():
    # The suite itself runs on the plain storage (tests/conftest.py); this is what
    # linli.settings gives the server.
    from linli import settings as shipped

    assert shipped.STORAGES["staticfiles"] == MANIFEST
    assert not settings.DEBUG


@pytest.fixture(scope="module")
def collected_root(tmp_path_factory):
    """The production storage and a STATIC_ROOT of its own, collected as `serve`
    does on a fresh checkout (once, when the manifest is missing)."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(
        STATIC_ROOT=root, STORAGES={**settings.STORAGES, "staticfiles": MANIFEST}
    ):
        out = io.StringIO()
        # Without the admin's files and the charting library (1 MB): not needed here.
        quick = functools.partial(call_command, ignore_patterns=["admin", "echarts.min.js"])
        with mock.patch.object(serve, "call_command", quick):
            serve.Command(stdout=out).collect_static_once()
        assert "collecting the static files" in out.getvalue()
        assert (root / "staticfiles.json").exists()
        again = io.StringIO()
        serve.Command(stdout=again).collect_static_once()
        assert again.getvalue() == "", "collected once, not on every start"
        yield root


@pytest.fixture
def collected(collected_root):
    """A client whose WhiteNoise serves the collected files (it reads them when the
    client's handler starts)."""
    return Client()


@pytest.mark.django_db
def test_pages_name_hashed_static_files_served_gzipped_and_cached_for_a_year(collected):
    html = collected.get("/accounts/login/").content.decode()
    css = re.search(r'href="(/static/linli/app\.[0-9a-f]{12}\.css)"', html)
    assert css, "the stylesheet is linked by its content-hashed name"

    r = collected.get(css.group(1), HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert r.status_code == 200
    assert r["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in r["Vary"]
    assert "immutable" in r["Cache-Control"] and _max_age(r) >= ONE_YEAR
    original = open(finders.find("linli/app.css"), "rb").read()  # noqa: SIM115
    assert gzip.decompress(_body(r)) == original

    # A client that does not accept gzip gets the same file as it is.
    plain = collected.get(css.group(1))
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    assert _body(plain) == original

    # Names without the hash still answer (old pages, the manifest's icons), briefly cached.
    r = collected.get("/static/linli/app.css")
    assert r.status_code == 200 and _max_age(r) < ONE_YEAR


@pytest.mark.django_db
def test_every_page_links_the_favicon_and_the_web_app_manifest(collected):
    html = collected.get("/accounts/login/").content.decode()
    head = html[: html.index("</head>")]
    links = dict(re.findall(r'<link rel="(icon|apple-touch-icon|manifest)" href="([^"]+)"', head))
    assert set(links) == {"icon", "apple-touch-icon", "manifest"}
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', head)
    assert "/favicon.ico" in icons
    assert any(re.fullmatch(r"/static/linli/icons/favicon\.[0-9a-f]{12}\.svg", u) for u in icons)

    for url in [*icons, links["apple-touch-icon"]]:
        r = collected.get(url)
        assert r.status_code == 200, url
        assert r["Content-Type"].startswith("image/"), (url, r["Content-Type"])

    r = collected.get(links["manifest"])
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(_body(r))
    assert manifest["short_name"] == "邻里"
    base = links["manifest"].rsplit("/", 1)[0]
    sizes = {}
    for icon in manifest["icons"]:
        r = collected.get(f"{base}/{icon['src']}")
        assert r.status_code == 200, icon["src"]
        if icon["type"] == "image/png":
            sizes[icon["sizes"]] = Image.open(io.BytesIO(_body(r))).size
    assert sizes == {"192x192": (192, 192), "512x512": (512, 512)}


def test_favicon_ico_answers_at_the_site_root(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200
    assert r["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    image = Image.open(io.BytesIO(_body(r)))
    assert image.format == "ICO"
