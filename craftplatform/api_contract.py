"""The OpenAPI schema enforced on the way in: what the schema refuses, the API refuses.

DRF's fields are lenient (a CharField takes 0, a BooleanField takes "yes", an empty query value
passes for a UUID), so a client generated from the schema and a client that guesses behave
differently. `ApiContractMiddleware` checks every `/api/v1/` request's query parameters and JSON
body against the operation's schema (the one `/api/v1/schema/` serves, generated once per
process) and answers 400 `invalid` with each field named before the view runs. Business rules stay
in the serializers and services.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import date

from django.http import JsonResponse
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match

API_PREFIX = "/api/v1/"
SKIPPED = ("/api/v1/schema/", "/api/v1/docs/")


def _to_json_schema(node, components: dict, depth: int = 0):
    """OpenAPI 3.0 schema -> JSON Schema: `$ref`s inlined, `nullable` as a null type."""
    if depth > 20:
        return {}
    if isinstance(node, list):
        return [_to_json_schema(item, components, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _to_json_schema(components.get(node["$ref"].rsplit("/", 1)[-1], {}), components, depth + 1)
    # oneOf -> anyOf: drf-spectacular writes "a URL or blank" as oneOf, and "" fits both when formats
    # are not checked (DRF checks them).
    out = {
        ("anyOf" if key == "oneOf" else key): _to_json_schema(value, components, depth + 1)
        for key, value in node.items()
        if key != "nullable"
    }
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        if "allOf" in out or "oneOf" in out:
            out = {"anyOf": [out, {"type": "null"}]}
    for key in ("discriminator", "xml", "externalDocs"):
        out.pop(key, None)
    return out


_built: list | None = None
_building = threading.Lock()


def _operations() -> list[tuple[re.Pattern, str, dict]]:
    """The operations, built once per process; the lock keeps threads that arrive together from
    building at once (drf-spectacular's generator is not thread-safe)."""
    global _built
    if _built is None:
        with _building:
            if _built is None:
                _built = _build_operations()
    return _built


def _build_operations() -> list[tuple[re.Pattern, str, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema.get("components", {}).get("schemas", {})
    rows = []
    for path, item in schema.get("paths", {}).items():
        regex = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            rows.append(
                (
                    regex,
                    method.upper(),
                    {
                        "params": [p for p in operation.get("parameters", []) if p.get("in") == "query"],
                        "body": _to_json_schema(body, components) if body else None,
                        "path_params": path.count("{"),
                    },
                )
            )
    rows.sort(key=lambda row: row[2]["path_params"])
    return rows


def _operation(path: str, method: str) -> dict | None:
    for regex, row_method, operation in _operations():
        if row_method == method and regex.match(path):
            return operation
    return None


def _check_query_value(value: str, schema: dict) -> str | None:
    kind = schema.get("type", "string")
    if kind == "integer":
        if not re.fullmatch(r"-?\d{1,20}", value):
            return "A whole number."
        number = int(value)
        if "minimum" in schema and number < schema["minimum"]:
            return f"At least {schema['minimum']}."
        if "maximum" in schema and number > schema["maximum"]:
            return f"At most {schema['maximum']}."
        return None
    if kind == "number":
        try:
            float(value)
        except ValueError:
            return "A number."
        return None
    if kind == "boolean":
        return None if value in ("true", "false") else "true or false."
    if "enum" in schema and value not in schema["enum"]:
        return "One of: " + ", ".join(str(choice) for choice in schema["enum"] if choice is not None) + "."
    fmt = schema.get("format")
    if fmt == "uuid":
        try:
            uuid.UUID(value)
        except ValueError:
            return "An id (UUID)."
    if fmt == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return "A date (YYYY-MM-DD)."
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return f"At most {schema['maxLength']} characters."
    if "minLength" in schema and len(value) < schema["minLength"]:
        return f"At least {schema['minLength']} characters."
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return "Not in the expected form."
    return None


def query_errors(request, operation: dict) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for param in operation["params"]:
        name = param["name"]
        if name not in request.GET:
            if param.get("required"):
                problems[name] = ["This parameter is required."]
            continue
        values = request.GET.getlist(name)
        if len(values) > 1 and param.get("schema", {}).get("type") != "array":
            problems[name] = ["Send this parameter once."]
            continue
        message = _check_query_value(values[0], param.get("schema", {}))
        if message:
            problems[name] = [message]
    return problems


def body_errors(request, operation: dict) -> dict[str, list[str]]:
    if operation["body"] is None or request.content_type != "application/json" or not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except ValueError:
        return {}  # DRF's parser answers parse_error
    problems: dict[str, list[str]] = {}
    if _has_nul(data):
        # PostgreSQL cannot store U+0000 in text or JSON; refuse it here rather than fail on save.
        problems["non_field_errors"] = ["Text may not contain the NUL character (U+0000)."]
    for error in Draft7Validator(operation["body"]).iter_errors(data):
        if error.validator in ("anyOf", "oneOf") and error.context:
            # One of several shapes: name the most relevant problem of the closest shape.
            error = best_match(error.context)
        path = [str(part) for part in error.absolute_path]
        if error.validator == "required":
            missing = re.match(r"'([^']+)'", error.message)
            path.append(missing.group(1) if missing else "non_field_errors")
            message = "This field is required."
        else:
            message = _message(error)
        problems.setdefault(".".join(path) or "non_field_errors", []).append(message)
    return problems


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _message(error) -> str:
    validator = error.validator
    value = error.validator_value
    if validator == "type":
        kinds = value if isinstance(value, list) else [value]
        return (
            "Expected "
            + " or ".join(kind for kind in kinds if kind != "null")
            + (" or null." if "null" in kinds else ".")
        )
    if validator == "enum":
        return "One of: " + ", ".join(str(choice) for choice in value if choice is not None) + "."
    if validator in ("maxLength", "minLength", "maximum", "minimum", "maxItems", "minItems", "pattern"):
        return {
            "maxLength": f"At most {value} characters.",
            "minLength": f"At least {value} characters.",
            "maximum": f"At most {value}.",
            "minimum": f"At least {value}.",
            "maxItems": f"At most {value} items.",
            "minItems": f"At least {value} items.",
            "pattern": "Not in the expected form.",
        }[validator]
    if validator == "additionalProperties":
        return "Unknown field(s)."
    return "Not valid here."


class ApiContractMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if path.startswith(API_PREFIX) and not path.startswith(SKIPPED):
            operation = _operation(path, request.method)
            if operation is not None:
                problems = {**query_errors(request, operation), **body_errors(request, operation)}
                if problems:
                    detail = "Please correct: " + ", ".join(sorted(problems)) + "."
                    return JsonResponse({"detail": detail, "code": "invalid", "errors": problems}, status=400)
        return self.get_response(request)
