"""The charter pages: my list in force (print-friendly, exported), the versions and their
history, and the draft editor, whose refusals come back on the form with nothing
written."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from linli.accounts.models import AuditLog
from linli.charter.models import CharterEntry, CharterStatus, CharterVersion

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def page(client, user, name, *args, **params):
    client.force_login(user)
    return client.get(reverse(name, args=args), params, **ZH)


def test_a_representative_sees_the_merged_list_with_levels_and_duty_rules(
    client, county, people, town_list
):
    response = page(client, people.rep_a, "charter:mine")
    assert response.status_code == 200
    body = response.content.decode()
    assert "责权清单 · 一组" in body
    for text in ("每周联系联户", "每周与每户联系户联系 1 次", "参与睦邻邻里节", "服务群众专项资金"):
        assert text in body, text
    # The fund: 300 raised by the town, the city's 200 beside it; the town's supplement.
    assert "不少于 300 元/年" in body and "大瑶镇提高" in body and "（浏阳市：200）" in body
    assert "镇财政每年另行补助100元。" in body
    assert "data-print" in body and "linli/charter-print.js" in body
    # Town B's representative has the city's 200 and not town A's entry.
    other = page(client, people.rep_b, "charter:mine").content.decode()
    assert "不少于 200 元/年" in other and "参与睦邻邻里节" not in other


def test_the_list_on_an_earlier_day_and_for_a_unit_out_of_scope(client, county, people, town_list):
    body = page(client, people.rep_a, "charter:mine", day="2025-06-01").content.decode()
    assert "该日此处没有施行中的清单" in body
    assert page(client, people.rep_a, "charter:mine", unit=county.town_b.pk).status_code == 404
    assert page(client, people.rep_a, "charter:mine", unit="x").status_code == 404
    # A bad day falls back to today rather than failing.
    assert page(client, people.rep_a, "charter:mine", day="2026-02-30").status_code == 200


def test_the_list_exports_to_excel_and_is_audited(client, county, people, town_list):
    response = page(client, people.rep_a, "charter:export")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book["责权清单"].iter_rows(values_only=True))
    assert rows[0][:3] == ("类别", "编码", "名称")
    fund = next(r for r in rows if r[1] == "right-fund")
    assert fund[4] == 300 and fund[6] == "浏阳市" and fund[8] == "大瑶镇"
    assert len(rows) == 15
    assert AuditLog.objects.filter(action="export.charter", actor=people.rep_a).count() == 1


def test_versions_page_lists_history_and_exports(client, county, people, town_list):
    response = page(client, people.town_a, "charter:versions")
    body = response.content.decode()
    assert "大瑶镇村（居）民代表责权清单" in body and "村（居）民代表责权清单" in body
    export = page(client, people.town_a, "charter:versions_export")
    book = load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    assert [r[0] for r in book["版本"].iter_rows(min_row=2, values_only=True)] == [
        "浏阳市",
        "大瑶镇",
    ]
    assert len(list(book["条目"].iter_rows(min_row=2))) == 15
    # Representatives are not given the versions pages.
    assert page(client, people.rep_a, "charter:versions").status_code == 403


def test_a_version_shows_who_published_it_and_what_it_raised_and_added(
    client, county, people, town_list
):
    body = page(client, people.rep_a, "charter:version_detail", town_list.pk).content.decode()
    assert "由大瑶镇干部于" in body
    assert "数量下限由 200 提高到 300" in body and "新增" in body
    assert "继承自上级清单" in body and "在本草稿中补充" not in body


def test_a_town_cadre_drafts_extends_and_publishes_from_the_pages(
    client, county, people, city_list
):
    client.force_login(people.town_a)
    created = client.post(
        reverse("charter:versions"),
        {"unit": county.town_a.pk, "title": "大瑶镇清单", "effective_from": "2026-06-10"},
    )
    assert created.status_code == 302
    draft = CharterVersion.objects.get(unit=county.town_a)
    detail = client.get(reverse("charter:version_detail", args=[draft.pk]), **ZH).content.decode()
    assert "在本草稿中补充" in detail and "发布" in detail
    form = client.get(reverse("charter:entry_new", args=[draft.pk]), {"code": "right-fund"})
    assert 'value="right-fund"' in form.content.decode()
    # Lowering the fund comes back on the form, in Chinese, and writes nothing.
    refused = client.post(
        reverse("charter:entry_new", args=[draft.pk]),
        {"code": "right-fund", "kind": "right", "floor": "150"},
        **ZH,
    )
    assert refused.status_code == 400
    assert "下级只能提高，不能降低为 150" in refused.content.decode()
    assert not CharterEntry.objects.filter(version=draft).exists()
    ok = client.post(
        reverse("charter:entry_new", args=[draft.pk]),
        {"code": "right-fund", "kind": "right", "floor": "300", "floor_unit": ""},
    )
    assert ok.status_code == 302
    entry = CharterEntry.objects.get(version=draft)
    edited = client.post(
        reverse("charter:entry_edit", args=[entry.pk]),
        {"code": "right-fund", "kind": "right", "floor": "350", "text": "镇里补助"},
    )
    assert edited.status_code == 302
    entry.refresh_from_db()
    assert (entry.floor, entry.text) == (350, "镇里补助")
    published = client.post(reverse("charter:version_publish", args=[draft.pk]))
    assert published.status_code == 302
    draft.refresh_from_db()
    assert draft.status == CharterStatus.PUBLISHED and draft.published_by == people.town_a


def test_a_town_cadre_cannot_remove_a_city_entry_from_the_pages(client, county, people, city_list):
    client.force_login(people.town_a)
    contact = city_list.entries.get(code="contact")
    response = client.post(reverse("charter:entry_delete", args=[contact.pk]), **ZH, follow=True)
    assert "不能删除或修改" in response.content.decode()
    assert CharterEntry.objects.filter(pk=contact.pk).exists()
    assert client.get(reverse("charter:entry_edit", args=[contact.pk])).status_code == 404


def test_publishing_a_weakening_draft_shows_the_reason(client, county, people, city_list):
    client.force_login(people.town_a)
    client.post(
        reverse("charter:versions"),
        {"unit": county.town_a.pk, "title": "大瑶镇清单", "effective_from": "2026-06-10"},
    )
    draft = CharterVersion.objects.get(unit=county.town_a)
    CharterEntry.objects.create(version=draft, code="contact", kind="right")  # tampered
    detail = client.get(reverse("charter:version_detail", args=[draft.pk]), **ZH).content.decode()
    assert "发布将被拒绝" in detail and "不能将其改为权利" in detail
    response = client.post(reverse("charter:version_publish", args=[draft.pk]), **ZH, follow=True)
    assert "不能将其改为权利" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == CharterStatus.DRAFT


@pytest.mark.parametrize(
    "data",
    [
        {"code": "bad\x00", "kind": "right", "title": "t"},
        {"code": "ok", "kind": "nope", "title": "t"},
        {"code": "ok", "kind": "right", "title": "t", "floor": "99999999999999999999"},
        {"code": "ok", "kind": "right", "title": "t", "duty": "sleep"},
        {"code": "ok", "kind": "right", "title": "t" * 201},
    ],
)
def test_hostile_form_input_is_a_400(client, county, people, city_list, data):
    client.force_login(people.town_a)
    client.post(
        reverse("charter:versions"),
        {"unit": county.town_a.pk, "title": "草稿", "effective_from": "2026-06-10"},
    )
    draft = CharterVersion.objects.get(unit=county.town_a)
    response = client.post(reverse("charter:entry_new", args=[draft.pk]), data)
    assert response.status_code == 400
    assert not CharterEntry.objects.filter(version=draft).exists()


def test_a_draft_is_hidden_from_those_who_do_not_write_it(client, county, people, city_list):
    client.force_login(people.town_a)
    client.post(
        reverse("charter:versions"),
        {"unit": county.town_a.pk, "title": "草稿", "effective_from": "2026-06-10"},
    )
    draft = CharterVersion.objects.get(unit=county.town_a)
    for user in (people.village_a, people.rep_a, people.town_b):
        client.force_login(user)
        response = client.get(reverse("charter:version_detail", args=[draft.pk]))
        assert response.status_code == 404, user


def test_a_draft_title_and_date_are_changed_from_the_page(client, county, people, city_list):
    client.force_login(people.town_a)
    client.post(
        reverse("charter:versions"),
        {"unit": county.town_a.pk, "title": "草稿", "effective_from": "2026-06-10"},
    )
    draft = CharterVersion.objects.get(unit=county.town_a)
    url = reverse("charter:version_edit", args=[draft.pk])
    ok = client.post(url, {"title": "大瑶镇新清单", "effective_from": "2026-07-01", "note": "说明"})
    assert ok.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.effective_from.isoformat()) == ("大瑶镇新清单", "2026-07-01")
    audit = AuditLog.objects.count()
    bad = client.post(url, {"title": "", "effective_from": "9999-01-01"}, follow=True, **ZH)
    assert bad.status_code == 200 and AuditLog.objects.count() == audit
    draft.refresh_from_db()
    assert draft.title == "大瑶镇新清单"
    # Only those who write the list may change it.
    client.force_login(people.village_a)
    assert client.post(url, {"title": "村改", "effective_from": "2026-07-01"}).status_code == 404


def test_stored_formulas_and_control_characters_export_as_text(client, county, people, city_list):
    entry = city_list.entries.get(code="role-model")
    # Stored around the input layer (an old row, a bulk import): the export still holds it.
    CharterEntry.objects.filter(pk=entry.pk).update(title="=1+1", text="坏\x01字\x1b尾")
    response = page(client, people.rep_a, "charter:export")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    row = next(r for r in book["责权清单"].iter_rows(min_row=2) if r[1].value == "role-model")
    assert row[2].value == "=1+1" and row[2].data_type == "s"
    assert row[3].value == "坏\ufffd字\ufffd尾"


def test_a_representative_may_choose_the_lists_above_them(client, county, people, town_list):
    body = page(client, people.rep_a, "charter:mine").content.decode()
    for unit in (county.city, county.town_a, county.village_a, county.group_a):
        assert f'<option value="{unit.pk}"' in body, unit.name
    assert f'<option value="{county.town_b.pk}"' not in body
    city = page(client, people.rep_a, "charter:mine", unit=county.city.pk).content.decode()
    assert "不少于 200 元/年" in city and "参与睦邻邻里节" not in city


def test_a_superuser_without_a_role_sees_the_top_list(client, county, superuser, town_list):
    body = page(client, superuser, "charter:mine").content.decode()
    assert "责权清单 · 浏阳市" in body and f'<option value="{county.village_b.pk}"' in body
    assert page(client, superuser, "charter:versions").status_code == 200
