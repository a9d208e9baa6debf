"""`Idempotency-Key` for API POSTs that create or cost something, as Stripe does.

Decorate the view method with `@idempotent`. A request without the header runs as usual. With it:

- the first request with a key records itself (a unique (user, key) row) and runs; a 2xx answer is
  stored, any other answer (or an exception) removes the record so the client may fix and retry;
- the same key with the same method, path and body replays the stored answer
  (`Idempotent-Replayed: true`), doing nothing again;
- the same key with another request is a 409 `idempotency_key_reused`;
- a request arriving while the first is still running waits for it (briefly, sleeping between
  looks) and replays its answer, or answers 409 `idempotency_in_progress` if it takes too long.

Keys are per user and kept KEY_TTL; an older record is discarded when its key comes back.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.models import IdempotencyRecord
from craftplatform.api_errors import ApiError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
KEY_TTL = timedelta(hours=24)
WAIT_FOR_FIRST_SECONDS = 15.0
REPLAYED_HEADERS = ("Location", "Retry-After")


def fingerprint(request) -> str:
    """SHA-256 over the method, path and body (fields sorted; uploaded files by their content)."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    data = request.data
    if hasattr(data, "lists"):  # a QueryDict: form or multipart
        fields = {key: [str(value) for value in values] for key, values in data.lists() if key not in request.FILES}
        digest.update(json.dumps(fields, sort_keys=True).encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                digest.update(f"\n{name}:{upload.name}:".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(json.dumps(data, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _claim(*, user, key: str, print_: str, request) -> tuple[IdempotencyRecord, bool]:
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=user, key=key, fingerprint=print_, method=request.method, path=request.path[:255]
            )
        return record, True
    except IntegrityError:
        record = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if record is None:  # the first attempt failed and let its key go between our two statements
            return _claim(user=user, key=key, print_=print_, request=request)
        if record.created_at < timezone.now() - KEY_TTL:
            IdempotencyRecord.objects.filter(pk=record.pk, created_at=record.created_at).delete()
            return _claim(user=user, key=key, print_=print_, request=request)
        return record, False


def _wait_for_first(record: IdempotencyRecord) -> IdempotencyRecord | None:
    """Look at the first request's row with a growing pause until it finishes or is withdrawn."""
    deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
    pause = 0.05
    while record is not None and record.completed_at is None and time.monotonic() < deadline:
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
        record = IdempotencyRecord.objects.filter(pk=record.pk).first()
    return record


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.status_code)
    for name, value in (record.response_headers or {}).items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _store(record: IdempotencyRecord, response: Response) -> None:
    body = json.loads(JSONRenderer().render(response.data)) if response.data is not None else None
    headers = {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)}
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=response.status_code, response_body=body, response_headers=headers, completed_at=timezone.now()
    )


def purge_old_records(*, now=None, limit: int = 50_000) -> int:
    """Delete records older than KEY_TTL (capped per run); returns how many went."""
    cutoff = (now or timezone.now()) - KEY_TTL
    ids = list(IdempotencyRecord.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:limit])
    deleted, _ = IdempotencyRecord.objects.filter(pk__in=ids).delete()
    return deleted


def idempotent(method):
    """Make a DRF view method honour the Idempotency-Key header (see the module's docstring)."""

    @functools.wraps(method)
    def wrapper(view, request, *args, **kwargs):
        raw = request.headers.get(HEADER)
        if raw is None:
            return method(view, request, *args, **kwargs)
        key = raw.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ApiError(
                f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} characters.",
                code="idempotency_key_invalid",
                errors={HEADER: [f"1 to {MAX_KEY_LENGTH} characters."]},
            )
        print_ = fingerprint(request)
        for _ in range(3):
            record, first = _claim(user=request.user, key=key, print_=print_, request=request)
            if first:
                break
            if record.fingerprint != print_:
                raise ApiError(
                    f"This {HEADER} was already used with a different request.",
                    code="idempotency_key_reused",
                    status_code=status.HTTP_409_CONFLICT,
                )
            record = _wait_for_first(record)
            if record is None:
                continue  # the first attempt failed: this one may try
            if record.completed_at is None:
                raise ApiError(
                    f"A request with this {HEADER} is still being processed; retry in a few seconds.",
                    code="idempotency_in_progress",
                    status_code=status.HTTP_409_CONFLICT,
                )
            return _replay(record)
        else:
            raise ApiError(
                f"A request with this {HEADER} is being retried concurrently; retry in a few seconds.",
                code="idempotency_in_progress",
                status_code=status.HTTP_409_CONFLICT,
            )
        try:
            response = method(view, request, *args, **kwargs)
        except BaseException:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        if 200 <= response.status_code < 300:
            _store(record, response)
        else:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return response

    wrapper.idempotent = True
    return wrapper
