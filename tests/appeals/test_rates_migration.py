"""Migration 0005 fills what the honest rates read from the timeline that exists: the
highest level each appeal reached, "not on time" for appeals resolved more than once,
and a rating event for a rating kept only on the appeal."""

from __future__ import annotations

import pytest

from tests.support.migrations import latest, migrate_to

BEFORE = [("appeals", "0004_encrypt_personal_data")]
AFTER = [("appeals", "0005_reached_level_and_rating_events")]


@pytest.mark.django_db(transaction=True)
def test_the_backfill_reads_the_timeline():
    old = migrate_to(BEFORE)
    try:
        Unit = old.get_model("org", "Unit")
        Category = old.get_model("appeals", "Category")
        Appeal = old.get_model("appeals", "Appeal")
        Event = old.get_model("appeals", "AppealEvent")
        city = Unit.objects.create(path="0001", depth=1, kind="city", name="浏阳市")
        town = Unit.objects.create(path="00010001", depth=2, kind="town", name="镇", parent=city)
        top = Category.objects.create(code="t-top", name="设施", kind="appeal")
        cat = Category.objects.create(code="t-sub", name="井盖", kind="appeal", parent=top)

        def appeal(code, **kw):
            fields = dict(
                code=code, kind="appeal", category=cat, title="井盖", description="井盖松动",
                urgency="normal", channel="hotline", status="closed", level="group",
                unit=town, origin_unit=town, origin_path=town.path,
            )  # fmt: skip
            fields.update(kw)
            return Appeal.objects.create(**fields)

        def event(a, action, level="group", **data):
            Event.objects.create(appeal=a, action=action, level=level, unit=town, data=data)

        # Rated 4 with no rating event (set by hand).
        appeal("A1", rating=4)
        # Filed at the group, escalated to the town, returned to the village, resolved
        # there twice (reopened in between), rated 2 then 5.
        moved = appeal(
            "A2", level="village", resolved_level="village", resolved_on_time=True, rating=5
        )
        event(moved, "file")
        event(moved, "escalate", to_level="village")
        event(moved, "escalate", "village", to_level="town")
        event(moved, "return", "town", to_level="village")
        event(moved, "resolve", "village")
        event(moved, "rate", "village", rating=2, reopened=True)
        event(moved, "resolve", "village")
        event(moved, "rate", "village", rating=5)
        # Filed at the village (a hotline call), never moved, resolved once.
        plain = appeal("A3", level="village", resolved_level="village", resolved_on_time=True)
        event(plain, "file", "village")
        event(plain, "resolve", "village")

        new = migrate_to(AFTER)
        Appeal = new.get_model("appeals", "Appeal")
        Event = new.get_model("appeals", "AppealEvent")
        got = {
            a.code: (a.reached_level, a.resolved_on_time)
            for a in Appeal.objects.only("code", "reached_level", "resolved_on_time")
        }
        assert got == {
            "A1": ("group", None),
            "A2": ("town", False),
            "A3": ("village", True),
        }
        ratings = {
            code: [e.data["rating"] for e in Event.objects.filter(appeal__code=code, action="rate")]
            for code in ("A1", "A2", "A3")
        }
        assert ratings == {"A1": [4], "A2": [2, 5], "A3": []}
        assert Event.objects.get(appeal__code="A1", action="rate").data["backfilled"] is True
    finally:
        migrate_to(latest())
