"""`Idempotency-Key`: a retried request gets the first response back instead of writing twice."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.db import IntegrityError, transaction
from rest_framework.request import Request
from rest_framework.response import Response

from leadfollow.errors import DomainError
from leadfollow.models import IdempotencyRecord, Workspace

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(DomainError):
    status_code = 422
    default_code = "idempotency_key_reused"


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.body):
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request body."
        )
    return Response(
        record.response_body, status=record.status_code, headers={"Idempotent-Replayed": "true"}
    )


def idempotent(request: Request, workspace: Workspace, handler: Callable[[], Response]) -> Response:
    """Run `handler` once per key. A successful response is stored and replayed for retries.

    The key's row is inserted before the handler runs, in the same transaction, so a concurrent
    retry waits on the unique index and then replays instead of writing twice. Errors are not
    stored: nothing was written, so the client may fix the request and retry with the same key.
    """
    key = request.headers.get(HEADER)
    if not key:
        return handler()
    if len(key) > MAX_KEY_LENGTH:
        raise DomainError(f"{HEADER} must be at most {MAX_KEY_LENGTH} characters.", code="invalid")
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    workspace=workspace,
                    key=key,
                    request_hash=fingerprint,
                    status_code=0,
                    response_body={},
                )
        except IntegrityError:
            return _replay(IdempotencyRecord.objects.get(workspace=workspace, key=key), fingerprint)
        response = handler()
        if response.status_code >= 300:
            transaction.set_rollback(True)
            return response
        record.status_code, record.response_body = response.status_code, response.data
        record.save(update_fields=["status_code", "response_body"])
    return response


def replace_replayed_bodies(*, workspace: Workspace, where: dict, body: dict) -> int:
    """Replace the stored responses whose top-level keys hold `where`'s values with `body`.

    For data that must not outlive an erasure (GDPR): a retry still gets the first status
    code and a body naming the object, no longer the erased details. Returns the rows changed.
    """
    match = {f"response_body__{key}": value for key, value in where.items()}
    return IdempotencyRecord.objects.filter(workspace=workspace, **match).update(response_body=body)
