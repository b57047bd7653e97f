"""The demo-data generator: `small` for `make demo`, `county` (scaled down here) for benchmarks."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Q

from linli.accounts.models import AuditLog, Role, RoleAssignment, User, phone_index
from linli.core.validators import normalize_id_number, normalize_mobile
from linli.org import demo, selectors
from linli.org.models import (
    STEPLEN,
    GuardTeam,
    GuardTeamMember,
    Household,
    HouseholdLink,
    Member,
    Place,
    Relation,
    Representative,
    Unit,
    UnitKind,
)


def run(*args) -> str:
    out = io.StringIO()
    call_command("demo_data", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="class")
def small_built(django_db_setup, django_db_blocker):
    """`small`, built once for the class inside a transaction rolled back at its end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield run("small")
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def small(small_built, db):
    return small_built


def snapshot() -> tuple:
    return (
        list(Household.objects.order_by("id").values_list("head_name", "address", "tags")),
        list(Member.objects.order_by("id").values_list("name", "id_number")[:500]),
        Member.objects.count(),
        Representative.objects.count(),
        HouseholdLink.objects.count(),
        GuardTeamMember.objects.count(),
    )


def active_counts() -> dict[int, int]:
    return dict(
        Representative.objects.annotate(
            n=Count("links", filter=Q(links__valid_to__isnull=True))
        ).values_list("id", "n")
    )


def test_small_is_deterministic(db):
    with transaction.atomic():
        demo.build("small", seed=7)
        first = snapshot()
        transaction.set_rollback(True)
    assert not Unit.objects.exists()
    demo.build("small", seed=7)
    assert snapshot() == first


def test_if_empty_builds_an_empty_database(db):
    out = run("small", "--if-empty")
    assert "built in" in out and Household.objects.count() > 0


def test_county_generator_keeps_the_mission_proportions(db):
    result = demo.build("county", seed=3, scale=0.005)
    c = result.counts
    households = Household.objects.count()
    assert c["households"] == households
    assert 2000 <= households <= 2300  # 420,000 x 0.005
    members = Member.objects.count()
    assert 2.7 <= members / households <= 3.4
    kinds = Counter(Unit.objects.values_list("kind", flat=True))
    assert kinds["city"] == 1 and kinds["town"] + kinds["subdistrict"] >= 2
    assert kinds["village"] + kinds["community"] >= 20
    # Paths are parent path + one step.
    units = {u.pk: u for u in Unit.objects.all()}
    for u in units.values():
        if u.parent_id:
            parent = units[u.parent_id]
            assert u.path[:-STEPLEN] == parent.path and u.depth == parent.depth + 1
    # ~97% covered, 5-15 households per representative (about 11 on average).
    covered = HouseholdLink.objects.filter(valid_to__isnull=True).count()
    assert 0.95 <= covered / households <= 0.99
    counts = active_counts()
    assert 10 <= covered / len(counts) <= 12.5
    in_range = sum(1 for n in counts.values() if 5 <= n <= 15)
    assert in_range / len(counts) >= 0.97
    # ~12,000 teams for ~36,000 representatives.
    assert 2.5 <= len(counts) / GuardTeam.objects.count() <= 3.5
    assert GuardTeam.representatives.through.objects.count() == len(counts)
    assert Household.objects.exclude(search_key="").count() == households
    assert AuditLog.objects.filter(action="demo_data.county").count() == 1
    # The demo accounts work on the county too.
    rep_user = User.objects.get(phone_hash=phone_index("13800000007"))
    assert rep_user.representative.name == "辜大祥"
    assert selectors.households_visible_to(rep_user).count() == counts[rep_user.representative.pk]
    assert Unit.objects.filter(name="佳成村").exists()
    assert Unit.objects.filter(kind=UnitKind.GROUP, name="大屋组").exists()


class TestSmall:
    """Checks on one `small` build (made once for the class)."""

    def test_small_builds_the_seed_places_and_prints_the_accounts(self, small):
        city = Unit.objects.get(depth=1)
        assert (city.name, city.code) == ("浏阳市", "430181000000")
        towns = {u.name: u for u in Unit.objects.filter(parent=city)}
        assert set(towns) == {"大瑶镇", "永和镇"}
        assert all(len(t.code) == 12 and t.code.startswith("430181") for t in towns.values())
        assert Unit.objects.filter(name="李畋村", parent=towns["大瑶镇"]).exists()
        jia = Unit.objects.get(name="佳成村", parent=towns["永和镇"])
        assert Unit.objects.filter(path__startswith=jia.path, name="大屋组", kind="group").exists()
        assert 1900 <= Household.objects.count() <= 2100
        assert Household.objects.filter(address__startswith="李畋村三组").exists()
        # The seed article's people: representative 辜大祥 and 叶玉计, who lives alone.
        rep = Representative.objects.get(name="辜大祥")
        ye = Household.objects.get(head_name="叶玉计")
        assert "elderly_alone" in ye.tags
        assert HouseholdLink.objects.filter(
            household=ye, representative=rep, valid_to__isnull=True
        ).exists()
        for phone in demo.DEMO_PHONES:
            assert phone in small
        assert demo.DEMO_PASSWORD in small and "村(居)民代表" in small
        assert demo.DEMO_OTP_SECRET in small and "demo_otp" in small
        assert AuditLog.objects.filter(action="demo_data.small").count() == 1
        # No per-row audit of the generated organisation (accounts and org actions);
        # the domains above org seed through their services, which audit what they
        # audit anyway (appeals, activities, conduct, ...).
        org_prefixes = (
            "user.", "role.", "unit.", "household.", "member.", "place.",
            "representative.", "link.", "team.", "department.", "import.",
        )  # fmt: skip
        org_rows = [a for a in AuditLog.objects.values_list("action", flat=True)
                    if a.startswith(org_prefixes)]  # fmt: skip
        assert org_rows == []

    def test_every_demo_account_logs_in_with_its_role(self, small, client):
        for acc in demo.DEMO_ACCOUNTS:
            assert client.login(phone=acc.phone, password=demo.DEMO_PASSWORD), acc.phone
            client.logout()
            user = User.objects.get(phone_hash=phone_index(acc.phone))
            if acc.key == "superuser":
                assert user.is_superuser
                continue
            if acc.key == demo.AUDITOR:
                assert (
                    user.has_perm("accounts.view_auditlog") and not user.role_assignments.exists()
                )
                continue
            ra = RoleAssignment.objects.select_related("unit").get(user=user)
            assert ra.role == acc.key
            assert ra.unit.name == acc.unit[-1]
        dept = RoleAssignment.objects.get(role=Role.DEPARTMENT)
        assert dept.department.name == "住建局" and dept.unit.depth == 1
        assert User.objects.count() == len(demo.DEMO_ACCOUNTS)

    def test_demo_accounts_that_need_two_factor_log_in_with_the_published_key(self, small, client):
        from django.urls import reverse

        from linli.accounts import twofactor
        from linli.dashboard.management.commands.demo_otp import demo_code

        for acc in demo.DEMO_ACCOUNTS:
            user = User.objects.get(phone_hash=phone_index(acc.phone))
            assert twofactor.has_device(user) is twofactor.required_for(user), acc.phone
        town = User.objects.get(phone_hash=phone_index("13800000003"))
        assert client.login(phone=town.phone, password=demo.DEMO_PASSWORD)
        assert client.get(reverse("home")).status_code == 302  # the code first
        code, _left = demo_code()
        client.post(reverse("accounts:otp_verify"), {"code": code})
        assert client.get(reverse("home")).status_code == 200

    def test_representative_account_sees_only_its_households(self, small):
        user = User.objects.get(phone_hash=phone_index("13800000007"))
        rep = user.representative
        assert rep.name == "辜大祥" and rep.unit.name == "一组"
        assert RoleAssignment.objects.filter(user=user, role=Role.REPRESENTATIVE, unit=rep.unit)
        own = set(
            HouseholdLink.objects.filter(representative=rep, valid_to__isnull=True).values_list(
                "household_id", flat=True
            )
        )
        assert 5 <= len(own) <= 15
        assert set(selectors.households_visible_to(user).values_list("id", flat=True)) == own

    def test_members_are_plausible(self, small):
        members = list(Member.objects.select_related("household"))
        heads = {m.household_id: m for m in members if m.relation == Relation.HEAD}
        assert len(heads) == Household.objects.count()
        assert len({m.id_number for m in members}) == len(members)
        for m in members:
            assert normalize_id_number(m.id_number) == m.id_number
            assert m.id_number.startswith("430181")
            assert m.id_number[6:14] == m.birth_date.strftime("%Y%m%d")
            assert (int(m.id_number[16]) % 2 == 1) == (m.sex == "M")
            head = heads[m.household_id]
            if m.relation == Relation.CHILD:
                assert m.birth_date > head.birth_date
            if m.relation == Relation.PARENT:
                assert m.birth_date < head.birth_date
            if m.relation == Relation.GRANDCHILD:
                assert (m.birth_date - head.birth_date).days > 30 * 365
        for phone in Member.objects.exclude(phone="").values_list("phone", flat=True)[:300]:
            assert normalize_mobile(phone) == phone
        alone = Household.objects.filter(tags__icontains='"elderly_alone"').count()
        assert 0.03 <= alone / Household.objects.count() <= 0.08
        for tag in ("low_income", "disabled", "veteran"):
            assert Household.objects.filter(tags__icontains=f'"{tag}"').exists()

    def test_links_respect_5_to_15_except_the_deliberate_ones(self, small):
        counts = active_counts()
        outside = Representative.objects.filter(
            pk__in=[pk for pk, n in counts.items() if not 5 <= n <= 15]
        ).select_related("unit__parent__parent")
        where = {(r.unit.parent.parent.name, r.unit.name) for r in outside}
        assert where == {("李畋村", "三组"), ("佳成村", "石桥组")}
        assert sorted(counts[r.pk] for r in outside) == [3, 3, 17, 17]
        assert HouseholdLink.objects.filter(out_of_range=True).count() == 4
        # Some households changed representative earlier in the year; history is kept.
        moved = HouseholdLink.objects.filter(valid_to__isnull=False)
        assert moved.exists()
        for link in moved[:50]:
            current = HouseholdLink.objects.get(household=link.household, valid_to__isnull=True)
            assert current.valid_from == link.valid_to
            assert current.representative_id != link.representative_id
            assert current.representative.unit_id == link.representative.unit_id
        # Representatives serve households of their own group.
        assert not HouseholdLink.objects.exclude(representative__unit=F("household__unit")).exists()

    def test_coverage_page_has_something_to_show(self, small):
        su = User.objects.get(phone_hash=phone_index("13800000000"))
        cov = selectors.coverage_for(su, Unit.objects.get(depth=1))
        total = cov.total
        assert total.households == Household.objects.count()
        assert 0 < total.uncovered_households < 0.05 * total.households
        assert total.representatives_out_of_range == 4
        assert 0 < total.unassigned_places < total.places
        assert GuardTeam.objects.count() > 0
        kinds = set(GuardTeamMember.objects.values_list("kind", flat=True))
        assert kinds == {
            "party_rep",
            "npc_deputy",
            "cppcc_member",
            "women_rep",
            "entrepreneur",
            "volunteer",
        }
        assert set(Place.objects.values_list("kind", flat=True)) >= {
            "building",
            "school",
            "hospital",
            "enterprise",
        }

    def test_if_empty_is_a_no_op_on_a_populated_database(self, small):
        before = snapshot()
        out = run("small", "--if-empty")
        assert "nothing to do" in out
        assert "13800000007" in out  # the accounts are still shown
        assert snapshot() == before
        with pytest.raises(CommandError, match="already has"):
            run("county", "--scale", "0.001")
        assert snapshot() == before


@pytest.mark.django_db
def test_small_demo_has_appeals_in_every_main_state():
    from linli.appeals.models import Appeal

    call_command("demo_data", "small", stdout=io.StringIO())
    statuses = set(Appeal.objects.values_list("status", flat=True))
    assert {"pending", "claimed", "in_progress", "referred", "resolved", "closed"} <= statuses
    manhole = Appeal.objects.get(title__contains="井盖")
    assert manhole.status == "closed" and manhole.rating == 5
    assert manhole.events.count() == 10
