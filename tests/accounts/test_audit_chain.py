"""The audit log is tamper-evident (issue 11, "Personal data and audit").

Each entry is chained to the one before by a keyed hash when its transaction commits;
`verify()` (and `python -m linli audit_verify`) finds an entry changed, deleted,
inserted or cut from the end; old entries go only past the retention (>= 180 days)
and what remains still verifies; audit administrators read and export it.
"""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from linli.accounts import audit
from linli.accounts.models import AuditAction, AuditChainHead, AuditLog
from linli.accounts.services import audit_record, auditors_group
from tests.support.roles import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def record(n: int, **detail) -> list[AuditLog]:
    out = []
    for i in range(n):
        with transaction.atomic():
            out.append(
                audit_record(
                    actor=None,
                    action=AuditAction.USER_UPDATE,
                    target_type="accounts.user",
                    target_id=str(i),
                    detail={"i": i, "名字": "王建国", **detail},
                )
            )
    audit.seal()  # what on_commit does after a real commit
    return out


def problems() -> list[str]:
    return audit.verify().problems


def test_entries_are_chained_in_order_and_verify():
    record(5)
    rows = list(AuditLog.objects.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == ""
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (5, rows[-1].hash)
    assert audit.verify().ok and audit.verify().checked == 5


def test_sealing_happens_when_the_change_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            entry = audit_record(actor=None, action=AuditAction.USER_CREATE, target_id="1")
            assert AuditLog.objects.get(pk=entry.pk).seq is None  # not before the commit
    assert AuditLog.objects.get(pk=entry.pk).seq == 1
    assert audit.verify().ok


def test_a_changed_entry_is_found():
    rows = record(4)
    AuditLog.objects.filter(pk=rows[1].pk).update(detail={"i": 99})
    assert problems() == ["entry #2 was changed after it was recorded"]


def test_a_changed_time_or_actor_is_found():
    rows = record(3)
    AuditLog.objects.filter(pk=rows[0].pk).update(at=rows[0].at - dt.timedelta(days=1))
    AuditLog.objects.filter(pk=rows[2].pk).update(target_id="other")
    assert problems() == [
        "entry #1 was changed after it was recorded",
        "entry #3 was changed after it was recorded",
    ]


def test_a_deleted_entry_is_found():
    rows = record(5)
    AuditLog.objects.filter(pk=rows[2].pk).delete()
    found = problems()
    assert "entry #3 is missing (deleted)" in found
    assert "entry #4 does not follow the entry before it" in found


def test_entries_cut_from_the_end_are_found():
    rows = record(5)
    AuditLog.objects.filter(pk__in=[rows[3].pk, rows[4].pk]).delete()
    assert problems() == [
        "the chain ends at #3 but its head names #5: entries were removed from the end"
    ]


def test_a_forged_entry_without_the_key_is_found():
    record(3)
    last = AuditLog.objects.get(seq=3)
    forged = AuditLog.objects.create(
        seq=4, prev_hash=last.hash, hash="0" * 64, action="user.update", target_type="x"
    )
    AuditChainHead.objects.update(seq=4, hash=forged.hash)
    assert problems() == ["entry #4 was changed after it was recorded"]


def test_a_rehashed_entry_needs_the_key(settings):
    rows = record(3)
    settings.LINLI = {**settings.LINLI, "AUDIT_KEY": "someone else's key"}
    entry = AuditLog.objects.get(pk=rows[1].pk)
    entry.detail = {"i": 1, "forged": True}
    entry.hash = audit.digest(entry, entry.prev_hash)
    entry.save()
    settings.LINLI = {**settings.LINLI, "AUDIT_KEY": "x"}  # any key but the forger's
    assert "entry #2 was changed after it was recorded" in problems()


def test_unsealed_entries_are_reported_after_a_grace():
    with transaction.atomic():
        audit_record(actor=None, action=AuditAction.USER_CREATE, target_id="1")
    assert audit.verify().ok  # within the grace period
    later = timezone.now() + audit.UNSEALED_GRACE + dt.timedelta(minutes=1)
    assert audit.verify(now=later).problems == ["1 entries were never sealed into the chain"]
    assert audit.seal_tick() == 1
    assert audit.verify(now=later).ok


def test_the_command_exits_non_zero_on_a_break():
    rows = record(3)
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact" in out.getvalue()
    AuditLog.objects.filter(pk=rows[0].pk).update(action="user.create")
    with pytest.raises(CommandError, match="broken"):
        call_command("audit_verify", stdout=io.StringIO(), stderr=io.StringIO())


def test_purge_keeps_the_retention_and_the_rest_still_verifies():
    old = record(4)
    young = record(2)
    now = timezone.now()
    AuditLog.objects.filter(pk__in=[r.pk for r in old]).update(at=now - dt.timedelta(days=400))
    # Times changed: re-seal a fresh chain of the same rows so it verifies before the purge.
    AuditLog.objects.update(seq=None, prev_hash="", hash="")
    AuditChainHead.objects.all().delete()
    audit.seal()
    assert audit.verify().ok
    with pytest.raises(ValueError, match="at least"):
        audit.purge(days=30)
    result = audit.purge(days=365, now=now)
    assert (result.deleted, result.upto_seq) == (4, 4)
    assert set(AuditLog.objects.values_list("pk", flat=True)) == {r.pk for r in young}
    assert audit.verify().ok
    # After the purge, deleting the new first entry is still found.
    AuditLog.objects.filter(seq=5).delete()
    assert "entry #5 is missing (deleted)" in problems()


def test_purge_never_leaves_a_gap_when_times_are_out_of_order():
    rows = record(3)
    now = timezone.now()
    # #2 is old but #1 is young: nothing may go before #1 goes.
    AuditLog.objects.filter(pk=rows[1].pk).update(at=now - dt.timedelta(days=400))
    AuditLog.objects.update(seq=None, prev_hash="", hash="")
    AuditChainHead.objects.all().delete()
    audit.seal()
    assert audit.purge(days=365, now=now).deleted == 0
    assert audit.verify().ok


def test_the_purge_command_refuses_a_short_retention_and_records_itself():
    record(1)
    with pytest.raises(CommandError, match="at least"):
        call_command("audit_purge", "--days", "10", stdout=io.StringIO())
    call_command("audit_purge", stdout=io.StringIO())
    assert AuditLog.objects.filter(action=AuditAction.AUDIT_PURGE.value).count() == 1


# --- the auditor's pages ---------------------------------------------------------------------


@pytest.fixture
def auditor():
    user = make_user("13711119999", "审计员")
    user.groups.add(auditors_group())
    return user


def test_only_auditors_and_superusers_read_the_log(client, auditor, county, user_in_town_a):
    from linli.accounts.models import Role

    record(2)
    url = reverse("accounts:audit_log")
    for role in (Role.ADMIN, Role.CITY, Role.TOWN):
        client.force_login(user_in_town_a(role))
        assert client.get(url).status_code == 403, role
        assert client.get(reverse("accounts:audit_export")).status_code == 403, role
    client.force_login(auditor)
    body = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "审计日志" in body and '<code translate="no">user.update</code>' in body


def test_the_filters_page_and_refuse_bad_dates(client, auditor):
    record(3)
    with transaction.atomic():
        audit_record(actor=auditor, action=AuditAction.ROLE_ASSIGN, target_id="77")
    audit.seal()
    client.force_login(auditor)
    url = reverse("accounts:audit_log")
    body = client.get(url, {"action": "role", "actor": "13711119999"}).content.decode()
    assert (
        '<code translate="no">role.assign</code>' in body
        and '<code translate="no">user.update</code>' not in body
    )
    assert client.get(url, {"start": "0001-01-01"}).status_code == 400
    assert client.get(url, {"start": "2026-02-30"}).status_code == 400
    assert client.get(url, {"page": "99999999999999999999"}).status_code == 200


def test_the_export_holds_the_chain_and_is_itself_audited(client, auditor):
    record(3)
    client.force_login(auditor)
    response = client.get(reverse("accounts:audit_export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4
    hashes = {r[-1] for r in rows[1:]}
    assert hashes == set(AuditLog.objects.filter(seq__isnull=False).values_list("hash", flat=True))
    assert AuditLog.objects.filter(action=AuditAction.AUDIT_EXPORT.value, actor=auditor).exists()


def test_verify_from_the_page(client, auditor):
    rows = record(2)
    client.force_login(auditor)
    response = client.post(reverse("accounts:audit_verify"), follow=True)
    assert "intact" in response.content.decode() or "完整" in response.content.decode()
    AuditLog.objects.filter(pk=rows[0].pk).update(detail={})
    response = client.post(reverse("accounts:audit_verify"), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "entry #1 was changed" in response.content.decode()


# --- concurrent writers (PostgreSQL) ------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_make_one_unbroken_chain():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    from django.db import connections

    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(15):
                with transaction.atomic():
                    audit_record(actor=None, action=AuditAction.USER_UPDATE, target_id=f"{n}-{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    audit.seal()
    assert AuditLog.objects.count() == 90
    assert sorted(AuditLog.objects.values_list("seq", flat=True)) == list(range(1, 91))
    assert audit.verify().ok


def test_a_password_login_is_audited_and_a_failed_one_is_not(client):
    """Login events are security events (等保 安全审计): who logged in, when, from where."""
    user = make_user("13711118888", "王建国")
    url = reverse("accounts:login")
    client.post(url, {"username": "13711118888", "password": "wrong-password"})
    assert not AuditLog.objects.filter(action=AuditAction.LOGIN_PASSWORD.value).exists()
    done = client.post(
        url, {"username": "13711118888", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3"
    )
    assert done.status_code == 302
    entry = AuditLog.objects.get(action=AuditAction.LOGIN_PASSWORD.value)
    assert entry.actor == user and entry.ip == "10.1.2.3"
