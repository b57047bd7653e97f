"""Idempotency keys: a create retried from a phone or a partner system makes one record.

A client on a weak network cannot tell a request that failed from one whose answer
was lost: it sends the create again. With an `Idempotency-Key` header (any string of
8 to 255 printable characters; a UUID per tap is usual) the platform makes the record
once and answers every retry with the first answer:

- same key, same request: the stored status and body, with `Idempotent-Replayed: true`;
- same key, another request (another body, path or operation): 409
  `idempotency_key_reused`, nothing written;
- two requests with the same key at once: the second waits for the first (the unique
  row below) and then gets its answer.

Usage, under the router's decorator of a create operation:

    @router.post("/things", response={201: ThingOut, **WRITE_ERRORS})
    @idempotent("things.create")
    def thing_create(request, payload: ThingIn): ...

How: the operation (authentication, the view, the rendering of the answer) runs in one
transaction. Before the view, a row (principal, key) is inserted in it: the unique
constraint makes a concurrent twin wait, then fail the insert and read the row. After
the view, a 2xx answer is stored on the row and both commit together, so a crash
leaves the record and its key or neither. A 4xx answer deletes the row (whatever the
view committed on its own, such as a wrong one-time code's attempt count, stands, as
without a key) so the client may fix the request and send it again under the same
key; a 5xx answer rolls everything back. Keys are kept `TTL` (the
`core.idempotency_purge` tick deletes older ones).

The principal is the account (`user:<id>`, by session or token) or `anon` for the
public endpoints: there the fingerprint covers the whole body, one-time code included,
so only the client that sent the request can replay its answer.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.utils import contribute_operation_callback

from .models import IdempotencyKey

logger = logging.getLogger("linli.idempotency")

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
TTL = dt.timedelta(hours=48)
KEY_MIN, KEY_MAX = 8, 255

DOC = (
    "\n\nIdempotent: send an `Idempotency-Key` header (8-255 printable characters, e.g. "
    "a UUID per tap) and a retry of the same request makes nothing new: it is answered "
    "the first answer again, with `Idempotent-Replayed: true`. The same key with another "
    "request answers 409 `idempotency_key_reused`. Keys are kept 48 hours."
)
PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": "A key of the client's choosing that makes a retry of this create "
    "return the first answer instead of creating again (kept 48 hours).",
    "schema": {"type": "string", "minLength": KEY_MIN, "maxLength": KEY_MAX},
}

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class _State:
    """What the operation wrapper and the view wrapper share through the request."""

    key: str
    row: IdempotencyKey | None = None


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def principal_of(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return "anon"


def fingerprint(request: HttpRequest, operation: str) -> str:
    """A digest of what makes two requests the same: operation, method, path, body.

    A multipart body is digested by its fields and files, not its bytes: a client
    library picks a new boundary for each attempt.
    """
    digest = hashlib.sha256()
    digest.update(f"{operation}\n{request.method}\n{request.path}\n".encode())
    ctype = request.content_type or ""
    if ctype.startswith(("multipart/", "application/x-www-form-urlencoded")):
        for name in sorted(request.POST):
            for value in request.POST.getlist(name):
                digest.update(f"f:{name}={value}\n".encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                content = hashlib.sha256()
                for chunk in upload.chunks():
                    content.update(chunk)
                upload.seek(0)
                digest.update(f"u:{name}:{upload.name}:{content.hexdigest()}\n".encode())
    else:
        body = request.body
        try:
            # Key order and spacing are the client library's, not the request's.
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            pass
        digest.update(body)
    return digest.hexdigest()


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(row.body, status=row.status, content_type=row.content_type or None)
    response[REPLAYED] = "true"
    return response


def _reused() -> JsonResponse:
    return _error(
        409,
        "idempotency_key_reused",
        _("This Idempotency-Key was already used for another request; use a new key."),
    )


def _claim(request: HttpRequest, state: _State, operation: str) -> HttpResponseBase | None:
    """Insert this request's key row, or answer from the row a first request left."""
    principal = principal_of(request)
    print_ = fingerprint(request, operation)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                state.row = IdempotencyKey.objects.create(
                    key=state.key, principal=principal, operation=operation, fingerprint=print_
                )
            return None
        except IntegrityError:
            # Taken: on PostgreSQL the insert waited for the first request to end.
            row = IdempotencyKey.objects.filter(principal=principal, key=state.key).first()
        if row is None:
            continue  # the first request failed and let the key go: take it
        if row.operation != operation or row.fingerprint != print_:
            return _reused()
        if not row.status:  # pragma: no cover - only if a writer kept the row open
            break
        logger.info("idempotency: %s replays %s key %s", principal, operation, state.key)
        return _replay(row)
    return _error(
        409,
        "idempotency_key_in_use",
        _("A request with this Idempotency-Key is still being processed; try again."),
    )


def _guard(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap an operation's whole run (auth, view, rendering) in the key's transaction."""

    @functools.wraps(run)
    def guarded(request: HttpRequest, *args: Any, **kw: Any) -> HttpResponseBase:
        raw = request.headers.get(HEADER)
        if raw is None:
            return run(request, *args, **kw)
        key = raw.strip()
        if not KEY_MIN <= len(key) <= KEY_MAX or not key.isprintable():
            return _error(
                400,
                "idempotency_key_invalid",
                _("The Idempotency-Key header must be 8 to 255 printable characters."),
            )
        state = _State(key=key)
        request._linli_idempotency = state  # type: ignore[attr-defined]
        with transaction.atomic():
            response = run(request, *args, **kw)
            row = state.row
            if row is not None:
                status = response.status_code
                if 200 <= status < 300 and isinstance(response, HttpResponse):
                    row.status = status
                    row.content_type = response.get("Content-Type", "")
                    row.body = response.content.decode(response.charset or "utf-8")
                    row.save(update_fields=["status", "content_type", "body"])
                elif status >= 500:
                    transaction.set_rollback(True)
                else:
                    row.delete()
        return response

    return guarded


def _contribute(operation: Any) -> None:
    """Document the header and the answers it adds; wrap the run (ninja keeps the
    wrappers in `_run_decorators` to apply them again to the clones it mounts)."""
    from .api_schemas import ErrorOut

    # 503: the database out of reach (core.middleware.DatabaseUnavailableMiddleware),
    # the answer after which a retry under the same key is the safe thing to do.
    for status in (400, 409, 503):
        if status not in operation.response_models:
            operation.response_models[status] = operation._create_response_model(ErrorOut)
    operation.description = (operation.description or "") + DOC
    extra = dict(operation.openapi_extra or {})
    extra["parameters"] = [*extra.get("parameters", []), PARAMETER]
    operation.openapi_extra = extra
    if not hasattr(operation, "_run_decorators"):
        operation._run_decorators = []
    operation.run = _guard(operation.run)
    operation._run_decorators.append(_guard)


def idempotent(operation: str) -> Callable[[F], F]:
    """Make a create operation honour `Idempotency-Key` (see the module's docstring).

    Put it under the router's decorator; `operation` names the create in the stored
    rows (e.g. "appeals.create").
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def claim_then_run(request: HttpRequest, *args: Any, **kw: Any) -> Any:
            state: _State | None = getattr(request, "_linli_idempotency", None)
            if state is not None and state.row is None:
                answer = _claim(request, state, operation)
                if answer is not None:
                    return answer
            return view(request, *args, **kw)

        contribute_operation_callback(claim_then_run, _contribute)
        return claim_then_run  # type: ignore[return-value]

    return decorate


def idempotency_purge(*, now: dt.datetime | None = None) -> int:
    """Delete keys older than TTL (the `core.idempotency_purge` tick); return how many."""
    cutoff = (now or timezone.now()) - TTL
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
