"""The deliberation pages: the list (filters, paging, Excel), an item's page and its
actions, proposing, the appeal groups, the rule, the catalogue, undeliberated
decisions, and the public board (no login)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from linli.accounts.models import AuditLog
from linli.deliberation import services
from linli.deliberation.models import (
    Comment,
    Item,
    ItemAppeal,
    Matter,
    SkippedDeliberation,
    Stage,
    VotingRule,
)
from tests.support import factories as base
from tests.support.queries import assert_queries_flat

from . import factories

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def test_the_list_pages_filters_and_exports(client, county, village_cadre):
    factories.item(county, village_cadre, title="村道硬化")
    withdrawn = factories.item(county, village_cadre, title="旧事项")
    services.item_withdraw(actor=village_cadre, item=withdrawn, note="重复")
    client.force_login(village_cadre)
    page = client.get(reverse("deliberation:list"), **ZH)
    text = page.content.decode()
    assert page.status_code == 200 and "议事清单" in text
    assert "村道硬化" in text and "旧事项" in text
    only = client.get(reverse("deliberation:list"), {"stage": "withdrawn"}, HTTP_HX_REQUEST="true")
    assert "旧事项" in only.content.decode() and "村道硬化" not in only.content.decode()
    assert "<html" not in only.content.decode()  # the htmx swap: rows only
    export = client.get(reverse("deliberation:export"), {"stage": "proposed"})
    book = load_workbook(io.BytesIO(b"".join(export.streaming_content)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and [r[2] for r in rows[1:]] == ["村道硬化"]
    assert AuditLog.objects.filter(action="export.deliberation").exists()


def test_the_list_does_not_query_per_item(client, county, village_cadre):
    client.force_login(village_cadre)
    meeting = factories.meeting(county.village_a)

    def build(n):
        for _ in range(n):
            item = factories.item(county, village_cadre)
            services.item_schedule(actor=village_cadre, item=item, meeting=meeting)

    assert_queries_flat(build, lambda: client.get(reverse("deliberation:list")))


def test_an_item_taken_through_its_page(client, county, village_cadre, seven_reps):
    client.force_login(village_cadre)
    response = client.post(
        reverse("deliberation:new"), {"unit": county.village_a.pk, "title": "修建文化广场"}
    )
    item = Item.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/items/{item.pk}/")
    meeting = factories.meeting(county.village_a)
    detail = client.get(reverse("deliberation:detail", kwargs={"pk": item.pk}), **ZH)
    assert "列入议事会议程" in detail.content.decode()

    def act(action, **data):
        url = reverse("deliberation:act", kwargs={"pk": item.pk, "action": action})
        return client.post(url, data, follow=True, **ZH)

    act("schedule", meeting=meeting.pk)
    act("discuss", note="讨论")
    # A vote that does not add up is refused with a message; nothing changes
    refused = act("vote", present=6, votes_for=5, votes_against=2, votes_abstain=0)
    assert "合计超过了实到人数" in refused.content.decode()
    assert Item.objects.get().stage == Stage.DISCUSSED
    # A hostile value is the form's error, not a 500
    assert (
        act("vote", present="1e9", votes_for=0, votes_against=0, votes_abstain=0).status_code == 200
    )
    act("vote", present=6, votes_for=5, votes_against=1, votes_abstain=0)
    act("decide", decision="同意")
    act("progress", note="动工", photos=[base.upload()])
    act("complete", note="完工")
    act("publish", notice_days=10)
    item.refresh_from_db()
    assert item.stage == Stage.PUBLISHED and item.photos.count() == 1
    assert (item.published_until - item.published_at).days == 10
    # A stale version is refused
    stale = client.post(
        reverse("deliberation:act", kwargs={"pk": item.pk, "action": "publish"}),
        {"notice_days": 3, "version": 1},
        follow=True,
        **ZH,
    )
    assert "已被他人修改" in stale.content.decode()
    assert act("nonsense").status_code == 404


def test_appeal_groups_page_proposes_in_one_step(client, county, village_cadre):
    appeals = [base.appeal(county.households_a[i], address="一组水渠") for i in range(3)]
    client.force_login(village_cadre)
    page = client.get(reverse("deliberation:groups"), {"unit": county.village_a.pk}, **ZH)
    text = page.content.decode()
    assert page.status_code == 200 and "3 件诉求" in text
    assert all(a.code in text for a in appeals)
    response = client.post(
        reverse("deliberation:group_propose"),
        {
            "unit": county.village_a.pk,
            "appeals": [a.pk for a in appeals],
            "title": "清淤一组水渠",
        },
    )
    item = Item.objects.get()
    assert response.status_code == 302 and item.source == "appeals"
    assert ItemAppeal.objects.filter(item=item).count() == 3
    # An appeal of another village is 404, and nothing is proposed
    other = base.appeal(county.households_b[0], address="佳成村")
    response = client.post(
        reverse("deliberation:group_propose"),
        {"unit": county.village_a.pk, "appeals": [other.pk], "title": "x"},
    )
    assert response.status_code == 404 and Item.objects.count() == 1


def test_rule_catalogue_and_skipped_pages(client, county, village_cadre, town_cadre):
    client.force_login(village_cadre)
    rule_url = reverse("deliberation:rule") + f"?unit={county.village_a.pk}"
    assert "2/3" in client.get(rule_url).content.decode()
    response = client.post(
        rule_url, {"quorum_num": 3, "quorum_den": 4, "majority_num": 1, "majority_den": 2}
    )
    assert response.status_code == 302
    assert VotingRule.objects.get(unit=county.village_a).quorum_num == 3
    bad = client.post(
        rule_url, {"quorum_num": 5, "quorum_den": 4, "majority_num": 1, "majority_den": 2}
    )
    assert bad.status_code == 200 and VotingRule.objects.get().quorum_num == 3

    cat_url = reverse("deliberation:catalogue") + f"?unit={county.village_a.pk}"
    client.post(cat_url, {"code": "CT", "title": "祠堂修缮"})
    assert Matter.objects.get().unit == county.village_a
    # The village cadre sees the list of breaches but has no form
    assert "未经议事的决定" in client.get(reverse("deliberation:skipped"), **ZH).content.decode()
    assert client.post(reverse("deliberation:skipped"), {}).status_code == 404

    client.force_login(town_cadre)
    matter = services.matter_create(
        actor=town_cadre, unit=county.town_a, code="ZJ", title="集体资金使用"
    )
    response = client.post(
        reverse("deliberation:skipped"),
        {
            "unit": county.village_a.pk,
            "matter": matter.pk,
            "decided": "购置车辆",
            "decided_on": "2026-11-20",
            "photo": base.upload(),
        },
    )
    assert response.status_code == 302
    row = SkippedDeliberation.objects.get()
    assert row.photo
    assert (
        client.get(reverse("deliberation:skipped_photo", kwargs={"pk": row.pk})).status_code == 200
    )


def test_the_public_board_needs_no_login_and_stays_flat(client, county, village_cadre):
    url = reverse("deliberation:public_board", kwargs={"unit_id": county.town_a.pk})

    def build(n):
        for _ in range(n):
            item = factories.decided_item(county, village_cadre)
            services.item_complete(actor=village_cadre, item=item)
            item = services.item_publish(actor=village_cadre, item=item)
            services.comment_add(item=item, name="王", text="好", client=f"t{item.pk}")

    assert_queries_flat(build, lambda: client.get(url))
    assert Item.objects.filter(stage=Stage.PUBLISHED).count() == 6
    # Another town's board does not show them; a group's board is not a board
    other = client.get(reverse("deliberation:public_board", kwargs={"unit_id": county.town_b.pk}))
    assert "修缮一组村道" not in other.content.decode()
    group = reverse("deliberation:public_board", kwargs={"unit_id": county.group_a.pk})
    assert client.get(group).status_code == 404


def test_comments_hostile_input_and_hiding(client, county, village_cadre):
    item = factories.decided_item(county, village_cadre)
    services.item_complete(actor=village_cadre, item=item)
    item = services.item_publish(actor=village_cadre, item=item)
    url = reverse("deliberation:public_item", kwargs={"pk": item.pk})
    for data in ({"name": "王\x00", "text": "x"}, {"name": "王", "text": "x" * 1001}, {}):
        assert client.post(url, data).status_code == 400
    assert not Comment.objects.exists()
    client.post(url, {"name": "王", "text": "广告内容"})
    comment = Comment.objects.get()
    client.force_login(village_cadre)
    hide = reverse("deliberation:comment_hide", kwargs={"pk": comment.pk})
    assert client.post(hide, {"reason": "广告"}).status_code == 302
    comment.refresh_from_db()
    assert comment.hidden_at and comment.hidden_by == village_cadre
    assert AuditLog.objects.filter(action="deliberation.hide_comment").exists()
    client.logout()
    assert "广告内容" not in client.get(url).content.decode()


def test_the_catalogue_and_the_breaches_export(client, county, town_cadre, village_cadre):
    matter = services.matter_create(
        actor=town_cadre, unit=county.town_a, code="ZJ", title="集体资金使用"
    )
    services.matter_create(actor=village_cadre, unit=county.village_a, code="CT", title="祠堂")
    services.skipped_record(
        actor=town_cadre,
        unit=county.village_a,
        matter=matter,
        decided="购置车辆",
        decided_on=county.rep_a.term_start,
    )
    client.force_login(village_cadre)

    def cells(response):
        book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
        return [row for row in book.active.iter_rows(values_only=True)]

    rows = cells(
        client.get(reverse("deliberation:catalogue_export"), {"unit": county.village_a.pk})
    )
    assert [(r[0], r[4]) for r in rows[1:]] == [("ZJ", "上级"), ("CT", "本级")]
    rows = cells(client.get(reverse("deliberation:skipped_export")))
    assert rows[1][2] == "购置车辆"
    assert AuditLog.objects.filter(action="export.deliberation").count() == 2


def test_the_admin_shows_the_list_read_only(client, county, village_cadre, superuser):
    item = factories.item(county, village_cadre)
    client.force_login(superuser)
    for name in ("item", "matter", "votingrule", "vote", "comment", "skippeddeliberation"):
        assert client.get(reverse(f"admin:deliberation_{name}_changelist")).status_code == 200
    change = client.get(reverse("admin:deliberation_item_change", args=[item.pk]))
    assert change.status_code == 200 and "修缮一组村道" in change.content.decode()
    assert client.get(reverse("admin:deliberation_item_add")).status_code == 403


def test_a_vote_without_a_quorum_says_so_on_the_page(client, county, village_cadre, seven_reps):
    """Not a bare "saved": the cadre is told the quorum failed and what to do next."""
    client.force_login(village_cadre)
    item = factories.item(county, village_cadre)
    meeting = factories.meeting(county.village_a)
    services.item_schedule(actor=village_cadre, item=item, meeting=meeting)
    services.item_discuss(actor=village_cadre, item=item, note="讨论")
    url = reverse("deliberation:act", kwargs={"pk": item.pk, "action": "vote"})
    data = {"present": 2, "votes_for": 2, "votes_against": 0, "votes_abstain": 0}
    page = client.post(url, data, follow=True, **ZH).content.decode()
    assert "未达法定人数" in page and "请列入之后的议事会再表决" in page
    assert 'class="msg-warning"' in page


def test_the_agenda_of_a_meeting_and_the_meeting_in_local_time(client, county, village_cadre):
    client.force_login(village_cadre)
    meeting = factories.meeting(county.village_a, title="十二月议事会")
    on_it = factories.item(county, village_cadre, title="安装路灯")
    services.item_schedule(actor=village_cadre, item=on_it, meeting=meeting)
    factories.item(county, village_cadre, title="别的事项")
    page = client.get(reverse("deliberation:list"), {"meeting": meeting.pk}, **ZH)
    text = page.content.decode()
    assert page.status_code == 200 and "十二月议事会" in text
    assert "安装路灯" in text and "别的事项" not in text
    # The item links back to the meeting; the meeting is offered in local time.
    other = factories.item(county, village_cadre, title="待排事项")
    detail = client.get(reverse("deliberation:detail", kwargs={"pk": other.pk}), **ZH)
    local = timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")
    assert f"{local} 十二月议事会" in detail.content.decode()
    item = client.get(reverse("deliberation:detail", kwargs={"pk": on_it.pk})).content.decode()
    assert reverse("activities:detail", args=[meeting.pk]) in item
    # A meeting out of reach, or a bad id, is no agenda and no error.
    assert (
        "十二月议事会"
        not in client.get(reverse("deliberation:list"), {"meeting": 99999}).content.decode()
    )
    assert client.get(reverse("deliberation:list"), {"meeting": "x"}).status_code == 200
    assert client.get(reverse("deliberation:list"), {"meeting": "1\x00"}).status_code == 400
