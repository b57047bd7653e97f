"""kill -9 a worker in the middle of delivering notifications (issue 11).

The worker is the real process production runs without Celery, `python -m linli tick
--loop`, on a PostgreSQL cluster of the test's own, delivering webhook rows to a
receiver in this test that checks signatures, sleeps a little per delivery and applies
each delivery id once. The test kills the worker with SIGKILL mid-batch and starts
another: every row reaches the receiver, none is applied twice, every row ends sent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter

import pytest

from . import kit

pytestmark = pytest.mark.faults

ROWS = 40

SEED = """
import json, django
django.setup()
from django.utils import timezone
from linli.notify.models import Channel, Outbox, Webhook
hook = Webhook.objects.create(name="fault receiver", url={url!r}, events=["*"])
now = timezone.now()
rows = Outbox.objects.bulk_create([
    Outbox(channel=Channel.WEBHOOK, kind="fault.test", webhook=hook, address=hook.url,
           payload={{"n": i}}, created_at=now, next_attempt_at=now)
    for i in range({rows})
])
print(json.dumps({{"secret": hook.secret, "ids": [r.pk for r in rows]}}))
"""


def _worker(environ: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [kit.PYTHON, "-m", "linli", "tick", "--loop"],
        env=environ,
        cwd=kit.ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_kill_9_a_worker_mid_delivery(pg, seeded, var_dir, figures):
    url = pg.createdb("linli_worker", template="linli_seed")
    environ = kit.env(
        LINLI_DATABASE_URL=url,
        LINLI_VAR_DIR=var_dir,
        # A short lease so that the test need not wait the production minute.
        LINLI_OUTBOX_LEASE_SECONDS="3",
    )
    receiver = kit.Receiver().start()
    first = second = None
    try:
        done = subprocess.run(
            [kit.PYTHON, "-c", SEED.format(url=receiver.url, rows=ROWS)],
            env=environ,
            cwd=kit.ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        seeded = json.loads(done.stdout.strip().splitlines()[-1])
        receiver.secret = seeded["secret"]
        ids = set(seeded["ids"])

        first = _worker(environ)
        kit.wait_for(lambda: len(receiver.received) >= ROWS // 4, timeout=60, what="deliveries")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        at_kill = len(receiver.received)
        assert at_kill < ROWS, "the worker finished before it was killed"

        second = _worker(environ)
        kit.wait_for(lambda: set(receiver.applied) >= ids, timeout=90, what="every row")
        # Every row is marked sent (once: a mark only moves a row out of the due statuses).
        try:
            kit.wait_for(
                lambda: (
                    pg.psql(
                        "linli_worker",
                        "select count(*) from notify_outbox where status = 'sent' "
                        "and kind = 'fault.test'",
                    ).strip()
                    == str(ROWS)
                ),
                timeout=30,
                what="every row marked sent",
            )
        except AssertionError as exc:
            rows = pg.psql(
                "linli_worker",
                "select id, status, attempts, locked_until, next_attempt_at, last_error "
                "from notify_outbox where status <> 'sent' and kind = 'fault.test'",
            )
            raise AssertionError(f"{exc}; not sent: {rows}; received {receiver.received}") from exc
        time.sleep(1)  # anything still coming would be a duplicate delivery
        received = Counter(receiver.received)
        redelivered = sorted(i for i, n in received.items() if n > 1)
        applied_twice = sorted(i for i, n in receiver.applied.items() if n > 1)
        unsent = pg.psql(
            "linli_worker",
            "select count(*) from notify_outbox where sent_at is null and kind = 'fault.test'",
        ).strip()
        figures.update(
            rows=ROWS,
            delivered_before_kill=at_kill,
            deliveries=len(receiver.received),
            distinct=len(received),
            redelivered=len(redelivered),
            applied_twice=len(applied_twice),
            bad_signatures=receiver.bad_signatures,
        )
        assert set(received) == ids
        assert not applied_twice
        assert receiver.bad_signatures == 0
        assert unsent == "0"
        # Only the row in flight when the worker died may arrive twice.
        assert len(redelivered) <= 1, redelivered
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)
        receiver.stop()
