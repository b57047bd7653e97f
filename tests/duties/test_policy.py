"""The duties policy (`duties/policy.py`): for a table of roles, each rule's query form
and object form agree (every object the filter returns passes the check, every object it
leaves out fails it), the rules say what `docs/duties.md` says, and the services refuse
what the policy refuses."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from linli.accounts.models import Role, User
from linli.core.errors import Forbidden
from linli.duties import policy, services
from linli.duties.models import AnnualReport, ContactLog, Deliberation, HomeVisit
from linli.org.models import Representative, Unit
from tests.conftest import make_user

from .conftest import appoint

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 3, 12)
DAY = dt.date(2025, 3, 10)

# role name: (role, unit attribute of the county) — or a representative's account
ROLES = {
    "rep_self": None,  # rep_a's own account
    "rep_other": None,  # rep_c's account: another representative of the same group
    "group_leader": (Role.GROUP_LEADER, "group_a"),
    "area_leader": (Role.AREA_LEADER, "village_a"),
    "village": (Role.VILLAGE, "village_a"),
    "town_own": (Role.TOWN, "town_a"),
    "town_other": (Role.TOWN, "town_b"),
    "city": (Role.CITY, "city"),
    "admin": (Role.ADMIN, "town_a"),
    "department": (Role.DEPARTMENT, "town_a"),
    "anonymous": None,
    "superuser": None,
}

# What each role may do with rep_a (group A, town A) and rep_b (town B):
# (view rep_a, record for rep_a, view rep_b, record for rep_b)
EXPECTED = {
    "rep_self": (True, True, False, False),
    "rep_other": (False, False, False, False),
    "group_leader": (True, True, False, False),
    "area_leader": (True, True, False, False),
    "village": (True, True, False, False),
    "town_own": (True, True, False, False),
    "town_other": (False, False, True, True),
    "city": (True, True, True, True),
    "admin": (True, True, False, False),
    "department": (False, False, False, False),
    "anonymous": (False, False, False, False),
    "superuser": (True, True, True, True),
}


class World:
    """Representatives with accounts, a user per role, and records of every kind in both
    towns (current ones, a correction and a withdrawal)."""

    def __init__(self, county, superuser, clock):
        clock.set(TODAY)
        self.county, self.su = county, superuser
        c = county
        self.rep_a, self.rep_b = c.rep_a, c.rep_b
        self.rep_c = appoint(county, superuser, 3, "李新代表", dt.date(2025, 1, 1))
        for n, rep in enumerate((self.rep_a, self.rep_b, self.rep_c)):
            rep.user = make_user(f"1370000020{n}", f"代表{n}", Role.REPRESENTATIVE, rep.unit)
            rep.save(update_fields=["user"])
        # A representative whose term ended: their account still owns the old records.
        self.rep_old = appoint(county, superuser, 4, "李老代表", dt.date(2025, 1, 1))
        self.rep_old.user = make_user("13700000209", "李老代表", Role.REPRESENTATIVE, c.group_a)
        self.rep_old.term_end = dt.date(2025, 2, 1)
        self.rep_old.save(update_fields=["user", "term_end"])
        # A serving representative without an account.
        self.rep_none = appoint(county, superuser, 5, "李无号", dt.date(2025, 1, 1), 5)
        self.users: dict[str, object] = {
            "rep_self": self.rep_a.user,
            "rep_other": self.rep_c.user,
            "anonymous": AnonymousUser(),
            "superuser": superuser,
        }
        for n, (name, spec) in enumerate(ROLES.items()):
            if spec is not None:
                role, unit = spec
                self.users[name] = make_user(f"1370000030{n:02d}", name, role, getattr(c, unit))
        su = superuser
        self.records: list = []
        for rep, households in ((self.rep_a, c.households_a), (self.rep_b, c.households_b)):
            contact = services.contact_log(
                actor=su, representative=rep, household=households[0], day=DAY
            )
            services.contact_log(
                actor=su, representative=rep, household=households[0], day=DAY, supersedes=contact
            )
            visit = services.visit_log(
                actor=su, representative=rep, household=households[1], day=DAY, met="户主"
            )
            services.record_withdraw(actor=su, record=visit, reason="录错了")
            services.report_log(
                actor=su, representative=rep, kind="residents", day=DAY, text="述职"
            )
        for unit, organisers in (
            (c.village_a, [self.rep_a]),
            (c.village_a, [self.rep_c]),
            (c.group_b, [self.rep_b]),
            (c.village_a, [self.rep_a, self.rep_c]),
        ):
            services.deliberation_log(
                actor=su, unit=unit, organisers=organisers, day=DAY, place="村部", topic="议事",
                attendee_count=9,
            )  # fmt: skip

    def user(self, name: str):
        user = self.users[name]
        if isinstance(user, User):
            user = User.objects.get(pk=user.pk)  # a fresh object: no cached scope
        return user


@pytest.fixture
def world(county, superuser, clock):
    return World(county, superuser, clock)


RECORD_MODELS = (ContactLog, HomeVisit, AnnualReport, Deliberation)


def _agree(qs, user, action: str) -> set[int]:
    """The filter's rows, checked against the object form over every row of the model."""
    allowed = set(policy.restrict(qs, user, action).values_list("pk", flat=True))
    for obj in qs:
        assert policy.allows(user, action, obj) == (obj.pk in allowed), (action, obj)
    return allowed


@pytest.mark.parametrize("role", list(ROLES))
def test_query_and_object_forms_agree_for_every_role(world, role):
    user = world.user(role)
    reps = Representative.objects.select_related("unit")
    seen = _agree(reps, user, "view")
    writable = _agree(reps, user, "record")
    a, b = world.rep_a.pk, world.rep_b.pk
    assert (a in seen, a in writable, b in seen, b in writable) == EXPECTED[role]
    for model in RECORD_MODELS:
        records = model.objects.all()
        assert records.count() >= 2
        visible = _agree(records, user, "view")
        correctable = _agree(records, user, "correct")
        if model is not Deliberation:
            # A record follows its representative.
            for r in records:
                assert (r.pk in visible) == (r.representative_id in seen)
                assert (r.pk in correctable) == (r.representative_id in writable)


def test_the_representative_rules_in_words(world):
    # The representative's own account keeps the records of an ended term too, though it
    # no longer sees them (its scope is its serving representatives).
    old = User.objects.get(pk=world.rep_old.user_id)
    assert policy.can_record_for(old, world.rep_old)
    assert not policy.can_view_representative(old, world.rep_old)
    me = world.user("rep_self")
    assert policy.is_own(me, world.rep_a) and not policy.is_own(me, world.rep_c)
    assert not policy.is_own(AnonymousUser(), Representative(user_id=None))
    # A deliberation event: one of its organisers corrects it; a co-organiser's event is
    # seen by each organiser.
    other = world.user("rep_other")
    joint = Deliberation.objects.filter(organisers=world.rep_a).filter(organisers=world.rep_c)
    assert joint.count() == 1
    assert policy.can_correct(other, joint.get()) and policy.can_view(other, joint.get())
    # Without an account: nobody's records, not even those of representatives without one.
    assert Representative.objects.filter(user__isnull=True).exists()
    for user in (AnonymousUser(), None):
        assert not Representative.objects.filter(policy.record_for_q(user)).exists()
        assert not Representative.objects.filter(policy.view_representatives_q(user)).exists()


@pytest.mark.parametrize("role", list(ROLES))
def test_deliberation_units_and_organisers_agree(world, role):
    user = world.user(role)
    units = Unit.objects.all()
    allowed = set(units.filter(policy.deliberation_units_q(user)).values_list("pk", flat=True))
    for unit in units:
        assert policy.can_hold_deliberation(user, unit) == (unit.pk in allowed), unit
    c = world.county
    if role == "rep_self":
        # Their group and the village above it; not the town.
        assert {c.group_a.pk, c.village_a.pk} <= allowed and c.town_a.pk not in allowed
    if role in ("town_own", "city"):
        # Cadres of a town or above choose among villages, not groups.
        assert c.village_a.pk in allowed and c.group_a.pk not in allowed
    if role == "anonymous":
        assert not allowed


def test_organisers_of_a_unit_agree(world):
    reps = Representative.objects.select_related("unit")
    for unit in Unit.objects.all():
        allowed = set(reps.filter(policy.organisers_q(unit)).values_list("pk", flat=True))
        for rep in reps:
            assert policy.can_organise(rep, unit) == (rep.pk in allowed), (rep, unit)
    # A representative of group A organises in group A, in 李畋村 and above; not in town B.
    c = world.county
    assert policy.can_organise(c.rep_a, c.village_a) and policy.can_organise(c.rep_a, c.city)
    assert not policy.can_organise(c.rep_a, c.village_b)


def test_reminder_summary_recipients_agree(world):
    users = User.objects.all()
    for unit in Unit.objects.all():
        allowed = set(
            users.filter(policy.summary_recipients_q(unit.path)).values_list("pk", flat=True)
        )
        for user in users:
            assert policy.gets_summary(user, unit.path) == (user.pk in allowed), (user, unit)
        # Whoever gets a summary sees the representatives it names.
        for user in users.filter(pk__in=allowed):
            for rep in Representative.objects.filter(unit__path__startswith=unit.path):
                assert policy.can_view_representative(user, rep)
    got = set(
        users.filter(policy.summary_recipients_q(world.county.group_a.path)).values_list(
            "name", flat=True
        )
    )
    assert got == {"group_leader", "area_leader", "village"}


# --- the services refuse what the policy refuses --------------------------------------------


@pytest.mark.parametrize("role", list(ROLES))
def test_services_refuse_what_the_policy_refuses(world, role):
    actor, c = world.user(role), world.county
    user = actor
    for rep, household in ((c.rep_a, c.households_a[2]), (c.rep_b, c.households_b[2])):
        allowed = policy.can_record_for(user, rep)
        try:
            services.contact_log(actor=actor, representative=rep, household=household, day=DAY)
        except Forbidden as exc:
            assert not allowed and exc.code == "not_your_record"
        else:
            assert allowed
        # Correct and withdraw a record the policy lets them (or not).
        record = services.report_log(
            actor=world.su, representative=rep, kind="committees", day=DAY, text="报告"
        )
        allowed = policy.can_correct(user, record)
        try:
            services.record_withdraw(actor=actor, record=record, reason="录错了")
        except Forbidden:
            assert not allowed
        else:
            assert allowed
    for unit, organiser in ((c.village_a, c.rep_a), (c.village_b, c.rep_b)):
        allowed = policy.can_record_event(user, unit, [organiser])
        try:
            event = services.deliberation_log(
                actor=actor, unit=unit, organisers=[organiser], day=DAY, place="村部",
                topic="议事", attendee_count=5,
            )  # fmt: skip
        except Forbidden:
            assert not allowed
        else:
            assert allowed and policy.can_correct(user, event)


# --- layering inside the app ----------------------------------------------------------------

DUTIES = Path(__file__).resolve().parents[2] / "src" / "linli" / "duties"
SRC = DUTIES.parent
# Reads (reminders and exports write: notifications, audit rows).
READ_MODULES = ("selectors", "queries", "compliance", "rules", "policy")
DUTIES_MODULES = {p.stem for p in DUTIES.glob("*.py")}


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import in a file, relative ones resolved to linli.*."""
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            out.append((base, [a.name for a in node.names]))
            # `from linli.duties import demo as duties_demo`: the alias names the module too.
            out.append((base, [a.asname for a in node.names if a.asname]))
        elif isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
    return out


@pytest.mark.parametrize("name", READ_MODULES)
def test_duties_read_modules_never_import_services(name):
    for module, names in _imports(DUTIES / f"{name}.py"):
        assert not module.endswith(".services") and "services" not in names, (name, module)


def test_no_private_duties_helper_is_used_outside_its_module():
    """`from linli.duties.x import _y` or `x._y` on a duties module, anywhere in src."""
    offences = []
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        duties_aliases = set()
        for module, names in _imports(path):
            if module.startswith("linli.duties"):
                offences += [(path.name, module, n) for n in names if n.startswith("_")]
                duties_aliases.update(n for n in names if n in DUTIES_MODULES or "duties" in n)
        if "duties" in path.parts:
            duties_aliases |= DUTIES_MODULES
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in duties_aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                offences.append((path.name, node.value.id, node.attr))
    assert not offences
