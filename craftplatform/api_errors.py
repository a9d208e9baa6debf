"""One error body for the whole REST API: `{"detail": ..., "code": ..., "errors": {field: [messages]}}`.

`api_exception_handler` (REST_FRAMEWORK["EXCEPTION_HANDLER"]) turns every refusal into that shape:
DRF's own exceptions, Django's 404 and oversized bodies, and the services' domain errors (a view
may let a `DomainError` propagate; its class decides the status). `ERROR_CODES` is the documented
list of codes; the schema hook (`craftplatform.api_schema`) publishes it with examples.
"""

from __future__ import annotations

import re

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from craftplatform.errors import DomainError

# code -> (status, meaning). The codes a client may branch on; `detail` is for people.
ERROR_CODES: dict[str, tuple[int, str]] = {
    "invalid": (400, "The request failed validation; `errors` names each field (dotted paths for nested ones)."),
    "parse_error": (400, "The body is not valid JSON (or not valid multipart)."),
    "invalid_request": (400, "The generation request does not fit the template; `errors` names each field."),
    "upload_rejected": (400, "An uploaded file is not an accepted image (PNG, JPEG, WebP within the limits)."),
    "invalid_image": (400, "The image could not be read or is outside the limits."),
    "invalid_font": (400, "The font file could not be read."),
    "idempotency_key_invalid": (400, "The Idempotency-Key header is empty or longer than 255 characters."),
    "not_authenticated": (401, "No API key (or session) was sent."),
    "authentication_failed": (401, "The API key is malformed, unknown or revoked, or the account is inactive."),
    "insufficient_credits": (402, "Not enough credits available; `needed` and `available` say how many."),
    "permission_denied": (403, "This account may not do this."),
    "key_read_only": (403, "The API key is read-only and the operation changes something."),
    "key_scope": (403, "The API key is limited to other operation groups (generate, library, billing, account)."),
    "operation_not_allowed": (403, "Your plan or a daily limit does not allow this now."),
    "not_found": (404, "No such object, or it is not yours."),
    "method_not_allowed": (405, "The path does not accept this HTTP method."),
    "not_acceptable": (406, "The Accept header asks for a format the API does not produce."),
    "conflict": (409, "The object is in a state that does not allow this (for example still being made)."),
    "generation_busy": (409, "The generation is still being made."),
    "job_running": (409, "The job has started and can no longer be cancelled; it finishes shortly."),
    "job_finished": (409, "The job has finished (completed or failed): there is nothing to cancel."),
    "asset_in_use": (409, "The file is used by something else."),
    "collection_name_taken": (409, "You already have a collection with this name."),
    "font_exists": (409, "You uploaded this font face already."),
    "font_limit": (409, "You have the most brand fonts a brand kit holds."),
    "billing_off": (409, "Buying credits is switched off on this installation (no Stripe keys)."),
    "idempotency_key_reused": (409, "The Idempotency-Key was used before with a different request."),
    "idempotency_in_progress": (409, "A request with this Idempotency-Key is still being processed; retry shortly."),
    "ai_not_configured": (409, "No AI provider is set up for this on this installation; the feature is not offered."),
    "file_expired": (410, "The file was removed after the free plan's retention period."),
    "payload_too_large": (413, "The body is larger than the server accepts (see the operation's limits)."),
    "unsupported_media_type": (415, "The Content-Type is not one the operation accepts."),
    "throttled": (429, "Too many requests; wait `Retry-After` seconds."),
    "ai_answer_rejected": (
        502,
        (
            "The AI service answered with texts that could not be used (unreadable, too long, markup or script); "
            "nothing was charged and nothing changed."
        ),
    ),
    "billing_unreachable": (503, "Stripe could not be reached; nothing was charged. Retry later."),
    "ai_unavailable": (503, "The AI service failed or is busy; nothing was charged and nothing changed. Retry later."),
}

# Domain errors whose class decides a status other than 400 (looked up along the class's MRO by name,
# so this module needs no import of the apps above it).
DOMAIN_STATUS: dict[str, tuple[int, str]] = {
    "InsufficientCredits": (402, "insufficient_credits"),
    "OperationNotAllowed": (403, "operation_not_allowed"),
    "BillingUnavailable": (409, "billing_off"),
    "IdempotencyConflict": (409, "idempotency_key_reused"),
    "RequestKeyConflict": (409, "idempotency_key_reused"),  # the body's request_key, reused differently
    "UploadsTooFast": (429, "throttled"),  # the upload rate limit (issue 11); Retry-After is set
    "StripeUnavailable": (503, "billing_unreachable"),
    "GenerationBusy": (409, "generation_busy"),
    "AssetInUse": (409, "asset_in_use"),
    "CollectionNameTaken": (409, "collection_name_taken"),
    "GenerationNotFound": (404, "not_found"),
    "AssetNotFound": (404, "not_found"),
    "CollectionNotFound": (404, "not_found"),
}

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake_code(code: str) -> str:
    """`InsufficientCredits` -> `insufficient_credits`; codes already in snake case stay as they are."""
    return _CAMEL.sub("_", code).lower() if code and code[0].isupper() else code


class ApiError(exceptions.APIException):
    """A refusal with a status, a code, and optionally field errors and extra fields."""

    def __init__(
        self,
        detail: str,
        *,
        code: str,
        status_code: int = status.HTTP_400_BAD_REQUEST,
        errors: dict | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(detail=detail, code=code)
        self.status_code = status_code
        self.error_code = code
        self.errors = errors
        self.extra = extra or {}


def domain_error(exc: DomainError) -> ApiError:
    """The API's answer to a domain error a service raised."""
    for klass in type(exc).__mro__:
        if klass.__name__ in DOMAIN_STATUS:
            status_code, code = DOMAIN_STATUS[klass.__name__]
            break
    else:
        code = snake_code(exc.code)
        # A documented code carries its own status (a reused request key is 409 whoever raised it).
        status_code = ERROR_CODES[code][0] if code in ERROR_CODES else 400
    extra = {}
    if code == "insufficient_credits":
        extra = {"needed": getattr(exc, "needed", None), "available": getattr(exc, "available", None)}
    errors = None
    problems = getattr(exc, "problems", None)
    if isinstance(problems, dict) and problems:
        errors = {field: [str(message)] for field, message in problems.items()}
    elif isinstance(problems, list) and problems:
        errors = {"file": [f"{name}: {reason}" if name else reason for name, reason in problems]}
    return ApiError(exc.message, code=code, status_code=status_code, errors=errors, extra=extra)


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as `{"a.b.0": ["message", ...]}`."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            out.update(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            if detail:
                out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    out.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
    elif detail is not None:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def _validation_body(exc: exceptions.ValidationError) -> dict:
    detail = exc.detail
    if isinstance(detail, dict) and set(detail) == {"detail"}:
        message = detail["detail"]
        message = message[0] if isinstance(message, list) and message else message
        return {"detail": str(message), "code": getattr(message, "code", None) or "invalid"}
    errors = flatten_errors(detail)
    first = next(iter(errors.values()), ["Please correct the errors below."])[0]
    fields = [name for name in errors if name != "non_field_errors"]
    message = f"Please correct: {', '.join(fields)}." if fields else first
    return {"detail": message, "code": "invalid", "errors": errors}


def api_exception_handler(exc, context):
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(exc, DomainError):
        exc = domain_error(exc)
    elif isinstance(exc, RequestDataTooBig):
        exc = ApiError(
            "The request body is too large.",
            code="payload_too_large",
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    elif isinstance(exc, TooManyFieldsSent):
        exc = ApiError("The request has too many fields.", code="invalid")
    elif isinstance(exc, Http404):
        message = str(exc) if exc.args else "Not found."
        exc = exceptions.NotFound(message)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        body = {"detail": str(exc.detail), "code": exc.error_code}
        if exc.errors:
            body["errors"] = exc.errors
        body.update(exc.extra)
    elif isinstance(exc, exceptions.ValidationError):
        body = _validation_body(exc)
    else:
        detail = exc.detail
        if isinstance(detail, list | dict):
            body = {"detail": "The request was refused.", "code": "invalid", "errors": flatten_errors(detail)}
        else:
            code = getattr(detail, "code", None) or exc.default_code
            body = {"detail": str(detail), "code": code}
        if isinstance(exc, exceptions.Throttled):
            body["code"] = "throttled"
    response.data = body
    if retry_after and response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        response["Retry-After"] = str(int(retry_after))
    return response


def error_response(detail: str, *, code: str, status_code: int, **extra) -> Response:
    """The error body for the rare answer a view builds itself (never needed for a raised error)."""
    return Response({"detail": detail, "code": code, **extra}, status=status_code)
