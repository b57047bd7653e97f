"""Appeals keep a copy of their origin's path; moving the unit rewrites it."""

from __future__ import annotations

from linli.appeals import selectors
from linli.appeals.models import Appeal
from linli.org import services as org_services


def test_moving_a_village_takes_its_appeals_to_the_new_town(actors, file_appeal, superuser):
    county = actors.county
    appeal = file_appeal()
    assert appeal.origin_path.startswith(county.village_a.path)

    org_services.unit_move(actor=superuser, unit=county.village_a, parent=county.town_b)

    appeal = Appeal.objects.get(pk=appeal.pk)
    village = type(county.village_a).objects.get(pk=county.village_a.pk)
    assert appeal.origin_path.startswith(village.path)
    assert selectors.appeals_visible_to(actors.fresh(actors.town_b)).filter(pk=appeal.pk).exists()
    assert not selectors.appeals_visible_to(actors.fresh(actors.town)).filter(pk=appeal.pk).exists()
