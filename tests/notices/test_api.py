"""The notices API contract: publish (201), list and detail, reach per child unit, a
representative's households, deliveries one by one (201, then 200 for a repeat) and in
bulk, withdrawal (then 409), the same scope as the pages, and hostile input answered 400
with a code, never 500."""

from __future__ import annotations

import pytest

from linli.duties.models import ContactLog
from linli.notices.models import Delivery, Notice
from tests.support.api import ApiClient as Api

pytestmark = pytest.mark.django_db


def publish_api(town, **body):
    body = {"unit_id": town.town.pk, "kind": "vaccination", "title": "秋季流感疫苗接种", **body}
    return Api(town.cadre).post("/notices", body)


def test_publish_list_detail(town):
    r = publish_api(town, body="请到卫生院接种。")
    assert r.status_code == 201, r.content
    notice = r.json()
    assert notice["unit_name"] == "大瑶镇" and notice["kind"] == "vaccination"
    assert notice["withdrawn"] is False and notice["published_by"] == "大瑶镇干部"
    listed = Api(town.user_a).get("/notices").json()
    assert [n["id"] for n in listed["items"]] == [notice["id"]]
    assert listed["count"] == 1 and listed["page"] == 1
    assert Api(town.user_a).get(f"/notices/{notice['id']}").json()["title"] == "秋季流感疫苗接种"
    # Town B sees nothing of it.
    assert Api(town.cadre_b).get("/notices").json()["count"] == 0
    assert Api(town.cadre_b).get(f"/notices/{notice['id']}").status_code == 404
    assert Api(town.user_b).get(f"/notices/{notice['id']}").status_code == 404


def test_list_filters(town, publish):
    publish(kind="policy", title="医保缴费政策")
    flood = publish(kind="flood", title="防汛预警", urgent=True, remind_after=3)
    api = Api(town.cadre)
    assert [n["title"] for n in api.get("/notices", kind="flood").json()["items"]] == ["防汛预警"]
    assert api.get("/notices", urgent="true").json()["count"] == 1
    assert api.get("/notices", q="医保").json()["count"] == 1
    api.post(f"/notices/{flood.pk}/withdraw", {"reason": "险情解除"})
    assert api.get("/notices", status="withdrawn").json()["count"] == 1
    assert api.get("/notices", status="active").json()["count"] == 1
    assert api.get("/notices", unit=town.village_c.pk).json()["count"] == 2


def test_deliveries_reach_and_my_households(town, publish):
    notice = publish()
    rep = Api(town.user_a)
    households = town.county.households_a
    mine = rep.get(f"/notices/{notice.pk}/households").json()
    assert (mine["households"], mine["reached"], len(mine["to_reach"])) == (6, 0, 6)
    r = rep.post(
        f"/notices/{notice.pk}/deliveries", {"household_id": households[0].pk, "method": "phone"}
    )
    assert r.status_code == 201, r.content
    assert r.json()["contact_id"] == ContactLog.objects.get().pk
    again = rep.post(
        f"/notices/{notice.pk}/deliveries", {"household_id": households[0].pk, "method": "online"}
    )
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
    bulk = rep.post(
        f"/notices/{notice.pk}/deliveries/bulk",
        {"household_ids": [households[0].pk, households[1].pk, households[2].pk]},
    )
    assert bulk.status_code == 200, bulk.content
    assert (bulk.json()["recorded"], bulk.json()["already"]) == (2, 1)
    mine = rep.get(f"/notices/{notice.pk}/households").json()
    assert (mine["households"], mine["reached"], len(mine["to_reach"])) == (6, 3, 3)

    reach = Api(town.cadre).get(f"/notices/{notice.pk}/reach").json()
    assert reach["unit_name"] == "大瑶镇"
    assert [(c["name"], c["reached"], c["households"]) for c in reach["children"]] == [
        ("李畋村", 3, 7),
        ("白沙村", 0, 5),
    ]
    assert reach["total"]["percent"] == 25.0
    village = Api(town.cadre).get(f"/notices/{notice.pk}/reach", unit=town.village_a.pk).json()
    assert [(r["representative_id"], r["reached"]) for r in village["representatives"]] == [
        (town.rep_a.pk, 3)
    ]
    deliveries = Api(town.cadre).get(f"/notices/{notice.pk}/deliveries").json()
    assert deliveries["count"] == 3


def test_a_cadre_records_for_a_representative_of_their_town(town, publish):
    notice = publish()
    r = Api(town.cadre).post(
        f"/notices/{notice.pk}/deliveries",
        {"household_id": town.households_c[0].pk, "method": "in_person"},
    )
    assert r.status_code == 201, r.content
    assert r.json()["representative_id"] == town.rep_c.pk


def test_withdrawal_then_no_more_deliveries(town, publish):
    notice = publish()
    api = Api(town.cadre)
    r = api.post(f"/notices/{notice.pk}/withdraw", {"reason": "内容有误，另发"})
    assert r.status_code == 200 and r.json()["withdrawn"] is True
    assert api.post(f"/notices/{notice.pk}/withdraw", {"reason": "再撤"}).json()["code"] == (
        "already_withdrawn"
    )
    r = Api(town.user_a).post(
        f"/notices/{notice.pk}/deliveries",
        {"household_id": town.county.households_a[0].pk, "method": "phone"},
    )
    assert r.status_code == 409 and r.json()["code"] == "notice_withdrawn"
    assert not Delivery.objects.exists()


def test_scope_of_writes(town, publish):
    notice = publish()
    # A representative cannot record another's household (not theirs to see: 404).
    r = Api(town.user_a).post(
        f"/notices/{notice.pk}/deliveries",
        {"household_id": town.households_c[0].pk, "method": "phone"},
    )
    assert r.status_code == 404
    # A village cadre sees the town's notice but may not withdraw it, nor see the town's reach.
    village = Api(town.village_cadre)
    assert village.get(f"/notices/{notice.pk}").status_code == 200
    assert village.post(f"/notices/{notice.pk}/withdraw", {"reason": "x"}).status_code == 403
    assert village.get(f"/notices/{notice.pk}/reach").json()["unit_name"] == "李畋村"
    assert village.get(f"/notices/{notice.pk}/reach", unit=town.town.pk).status_code == 404
    # Publishing to a unit outside one's scope, or to a group: refused.
    assert publish_api(town, unit_id=town.county.town_b.pk).status_code == 404
    r = publish_api(town, unit_id=town.group_c.pk)
    assert r.status_code == 403 and r.json()["code"] == "not_your_unit"
    assert Api(town.user_a).post(
        "/notices", {"unit_id": town.county.group_a.pk, "kind": "policy", "title": "代表发"}
    ).status_code in (403, 404)
    assert Notice.objects.count() == 1


@pytest.mark.parametrize(
    "body,code",
    [
        ({"title": "坏\x00标题"}, "invalid"),
        ({"title": "换行\n标题"}, "invalid"),
        ({"title": ""}, "required"),
        ({"title": "长" * 201}, "invalid"),
        ({"kind": "rumour"}, "choice"),
        ({"urgent": True}, "remind_after"),
        ({"urgent": True, "remind_after": 500}, "remind_after"),
        ({"urgent": True, "remind_after": 10**9}, "invalid"),
        ({"unit_id": 2**70}, "invalid"),
        ({"unit_id": -1}, "invalid"),
        ({"body": "\ud800"}, "invalid"),
    ],
)
def test_hostile_publish_is_a_400(town, body, code):
    r = publish_api(town, **body)
    assert r.status_code == 400, r.content
    assert r.json()["code"] == code
    assert not Notice.objects.exists()


@pytest.mark.parametrize(
    "path,body",
    [
        ("deliveries", {"household_id": 2**70, "method": "phone"}),
        ("deliveries", {"household_id": 1, "method": "pigeon" * 10}),
        ("deliveries", {"household_id": "一", "method": "phone"}),
        ("deliveries/bulk", {"household_ids": []}),
        ("deliveries/bulk", {"household_ids": list(range(1, 502))}),
        ("deliveries/bulk", {"household_ids": [1], "method": "pigeon"}),
        ("withdraw", {"reason": "\x07"}),
        ("withdraw", {"reason": "长" * 501}),
    ],
)
def test_hostile_delivery_input_is_a_400(town, publish, path, body):
    notice = publish()
    household = town.county.households_a[0]
    if body.get("household_ids") == [1]:
        body["household_ids"] = [household.pk]
    if body.get("household_id") == 1:
        body["household_id"] = household.pk
    r = Api(town.cadre).post(f"/notices/{notice.pk}/{path}", body)
    assert r.status_code == 400, r.content
    assert set(r.json()) >= {"code", "message"}
    assert not Delivery.objects.exists()
    assert Notice.objects.get().withdrawn_at is None


def test_unknown_ids_are_404(town):
    api = Api(town.cadre)
    assert api.get("/notices/999999").status_code == 404
    assert api.get(f"/notices/{2**70}").status_code == 400
