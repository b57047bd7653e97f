"""Personal data at rest: encrypted columns and keyed hashes (blind indexes).

ID card numbers and mobile numbers are stored as Fernet tokens (AES-128-CBC with
an HMAC-SHA256 tag, `cryptography`'s `MultiFernet`), never in clear:

    id_number = EncryptedCharField(_("ID card number"), max_length=18, blank=True)
    id_number_hash = BlindIndexField("id_number")

The encrypted column cannot be searched, so each one that is looked up has a
sibling column holding HMAC-SHA256 of the normalised value under a separate key.
Equality lookups and uniqueness go through the hash, always through
`blind_index`:

    Member.objects.filter(phone_hash=blind_index(phone))

A partial match ("numbers ending in 5678") is no longer possible, by design.

Keys come from the environment (or a setting of the same name, for tests):

- `LINLI_DATA_KEYS`: comma-separated Fernet keys (`Fernet.generate_key()`). The
  first encrypts; every one decrypts. To rotate, put a new key first, keep the
  old ones after it, run `python -m linli rotate_data_keys`, then drop the old.
- `LINLI_HASH_KEY`: the HMAC key of the blind indexes (any long random string).
  Changing it breaks lookups until `rotate_data_keys` has recomputed the hashes.

Without them (demo, tests) both keys are derived from `SECRET_KEY`, which is
logged once; the `crypto.E001` system check refuses that in production.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import os
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
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
    """The Fernet key used when LINLI_DATA_KEYS is unset, derived from SECRET_KEY.

    To leave it for real keys, set LINLI_DATA_KEYS to "<new key>,<this key>" and
    run `rotate_data_keys`."""
    return base64.urlsafe_b64encode(_derived(secret or settings.SECRET_KEY, "data-key"))


@functools.lru_cache(maxsize=8)
def _fernet(raw: str, secret: str) -> MultiFernet:
    if raw:
        try:
            keys = [Fernet(k.strip()) for k in raw.split(",") if k.strip()]
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                f"{DATA_KEYS} must be comma-separated Fernet keys (32 url-safe base64 bytes)"
            ) from exc
        return MultiFernet(keys)
    logger.warning(
        "%s is not set: personal data is encrypted with a key derived from SECRET_KEY "
        "(demo and tests only)",
        DATA_KEYS,
    )
    return MultiFernet([Fernet(dev_data_key(secret))])


@functools.lru_cache(maxsize=8)
def _hash_key(raw: str, secret: str) -> bytes:
    if raw:
        return raw.encode()
    logger.warning(
        "%s is not set: blind indexes use a key derived from SECRET_KEY (demo and tests only)",
        HASH_KEY,
    )
    return _derived(secret, "hash-key")


def fernet() -> MultiFernet:
    return _fernet(_configured(DATA_KEYS), settings.SECRET_KEY)


def encrypt(value: str) -> str:
    """A Fernet token for `value` under the first data key; "" stays ""."""
    if not value:
        return ""
    return fernet().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The clear text of a token made under any of the data keys; "" stays ""."""
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise ImproperlyConfigured(
            f"a stored value cannot be decrypted: is the key that made it still in {DATA_KEYS}?"
        ) from exc


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
    key = _hash_key(_configured(HASH_KEY), settings.SECRET_KEY)
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


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
    """Text stored as a Fernet token; Python sees the clear value.

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
    """Neither DEBUG, nor the demo (the built-in insecure SECRET_KEY or LINLI_DEMO=1)."""
    if settings.DEBUG:
        return False
    if str(settings.SECRET_KEY).startswith("insecure-"):
        return False
    demo = os.environ.get("LINLI_DEMO", "").strip().lower() in {"1", "true", "yes", "on"}
    return not (demo or getattr(settings, "LINLI_DEMO", False))


def check_keys(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """System check crypto.E001: production needs its own data and hash keys."""
    from django.core import checks

    if not production_mode() or keys_configured():
        return []
    missing = [n for n in (DATA_KEYS, HASH_KEY) if not _configured(n)]
    return [
        checks.Error(
            f"{', '.join(missing)} not set: ID numbers and mobiles would be encrypted with "
            "keys derived from SECRET_KEY.",
            hint=f"Set {DATA_KEYS} to one or more Fernet keys (python -c 'from cryptography."
            f"fernet import Fernet; print(Fernet.generate_key().decode())') and {HASH_KEY} "
            "to a long random string; keep both outside the database and its backups.",
            id="crypto.E001",
        )
    ]
