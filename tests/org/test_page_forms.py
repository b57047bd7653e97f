"""Cadres build their own county from the pages: units, places, guard teams and
representatives, through the services (audited), in their scope only (issue 10, defect 13)."""

import pytest
from django.urls import reverse

from linli.accounts.models import AuditLog, Role
from linli.org.models import GuardTeam, GuardTeamMember, Member, Place, Representative, Unit


def beside(response, field: str, message: str) -> bool:
    """Is `message` shown in the form row of `field` (beside it, not only on top)?"""
    html = response.content.decode()
    start = html.find(f'id="id_{field}')
    assert start != -1, f"no field {field}"
    row_start = html.rfind('<div class="form-row', 0, start)
    row_end = html.find('<div class="form-row', start)
    if row_end == -1:
        row_end = html.find("actions-bar", start)
    return message in html[row_start:row_end]


def audits(action: str) -> int:
    return AuditLog.objects.filter(action=action).count()


@pytest.fixture
def cadre(county, user_in_town_a, client):
    """A village cadre of 李畋村, logged in."""
    user = user_in_town_a(Role.VILLAGE)
    client.force_login(user)
    return user


def test_the_unit_page_offers_the_forms_to_org_writers_only(county, user_in_town_a, client):
    client.force_login(user_in_town_a(Role.VILLAGE))
    page = client.get(reverse("org:unit_detail", args=[county.village_a.pk])).content.decode()
    for name in (
        "org:unit_child_create",
        "org:unit_rename",
        "org:place_create",
        "org:team_create",
        "org:team_member_add",
        "org:representative_appoint",
    ):
        assert reverse(name, args=[county.village_a.pk]) in page, name
    assert "添加下级单位" in page and "任命代表" in page
    rep_page = client.get(reverse("org:representative_detail", args=[county.rep_a.pk]))
    assert (
        reverse("org:representative_end_term", args=[county.rep_a.pk]) in rep_page.content.decode()
    )

    client.force_login(user_in_town_a(Role.GROUP_LEADER))
    page = client.get(reverse("org:unit_detail", args=[county.group_a.pk])).content.decode()
    assert "/rename/" not in page and "任命代表" not in page
    rep_page = client.get(reverse("org:representative_detail", args=[county.rep_a.pk]))
    assert "end-term" not in rep_page.content.decode()


@pytest.mark.parametrize("role", [Role.GROUP_LEADER, Role.AREA_LEADER, Role.REPRESENTATIVE])
def test_roles_without_org_write_rights_are_refused(role, county, user_in_town_a, client):
    client.force_login(user_in_town_a(role))
    before = Unit.objects.count(), AuditLog.objects.count()
    pk = county.group_a.pk
    assert client.get(reverse("org:unit_rename", args=[pk])).status_code == 403
    assert client.post(reverse("org:unit_rename", args=[pk]), {"name": "改名"}).status_code == 403
    post = client.post(reverse("org:unit_child_create", args=[pk]), {"kind": "group", "name": "x"})
    assert post.status_code == 403
    end = client.post(
        reverse("org:representative_end_term", args=[county.rep_a.pk]), {"reason": "x"}
    )
    assert end.status_code == 403
    assert (Unit.objects.count(), AuditLog.objects.count()) == before


def test_a_cadre_of_the_other_town_gets_404_and_writes_nothing(county, user_in_town_a, client):
    client.force_login(user_in_town_a(Role.TOWN))
    before = Place.objects.count(), AuditLog.objects.count()
    url = reverse("org:place_create", args=[county.village_b.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"kind": "school", "name": "外校"}).status_code == 404
    end = reverse("org:representative_end_term", args=[county.rep_b.pk])
    assert client.post(end, {"reason": "x"}).status_code == 404
    assert (Place.objects.count(), AuditLog.objects.count()) == before
    assert Representative.objects.get(pk=county.rep_b.pk).term_end is None


def test_add_a_unit_below_offers_only_the_kinds_that_fit(county, cadre, client):
    url = reverse("org:unit_child_create", args=[county.village_a.pk])
    form = client.get(url)
    assert form.status_code == 200
    text = form.content.decode()
    assert 'value="area"' in text and 'value="group"' in text
    assert 'value="village"' not in text and 'value="town"' not in text
    before = audits("unit.create")
    wrong_kind = client.post(url, {"kind": "village", "name": "新村"})
    assert wrong_kind.status_code == 400 and not Unit.objects.filter(name="新村").exists()
    clash = client.post(url, {"kind": "group", "name": "一组"})
    assert clash.status_code == 409 and beside(clash, "name", "李畋村下已有名为“一组”的单位")
    assert Unit.objects.filter(parent=county.village_a, name="一组").count() == 1
    bad_code = client.post(url, {"kind": "group", "name": "二组", "code": "12"})
    assert bad_code.status_code == 400 and not Unit.objects.filter(name="二组").exists()
    assert 'value="二组"' in bad_code.content.decode()  # the form comes back as it was left
    assert audits("unit.create") == before
    done = client.post(url, {"kind": "group", "name": "二组"}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("org:unit_detail", args=[county.village_a.pk])
    assert "下级单位已添加" in done.content.decode()
    assert Unit.objects.get(name="二组").parent_id == county.village_a.pk
    assert audits("unit.create") == before + 1
    # A group has nothing below it.
    assert client.get(reverse("org:unit_child_create", args=[county.group_a.pk])).status_code == 404


def test_rename_a_unit(county, cadre, client):
    url = reverse("org:unit_rename", args=[county.group_a.pk])
    assert 'value="一组"' in client.get(url).content.decode()
    blank = client.post(url, {"name": "  "})
    assert blank.status_code == 400 and beside(blank, "name", "这个字段是必填项")
    done = client.post(url, {"name": "东风组"}, follow=True)
    assert "名称已修改" in done.content.decode()
    assert Unit.objects.get(pk=county.group_a.pk).name == "东风组"
    assert AuditLog.objects.filter(action="unit.update", target_id=str(county.group_a.pk)).exists()


def test_the_village_cadre_cannot_rename_the_town_above(county, cadre, client):
    url = reverse("org:unit_rename", args=[county.town_a.pk])
    assert client.post(url, {"name": "改名镇"}).status_code == 404  # not theirs to see
    assert Unit.objects.get(pk=county.town_a.pk).name == "大瑶镇"


def test_seeing_a_unit_is_not_enough_to_change_it(county, client):
    """A town cadre of town B who leads group A sees group A but may not change it."""
    from linli.accounts.models import RoleAssignment
    from tests.support.roles import make_user

    user = make_user("13600009999", "两地干部", Role.TOWN, county.town_b)
    RoleAssignment.objects.create(user=user, role=Role.GROUP_LEADER, unit=county.group_a)
    client.force_login(user)
    assert client.get(reverse("org:unit_detail", args=[county.group_a.pk])).status_code == 200
    page = client.get(reverse("org:unit_detail", args=[county.group_a.pk])).content.decode()
    assert "/rename/" not in page
    before = AuditLog.objects.count()
    url = reverse("org:unit_rename", args=[county.group_a.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "改名组"}).status_code == 403
    place = reverse("org:place_create", args=[county.group_a.pk])
    assert client.post(place, {"kind": "school", "name": "越权校"}).status_code == 403
    end = reverse("org:representative_end_term", args=[county.rep_a.pk])
    assert client.post(end, {"reason": "越权"}).status_code == 403
    assert AuditLog.objects.count() == before
    assert Unit.objects.get(pk=county.group_a.pk).name == "一组"
    # Their own town stays theirs.
    own = client.post(reverse("org:unit_rename", args=[county.group_b.pk]), {"name": "大屋新组"})
    assert own.status_code == 302


def test_add_a_place_with_its_representative(county, cadre, client):
    url = reverse("org:place_create", args=[county.village_a.pk])
    form = client.get(url).content.decode()
    assert county.rep_a.name in form and county.rep_b.name not in form
    other = client.post(url, {"kind": "school", "name": "外校", "representative": county.rep_b.pk})
    assert other.status_code == 400 and beside(other, "representative", "选择一个有效的选项")
    assert not Place.objects.filter(name="外校").exists()
    bad_kind = client.post(url, {"kind": "castle", "name": "城堡"})
    assert bad_kind.status_code == 400 and "城堡" in bad_kind.content.decode()
    before = audits("place.create")
    done = client.post(
        url,
        {
            "kind": "hospital",
            "name": "李畋卫生室",
            "address": "李畋村口",
            "representative": county.rep_a.pk,
        },
    )
    assert done.status_code == 302
    place = Place.objects.get(name="李畋卫生室")
    assert place.unit_id == county.village_a.pk and place.representative_id == county.rep_a.pk
    assert place.address == "李畋村口" and audits("place.create") == before + 1


def test_create_a_guard_team_and_add_a_member(county, cadre, client):
    url = reverse("org:team_create", args=[county.village_a.pk])
    assert client.post(url, {"name": ""}).status_code == 400
    assert client.post(url, {"name": "x", "representatives": [county.rep_b.pk]}).status_code == 400
    assert not GuardTeam.objects.filter(name="x").exists()
    done = client.post(url, {"name": "一组守心团", "representatives": [county.rep_a.pk]})
    assert done.status_code == 302
    team = GuardTeam.objects.get(name="一组守心团")
    assert list(team.representatives.all()) == [county.rep_a]
    assert audits("team.create") == 3  # the two of the county, and this one

    add = reverse("org:team_member_add", args=[county.village_a.pk])
    form = client.get(add).content.decode()
    assert "一组守心团" in form and county.team_b.name not in form
    before = GuardTeamMember.objects.count()
    foreign = client.post(add, {"team": county.team_b.pk, "kind": "volunteer", "name": "外人"})
    assert foreign.status_code == 400
    bad_phone = client.post(
        add, {"team": team.pk, "kind": "volunteer", "name": "李志愿", "phone": "12345"}
    )
    assert bad_phone.status_code == 400 and 'value="李志愿"' in bad_phone.content.decode()
    assert beside(bad_phone, "phone", "手机号码无效")
    assert GuardTeamMember.objects.count() == before
    ok = client.post(
        add,
        {"team": team.pk, "kind": "npc_deputy", "name": "李代表", "phone": "13900002222"},
        follow=True,
    )
    assert "守心团成员已添加" in ok.content.decode()
    member = team.members.get()
    assert (member.name, member.kind) == ("李代表", "npc_deputy")
    assert AuditLog.objects.filter(action="team.member_add", target_id=str(member.pk)).exists()


def test_appoint_a_representative_and_end_the_term(county, cadre, client):
    from linli.org import services

    candidate = services.member_create(
        actor=county.superuser, household=county.households_a[3], name="李候选", relation="head"
    )
    url = reverse("org:representative_appoint", args=[county.village_a.pk])
    form = client.get(url).content.decode()
    # Residents of the village who do not serve yet; not the serving 李大祥, not town B.
    assert "李候选" in form and "李大祥" not in form and "刘生辉" not in form
    foreign = client.post(url, {"member": county.member_b.pk, "unit": county.group_a.pk})
    assert foreign.status_code == 400
    serving = Representative.objects.filter(term_end__isnull=True).count()
    before = audits("representative.appoint")
    done = client.post(
        url, {"member": candidate.pk, "unit": county.group_a.pk, "term_start": "2026-01-01"}
    )
    assert done.status_code == 302
    rep = Representative.objects.get(member=candidate)
    assert rep.unit_id == county.group_a.pk and str(rep.term_start) == "2026-01-01"
    assert audits("representative.appoint") == before + 1
    assert Representative.objects.filter(term_end__isnull=True).count() == serving + 1

    end = reverse("org:representative_end_term", args=[rep.pk])
    assert client.get(end).status_code == 200
    no_reason = client.post(end, {"reason": ""})
    assert no_reason.status_code == 400
    too_early = client.post(end, {"term_end": "2025-06-01", "reason": "迁出"})
    assert too_early.status_code == 400
    assert beside(too_early, "term_end", "任期结束日期不能早于开始日期")
    assert Representative.objects.get(pk=rep.pk).term_end is None
    ended = client.post(end, {"term_end": "2026-03-01", "reason": "迁出本村"}, follow=True)
    assert ended.redirect_chain[-1][0] == reverse("org:unit_detail", args=[county.group_a.pk])
    assert "李候选的任期已结束" in ended.content.decode()
    assert str(Representative.objects.get(pk=rep.pk).term_end) == "2026-03-01"
    log = AuditLog.objects.get(action="representative.end_term", target_id=str(rep.pk))
    assert log.detail["reason"] == "迁出本村"
    again = client.post(end, {"reason": "再次"})
    assert again.status_code == 409


def test_the_appointment_form_lists_a_few_residents_and_searches_the_village(
    county, cadre, client, monkeypatch
):
    from linli.org import services, views

    for n in range(4):
        services.member_create(
            actor=county.superuser,
            household=county.households_a[4],
            name=f"王{n}",
            relation="other",
        )
    monkeypatch.setattr(views, "MEMBER_CHOICES", 3)
    url = reverse("org:representative_appoint", args=[county.group_a.pk])
    first = client.get(url).content.decode()
    assert first.count("（李畋村一组4号）") == 3 and "仅列出前 3 位群众" in first
    found = client.get(url + "?q=王3").content.decode()
    assert "王3（" in found and "王0（" not in found and "仅列出前" not in found
    # Anyone of the village is accepted, listed or not; a bad choice keeps its search.
    chosen = Member.objects.get(name="王0")
    bad = client.post(
        url + "?q=王3", {"member": chosen.pk, "unit": county.group_a.pk, "term_start": "x"}
    )
    assert bad.status_code == 400 and "王0（" in bad.content.decode()
    assert 'value="王3"' in bad.content.decode()
    done = client.post(url + "?q=王3", {"member": chosen.pk, "unit": county.group_a.pk})
    assert done.status_code == 302 and Representative.objects.filter(member=chosen).exists()
