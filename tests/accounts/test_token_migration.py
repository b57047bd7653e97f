"""Tokens issued before scopes and expiry existed keep working, for 90 days, with both
scopes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.support.migrations import latest, migrate_to

BEFORE = [("accounts", "0005_logincode")]
AFTER = [("accounts", "0006_apitoken_scopes_expiry_revocation")]


@pytest.mark.django_db(transaction=True)
def test_old_tokens_get_an_expiry_and_both_scopes():
    old = migrate_to(BEFORE)
    try:
        User = old.get_model("accounts", "User")
        ApiToken = old.get_model("accounts", "ApiToken")
        user = User.objects.create(phone="13755550011", name="老用户")
        never = ApiToken.objects.create(user=user, name="旧", key_hash="a" * 64, prefix="aaaaaaaa")
        soon = timezone.now() + dt.timedelta(days=3)
        dated = ApiToken.objects.create(
            user=user, name="有期", key_hash="b" * 64, prefix="bbbbbbbb", expires_at=soon
        )

        new = migrate_to(AFTER)
        ApiToken = new.get_model("accounts", "ApiToken")
        never = ApiToken.objects.get(pk=never.pk)
        left = never.expires_at - timezone.now()
        assert dt.timedelta(days=89) < left <= dt.timedelta(days=90)
        assert never.scopes == ["read", "write"] and never.revoked_at is None
        assert ApiToken.objects.get(pk=dated.pk).expires_at == soon
    finally:
        migrate_to(latest())
