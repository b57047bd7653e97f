"""The registration's plausibility checks hold when a care record is edited (service,
page and API): 独居老人/空巢老人 for a resident known to be under 60 is refused
(`too_young`), and changing the kind to 独居老人 for a resident whose household lists
other members needs 确认独居 (`not_alone`), with the Chinese reasons."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from linli.accounts.models import AuditAction, AuditLog
from linli.core.errors import InvalidInput
from linli.doorbell import services
from linli.doorbell.models import CareRecipient
from linli.org.models import Member
from tests.support.api import ApiClient

from .care_support import People

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def p(county):
    return People(county)


def _years_ago(n: int) -> dt.date:
    today = dt.date.today()
    return today.replace(year=today.year - n, day=min(today.day, 28))


def _young(p) -> CareRecipient:
    """A 43-year-old registered as disabled (nothing to check)."""
    member = Member.objects.create(
        household=p.county.households_a[2], name="赵中年", birth_date=_years_ago(43)
    )
    return services.recipient_register(actor=p.village, member=member, kind="disabled")


def _with_others(p) -> CareRecipient:
    """An 80-year-old in a household listing another member, registered as empty nest."""
    household = p.county.households_a[3]
    Member.objects.create(household=household, name="钱儿子", birth_date=_years_ago(50))
    member = Member.objects.create(household=household, name="钱奶奶", birth_date=_years_ago(80))
    return services.recipient_register(actor=p.village, member=member, kind="empty_nest")


def _updates() -> int:
    return AuditLog.objects.filter(action=AuditAction.DOORBELL_CARE_UPDATE).count()


def test_the_service_checks_the_kind_on_edit(p):
    young = _young(p)
    for kind in ("elderly_alone", "empty_nest"):
        with pytest.raises(InvalidInput) as refused:
            services.recipient_update(
                actor=p.village, recipient=young, version=1, kind=kind, level="routine"
            )
        assert refused.value.code == "too_young"
    old = _with_others(p)
    with pytest.raises(InvalidInput) as refused:
        services.recipient_update(
            actor=p.village, recipient=old, version=1, kind="elderly_alone", level="close"
        )
    assert refused.value.code == "not_alone"
    assert _updates() == 0
    young.refresh_from_db()
    old.refresh_from_db()
    assert (young.kind, young.version, old.kind, old.version) == ("disabled", 1, "empty_nest", 1)
    changed = services.recipient_update(
        actor=p.village,
        recipient=old,
        version=1,
        kind="elderly_alone",
        level="close",
        confirm_alone=True,
    )
    assert changed.kind == "elderly_alone" and changed.version == 2
    # An unchanged kind keeps the registration's (here the edit's) confirmation: the
    # level alone may change without confirming again.
    again = services.recipient_update(
        actor=p.village, recipient=changed, version=2, kind="elderly_alone", level="intensive"
    )
    assert again.level == "intensive"


def test_an_implausible_record_cannot_stay_so_on_edit(p):
    """Registered 空巢老人 before the birth date was known; once it is known to be under
    60, any edit that keeps the kind is refused: change the kind."""
    member = Member.objects.create(household=p.county.households_a[2], name="孙某")
    r = services.recipient_register(actor=p.village, member=member, kind="empty_nest")
    member.birth_date = _years_ago(40)
    member.save(update_fields=["birth_date"])
    with pytest.raises(InvalidInput) as refused:
        services.recipient_update(
            actor=p.village, recipient=r, version=1, kind="empty_nest", level="close"
        )
    assert refused.value.code == "too_young"
    fixed = services.recipient_update(
        actor=p.village, recipient=r, version=1, kind="other", level="close"
    )
    assert fixed.kind == "other"


def test_the_page_says_why_in_chinese(p, client):
    young = _young(p)
    client.force_login(p.village)
    url = reverse("doorbell:care_edit", args=[young.pk])
    refused = client.post(url, {"version": 1, "kind": "empty_nest", "level": "routine"}, **ZH)
    assert refused.status_code == 400
    assert "赵中年" in refused.content.decode() and "须年满60岁" in refused.content.decode()
    old = _with_others(p)
    url = reverse("doorbell:care_edit", args=[old.pk])
    body = {"version": 1, "kind": "elderly_alone", "level": "close"}
    refused = client.post(url, body, **ZH)
    page = refused.content.decode()
    assert refused.status_code == 400 and "确认独居" in page and "1名其他成员" in page
    assert client.post(url, {**body, "confirm_alone": "on"}).status_code == 302
    old.refresh_from_db()
    assert old.kind == "elderly_alone"


def test_the_api_answers_400_with_the_reason(p):
    api = ApiClient(p.village)
    young = _young(p)
    r = api.client.put(
        f"/api/v1/doorbell/recipients/{young.pk}",
        {"version": 1, "kind": "elderly_alone", "level": "routine"},
        content_type="application/json",
        headers=api.headers,
        **ZH,
    )
    assert r.status_code == 400 and r.json()["code"] == "too_young"
    assert "须年满60岁" in r.json()["message"]
    old = _with_others(p)
    path = f"/doorbell/recipients/{old.pk}"
    body = {"version": 1, "kind": "elderly_alone", "level": "close"}
    r = api.send("PUT", path, body)
    assert r.status_code == 400 and r.json()["code"] == "not_alone"
    r = api.send("PUT", path, {**body, "confirm_alone": "perhaps"})
    assert r.status_code == 400  # not a boolean
    r = api.send("PUT", path, {**body, "confirm_alone": True})
    assert r.status_code == 200 and r.json()["kind"] == "elderly_alone"
