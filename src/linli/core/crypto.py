"""Personal data at rest: encrypted columns and keyed hashes (blind indexes).

ID card numbers and mobile numbers are stored encrypted with AES-256-GCM
(`cryptography`'s `AESGCM`: confidentiality and integrity, a random 96-bit nonce
per value), never in clear:

    id_number = EncryptedCharField(_("ID card number"), max_length=18, blank=True)
    id_number_hash = BlindIndexField("id_number")

A stored value is `v1.<key id>.<base64url(nonce + ciphertext + tag)>`, the key id
being the first 8 hex digits of SHA-256 of the key, so a value names the key that
decrypts it.

The encrypted column cannot be searched, so each one that is looked up has a
sibling column holding HMAC-SHA256 of the normalised value under a separate key.
Equality lookups and uniqueness go through the hash, always through
`blind_index`:

    Member.objects.filter(phone_hash=blind_index(phone))

A partial match ("numbers ending in 5678") is no longer possible, by design.

Keys come from the environment (or a setting of the same name, for tests):

- `LINLI_DATA_KEYS`: comma-separated keys, each 32 random bytes in url-safe
  base64 (`base64.urlsafe_b64encode(os.urandom(32))`). The first encrypts; every one
  decrypts. To rotate, put a new key first, keep the old ones after it, run
  `python -m linli rotate_data_keys`, then drop the old ones.
- `LINLI_HASH_KEY`: the HMAC key of the blind indexes (any long random string).
  Changing it breaks lookups until `rotate_data_keys` has recomputed the hashes.

Without them (demo, tests) both keys are derived from `SECRET_KEY`, which is
logged; the `crypto.E001` system check refuses that in production.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models, transaction
from django.db.models.lookups import Exact, IsNull

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    _ExactBase = Exact[Any]
    _CharBase = models.CharField[str, str]
else:
    _ExactBase = Exact
    _CharBase = models.CharField

DATA_KEYS = "LINLI_DATA_KEYS"
HASH_KEY = "LINLI_HASH_KEY"
VERSION = "v1"


def _configured(name: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, "")
    if isinstance(value, list | tuple):
        value = ",".join(value)
    return str(value).strip()


def keys_configured() -> bool:
    """Whether both keys come from the environment rather than from SECRET_KEY."""
    return bool(_configured(DATA_KEYS)) and bool(_configured(HASH_KEY))


def _derived(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"linli:{purpose}:{secret}".encode()).digest()


def dev_data_key(secret: str | None = None) -> bytes:
    """The data key used when LINLI_DATA_KEYS is unset, derived from SECRET_KEY.

    To leave it for real keys, set LINLI_DATA_KEYS to "<new key>,<this key>" and
    run `rotate_data_keys`."""
    return base64.urlsafe_b64encode(_derived(secret or settings.SECRET_KEY, "data-key"))


def key_id(key: str | bytes) -> str:
    """The id a stored value carries: 8 hex digits of SHA-256 of the decoded key."""
    return hashlib.sha256(_decode_key(key)).hexdigest()[:8]


def _decode_key(key: str | bytes) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(key.strip())
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{DATA_KEYS}: a key is not url-safe base64") from exc
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{DATA_KEYS}: each key must be 32 bytes (url-safe base64)")
    return raw


@dataclass(frozen=True)
class _KeyRing:
    current: str  # the id of the key that encrypts
    ciphers: dict[str, AESGCM]
    hash_key: bytes


_ring: _KeyRing | None = None


def _load() -> _KeyRing:
    raw, secret = _configured(DATA_KEYS), settings.SECRET_KEY
    keys = [k for k in (part.strip() for part in raw.split(",")) if k]
    if not keys:
        logger.warning(
            "%s is not set: personal data is encrypted with a key derived from SECRET_KEY "
            "(demo and tests only)",
            DATA_KEYS,
        )
        keys = [dev_data_key(secret).decode()]
    ciphers: dict[str, AESGCM] = {}
    for key in keys:
        ciphers.setdefault(key_id(key), AESGCM(_decode_key(key)))
    hash_raw = _configured(HASH_KEY)
    if not hash_raw:
        logger.warning(
            "%s is not set: blind indexes use a key derived from SECRET_KEY (demo and tests only)",
            HASH_KEY,
        )
    hash_key = hash_raw.encode() if hash_raw else _derived(secret, "hash-key")
    return _KeyRing(current=key_id(keys[0]), ciphers=ciphers, hash_key=hash_key)


def _keys() -> _KeyRing:
    global _ring
    if _ring is None:
        _ring = _load()
    return _ring


def reset_keys(**kwargs: Any) -> None:
    """Forget the loaded keys (read again on next use): after a change of settings."""
    global _ring
    if kwargs.get("setting") in (None, DATA_KEYS, HASH_KEY, "SECRET_KEY"):
        _ring = None


setting_changed.connect(reset_keys, dispatch_uid="linli.core.crypto.reset_keys")


def encrypt(value: str) -> str:
    """`value` encrypted under the first data key; "" stays ""."""
    if not value:
        return ""
    ring = _keys()
    nonce = os.urandom(12)
    sealed = ring.ciphers[ring.current].encrypt(nonce, value.encode(), None)
    return f"{VERSION}.{ring.current}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(token: str) -> str:
    """The clear text of a value encrypted under any of the data keys; "" stays ""."""
    if not token:
        return ""
    parts = token.split(".", 2)
    if len(parts) != 3 or parts[0] != VERSION:
        raise ImproperlyConfigured("a stored value is not one that core.crypto encrypted")
    _version, kid, body = parts
    cipher = _keys().ciphers.get(kid)
    if cipher is None:
        raise ImproperlyConfigured(
            f"a stored value cannot be decrypted: is its key ({kid}) still in {DATA_KEYS}?"
        )
    try:
        raw = base64.urlsafe_b64decode(body)
        return cipher.decrypt(raw[:12], raw[12:], None).decode()
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"a stored value is damaged (key {kid})") from exc


def normalise(value: str) -> str:
    """What the hash is taken over: no whitespace, upper case (an ID number's final X)."""
    return "".join(str(value or "").split()).upper()


def blind_index(value: str) -> str:
    """HMAC-SHA256 (hex) of the normalised value; "" for an empty value.

    The one way to look a stored ID number or mobile up, and what uniqueness is
    enforced on.
    """
    value = normalise(value)
    if not value:
        return ""
    return hmac.new(_keys().hash_key, value.encode(), hashlib.sha256).hexdigest()


class EncryptedLookupError(FieldError):
    pass


class _EmptyOnlyExact(_ExactBase):
    """`field=""` (is it empty?) works; any other value would never match a token."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise EncryptedLookupError(
                f"{self.lhs.target.name} is encrypted: look it up by its hash column "
                "with core.crypto.blind_index()"
            )
        return super().get_prep_lookup()


class EncryptedCharField(_CharBase):
    """Text stored encrypted (`encrypt`); Python sees the clear value.

    `max_length` bounds the clear value (forms, validation); the column is a text
    column wide enough for the token. Only `isnull` and `=""` lookups are allowed:
    look values up through the sibling `BlindIndexField`.
    """

    description = "Text encrypted at rest"

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return _EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None


class BlindIndexField(_CharBase):
    """The keyed hash of another field of the same model, kept on every save.

    Computed in `pre_save`, so `save()` and `bulk_create()` fill it; `bulk_update()`
    and `QuerySet.update()` do not call it: set it with `blind_index` there.
    """

    description = "Keyed hash of another field"

    def __init__(self, source: str = "", *args: Any, **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs.pop("editable", None)
        for key, default in (("max_length", 64), ("blank", True), ("default", "")):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = blind_index(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value


def encrypted_fields(model: type[models.Model]) -> list[EncryptedCharField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedCharField)]


def blind_index_fields(model: type[models.Model]) -> list[BlindIndexField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]


def _batches(model: type[models.Model], names: list[str], batch_size: int) -> Any:
    last = None
    while True:
        qs = model._base_manager.order_by("pk").only("pk", *names)
        if last is not None:
            qs = qs.filter(pk__gt=last)
        rows = list(qs[:batch_size])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def migrate_columns(
    model: type[models.Model],
    columns: list[str],
    hashes: dict[str, str],
    *,
    forward: bool = True,
    batch_size: int = 2000,
) -> int:
    """Encrypt (or, `forward=False`, decrypt) `columns` in place, for a data migration.

    `model` is the historical model, on which the columns are still plain text
    fields; `hashes` maps each hash column to its source column, filled going
    forward and emptied going back. Returns the number of rows.
    """
    count = 0
    for rows in _batches(model, [*columns, *hashes], batch_size):
        for obj in rows:
            for hash_name, source in hashes.items():
                setattr(obj, hash_name, blind_index(getattr(obj, source) or "") if forward else "")
            for name in columns:
                value = getattr(obj, name) or ""
                setattr(obj, name, encrypt(value) if forward else decrypt(value))
        model._base_manager.bulk_update(rows, [*columns, *hashes])
        count += len(rows)
    return count


def rotate_model(model: type[models.Model], *, batch_size: int = 1000) -> int:
    """Re-encrypt a model's encrypted columns under the first data key and recompute
    its blind indexes under the current hash key. Returns the number of rows."""
    columns = [f.name for f in encrypted_fields(model)]
    hashes = {f.name: f.source for f in blind_index_fields(model)}
    if not columns:
        return 0
    count, last = 0, None
    while True:
        with transaction.atomic():  # one batch, its rows locked from read to write
            qs = model._base_manager.select_for_update().order_by("pk")
            if last is not None:
                qs = qs.filter(pk__gt=last)
            rows = list(qs.only("pk", *columns, *hashes)[:batch_size])
            if not rows:
                return count
            for obj in rows:  # read decrypted; written back encrypted with the first key
                for hash_name, source in hashes.items():
                    setattr(obj, hash_name, blind_index(getattr(obj, source) or ""))
            model._base_manager.bulk_update(rows, [*columns, *hashes])
        count += len(rows)
        last = rows[-1].pk


def production_mode() -> bool:
    """LINLI_ENV=production (the default when unset; core/hardening.py)."""
    from .hardening import PRODUCTION

    return getattr(settings, "LINLI_ENV", PRODUCTION) == PRODUCTION


def check_keys(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """crypto.E001: production needs its own data and hash keys (one of the checks
    `core.checks.deployment_messages` runs before anything is served)."""
    from django.core import checks

    if not production_mode() or keys_configured():
        return []
    missing = [n for n in (DATA_KEYS, HASH_KEY) if not _configured(n)]
    return [
        checks.Error(
            f"{', '.join(missing)} not set: ID numbers and mobiles would be encrypted with "
            "keys derived from SECRET_KEY.",
            hint=f"Set {DATA_KEYS} to one or more keys of 32 bytes in url-safe base64 (python "
            "-c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())') "
            f"and {HASH_KEY} "
            "to a long random string; keep both outside the database and its backups.",
            id="crypto.E001",
        )
    ]
