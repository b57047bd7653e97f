"""The notice pages: the list with filters and export, the publish form, one notice with
its reach (the htmx refresh) and, for a representative, the checklist: one tap per
household, or the ticked ones at once as reached online. Hostile input is a form error,
never a 500."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from linli.notices import services
from linli.notices.models import Delivery, Notice

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
HTMX = {"HTTP_HX_REQUEST": "true", **ZH}


def page(client, user, name, *args, query: str = "", **kw):
    client.force_login(user)
    url = reverse(name, args=args) + (f"?{query}" if query else "")
    return client.get(url, **{**ZH, **kw})


def test_list_filters_pages_and_exports(client, town, publish):
    publish(kind="policy", title="医保缴费政策")
    publish(kind="flood", title="防汛预警：强降雨")
    body = page(client, town.cadre, "notices:list").content.decode()
    assert "医保缴费政策" in body and "防汛预警：强降雨" in body and "发布通知" in body
    body = page(client, town.cadre, "notices:list", query="kind=flood").content.decode()
    assert "医保缴费政策" not in body and "防汛预警：强降雨" in body
    r = page(client, town.cadre, "notices:export", query="kind=policy")
    book = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("发布单位", "类别", "标题")
    assert [r[2] for r in rows[1:]] == ["医保缴费政策"]
    # Unknown filters are ignored; a control character is a 400; never a 500.
    r = page(
        client, town.cadre, "notices:list", query="kind=x&status=y&q=" + "长" * 300 + "&page=abc"
    )
    assert r.status_code == 200
    assert page(client, town.cadre, "notices:list", query="q=%00").status_code == 400


def test_representative_sees_their_progress_and_no_publish_button(client, town, publish):
    notice = publish()
    services.delivery_record(
        actor=town.user_a, notice=notice, household=town.county.households_a[0], method="phone"
    )
    body = page(client, town.user_a, "notices:list").content.decode()
    assert "共6户，还有5户未送达" in body
    assert "发布通知" not in body
    assert page(client, town.user_a, "notices:new").status_code == 403


def test_publish_form(client, town):
    client.force_login(town.cadre)
    form = client.get(reverse("notices:new"), **ZH).content.decode()
    assert "大瑶镇" in form and "永和镇" not in form
    r = client.post(
        reverse("notices:new"),
        {"unit": town.village_c.pk, "kind": "vaccination", "title": "流感疫苗", "body": "正文"},
    )
    notice = Notice.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("notices:detail", args=[notice.pk])
    assert notice.unit == town.village_c and notice.published_by == town.cadre
    # Urgent without hours, a unit of another town, a NUL: the form again, nothing written.
    for data in (
        {"unit": town.town.pk, "kind": "flood", "title": "紧急", "urgent": "on"},
        {"unit": town.county.town_b.pk, "kind": "policy", "title": "外镇"},
        {"unit": town.town.pk, "kind": "policy", "title": "坏\x07"},
        {"unit": "9" * 30, "kind": "policy", "title": "大号"},
        {
            "unit": town.town.pk,
            "kind": "policy",
            "title": "钟",
            "urgent": "on",
            "remind_after": "x",
        },
    ):
        r = client.post(reverse("notices:new"), data, **ZH)
        assert r.status_code == 200, data
    r = client.post(reverse("notices:new"), {"unit": town.town.pk, "title": "坏\x00"}, **ZH)
    assert r.status_code == 400  # a NUL never reaches the form
    assert Notice.objects.count() == 1


def test_cadre_sees_the_reach_table_refreshed_by_htmx(client, town, publish):
    notice = publish()
    services.delivery_record(
        actor=town.user_c, notice=notice, household=town.households_c[0], method="online"
    )
    body = page(client, town.cadre, "notices:detail", notice.pk).content.decode()
    assert 'id="reach-units"' in body and "白沙村" in body and "李畋村" in body
    assert 'hx-trigger="every 5s"' in body
    assert "1/12" in body
    services.delivery_record(
        actor=town.user_c, notice=notice, household=town.households_c[1], method="online"
    )
    fragment = page(client, town.cadre, "notices:reach", notice.pk, **HTMX).content.decode()
    assert fragment.startswith('<section id="reach"') and "2/12" in fragment
    # Down to a village: the representatives.
    body = page(
        client, town.cadre, "notices:detail", notice.pk, query=f"unit={town.village_c.pk}"
    ).content.decode()
    assert 'id="reach-reps"' in body and "白代表" in body
    # Another town's unit, a bad id: 404, not a 500.
    assert (
        page(
            client, town.cadre, "notices:detail", notice.pk, query=f"unit={town.county.town_b.pk}"
        ).status_code
        == 404
    )
    r = page(client, town.cadre, "notices:detail", notice.pk, query="unit=99999999999999999999")
    assert r.status_code == 200  # not an id: the default unit
    # Exports of the reach and of the deliveries.
    r = page(client, town.cadre, "notices:export_reach", notice.pk)
    book = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("单位", "户数", "已送达", "到达率(%)")
    assert ("白沙村", 5, 2, 40.0) in rows and ("大瑶镇（合计）", 12, 2, 16.7) in rows
    r = page(client, town.cadre, "notices:export_deliveries", notice.pk)
    book = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 3 and {r[1] for r in rows[1:]} == {"白0", "白1"}


def test_representative_checklist_one_tap_and_bulk(client, town, publish):
    notice = publish()
    client.force_login(town.user_a)
    body = client.get(reverse("notices:detail", args=[notice.pk]), **ZH).content.decode()
    assert 'id="checklist"' in body and "共6户，还有6户未送达" in body
    assert 'id="reach-units"' not in body  # a representative sees their list, not the table
    assert "白0" not in body  # another representative's households
    households = town.county.households_a
    r = client.post(
        reverse("notices:deliver", args=[notice.pk]),
        {"household": households[0].pk, "method": "in_person"},
        **HTMX,
    )
    fragment = r.content.decode()
    assert fragment.startswith('<section id="checklist"') and "已记录送达" in fragment
    assert f'id="reach-{households[0].pk}"' not in fragment
    assert Delivery.objects.get().contact is not None
    r = client.post(
        reverse("notices:deliver_bulk", args=[notice.pk]),
        {"households": [households[1].pk, households[2].pk], "method": "online"},
        **HTMX,
    )
    assert "共6户，还有3户未送达" in r.content.decode()
    assert Delivery.objects.filter(method="online").count() == 2
    # Another's household, a hostile id, a bad method: the list's error, nothing written.
    for data in (
        {"household": town.households_c[0].pk, "method": "phone"},
        {"household": "abc", "method": "phone"},
        {"household": households[3].pk, "method": "pigeon"},
        {"household": "9" * 40, "method": "phone"},
    ):
        r = client.post(reverse("notices:deliver", args=[notice.pk]), data, **HTMX)
        assert r.status_code == 200 and "msg-error" in r.content.decode(), data
    r = client.post(
        reverse("notices:deliver_bulk", args=[notice.pk]),
        {"households": [town.households_c[0].pk]},
        **HTMX,
    )
    assert "msg-error" in r.content.decode()
    assert Delivery.objects.count() == 3
    # Without htmx: back to the notice.
    r = client.post(
        reverse("notices:deliver", args=[notice.pk]),
        {"household": households[3].pk, "method": "phone"},
    )
    assert r.status_code == 302


def test_withdraw_page(client, town, publish):
    notice = publish()
    client.force_login(town.village_cadre)
    r = client.post(reverse("notices:withdraw", args=[notice.pk]), {"reason": "村里撤"})
    assert r.status_code == 404  # may see it, not withdraw it
    client.force_login(town.cadre)
    r = client.post(reverse("notices:withdraw", args=[notice.pk]), {"reason": ""})
    assert r.status_code == 302
    assert Notice.objects.get().withdrawn_at is None
    r = client.post(reverse("notices:withdraw", args=[notice.pk]), {"reason": "内容有误"})
    notice.refresh_from_db()
    assert notice.withdrawn and notice.withdraw_reason == "内容有误"
    body = page(client, town.cadre, "notices:detail", notice.pk).content.decode()
    assert "内容有误" in body and "hx-trigger" not in body


def test_list_and_detail_queries_do_not_grow_with_the_rows(
    client, town, publish, django_assert_max_num_queries
):
    notices = [publish(title=f"通知{n}") for n in range(6)]
    for n in notices:
        services.delivery_record(
            actor=town.user_a, notice=n, household=town.county.households_a[0], method="online"
        )
    for user in (town.user_a, town.cadre):
        client.force_login(user)
        with django_assert_max_num_queries(20):
            assert client.get(reverse("notices:list"), **ZH).status_code == 200
        with django_assert_max_num_queries(25):
            assert (
                client.get(reverse("notices:detail", args=[notices[0].pk]), **ZH).status_code == 200
            )


def test_the_list_loads_its_tap_target_styles(client, county):
    """The titles of the list are 44px tap targets on a phone (notices.css)."""
    from linli.accounts.models import Role
    from tests.support.roles import make_user

    client.force_login(make_user("13700000091", "村干部", Role.VILLAGE, county.village_a))
    assert "linli/notices.css" in client.get(reverse("notices:list")).content.decode()
