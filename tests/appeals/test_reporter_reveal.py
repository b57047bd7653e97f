"""The reporter's mobile: masked on the detail page, shown in clear on request to whoever
handles the appeal, and every such view audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.accounts.models import AuditLog
from linli.appeals import services
from linli.core.errors import Forbidden
from tests.support.factories import RESIDENT_PHONE

pytestmark = pytest.mark.django_db


def test_detail_masks_the_mobile_and_the_reveal_is_audited(client, actors, file_appeal):
    appeal = file_appeal()
    client.force_login(actors.rep)
    page = client.get(reverse("appeals:detail", args=[appeal.code])).content.decode()
    assert "139****5678" in page and RESIDENT_PHONE not in page
    assert reverse("appeals:reporter_reveal", args=[appeal.code]) in page
    assert not AuditLog.objects.filter(action="appeal.reporter_reveal").exists()

    shown = client.post(
        reverse("appeals:reporter_reveal", args=[appeal.code]), HTTP_HX_REQUEST="true"
    )
    assert shown.status_code == 200 and RESIDENT_PHONE in shown.content.decode()
    entry = AuditLog.objects.get(action="appeal.reporter_reveal")
    assert entry.actor == actors.rep
    assert (entry.target_type, entry.target_id) == ("appeals.appeal", str(appeal.pk))
    assert entry.detail == {"fields": ["reporter_phone"]}


def test_only_those_handling_or_above_may_reveal(actors, file_appeal):
    appeal = file_appeal()
    assert services.reporter_phone_reveal(actor=actors.town, appeal=appeal) == RESIDENT_PHONE
    for outsider in (actors.rep_b, actors.dept):
        with pytest.raises(Forbidden):
            services.reporter_phone_reveal(actor=outsider, appeal=appeal)
    assert AuditLog.objects.filter(action="appeal.reporter_reveal").count() == 1


def test_another_town_cannot_reach_the_reveal(client, actors, file_appeal):
    appeal = file_appeal()
    client.force_login(actors.town_b)
    r = client.post(reverse("appeals:reporter_reveal", args=[appeal.code]))
    assert r.status_code == 404
    assert not AuditLog.objects.filter(action="appeal.reporter_reveal").exists()
