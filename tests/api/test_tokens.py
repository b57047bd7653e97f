"""API tokens: expiry, revocation, scopes, the list of one's own, last use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli.accounts import services
from linli.accounts.models import ApiToken, AuditLog, Role
from linli.core.errors import InvalidInput, NotFound
from tests.support.api import post, url
from tests.support.roles import PASSWORD

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_new_token_expires_after_the_default_lifetime(county, user_in_town_a):
    village = user_in_town_a(Role.VILLAGE)
    token, _key = services.token_create(actor=village)
    lifetime = token.expires_at - token.created_at
    assert abs(lifetime - dt.timedelta(days=settings.LINLI["TOKEN_DAYS"])) < dt.timedelta(seconds=5)
    assert token.scopes == ["read", "write"]


def test_a_lifetime_beyond_the_cap_is_refused(county, user_in_town_a):
    village = user_in_town_a(Role.VILLAGE)
    with pytest.raises(InvalidInput):
        services.token_create(actor=village, expires_in_days=settings.LINLI["TOKEN_MAX_DAYS"] + 1)
    response = post(
        Client(),
        "/auth/token",
        {"phone": village.phone, "password": PASSWORD, "expires_in_days": 10_000},
    )
    assert response.status_code == 400 and response.json()["code"] == "token_lifetime"


def test_an_expired_token_is_401(county, user_in_town_a):
    village = user_in_town_a(Role.VILLAGE)
    token, key = services.token_create(actor=village)
    client = Client()
    assert client.get(url("/auth/me"), headers=bearer(key)).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(url("/auth/me"), headers=bearer(key)).status_code == 401


def test_a_revoked_token_is_401(county, user_in_town_a):
    village = user_in_town_a(Role.VILLAGE)
    token, key = services.token_create(actor=village)
    client = Client()
    assert client.get(url("/auth/me"), headers=bearer(key)).status_code == 200

    gone = client.delete(url(f"/auth/tokens/{token.pk}"), headers=bearer(key))
    assert gone.status_code == 200 and gone.json()["revoked_at"] and not gone.json()["active"]
    assert client.get(url("/auth/me"), headers=bearer(key)).status_code == 401
    assert AuditLog.objects.filter(action="token.revoke", target_id=str(token.pk)).count() == 1


def test_a_read_token_may_read_but_not_write(county, user_in_town_a):
    town = user_in_town_a(Role.TOWN)
    _token, read_key = services.token_create(actor=town, scopes=["read"])
    _token, write_key = services.token_create(actor=town, scopes=["write"])
    client = Client()
    body = {"unit_id": county.group_a.pk, "head_name": "李读", "address": "一组100号"}

    assert client.get(url("/households"), headers=bearer(read_key)).status_code == 200
    refused = post(client, "/households", body, headers=bearer(read_key))
    assert refused.status_code == 403 and refused.json()["code"] == "token_scope"
    assert not county.group_a.households.filter(head_name="李读").exists()

    assert post(client, "/households", body, headers=bearer(write_key)).status_code == 201


def test_the_endpoint_issues_a_read_token_with_a_name_and_lifetime(county, user_in_town_a):
    village = user_in_town_a(Role.VILLAGE)
    response = post(
        Client(),
        "/auth/token",
        {
            "phone": village.phone,
            "password": PASSWORD,
            "name": "报表脚本",
            "scopes": ["read"],
            "expires_in_days": 7,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    token = ApiToken.objects.get(pk=body["id"])
    assert token.name == "报表脚本" and token.scopes == ["read"] and body["scopes"] == ["read"]
    assert dt.timedelta(days=6) < token.expires_at - timezone.now() <= dt.timedelta(days=7)


def test_the_token_list_shows_only_ones_own_and_never_a_key(county, user_in_town_a):
    village = user_in_town_a(Role.VILLAGE)
    other = user_in_town_a(Role.GROUP_LEADER)
    mine, key = services.token_create(actor=village, name="我的")
    theirs, their_key = services.token_create(actor=other, name="别人的")
    client = Client()

    listed = client.get(url("/auth/tokens"), headers=bearer(key))
    assert listed.status_code == 200
    rows = listed.json()
    assert [r["id"] for r in rows] == [mine.pk]
    assert key not in listed.content.decode() and mine.key_hash not in listed.content.decode()

    # Someone else's token is not found, and stays alive.
    assert client.delete(url(f"/auth/tokens/{theirs.pk}"), headers=bearer(key)).status_code == 404
    assert client.get(url("/auth/me"), headers=bearer(their_key)).status_code == 200
    with pytest.raises(NotFound):
        services.token_revoke(actor=village, token_id=theirs.pk)


def test_last_use_is_written_at_most_once_a_minute(county, user_in_town_a, monkeypatch):
    village = user_in_town_a(Role.VILLAGE)
    token, key = services.token_create(actor=village)
    start = timezone.now()
    monkeypatch.setattr("linli.accounts.services.timezone.now", lambda: start)
    services.token_authenticate(key)
    token.refresh_from_db()
    assert token.last_used_at == start

    later = start + dt.timedelta(seconds=30)
    monkeypatch.setattr("linli.accounts.services.timezone.now", lambda: later)
    services.token_authenticate(key)
    token.refresh_from_db()
    assert token.last_used_at == start

    much_later = start + dt.timedelta(seconds=61)
    monkeypatch.setattr("linli.accounts.services.timezone.now", lambda: much_later)
    services.token_authenticate(key)
    token.refresh_from_db()
    assert token.last_used_at == much_later


# --- the account page ----------------------------------------------------------------------


def test_the_account_page_shows_the_user_masked_phone_roles_and_own_tokens(county, user_in_town_a):
    village = user_in_town_a(Role.VILLAGE)
    other = user_in_town_a(Role.GROUP_LEADER)
    services.token_create(actor=village, name="我的令牌")
    services.token_create(actor=other, name="别人的令牌")
    client = Client()
    client.force_login(village)
    body = client.get(reverse("accounts:me"), **ZH).content.decode()
    assert "我的账户" in body and village.name in body
    assert village.phone not in body and village.phone[-4:] in body
    assert "村(社区)干部" in body or "村" in body
    assert "我的令牌" in body and "别人的令牌" not in body


def test_a_token_made_on_the_account_page_is_shown_once_and_revoked_there(county, user_in_town_a):
    village = user_in_town_a(Role.VILLAGE)
    client = Client()
    client.force_login(village)
    made = client.post(
        reverse("accounts:token_create"),
        {"name": "手机脚本", "scope": "read", "expires_in_days": "30"},
        **ZH,
    )
    assert made.status_code == 200
    key = made.context["new_key"]
    token = ApiToken.objects.get(user=village, name="手机脚本")
    assert key in made.content.decode() and token.scopes == ["read"]
    assert key not in client.get(reverse("accounts:me")).content.decode()
    assert Client().get(url("/auth/me"), headers=bearer(key)).status_code == 200

    client.post(reverse("accounts:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get(url("/auth/me"), headers=bearer(key)).status_code == 401


def test_the_account_page_refuses_too_long_a_lifetime(county, user_in_town_a):
    village = user_in_town_a(Role.VILLAGE)
    client = Client()
    client.force_login(village)
    response = client.post(
        reverse("accounts:token_create"),
        {"name": "x", "scope": "write", "expires_in_days": "100000"},
    )
    assert response.status_code == 400
    assert not ApiToken.objects.filter(user=village).exists()


def test_another_users_token_cannot_be_revoked_from_the_page(county, user_in_town_a):
    village = user_in_town_a(Role.VILLAGE)
    other = user_in_town_a(Role.GROUP_LEADER)
    theirs, _key = services.token_create(actor=other)
    client = Client()
    client.force_login(village)
    assert client.post(reverse("accounts:token_revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
