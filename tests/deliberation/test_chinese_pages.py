"""Every deliberation page reads in Chinese: no English left untranslated (codes marked
`translate="no"` aside), as the browser sweep asks of the pages it visits."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from linli.deliberation import services
from tests.support import factories as base

from . import factories

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def visible(html):
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'translate="no"[^>]*>[^<]*', " ", html)
    text = re.sub(r"<[^>]+>", " ", html)
    return set(re.findall(r"[A-Za-z]{2,}", text))


def test_every_page_is_chinese(client, county, village_cadre, town_cadre, seven_reps):
    services.matter_create(actor=town_cadre, unit=county.town_a, code="ZJ", title="集体资金")
    base.appeal(county.households_a[0], address="一组")
    item = factories.decided_item(county, village_cadre)
    services.item_progress(actor=village_cadre, item=item, note="进展", photos=[base.upload()])
    services.item_complete(actor=village_cadre, item=item)
    item = services.item_publish(actor=village_cadre, item=item)
    services.comment_add(item=item, name="王", text="好", client="x")
    other = factories.item(county, village_cadre)
    client.force_login(town_cadre)
    urls = [
        reverse("deliberation:list"),
        reverse("deliberation:detail", kwargs={"pk": item.pk}),
        reverse("deliberation:detail", kwargs={"pk": other.pk}),
        reverse("deliberation:new"),
        reverse("deliberation:catalogue") + f"?unit={county.village_a.pk}",
        reverse("deliberation:rule") + f"?unit={county.village_a.pk}",
        reverse("deliberation:groups") + f"?unit={county.village_a.pk}",
        reverse("deliberation:skipped"),
        reverse("deliberation:public_board", kwargs={"unit_id": county.town_a.pk}),
        reverse("deliberation:public_item", kwargs={"pk": item.pk}),
    ]
    found = {}
    for url in urls:
        r = client.get(url, **ZH)
        assert r.status_code == 200, url
        words = visible(r.content.decode()) - {"Linli", "linli", "Excel"}
        if words:
            found[url] = words
    assert not found, found
