"""Health notes are shown to the recipient's carers (the primary, a backup with an
account) and the village cadre only; hidden from the town, the city, an administrator
and a representative who is not a carer, on the page and in the API. Each answer that
shows them writes DOORBELL_HEALTH_VIEW; the others write nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.accounts.models import AuditAction, AuditLog
from linli.doorbell import policy
from tests.support.api import ApiClient

from .care_support import People

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
NOTES = "心衰病史ZH77"
HIDDEN = "仅结对人员和村干部可见"


@pytest.fixture
def p(county):
    return People(county)


@pytest.fixture
def recipient(p):
    return p.paired(health_notes=NOTES)


def _views(recipient) -> int:
    return AuditLog.objects.filter(
        action=AuditAction.DOORBELL_HEALTH_VIEW, target_id=str(recipient.pk)
    ).count()


SHOWN = ("rep", "neighbour", "village")
HIDDEN_FROM = ("town", "city", "admin")


@pytest.mark.parametrize("who", SHOWN)
def test_carers_and_the_village_cadre_see_the_notes_and_each_view_is_audited(
    p, recipient, client, who
):
    user = getattr(p, who)
    assert policy.can_see_health(user, recipient)
    client.force_login(user)
    page = client.get(reverse("doorbell:care_detail", args=[recipient.pk]), **ZH)
    assert page.status_code == 200
    assert NOTES in page.content.decode() and HIDDEN not in page.content.decode()
    assert _views(recipient) == 1
    log = AuditLog.objects.get(action=AuditAction.DOORBELL_HEALTH_VIEW)
    assert log.actor == user and log.detail == {"via": "page"}
    answer = ApiClient(user).get(f"/doorbell/recipients/{recipient.pk}")
    assert answer.status_code == 200
    assert answer.json()["health_notes"] == NOTES and answer.json()["health_visible"] is True
    assert _views(recipient) == 2


@pytest.mark.parametrize("who", HIDDEN_FROM)
def test_the_town_the_city_and_the_administrator_see_the_recipient_not_the_notes(
    p, recipient, client, who
):
    user = getattr(p, who)
    assert not policy.can_see_health(user, recipient)
    client.force_login(user)
    page = client.get(reverse("doorbell:care_detail", args=[recipient.pk]), **ZH)
    text = page.content.decode()
    assert page.status_code == 200 and "王奶奶" in text
    assert NOTES not in text and HIDDEN in text
    answer = ApiClient(user).get(f"/doorbell/recipients/{recipient.pk}")
    assert answer.status_code == 200 and NOTES not in answer.content.decode()
    assert answer.json()["health_notes"] is None and answer.json()["health_visible"] is False
    listed = ApiClient(user).get("/doorbell/recipients")
    assert NOTES not in listed.content.decode()
    # Nor on the edit form (a manager changes kind and level, not the notes).
    if policy.can_manage(user, recipient.unit):
        form = client.get(reverse("doorbell:care_edit", args=[recipient.pk]))
        assert form.status_code == 200 and NOTES not in form.content.decode()
    assert _views(recipient) == 0


def test_a_representative_who_is_not_a_carer_gets_nothing(p, recipient, client):
    assert not policy.can_see_health(p.rep_c, recipient)
    client.force_login(p.rep_c)
    page = client.get(reverse("doorbell:care_detail", args=[recipient.pk]))
    assert page.status_code == 404 and NOTES not in page.content.decode()
    answer = ApiClient(p.rep_c).get(f"/doorbell/recipients/{recipient.pk}")
    assert answer.status_code == 404 and NOTES not in answer.content.decode()
    assert _views(recipient) == 0


def test_the_superuser_and_another_town_never_see_the_notes(p, recipient, client):
    client.force_login(p.su)
    page = client.get(reverse("doorbell:care_detail", args=[recipient.pk]), **ZH)
    assert page.status_code == 200 and NOTES not in page.content.decode()
    client.force_login(p.town_b)
    assert client.get(reverse("doorbell:care_detail", args=[recipient.pk])).status_code == 404
    assert _views(recipient) == 0


def test_a_backup_no_longer_a_carer_once_the_pairing_ends(p, recipient, county):
    from linli.doorbell import services

    services.pair(
        actor=p.village, recipient=recipient, primary=p.representative_c, visit_every_days=7
    )
    assert not policy.can_see_health(p.neighbour, recipient)  # a leader: sees, not the notes
    assert not policy.can_see_health(p.rep, recipient)
    assert policy.can_see_health(p.rep_c, recipient)
    answer = ApiClient(p.rep).get(f"/doorbell/recipients/{recipient.pk}")
    assert answer.status_code == 404
