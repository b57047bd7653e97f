"""The audit log's hash chain: sealing, verifying, purging.

Every entry is written by `services.audit_record` inside the transaction of the change
it records, with no place in the chain yet (`seq` NULL). Right after that transaction
commits (and on every tick, for anything a crash left behind), `seal()` takes the
chain's head row under a row lock, gives the unsealed entries the next sequence numbers
in insertion order and a keyed hash each:

    hash = HMAC-SHA256(AUDIT_KEY, prev_hash | seq | at | actor | action | target | ip | detail)

Sealing after commit keeps the business transactions from queueing on one lock (a
claim, an escalation and an import never wait for each other's audit rows) and costs a
few milliseconds of an entry being unchained. `verify()` walks the chain in `seq`
order and reports an entry changed (its hash no longer matches), deleted or inserted (a
gap or a broken link), cut from the end (the head names a later entry), or left
unsealed for longer than `UNSEALED_GRACE`. The key (`LINLI_AUDIT_KEY`) lives outside the
database, so someone who can write to the database cannot recompute the chain after
changing a row. What a keyed chain cannot show on its own is the removal of the newest
entries together with the head: each seal logs the head (`linli.audit` logger), and
`audit_verify` prints it, for an outside record to compare with.

Retention: `purge(days)` removes the oldest entries only when they are older than the
retention (at least 180 days, 网络安全法 Art. 21), and anchors the chain at the last
removed entry (`AuditChainHead.purged_seq/purged_hash`), so what remains still verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import AuditChainHead, AuditLog

logger = logging.getLogger("linli.audit")

SEAL_BATCH = 2000
UNSEALED_GRACE = dt.timedelta(minutes=10)
MIN_RETENTION_DAYS = 180


def _key() -> bytes:
    return settings.LINLI["AUDIT_KEY"].encode()


def _canonical(entry: AuditLog, prev_hash: str) -> bytes:
    at = entry.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    content = [
        prev_hash,
        entry.seq,
        at,
        entry.actor_id,
        entry.action,
        entry.target_type,
        entry.target_id,
        entry.ip or "",
        entry.detail,
    ]
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass"
    )


def digest(entry: AuditLog, prev_hash: str) -> str:
    """The keyed hash of `entry` (with its `seq` set) following `prev_hash`."""
    return hmac.new(_key(), _canonical(entry, prev_hash), hashlib.sha256).hexdigest()


def _head_for_update() -> AuditChainHead:
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    return head


def seal(*, batch: int = SEAL_BATCH) -> int:
    """Chain every unsealed entry; return how many were sealed. Safe to run at once
    in several processes: the head row's lock lets one seal at a time, and each batch
    re-reads what is still unsealed after taking it."""
    total = 0
    while True:
        with transaction.atomic():
            head = _head_for_update()
            rows = list(AuditLog.objects.filter(seq__isnull=True).order_by("id")[:batch])
            if not rows:
                break
            seq, prev = head.seq, head.hash
            for row in rows:
                seq += 1
                row.seq, row.prev_hash = seq, prev
                row.hash = digest(row, prev)
                prev = row.hash
            AuditLog.objects.bulk_update(rows, ["seq", "prev_hash", "hash"])
            head.seq, head.hash = seq, prev
            head.save(update_fields=["seq", "hash"])
        total += len(rows)
        logger.info("audit chain head #%d %s", seq, prev)
        if len(rows) < batch:
            break
    return total


def seal_on_commit() -> None:
    """Seal after the current transaction commits (at once when there is none)."""
    transaction.on_commit(_seal_quietly)


def _seal_quietly() -> None:
    try:
        seal()
    except Exception:  # the tick seals what is left; the change itself is committed
        logger.exception("sealing the audit chain failed; the tick will retry")


def seal_tick() -> int:
    """The tick's share: seal anything a crash or a failed seal left unchained."""
    return seal()


@dataclass
class VerifyResult:
    checked: int = 0
    head_seq: int = 0
    head_hash: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(*, now: dt.datetime | None = None) -> VerifyResult:
    """Walk the chain and report every entry that is not as it was sealed."""
    now = now or timezone.now()
    head = AuditChainHead.objects.filter(pk=1).first() or AuditChainHead(pk=1)
    result = VerifyResult(head_seq=head.seq, head_hash=head.hash)
    expected, prev = head.purged_seq + 1, head.purged_hash
    rows = AuditLog.objects.filter(seq__isnull=False).order_by("seq")
    for row in rows.iterator(chunk_size=SEAL_BATCH):
        assert row.seq is not None
        if row.seq > expected:
            result.problems.append(
                f"entries #{expected}..#{row.seq - 1} are missing (deleted)"
                if row.seq - 1 > expected
                else f"entry #{expected} is missing (deleted)"
            )
        elif row.seq < expected:  # pragma: no cover - seq is unique
            result.problems.append(f"entry #{row.seq} is out of order")
        if row.prev_hash != prev:
            result.problems.append(f"entry #{row.seq} does not follow the entry before it")
        if not hmac.compare_digest(digest(row, row.prev_hash), row.hash):
            result.problems.append(f"entry #{row.seq} was changed after it was recorded")
        prev, expected = row.hash, row.seq + 1
        result.checked += 1
    if head.seq != expected - 1 or head.hash != prev:
        result.problems.append(
            f"the chain ends at #{expected - 1} but its head names #{head.seq}: "
            "entries were removed from the end"
        )
    stale = AuditLog.objects.filter(seq__isnull=True, at__lt=now - UNSEALED_GRACE).count()
    if stale:
        result.problems.append(f"{stale} entries were never sealed into the chain")
    return result


@dataclass
class PurgeResult:
    deleted: int
    upto_seq: int
    cutoff: dt.datetime


def retention_days() -> int:
    return max(MIN_RETENTION_DAYS, settings.LINLI["AUDIT_RETENTION_DAYS"])


def purge(*, days: int, now: dt.datetime | None = None) -> PurgeResult:
    """Delete the sealed entries older than `days` (never fewer than the retention),
    oldest first without gaps, and anchor the chain at the last one deleted."""
    if days < retention_days():
        raise ValueError(f"the audit log is kept at least {retention_days()} days, not {days}")
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    seal()
    with transaction.atomic():
        head = _head_for_update()
        # Only a prefix of the chain may go: stop before the first entry that is young.
        young = (
            AuditLog.objects.filter(seq__isnull=False, at__gte=cutoff)
            .order_by("seq")
            .values_list("seq", flat=True)
            .first()
        )
        old = AuditLog.objects.filter(seq__isnull=False, at__lt=cutoff)
        if young is not None:
            old = old.filter(seq__lt=young)
        last = old.order_by("-seq").first()
        if last is None or last.seq is None:
            return PurgeResult(0, head.purged_seq, cutoff)
        deleted, _ = old.delete()
        head.purged_seq, head.purged_hash = last.seq, last.hash
        head.save(update_fields=["purged_seq", "purged_hash"])
    return PurgeResult(deleted, last.seq, cutoff)


def export_rows(entries: Any) -> Any:
    """The rows of an audit export: one per entry, with its place in the chain."""
    for e in entries.iterator(chunk_size=SEAL_BATCH):
        yield [
            e.seq,
            timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor.name if e.actor else "",
            e.actor.phone if e.actor else "",
            e.action,
            e.target_type,
            e.target_id,
            e.ip or "",
            json.dumps(e.detail, ensure_ascii=False, sort_keys=True),
            e.hash,
        ]
