"""core.crypto: tokens, rotation, blind indexes and the production check on the keys."""

from __future__ import annotations

import base64
import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from linli.core import crypto

K1 = base64.urlsafe_b64encode(os.urandom(32)).decode()
K2 = base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_round_trip_and_empty_values():
    token = crypto.encrypt("13800138001")
    assert token != "13800138001" and "13800138001" not in token
    assert crypto.decrypt(token) == "13800138001"
    assert crypto.encrypt("") == "" and crypto.decrypt("") == ""


def test_the_first_key_encrypts_and_every_key_decrypts():
    with override_settings(LINLI_DATA_KEYS=K1):
        old = crypto.encrypt("430181198001010012")
    assert old.startswith(f"v1.{crypto.key_id(K1)}.")
    with override_settings(LINLI_DATA_KEYS=f"{K2},{K1}"):
        assert crypto.decrypt(old) == "430181198001010012"
        new = crypto.encrypt("430181198001010012")
    assert new.startswith(f"v1.{crypto.key_id(K2)}.")
    with override_settings(LINLI_DATA_KEYS=K2):
        assert crypto.decrypt(new) == "430181198001010012"
        with pytest.raises(ImproperlyConfigured):
            crypto.decrypt(old)  # the old key was dropped before rotating


def test_a_tampered_value_is_refused():
    token = crypto.encrypt("13800138001")
    body = token.rsplit(".", 1)[1]
    flipped = body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    with pytest.raises(ImproperlyConfigured):
        crypto.decrypt(token.rsplit(".", 1)[0] + "." + flipped)
    with pytest.raises(ImproperlyConfigured):
        crypto.decrypt("13800138001")  # a clear value is not mistaken for a token


def test_a_malformed_key_is_a_configuration_error():
    for bad in ("not-a-key", base64.urlsafe_b64encode(b"short").decode()):
        with override_settings(LINLI_DATA_KEYS=bad), pytest.raises(ImproperlyConfigured):
            crypto.encrypt("x")


def test_blind_index_is_keyed_and_normalised():
    assert crypto.blind_index("43018119800101001x") == crypto.blind_index(" 43018119800101001X ")
    assert crypto.blind_index("") == ""
    assert len(crypto.blind_index("13800138001")) == 64
    with override_settings(LINLI_HASH_KEY="another key"):
        other = crypto.blind_index("13800138001")
    assert other != crypto.blind_index("13800138001")


@pytest.mark.parametrize(
    ("mode", "keys", "errors"),
    [
        ("production", False, 1),
        ("production", True, 0),
        ("demo", False, 0),
        ("test", False, 0),
    ],
)
def test_production_refuses_to_run_without_its_own_keys(mode, keys, errors, monkeypatch):
    values = {"LINLI_DATA_KEYS": K1, "LINLI_HASH_KEY": "h" * 40} if keys else {}
    monkeypatch.delenv("LINLI_DATA_KEYS", raising=False)
    monkeypatch.delenv("LINLI_HASH_KEY", raising=False)
    with override_settings(LINLI_ENV=mode, **values):
        found = crypto.check_keys()
    assert len(found) == errors
    if errors:
        assert found[0].id == "crypto.E001"
        assert "LINLI_DATA_KEYS" in found[0].msg and "LINLI_HASH_KEY" in found[0].msg
