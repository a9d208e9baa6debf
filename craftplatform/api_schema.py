"""The OpenAPI contract's error side, added to every operation by one rule instead of by hand.

`document_errors` is a drf-spectacular postprocessing hook. For each operation it adds the error
answers the operation can give, all with the one `Error` body of `craftplatform.api_errors`:

- every operation: 401 (no or bad key), 403 (key scope, permissions), 429 (rate limit, with
  `Retry-After` and the `RateLimit-*` headers);
- a path with an `{id}`: 404;
- query parameters or a request body: 400; a request body: 413 and 415;
- statuses a view declares with `@errors(...)` (402 not enough credits, 409, 503);
- a POST marked `@idempotent`: the `Idempotency-Key` header and 409.

Upload operations (views with `upload_kind = "image"`) get the accepted media types and limits.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from craftplatform.api_errors import ERROR_CODES

STATUS_TEXT = {
    400: "Bad request: validation failed (`errors` names each field).",
    401: "Not authenticated: no API key, or a bad one.",
    402: "Not enough credits (`needed` and `available` say how many).",
    403: "Forbidden: the API key's scope or the account does not allow this.",
    404: "Not found (or not yours).",
    409: "Conflict: the object's state, an installation setting, or an Idempotency-Key reuse.",
    410: "Gone: the file was removed after the free plan's retention period.",
    413: "Request body too large.",
    415: "Unsupported Content-Type.",
    429: "Too many requests: wait `Retry-After` seconds.",
    502: "An outside service (an AI provider) answered with something that could not be used; nothing was charged.",
    503: "An outside service (Stripe, an AI provider) could not be reached; nothing was charged.",
}

EXAMPLE_DETAIL = {
    "invalid": {
        "detail": "Please correct: formats.",
        "code": "invalid",
        "errors": {"formats": ["This field is required."]},
    },
    "insufficient_credits": {
        "detail": "This needs 4 credits and you have 1 available.",
        "code": "insufficient_credits",
        "needed": 4,
        "available": 1,
    },
}

WRITE_METHODS = {"post", "put", "patch", "delete"}


def errors(*statuses: int):
    """Declare error statuses a view method answers beyond the ones the rules above imply."""

    def decorate(method):
        method.api_errors = tuple(getattr(method, "api_errors", ())) + statuses
        return method

    return decorate


def error_component() -> dict:
    codes = "\n".join(f"- `{code}` ({status}): {meaning}" for code, (status, meaning) in ERROR_CODES.items())
    return {
        "type": "object",
        "description": "Every error answer of the API has this shape.",
        "properties": {
            "detail": {"type": "string", "description": "What went wrong, in words to show a person."},
            "code": {
                "type": "string",
                "description": "A stable code to branch on. Documented codes:\n"
                + codes
                + "\n\nA 400 from a business rule may carry a more specific code naming the rule "
                "(for example `invalid_factor`).",
            },
            "errors": {
                "type": "object",
                "description": "Field name (dotted for nested fields, `non_field_errors` for the whole body) → messages.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
            "needed": {"type": "integer", "description": "402 only: credits this needs."},
            "available": {"type": "integer", "description": "402 only: credits you have available."},
        },
        "required": ["detail", "code"],
    }


def _examples(status: int) -> dict:
    examples = {}
    for code, (code_status, meaning) in ERROR_CODES.items():
        if code_status != status:
            continue
        value = EXAMPLE_DETAIL.get(code, {"detail": meaning.split(";")[0], "code": code})
        examples[code] = {"summary": meaning, "value": value}
    return examples


RATE_HEADERS = {
    "Retry-After": {"schema": {"type": "integer", "minimum": 0}, "description": "Seconds to wait before retrying."},
    "RateLimit-Limit": {"schema": {"type": "integer"}, "description": "Requests allowed in the window."},
    "RateLimit-Remaining": {"schema": {"type": "integer"}, "description": "Requests left in the window."},
    "RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Seconds until the window starts again."},
}


def _error_response(status: int) -> dict:
    response = {
        "description": STATUS_TEXT[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    examples = _examples(status)
    if examples:
        response["content"]["application/json"]["examples"] = examples
    if status == 429:
        response["headers"] = RATE_HEADERS
    return response


def _upload_note() -> str:
    return (
        f"Accepted: PNG, JPEG or WebP, recognised by content (not by name); at most "
        f"{settings.UPLOAD_MAX_BYTES} bytes ({settings.UPLOAD_MAX_BYTES // (1024 * 1024)} MB) and "
        f"{settings.UPLOAD_MAX_PIXELS} pixels per image. Other files are refused with 400 `upload_rejected`."
    )


def _document_upload(operation: dict, kind: str, components: dict) -> None:
    body = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
    if not body:
        return
    schema = body.get("schema", {})
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if kind == "image":
        note = _upload_note()
        media = "image/png, image/jpeg, image/webp"
    else:
        note = "A TrueType (.ttf) or OpenType (.otf) font, up to 5 MB."
        media = "font/ttf, font/otf"
    operation["description"] = (operation.get("description", "") + "\n\n" + note).strip()
    body["encoding"] = {name: {"contentType": media} for name in schema.get("properties", {})}


def _statuses_for(path: str, method: str, operation: dict, handler) -> set[int]:
    statuses = {401, 403, 429}
    if "{" in path:
        statuses.add(404)
    has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    if has_query or "requestBody" in operation:
        statuses.add(400)
    if "requestBody" in operation:
        statuses |= {413, 415}
    statuses |= set(getattr(handler, "api_errors", ()))
    if getattr(handler, "idempotent", False):
        statuses |= {400, 409}
    return statuses


def _resolve_components(result: dict) -> None:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = error_component()


def quickstart() -> str:
    """The README's API quick start (one text for the README and the docs page)."""
    try:
        text = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    except OSError:
        return ""
    if "## API quick start" not in text:
        return ""
    section = text.split("## API quick start", 1)[1].split("\n## ", 1)[0]
    return "## API quick start\n" + section.replace("<!-- api-quickstart:begin -->", "").replace(
        "<!-- api-quickstart:end -->", ""
    )


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook (see the module's docstring)."""
    _resolve_components(result)
    info = result.setdefault("info", {})
    info["description"] = (info.get("description", "") + "\n\n" + quickstart()).strip()
    views = {}
    for path, _regex, method, callback in getattr(generator, "endpoints", None) or []:
        views[(path, method.lower())] = callback.cls
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            view = views.get((path, method))
            handler = getattr(view, method, None) if view else None
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses_for(path, method, operation, handler)):
                responses[str(status)] = _error_response(status)
            if getattr(handler, "idempotent", False):
                params = operation.setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in params):
                    params.append(IDEMPOTENCY_PARAMETER)
            kind = getattr(view, "upload_kind", None)
            if kind:
                _document_upload(operation, kind, result["components"]["schemas"])
            if method != "get":
                # Pagination applies to reading a list, never to the POST that shares its path.
                operation["parameters"] = [
                    p for p in operation.get("parameters", []) if not (p.get("in") == "query" and p["name"] == "page")
                ]
                if not operation["parameters"]:
                    del operation["parameters"]
    _add_links(result)
    return result


# OpenAPI links: where an id an operation answers can be used next (clients and stateful fuzzing follow them).
# (source path, method, status, body pointer to the id) -> [(target path, method, parameter name)].
LINKS = [
    (
        ("/api/v1/generations/", "post", "201", "$response.body#/0/id"),
        [
            ("/api/v1/generations/{generation_id}/", "get", "generation_id"),
            ("/api/v1/generations/{generation_id}/status/", "get", "generation_id"),
            ("/api/v1/generations/{generation_id}/variations/", "post", "generation_id"),
            ("/api/v1/generations/{generation_id}/rate/", "post", "generation_id"),
            ("/api/v1/generations/{generation_id}/", "delete", "generation_id"),
        ],
    ),
    (
        ("/api/v1/images/", "post", "201", "$response.body#/results/0/id"),
        [
            ("/api/v1/assets/{asset_id}/", "get", "asset_id"),
            ("/api/v1/assets/{asset_id}/file/", "get", "asset_id"),
            ("/api/v1/images/{asset_id}/operations/", "post", "asset_id"),
            ("/api/v1/assets/{asset_id}/favorite/", "post", "asset_id"),
            ("/api/v1/assets/{asset_id}/", "delete", "asset_id"),
        ],
    ),
    (
        ("/api/v1/images/{asset_id}/operations/", "post", "202", "$response.body#/id"),
        [("/api/v1/operations/{operation_id}/", "get", "operation_id")],
    ),
    (
        ("/api/v1/collections/", "post", "201", "$response.body#/id"),
        [
            ("/api/v1/collections/{collection_id}/", "get", "collection_id"),
            ("/api/v1/collections/{collection_id}/", "patch", "collection_id"),
            ("/api/v1/collections/{collection_id}/items/", "post", "collection_id"),
            ("/api/v1/collections/{collection_id}/", "delete", "collection_id"),
        ],
    ),
    (
        ("/api/v1/templates/brand-fonts/", "post", "201", "$response.body#/id"),
        [
            ("/api/v1/templates/brand-fonts/{font_id}/", "get", "font_id"),
            ("/api/v1/templates/brand-fonts/{font_id}/preview/", "get", "font_id"),
            ("/api/v1/templates/brand-fonts/{font_id}/", "delete", "font_id"),
        ],
    ),
]


def _add_links(result: dict) -> None:
    paths = result.get("paths", {})
    for (path, method, status, pointer), targets in LINKS:
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        links = response.setdefault("links", {})
        for target_path, target_method, name in targets:
            target = paths.get(target_path, {}).get(target_method)
            if target is None:
                continue
            links[target["operationId"]] = {"operationId": target["operationId"], "parameters": {name: pointer}}


IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique string up to 255 characters (a UUID is a good choice). Sending the same key "
    "with the same request again (a retry) returns the first answer instead of doing it twice, with the "
    "header `Idempotent-Replayed: true`; the same key with a different request is a 409 "
    "`idempotency_key_reused`. Keys are kept 24 hours, per user.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
