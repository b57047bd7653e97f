"""The deliberation API: contract, the life through the API, refusals, the public board."""

from __future__ import annotations

import pytest

from linli.deliberation.models import Comment, Item, Stage, Vote
from tests.support import factories as base
from tests.support.api import ApiClient

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(village_cadre):
    return ApiClient(village_cadre)


def test_the_life_through_the_api(county, api, village_cadre, seven_reps):
    appeals = [base.appeal(county.households_a[i], address="一组村道") for i in range(2)]
    groups = api.get("/deliberation/appeal-groups", unit=county.village_a.pk)
    assert groups.status_code == 200
    group = groups.json()[0]
    assert group["size"] == 2 and group["item_ids"] == []
    created = api.post(
        "/deliberation/items",
        {
            "unit_id": county.village_a.pk,
            "title": "村道硬化",
            "appeal_ids": [a["id"] for a in group["appeals"]],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["stage"] == "proposed" and body["source"] == "appeals"
    assert sorted(body["appeals"]) == sorted(a.code for a in appeals)
    pk = body["id"]
    meeting = factories.meeting(county.village_a)
    r = api.post(f"/deliberation/items/{pk}/schedule", {"meeting_id": meeting.pk})
    assert r.status_code == 200 and r.json()["meeting"]["id"] == meeting.pk
    r = api.post(
        f"/deliberation/items/{pk}/discuss", {"note": "讨论", "version": r.json()["version"]}
    )
    assert r.status_code == 200
    # An old version is refused
    stale = api.post(f"/deliberation/items/{pk}/vote", {
        "present": 7, "votes_for": 7, "votes_against": 0, "votes_abstain": 0, "version": 1,
    })  # fmt: skip
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    r = api.post(f"/deliberation/items/{pk}/vote", {
        "present": 5, "votes_for": 2, "votes_against": 3, "votes_abstain": 0,
    })  # fmt: skip
    assert r.status_code == 200
    assert r.json()["stage"] == "voted" and r.json()["passed"] is False
    r = api.post(f"/deliberation/items/{pk}/decide", {"decision": "暂不实施"})
    assert r.json()["stage"] == "rejected"
    r = api.post(f"/deliberation/items/{pk}/publish", {"notice_days": 3})
    assert r.json()["stage"] == "published"
    detail = api.get(f"/deliberation/items/{pk}").json()
    assert [e["action"] for e in detail["events"]] == [
        "propose", "schedule", "discuss", "vote", "decide", "publish",
    ]  # fmt: skip
    assert detail["votes"][0]["quorum_met"] is True
    # The public board, anonymously
    anon = ApiClient()
    board = anon.get(f"/public/deliberation/boards/{county.town_a.pk}")
    assert board.status_code == 200 and [i["id"] for i in board.json()["items"]] == [pk]
    assert anon.get(f"/public/deliberation/items/{pk}").json()["decision"] == "暂不实施"
    posted = anon.post(f"/public/deliberation/items/{pk}/comments", {"name": "王", "text": "同意"})
    assert posted.status_code == 201
    comment = posted.json()["id"]
    r = api.post(f"/deliberation/comments/{comment}/hide", {"reason": "无关"})
    assert r.status_code == 200 and r.json()["hidden"] is True
    assert anon.get(f"/public/deliberation/items/{pk}").json()["comments"] == []


def test_vote_counts_are_checked(county, api, village_cadre, seven_reps):
    item = factories.item(county, village_cadre)
    from linli.deliberation import services

    services.item_schedule(
        actor=village_cadre, item=item, meeting=factories.meeting(county.village_a)
    )
    services.item_discuss(actor=village_cadre, item=item, note="讨论")
    url = f"/deliberation/items/{item.pk}/vote"
    for body, code in [
        ({"present": 8, "votes_for": 1, "votes_against": 0, "votes_abstain": 0}, "vote_present"),
        ({"present": 5, "votes_for": 4, "votes_against": 1, "votes_abstain": 1}, "vote_total"),
        ({"present": -1, "votes_for": 0, "votes_against": 0, "votes_abstain": 0}, "invalid"),
        ({"present": "五", "votes_for": 0, "votes_against": 0, "votes_abstain": 0}, "invalid"),
        ({"present": 2**40, "votes_for": 0, "votes_against": 0, "votes_abstain": 0}, "invalid"),
    ]:
        r = api.post(url, body)
        assert r.status_code == 400, (body, r.content)
        assert r.json()["code"] == code
    assert not Vote.objects.exists()
    assert Item.objects.get(pk=item.pk).stage == Stage.DISCUSSED


def test_steps_out_of_order_are_409(county, api, village_cadre):
    item = factories.item(county, village_cadre)
    r = api.post(f"/deliberation/items/{item.pk}/decide", {"decision": "x"})
    assert r.status_code == 409 and r.json()["code"] == "wrong_stage"


def test_hostile_text_is_400(county, api):
    for title in ["\x00", "a\x07b", "x" * 201, ""]:
        r = api.post("/deliberation/items", {"unit_id": county.village_a.pk, "title": title})
        assert r.status_code == 400, (title, r.content)
    r = api.post("/deliberation/items", {"unit_id": 2**63, "title": "x"})
    assert r.status_code == 400
    assert not Item.objects.exists()
    anon = ApiClient()
    assert anon.get("/public/deliberation/boards/99999999").status_code == 404


def test_comments_are_throttled(county, village_cadre):
    item = factories.decided_item(county, village_cadre, passed=False)
    from linli.deliberation import services

    services.item_publish(actor=village_cadre, item=item)
    anon = ApiClient()
    answers = [
        anon.post(
            f"/public/deliberation/items/{item.pk}/comments", {"name": "王", "text": f"第{i}条"}
        )
        for i in range(6)
    ]
    assert [a.status_code for a in answers] == [201] * 5 + [429]
    assert Comment.objects.count() == 5


def test_an_unpublished_item_is_not_public(county, village_cadre):
    item = factories.item(county, village_cadre)
    anon = ApiClient()
    assert anon.get(f"/public/deliberation/items/{item.pk}").status_code == 404
    r = anon.post(f"/public/deliberation/items/{item.pk}/comments", {"name": "王", "text": "x"})
    assert r.status_code == 404


def test_rule_and_catalogue(county, api, town_cadre, village_cadre):
    town = ApiClient(town_cadre)
    r = town.post(
        "/deliberation/matters",
        {"unit_id": county.town_a.pk, "code": "T1", "title": "村级公共工程建设"},
    )
    assert r.status_code == 201
    town_matter = r.json()["id"]
    r = api.post(
        "/deliberation/matters",
        {"unit_id": county.village_a.pk, "code": "V1", "title": "本村祠堂修缮"},
    )
    assert r.status_code == 201
    codes = [m["code"] for m in api.get("/deliberation/matters", unit=county.village_a.pk).json()]
    assert codes == ["T1", "V1"]
    # The village cannot retire its town's entry, nor reuse its code
    assert api.post(f"/deliberation/matters/{town_matter}/retire").status_code == 403
    dup = api.post(
        "/deliberation/matters", {"unit_id": county.village_a.pk, "code": "T1", "title": "x"}
    )
    assert dup.status_code == 409
    # The rule
    r = api.get(f"/deliberation/rules/{county.village_a.pk}").json()
    assert (r["quorum_num"], r["quorum_den"], r["default"]) == (2, 3, True)
    r = api.send("PUT", f"/deliberation/rules/{county.village_a.pk}", {
        "quorum_num": 3, "quorum_den": 4, "majority_num": 1, "majority_den": 2,
    })  # fmt: skip
    assert r.status_code == 200 and r.json()["default"] is False
    bad = api.send("PUT", f"/deliberation/rules/{county.village_a.pk}", {
        "quorum_num": 3, "quorum_den": 2, "majority_num": 1, "majority_den": 2,
    })  # fmt: skip
    assert bad.status_code == 400 and bad.json()["code"] == "rule_quorum"


def test_a_retried_proposal_is_made_once(county, api):
    body = {"unit_id": county.village_a.pk, "title": "重试的提议"}
    headers = {**api.headers, "Idempotency-Key": "b7d0c3c2-8a34-4f0e-9d61-3a1f0c2e7b11"}

    def send():
        return api.client.post(
            "/api/v1/deliberation/items", body, content_type="application/json", headers=headers
        )

    first, again = send(), send()
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content
    assert Item.objects.count() == 1
