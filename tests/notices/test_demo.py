"""The small demo has a city notice and an urgent flood alert of 大瑶镇 with deliveries,
some of them the representatives' contacts of this week."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from linli.core.crypto import blind_index
from linli.duties.models import ContactLog, FiveRole
from linli.notices import demo
from linli.notices.models import Delivery, Notice

pytestmark = pytest.mark.django_db


def test_small_demo_has_notices_with_deliveries(reference_data):
    call_command("demo_data", "small", stdout=io.StringIO())
    city, flood = Notice.objects.order_by("pk")
    assert city.unit.depth == 1 and not city.urgent
    assert flood.unit.name == "大瑶镇" and flood.urgent and flood.remind_after == 6
    deliveries = Delivery.objects.filter(notice=flood)
    assert deliveries.count() > 10
    assert not Delivery.objects.filter(notice=city).exists()
    assert {d.method for d in deliveries} == {"phone", "online", "in_person"}
    assert ContactLog.objects.filter(role=FiveRole.PUBLICIST).exists()
    demo_rep = deliveries.filter(representative__user__phone_hash=blind_index(demo.REP_PHONE))
    assert demo_rep.exists()
    assert demo.seed(progress=lambda _m: None) == 0  # once
