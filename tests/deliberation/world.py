"""The deliberation objects of the scope matrix's world (`tests/scope/world.py`): town
A's catalogue entry, one item at each stage in village A, a published item with a
progress photo and a comment, an undeliberated decision. Built by town A's cadre; two
representatives serve in village A (rep_a and representative_c)."""

from __future__ import annotations

from linli.core.timeutil import today
from linli.deliberation import services
from linli.deliberation.models import Stage
from tests.support.factories import upload

from . import factories

MATTER_TITLE = "公共工程ZM17"
ITEM_TITLE = "村道硬化ZI29"
PUBLISHED_TITLE = "公示事项ZP38"
COMMENT_TEXT = "评论ZC33"
SKIPPED_TEXT = "未经议事ZS44"


class DeliberationObjects:
    def __init__(self, w):
        actor = w.town_a
        village = w.county.village_a
        self.matter = services.matter_create(
            actor=actor, unit=w.county.town_a, code="ZM17", title=MATTER_TITLE
        )
        self.meeting = factories.meeting(village, days=2)
        self.later_meeting = factories.meeting(village, days=9)

        def new(title=ITEM_TITLE):
            return services.item_propose(actor=actor, unit=village, title=title, matter=self.matter)

        self.proposed = new()
        self.scheduled = services.item_schedule(actor=actor, item=new(), meeting=self.meeting)
        self.discussed = services.item_discuss(
            actor=actor,
            item=services.item_schedule(actor=actor, item=new(), meeting=self.meeting),
            note="讨论",
        )
        self.voted = self._vote(actor, new())
        self.decided = services.item_decide(
            actor=actor, item=self._vote(actor, new()), decision="同意"
        )
        self.completed = services.item_complete(
            actor=actor,
            item=services.item_decide(actor=actor, item=self._vote(actor, new()), decision="同意"),
        )
        published = services.item_decide(
            actor=actor, item=self._vote(actor, new(PUBLISHED_TITLE)), decision="同意"
        )
        published = services.item_progress(
            actor=actor, item=published, note="进展", photos=[upload()]
        )
        published = services.item_complete(actor=actor, item=published)
        self.published = services.item_publish(actor=actor, item=published)
        assert self.published.stage == Stage.PUBLISHED
        self.photo = self.published.photos.get()
        self.comment = services.comment_add(
            item=self.published, name="李大爷", text=COMMENT_TEXT, client="scope-world"
        )
        self.skipped = services.skipped_record(
            actor=actor,
            unit=village,
            matter=self.matter,
            decided=SKIPPED_TEXT,
            decided_on=today(),
            photo=upload(),
        )

    def _vote(self, actor, item):
        item = services.item_schedule(actor=actor, item=item, meeting=self.meeting)
        item = services.item_discuss(actor=actor, item=item, note="讨论")
        return services.item_vote(
            actor=actor, item=item, present=2, votes_for=2, votes_against=0, votes_abstain=0
        )
