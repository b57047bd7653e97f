"""Town A's responsibility lists for the scope matrix (`tests/scope/world.py` builds
them): the city's default list, town A's published version and its open draft."""

from __future__ import annotations

import datetime as dt

from linli.charter import demo, services

# Text that belongs to town A's lists only; strangers must never be shown it.
CHARTER_TITLE = "大瑶镇责权清单ZC10"
CHARTER_ENTRY = "甲镇责权ZC11"
DRAFT_ENTRY = "甲镇草稿ZC12"


class CharterWorld:
    def __init__(self, w):
        c, su, day = w.county, w.superuser, w.today
        self.city_list = demo.publish_city_defaults(su, c.city, day.replace(month=1, day=1))
        town = services.charter_draft_create(
            actor=w.town_a,
            unit=c.town_a,
            title=CHARTER_TITLE,
            effective_from=self.city_list.effective_from,
        )
        services.charter_entry_add(
            actor=w.town_a, version=town, code="right-fund", kind="right", floor=300
        )
        services.charter_entry_add(
            actor=w.town_a, version=town, code="town-a", kind="responsibility", title=CHARTER_ENTRY
        )
        self.town_list = services.charter_publish(actor=w.town_a, version=town)
        self.draft = services.charter_draft_create(
            actor=w.town_a,
            unit=c.town_a,
            title="大瑶镇草稿",
            effective_from=day + dt.timedelta(days=1),
        )
        self.draft_entry = services.charter_entry_add(
            actor=w.town_a, version=self.draft, code="town-draft", kind="right", title=DRAFT_ENTRY
        )
        self.draft_spare = self.draft.entries.get(code="town-a")
        self.next_day = (day + dt.timedelta(days=2)).isoformat()
