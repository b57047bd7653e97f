"""Representatives' login accounts (issue 11, "Trust"): made from the page form, the API
and the import for the registered mobile; linked only when the account is the
appointer's; appointment by account id answers "missing" and "not yours" alike."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from linli.accounts.models import AuditLog, Role, RoleAssignment, User, phone_index
from linli.accounts.selectors import user_by_phone
from linli.core.crypto import blind_index
from linli.core.errors import Conflict, NotFound
from linli.org import imports, services
from linli.org.imports import H_ID_NUMBER, H_PERSON, H_REP_UNIT
from linli.org.models import Representative
from tests.support.api import post
from tests.support.factories import valid_id_number
from tests.support.files import xlsx
from tests.support.queries import count_queries
from tests.support.roles import SUPERUSER_PHONE, make_user

GROUP_A = "浏阳市/大瑶镇/李畋村/一组"
HEADERS = [H_ID_NUMBER, H_PERSON, H_REP_UNIT, "任期开始"]


@pytest.fixture
def town_a(county):
    return make_user("13600000001", "大瑶镇干部", Role.TOWN, county.town_a)


@pytest.fixture
def town_b(county):
    return make_user("13600000002", "永和镇干部", Role.TOWN, county.town_b)


def resident(county, seq: int, phone: str = "", n: int = 2, name: str = ""):
    return services.member_create(
        actor=county.superuser,
        household=county.households_a[n],
        name=name or f"李居民{seq}",
        relation="other",
        id_number=valid_id_number(seq),
        phone=phone,
    )


def roles_of(user) -> set[tuple[str, int]]:
    return set(RoleAssignment.objects.filter(user=user).values_list("role", "unit_id"))


# --- the service ------------------------------------------------------------------------------


def test_appointing_creates_the_account_of_the_registered_mobile(county, town_a):
    member = resident(county, 41, "13711110041")
    rep = services.representative_appoint(actor=town_a, member=member, unit=county.group_a)
    account = User.objects.get(phone_hash=phone_index("13711110041"))
    assert rep.user == account and account.name == member.name
    assert account.is_active and not account.has_usable_password()
    assert not account.is_staff and not account.is_superuser
    assert roles_of(account) == {(Role.REPRESENTATIVE, county.group_a.pk)}
    actions = set(AuditLog.objects.filter(actor=town_a).values_list("action", flat=True))
    assert {"user.create", "role.assign", "representative.account"} <= actions


def test_no_mobile_no_account(county, town_a):
    rep = services.representative_appoint(
        actor=town_a, member=resident(county, 42), unit=county.group_a
    )
    assert rep.user is None


def test_an_existing_account_in_scope_is_linked(county, town_a):
    leader = make_user("13711110043", "组长", Role.GROUP_LEADER, county.group_a)
    member = resident(county, 43, "13711110043")
    rep = services.representative_appoint(actor=town_a, member=member, unit=county.group_a)
    assert rep.user == leader
    assert (Role.REPRESENTATIVE, county.group_a.pk) in roles_of(leader)


@pytest.mark.parametrize("whose", ["other_town", "superuser", "admin", "staff", "roleless"])
def test_an_account_not_the_appointers_is_refused_alike(county, town_a, whose):
    phone = SUPERUSER_PHONE if whose == "superuser" else "13711110044"
    if whose == "other_town":
        make_user(phone, "永和镇村干部", Role.VILLAGE, county.village_b)
    elif whose == "admin":
        make_user(phone, "管理员", Role.ADMIN, county.village_a)
    elif whose == "staff":
        staff = make_user(phone, "后台", Role.VILLAGE, county.village_a)
        User.objects.filter(pk=staff.pk).update(is_staff=True)
    elif whose == "roleless":
        make_user(phone, "无角色")
    member = resident(county, 44, phone)
    with translation.override("en"), pytest.raises(Conflict) as exc:
        services.representative_appoint(actor=town_a, member=member, unit=county.group_a)
    assert exc.value.code == "rep_account_refused"
    assert "another account" in exc.value.message and "永和" not in exc.value.message
    assert not Representative.objects.filter(member=member).exists()


def test_a_new_term_takes_the_account_of_the_last_one(county, town_a):
    member = resident(county, 45, "13711110045")
    first = services.representative_appoint(actor=town_a, member=member, unit=county.group_a)
    services.representative_end_term(actor=town_a, representative=first, reason="换届")
    second = services.representative_appoint(actor=town_a, member=member, unit=county.group_a)
    assert second.user_id == first.user_id is not None
    assert Representative.objects.get(pk=first.pk).user_id is None
    assert User.objects.filter(phone_hash=phone_index("13711110045")).count() == 1


def test_changing_the_mobile_moves_the_login(county, town_a):
    rep = services.representative_appoint(
        actor=town_a, member=resident(county, 46, "13711110046"), unit=county.group_a
    )
    services.representative_phone_change(actor=town_a, representative=rep, phone="13711110047")
    rep.refresh_from_db()
    assert rep.member.phone == "13711110047" and rep.user.phone == "13711110047"
    assert user_by_phone("13711110047") == rep.user and user_by_phone("13711110046") is None
    assert AuditLog.objects.filter(action="representative.phone", target_id=str(rep.pk)).exists()
    make_user("13711110048", "别人", Role.VILLAGE, county.village_b)
    with pytest.raises(Conflict) as exc:
        services.representative_phone_change(actor=town_a, representative=rep, phone="13711110048")
    assert exc.value.code == "rep_account_refused"
    rep.refresh_from_db()
    assert rep.user.phone == "13711110047"


def test_a_new_mobile_gives_an_account_to_a_representative_without_one(county, town_a):
    rep = services.representative_appoint(
        actor=town_a, member=resident(county, 49), unit=county.group_a
    )
    services.representative_phone_change(actor=town_a, representative=rep, phone="13711110049")
    rep.refresh_from_db()
    assert rep.user is not None and rep.user.phone == "13711110049"


# --- appointment by account id ----------------------------------------------------------------


def test_binding_by_id_refuses_the_superuser_and_other_towns_like_a_missing_id(
    client, county, town_a
):
    client.force_login(town_a)
    foreign = make_user("13711110050", "永和镇组长", Role.GROUP_LEADER, county.group_b)
    admin_a = make_user("13711110051", "大瑶镇管理员", Role.ADMIN, county.town_a)
    answers = []
    for n, user_id in enumerate([999999, county.superuser.pk, foreign.pk, admin_a.pk]):
        member = resident(county, 50 + n)
        response = post(
            client,
            "/representatives",
            {"member_id": member.pk, "unit_id": county.group_a.pk, "user_id": user_id},
        )
        answers.append((response.status_code, response.json()))
    assert answers[0][0] == 404 and answers[0][1]["code"] == "not_found"
    assert all(a == answers[0] for a in answers), answers
    assert not Representative.objects.filter(
        member__id_number_hash=blind_index(valid_id_number(50))
    ).exists()
    assert not RoleAssignment.objects.filter(user=county.superuser).exists()


def test_binding_by_id_in_scope_works(client, county, town_a):
    client.force_login(town_a)
    leader = make_user("13711110060", "组长", Role.GROUP_LEADER, county.group_a)
    member = resident(county, 60)
    response = post(
        client,
        "/representatives",
        {"member_id": member.pk, "unit_id": county.group_a.pk, "user_id": leader.pk},
    )
    assert response.status_code == 201, response.content
    assert response.json()["user_id"] == leader.pk


def test_the_service_refuses_the_superuser_even_for_a_superuser(county):
    with pytest.raises(NotFound):
        services.representative_appoint(
            actor=county.superuser,
            member=resident(county, 61),
            unit=county.group_a,
            user=county.superuser,
        )


def test_phone_change_api(client, county, town_a, town_b):
    rep = services.representative_appoint(
        actor=town_a, member=resident(county, 62, "13711110062"), unit=county.group_a
    )
    client.force_login(town_b)
    path = f"/representatives/{rep.pk}/phone"
    assert post(client, path, {"phone": "13711110063"}).status_code == 404
    client.force_login(town_a)
    response = post(client, path, {"phone": "13711110063"})
    assert response.status_code == 200, response.content
    assert User.objects.filter(phone_hash=phone_index("13711110063"), pk=rep.user_id).exists()
    # The resident's record follows, and is found by the new number (its blind index).
    from linli.org.selectors import members_with_phone

    assert list(members_with_phone("13711110063")) == [rep.member]
    assert not members_with_phone("13711110062").exists()


# --- the page form ----------------------------------------------------------------------------


def test_the_form_creates_the_account(client, county, town_a):
    client.force_login(town_a)
    member = resident(county, 70)
    url = reverse("org:representative_appoint", args=[county.village_a.pk])
    done = client.post(
        url, {"member": member.pk, "unit": county.group_a.pk, "phone": "13711110070"}
    )
    assert done.status_code == 302, done.content.decode()[:2000]
    rep = Representative.objects.get(member=member)
    assert rep.user is not None and rep.user.phone == "13711110070"
    assert rep.member.phone == "13711110070"
    from linli.org.selectors import members_with_phone

    assert list(members_with_phone("13711110070")) == [member]
    # A number that is another town's login is refused beside the field, nothing written.
    make_user("13711110071", "永和镇村干部", Role.VILLAGE, county.village_b)
    other = resident(county, 71)
    refused = client.post(
        url, {"member": other.pk, "unit": county.group_a.pk, "phone": "13711110071"}
    )
    assert refused.status_code == 409
    assert not Representative.objects.filter(member=other).exists()


# --- the import -------------------------------------------------------------------------------


def test_import_creates_accounts_and_a_second_import_changes_nothing(county, town_a):
    members = [resident(county, 80 + n, f"137111100{80 + n}") for n in range(3)]
    members.append(resident(county, 83))  # no mobile: no account
    rows = [[m.id_number, m.name, GROUP_A, "2025-03-01"] for m in members]
    result = imports.import_file(actor=town_a, kind="representatives", data=xlsx(HEADERS, rows))
    assert result.ok, result.errors
    assert (result.created, result.accounts) == (4, 3)
    for m in members[:3]:
        rep = Representative.objects.get(member=m)
        assert rep.user is not None and rep.user.phone == m.phone
        assert not rep.user.has_usable_password()
        assert roles_of(rep.user) == {(Role.REPRESENTATIVE, county.group_a.pk)}
    assert Representative.objects.get(member=members[3]).user is None
    log = AuditLog.objects.filter(action="import.representatives").latest("id")
    assert log.detail["accounts"] == 3
    users = User.objects.count()
    again = imports.import_file(actor=town_a, kind="representatives", data=xlsx(HEADERS, rows))
    assert again.ok, again.errors
    assert (again.created, again.unchanged, again.accounts) == (0, 4, 0)
    assert User.objects.count() == users


def test_import_equips_representatives_appointed_before(county, town_a):
    """rep_a was appointed without an account; importing the roster again gives one."""
    assert county.rep_a.user is None
    rows = [[county.member_a.id_number, "", GROUP_A, ""]]
    result = imports.import_file(actor=town_a, kind="representatives", data=xlsx(HEADERS, rows))
    assert result.ok, result.errors and result.accounts == 1
    county.rep_a.refresh_from_db()
    assert county.rep_a.user.phone == county.member_a.phone


def test_import_refuses_foreign_accounts_and_shared_numbers(county, town_a):
    make_user("13711110090", "永和镇村干部", Role.VILLAGE, county.village_b)
    foreign = resident(county, 90, "13711110090")
    twin_1 = resident(county, 91, "13711110091")
    twin_2 = resident(county, 92, "13711110091")
    rows = [[m.id_number, "", GROUP_A, ""] for m in (foreign, twin_1, twin_2)]
    with translation.override("en"):
        result = imports.import_file(actor=town_a, kind="representatives", data=xlsx(HEADERS, rows))
    assert {(e.row, e.column) for e in result.errors} == {(2, H_ID_NUMBER), (4, H_ID_NUMBER)}
    assert "永和" not in " ".join(e.message for e in result.errors)
    assert not Representative.objects.filter(member__in=[foreign, twin_1, twin_2]).exists()
    assert not User.objects.filter(phone_hash=phone_index("13711110091")).exists()


def test_import_query_count_does_not_grow_with_rows(county, town_a):
    seq = iter(range(100, 200))

    def rows(n):
        out = []
        for _ in range(n):
            i = next(seq)
            m = resident(county, i, f"1371111{i:04d}", n=i % 7)
            out.append([m.id_number, "", GROUP_A, ""])
        return out

    counts = []
    for n in (2, 3, 9):  # the first import warms what is read once per process
        data = xlsx(HEADERS, rows(n))
        count, result, _sql = count_queries(
            lambda data=data: imports.import_file(actor=town_a, kind="representatives", data=data)
        )
        assert result.ok, result.errors
        assert result.accounts == n
        counts.append(count)
    assert counts[1] == counts[2], counts


def test_the_import_page_counts_the_accounts(client, county, town_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(town_a)
    member = resident(county, 95, "13711110095")
    data = xlsx(HEADERS, [[member.id_number, "", GROUP_A, ""]])
    response = client.post(
        reverse("org:import"),
        {"kind": "representatives", "file": SimpleUploadedFile("r.xlsx", data)},
    )
    assert response.status_code == 200, response.content.decode()[:500]
    body = response.content.decode()
    assert "新建登录账号" in body and "已在任，未更改" in body


def test_the_mobile_page_moves_the_login(client, county, town_a):
    rep = services.representative_appoint(
        actor=town_a, member=resident(county, 96, "13711110096"), unit=county.group_a
    )
    client.force_login(town_a)
    detail = client.get(reverse("org:representative_detail", args=[rep.pk])).content.decode()
    url = reverse("org:representative_phone", args=[rep.pk])
    assert url in detail
    make_user("13711110098", "永和镇村干部", Role.VILLAGE, county.village_b)
    refused = client.post(url, {"phone": "13711110098"})
    assert refused.status_code == 409
    assert User.objects.get(pk=rep.user_id).phone == "13711110096"
    done = client.post(url, {"phone": "13711110097"})
    assert done.status_code == 302
    assert User.objects.get(pk=rep.user_id).phone == "13711110097"
