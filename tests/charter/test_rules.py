"""Extend, never weaken: a town's (or village's) list adds to the city's and raises its
floors, and cannot remove, lower or change the kind of a city entry. Refusals write
nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.accounts.models import AuditLog
from linli.charter import rules, services
from linli.charter.models import CharterEntry, CharterStatus, CharterVersion
from linli.core.errors import Conflict, Forbidden, InvalidInput

from .conftest import NEW_YEAR, TODAY

pytestmark = pytest.mark.django_db

NEXT_MONTH = dt.date(2026, 7, 1)


def snapshot():
    return (
        AuditLog.objects.count(),
        CharterVersion.objects.filter(status=CharterStatus.PUBLISHED).count(),
        list(CharterEntry.objects.values_list("pk", "code", "kind", "floor", "text")),
    )


def town_draft(county, people, **kw):
    return services.charter_draft_create(
        actor=people.town_a,
        unit=county.town_a,
        title=kw.pop("title", "大瑶镇清单"),
        effective_from=kw.pop("effective_from", NEW_YEAR),
    )


def add_raw(version, **fields):
    """An entry written around the service, as a tampered draft would be; publishing
    must still refuse it."""
    fields.setdefault("kind", "right")
    return CharterEntry.objects.create(version=version, **fields)


# --- what a lower level may do -----------------------------------------------------------------


def test_a_town_extends_the_city_list_raising_the_fund_and_adding_an_entry(county, town_list):
    charter = rules.in_force(county.group_a, TODAY)
    by_code = charter.by_code()
    # Every city entry is there, the town's entry too, marked with its level.
    assert len(charter.entries) == 14
    assert by_code["town-festival"].unit == county.town_a
    assert by_code["contact"].unit == county.city
    fund = by_code["right-fund"]
    assert (fund.floor, fund.base_floor, fund.floor_unit) == (300, 200, "元/年")
    assert fund.raised_by == county.town_a and fund.unit == county.city
    assert [s.text for s in fund.supplements] == ["镇财政每年另行补助100元。"]
    # The other town keeps the city's figure.
    assert rules.in_force(county.group_b, TODAY).by_code()["right-fund"].floor == 200


def test_raising_to_the_same_floor_and_adding_a_supplement_are_allowed(county, people, city_list):
    draft = town_draft(county, people)
    services.charter_entry_add(
        actor=people.town_a, version=draft, code="right-fund", kind="right", floor=200, text="补充"
    )
    services.charter_entry_add(
        actor=people.town_a,
        version=draft,
        code="role-safety",
        kind="responsibility",
        text="汛期巡查",
    )
    services.charter_publish(actor=people.town_a, version=draft)
    merged = rules.in_force(county.village_a, TODAY).by_code()
    assert merged["right-fund"].floor == 200 and merged["right-fund"].raised_by is None
    assert [s.text for s in merged["role-safety"].supplements] == ["汛期巡查"]
    assert merged["role-safety"].title == "安全防护员"


# --- what it may not do: service level ---------------------------------------------------------


def test_a_town_cannot_lower_the_city_fund(county, people, city_list):
    draft = town_draft(county, people)
    before = snapshot()
    with pytest.raises(InvalidInput) as err:
        services.charter_entry_add(
            actor=people.town_a, version=draft, code="right-fund", kind="right", floor=150
        )
    assert err.value.code == "charter_weakens"
    assert snapshot() == before


def test_publishing_a_lowered_floor_is_refused_and_writes_nothing(county, people, city_list):
    draft = town_draft(county, people)
    add_raw(draft, code="right-fund", floor=100, floor_unit="元/年")
    before = snapshot()
    with pytest.raises(InvalidInput) as err:
        services.charter_publish(actor=people.town_a, version=draft)
    assert err.value.code == "charter_weakens"
    assert err.value.details == {"problems": [{"code": "right-fund", "reason": "lower"}]}
    assert snapshot() == before
    draft.refresh_from_db()
    assert draft.status == CharterStatus.DRAFT


def test_a_town_cannot_change_the_kind_of_a_city_entry(county, people, city_list):
    draft = town_draft(county, people)
    with pytest.raises(InvalidInput) as err:
        services.charter_entry_add(
            actor=people.town_a, version=draft, code="contact", kind="right", text="改为权利"
        )
    assert err.value.details["problems"][0]["reason"] == "kind"
    add_raw(draft, code="contact", kind="right")
    before = snapshot()
    with pytest.raises(InvalidInput):
        services.charter_publish(actor=people.town_a, version=draft)
    assert snapshot() == before


def test_a_town_cannot_remove_or_change_a_city_entry(county, people, city_list):
    fund = city_list.entries.get(code="right-fund")
    town_draft(county, people)
    before = snapshot()
    with pytest.raises(Forbidden) as err:
        services.charter_entry_delete(actor=people.town_a, entry=fund)
    assert err.value.code == "charter_inherited"
    with pytest.raises(Forbidden):
        services.charter_entry_update(actor=people.town_a, entry=fund, floor=0)
    assert snapshot() == before
    # Whatever the town publishes, every city code stays in its list.
    city_codes = set(city_list.entries.values_list("code", flat=True))
    assert city_codes <= set(rules.in_force(county.town_a, TODAY).by_code())


def test_a_floor_where_the_city_has_none_and_another_floor_unit_are_refused(
    county, people, city_list
):
    draft = town_draft(county, people)
    with pytest.raises(InvalidInput) as err:
        services.charter_entry_add(
            actor=people.town_a, version=draft, code="right-informed", kind="right", floor=3
        )
    assert err.value.details["problems"][0]["reason"] == "floor_added"
    with pytest.raises(InvalidInput) as err:
        services.charter_entry_add(
            actor=people.town_a,
            version=draft,
            code="right-training",
            kind="right",
            floor=10,
            floor_unit="天/年",
        )
    assert err.value.details["problems"][0]["reason"] == "floor_unit"


def test_a_village_cannot_lower_what_its_town_raised(county, people, town_list):
    draft = services.charter_draft_create(
        actor=people.village_a, unit=county.village_a, title="李畋村清单", effective_from=NEW_YEAR
    )
    with pytest.raises(InvalidInput) as err:
        services.charter_entry_add(
            actor=people.village_a, version=draft, code="right-fund", kind="right", floor=250
        )
    assert "300" in err.value.message
    services.charter_entry_add(
        actor=people.village_a, version=draft, code="right-fund", kind="right", floor=400
    )
    services.charter_publish(actor=people.village_a, version=draft)
    fund = rules.in_force(county.group_a, TODAY).by_code()["right-fund"]
    assert (fund.floor, fund.raised_by) == (400, county.village_a)


def test_when_the_city_raises_a_floor_above_the_town_the_higher_figure_holds(
    county, people, town_list
):
    draft = services.charter_draft_create(
        actor=people.city, unit=county.city, title="第二版", effective_from=NEXT_MONTH
    )
    fund = draft.entries.get(code="right-fund")
    services.charter_entry_update(actor=people.city, entry=fund, floor=500)
    services.charter_publish(actor=people.city, version=draft)
    assert rules.in_force(county.group_a, TODAY).by_code()["right-fund"].floor == 300
    later = rules.in_force(county.group_a, NEXT_MONTH).by_code()["right-fund"]
    assert (later.floor, later.raised_by) == (500, None)
    # And a town draft checked against the new city list must not go below 500.
    town = services.charter_draft_create(
        actor=people.town_a, unit=county.town_a, title="第二版", effective_from=NEXT_MONTH
    )
    assert town.entries.get(code="right-fund").floor == 300  # copied from its last version
    with pytest.raises(InvalidInput):
        services.charter_publish(actor=people.town_a, version=town)


# --- versions ----------------------------------------------------------------------------------


def test_a_published_version_is_never_edited(county, people, city_list):
    entry = city_list.entries.get(code="right-fund")
    before = snapshot()
    with pytest.raises(Conflict):
        services.charter_entry_update(actor=people.city, entry=entry, floor=1000)
    with pytest.raises(Conflict):
        services.charter_entry_delete(actor=people.city, entry=entry)
    with pytest.raises(Conflict):
        services.charter_draft_update(actor=people.city, version=city_list, title="改")
    with pytest.raises(Conflict):
        services.charter_publish(actor=people.city, version=city_list)
    assert snapshot() == before


def test_a_new_version_supersedes_from_its_date(county, people, city_list):
    with pytest.raises(InvalidInput) as err:
        services.charter_draft_create(
            actor=people.city, unit=county.city, title="回溯", effective_from=NEW_YEAR
        )
    assert err.value.code == "charter_effective_order"
    with pytest.raises(InvalidInput) as err:
        services.charter_draft_create(
            actor=people.city, unit=county.city, title="过去", effective_from=dt.date(2026, 3, 1)
        )
    assert err.value.code == "charter_effective_past"
    v2 = services.charter_draft_create(
        actor=people.city, unit=county.city, title="第二版", effective_from=NEXT_MONTH
    )
    assert v2.number == 2 and v2.entries.count() == 13
    with pytest.raises(Conflict):
        services.charter_draft_create(
            actor=people.city, unit=county.city, title="又一版", effective_from=NEXT_MONTH
        )
    services.charter_entry_delete(actor=people.city, entry=v2.entries.get(code="role-model"))
    services.charter_publish(actor=people.city, version=v2)
    assert "role-model" in rules.in_force(county.city, TODAY).by_code()
    assert "role-model" not in rules.in_force(county.city, NEXT_MONTH).by_code()
    assert rules.in_force(county.city, dt.date(2025, 12, 31)).entries == []


def test_an_empty_version_and_an_untitled_new_entry_are_refused(county, people, city_list):
    draft = town_draft(county, people)
    with pytest.raises(InvalidInput) as err:
        services.charter_publish(actor=people.town_a, version=draft)
    assert err.value.code == "charter_empty"
    with pytest.raises(InvalidInput) as err:
        services.charter_entry_add(
            actor=people.town_a, version=draft, code="town-new", kind="right", text="无标题"
        )
    assert err.value.details["problems"][0]["reason"] == "untitled"
    with pytest.raises(InvalidInput) as err:
        services.charter_entry_add(
            actor=people.town_a,
            version=draft,
            code="town-x",
            kind="responsibility",
            title="既有职责又有下限",
            duty="visit",
            floor=2,
        )
    assert err.value.details["problems"][0]["reason"] == "duty_and_floor"


@pytest.mark.parametrize(
    "data, code",
    [
        ({"code": "Bad Code!", "kind": "right", "title": "x"}, "charter_code"),
        ({"code": "ok", "kind": "duty", "title": "x"}, "charter_kind"),
        ({"code": "ok", "kind": "right", "title": "x", "floor": -1}, "charter_floor"),
        ({"code": "ok", "kind": "right", "title": "x", "duty": "sleep"}, "charter_duty"),
        ({"code": "ok", "kind": "right", "title": "x\x00"}, "bad_characters"),
        ({"code": "ok", "kind": "right", "title": "长" * 201}, "too_long"),
    ],
)
def test_bad_entries_are_refused(county, people, city_list, data, code):
    draft = town_draft(county, people)
    before = snapshot()
    with pytest.raises(InvalidInput) as err:
        services.charter_entry_add(actor=people.town_a, version=draft, **data)
    assert err.value.code == code
    assert snapshot() == before


def test_every_write_is_audited(county, people, city_list):
    actions = list(
        AuditLog.objects.filter(target_type__startswith="charter.").values_list("action", flat=True)
    )
    assert actions.count("charter.entry_add") == 13
    assert actions.count("charter.draft_create") == 1 and actions.count("charter.publish") == 1
    publish = AuditLog.objects.get(action="charter.publish")
    assert publish.actor == people.city and "right-fund" in publish.detail["entries"]


def test_the_duty_figure_is_the_duty_rule_in_force_never_a_copy(county, city_list):
    from linli.duties.models import DutyRule

    DutyRule.objects.create(effective_from=dt.date(2026, 6, 1), contacts_per_week=2)
    now = rules.in_force(county.group_a, TODAY)
    before = rules.in_force(county.group_a, dt.date(2026, 5, 20))
    assert " 2 " in now.by_code()["contact"].duty_text
    assert " 1 " in before.by_code()["contact"].duty_text
    assert now.rule.effective_from == dt.date(2026, 6, 1)
    assert not CharterEntry.objects.filter(text__contains="2 次").exists()
