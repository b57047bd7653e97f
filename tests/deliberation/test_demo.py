"""The demo list: the catalogue, items at several stages, one from an appeal group, one
published with comments, and an undeliberated decision, all through the services."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from linli.deliberation import demo
from linli.deliberation.models import Comment, Item, ItemAppeal, Matter, SkippedDeliberation, Stage
from linli.org import demo as org_demo
from linli.org.models import Unit

pytestmark = pytest.mark.django_db


def test_the_small_demo_has_a_deliberation_list():
    org_demo.build("small", seed=1, progress=lambda *_: None)
    made = demo.seed(progress=lambda *_: None)
    assert made >= 5
    assert Matter.objects.filter(unit__kind="town").count() == 5
    stages = set(Item.objects.values_list("stage", flat=True))
    assert {Stage.PROPOSED, Stage.SCHEDULED, Stage.IN_PROGRESS, Stage.PUBLISHED} <= stages
    assert ItemAppeal.objects.count() == 3
    assert Comment.objects.count() == 2
    assert SkippedDeliberation.objects.count() == 1
    # Seeding twice makes nothing more.
    assert demo.seed(progress=lambda *_: None) == 0
    town = Unit.objects.get(name="大瑶镇")
    page = Client().get(reverse("deliberation:public_board", kwargs={"unit_id": town.pk}))
    assert "修缮村小学围墙" in page.content.decode()
