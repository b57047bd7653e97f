"""Pages: each role in town A sees nothing of town B, lists page and filter."""

import pytest
from django.urls import resolve, reverse

from linli.accounts.models import AuditLog, Role
from linli.dashboard.menu import menu_for
from tests.support import factories
from tests.support.queries import assert_queries_flat
from tests.support.roles import ROLES


def detail_urls_of_town_b(county):
    return [
        reverse("org:unit_detail", args=[county.town_b.pk]),
        reverse("org:unit_detail", args=[county.village_b.pk]),
        reverse("org:unit_children", args=[county.town_b.pk]),
        reverse("org:household_detail", args=[county.households_b[0].pk]),
        reverse("org:representative_detail", args=[county.rep_b.pk]),
        reverse("org:coverage") + f"?unit={county.village_b.pk}",
        reverse("org:household_list") + f"?unit={county.town_b.pk}",
    ]


LIST_URLS = [
    "home",
    "org:unit_tree",
    "org:household_list",
    "org:representative_list",
    "org:coverage",
]
TOWN_B_NAMES = ["永和镇", "佳成村", "刘1", "刘生辉", "佳成村卫生室"]


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_user_of_town_a_sees_nothing_of_town_b_in_pages(role, county, user_in_town_a, client):
    user = user_in_town_a(role)
    client.force_login(user)
    shown = {link.url_name for link in menu_for(user)}
    for url in detail_urls_of_town_b(county):
        match = resolve(url.split("?")[0])
        refused = match.view_name in LIST_URLS and match.view_name not in shown
        assert client.get(url).status_code == (403 if refused else 404), url
    for name in LIST_URLS:
        response = client.get(reverse(name))
        # A page left out of the role's menu refuses it (tests/dashboard/test_menu.py).
        assert response.status_code == (200 if name in shown else 403), name
        body = response.content.decode()
        for other in TOWN_B_NAMES:
            assert other not in body, (name, other)
    post = client.post(
        reverse("org:household_link", args=[county.households_b[6].pk]),
        {"representative": county.rep_b.pk, "reason": "x"},
    )
    assert post.status_code == 404
    assert client.post(reverse("org:member_reveal", args=[county.member_b.pk])).status_code == 404


def test_representative_sees_only_own_households(county, user_in_town_a, client):
    client.force_login(user_in_town_a(Role.REPRESENTATIVE))
    body = client.get(reverse("org:household_list")).content.decode()
    assert "李0" in body and "李5" in body
    assert "李6" not in body  # same group, not linked to this representative
    assert (
        client.get(reverse("org:household_detail", args=[county.households_a[6].pk])).status_code
        == 404
    )


def test_anonymous_is_sent_to_login(client, county):
    response = client.get(reverse("org:household_list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_login_with_mobile_number(client, county):
    from tests.support.roles import make_user

    make_user("13600000009", "登录者", Role.VILLAGE, county.village_a)
    bad = client.post(reverse("accounts:login"), {"username": "13600000009", "password": "wrong"})
    assert bad.status_code == 200 and "error" in bad.content.decode()
    good = client.post(
        reverse("accounts:login"), {"username": "13600000009", "password": "pw-test-123"}
    )
    assert good.status_code == 302


def test_household_list_filters_and_pages(county, superuser, client, settings):
    settings.LINLI = {**settings.LINLI, "PAGE_SIZE": 5}
    client.force_login(superuser)
    page1 = client.get(reverse("org:household_list")).content.decode()
    assert "14" in page1  # total count shown by the pager
    uncovered = client.get(reverse("org:household_list"), {"covered": "no"}).content.decode()
    assert "李6" in uncovered and "刘6" in uncovered and "李0" not in uncovered
    tagged = client.get(reverse("org:household_list"), {"tag": "elderly_alone"}).content.decode()
    assert "李0" in tagged and "李1" not in tagged
    by_pinyin = client.get(reverse("org:household_list"), {"q": "l"}).content.decode()
    assert "李" in by_pinyin


def test_household_list_query_count_does_not_grow_with_rows(county, superuser, client):
    client.force_login(superuser)

    def build(n):
        factories.add_representatives(county, n)
        factories.add_households(county, n, unit=county.group_b)

    assert_queries_flat(build, lambda: client.get(reverse("org:household_list")))


def test_household_detail_masks_and_reveal_is_audited(county, user_in_town_a, client):
    client.force_login(user_in_town_a(Role.VILLAGE))
    url = reverse("org:household_detail", args=[county.households_a[0].pk])
    body = client.get(url).content.decode()
    assert "138****8001" in body and "13800138001" not in body
    revealed = client.post(
        reverse("org:member_reveal", args=[county.member_a.pk]), HTTP_HX_REQUEST="true"
    )
    assert "13800138001" in revealed.content.decode()
    assert (
        AuditLog.objects.filter(action="member.reveal", target_id=str(county.member_a.pk)).count()
        == 1
    )


def test_link_form_refuses_out_of_range_without_reason(county, superuser, client):
    from linli.org import services

    client.force_login(superuser)
    services.link_end(actor=superuser, household=county.households_a[5], reason="迁出")
    other = services.representative_appoint(
        actor=superuser,
        member=services.member_create(
            actor=superuser, household=county.households_a[6], name="李新", relation="head"
        ),
        unit=county.group_a,
    )
    url = reverse("org:household_link", args=[county.households_a[0].pk])
    response = client.post(url, {"representative": other.pk}, follow=True)
    assert "5-15" in response.content.decode()
    from linli.core.timeutil import today
    from linli.org.selectors import representative_on

    assert representative_on(county.households_a[0], today()) == county.rep_a


def test_unit_tree_and_coverage_pages_render(county, superuser, client):
    client.force_login(superuser)
    assert "浏阳市" in client.get(reverse("org:unit_tree")).content.decode()
    children = client.get(reverse("org:unit_children", args=[county.city.pk])).content.decode()
    assert "大瑶镇" in children and "永和镇" in children
    cov = client.get(reverse("org:coverage") + f"?unit={county.village_a.pk}").content.decode()
    assert "李6" in cov and "李畋小学" in cov


def test_village_cadre_registers_a_household_and_adds_a_member(county, user_in_town_a, client):
    from linli.org.models import Household

    client.force_login(user_in_town_a(Role.VILLAGE))
    form = client.get(reverse("org:household_create"))
    assert (
        form.status_code == 200
        and "一组" in form.content.decode()
        and "大屋组" not in form.content.decode()
    )
    bad = client.post(
        reverse("org:household_create"),
        {"unit": county.group_a.pk, "head_name": "", "address": "x"},
    )
    assert bad.status_code == 400
    foreign = client.post(
        reverse("org:household_create"),
        {"unit": county.group_b.pk, "head_name": "外人", "address": "x"},
    )
    assert foreign.status_code == 400 and not Household.objects.filter(head_name="外人").exists()
    done = client.post(
        reverse("org:household_create"),
        {
            "unit": county.group_a.pk,
            "head_name": "李新户",
            "address": "李畋村一组99号",
            "tags": ["elderly_alone"],
        },
    )
    household = Household.objects.get(head_name="李新户")
    assert done.status_code == 302 and household.tags == ["elderly_alone"]
    wrong_id = client.post(
        reverse("org:member_add", args=[household.pk]),
        {"name": "李某", "relation": "head", "id_number": "430181198001010010"},
        follow=True,
    )
    assert "校验位" in wrong_id.content.decode() and household.members.count() == 0
    ok = client.post(
        reverse("org:member_add", args=[household.pk]),
        {"name": "李某", "relation": "head", "phone": "13900001111"},
        follow=True,
    )
    assert household.members.count() == 1 and "139****1111" in ok.content.decode()
