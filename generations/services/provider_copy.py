"""AI copy in the brand's voice: variants of a template's texts from a chat provider, checked against
the slots' limits (split from `generations.services.providers`, which chooses the provider and
records every call)."""

import json
import logging
from dataclasses import dataclass
from decimal import Decimal

from generations.models import CallStatus, ProviderOperation
from generations.providers import MalformedResponse, ProviderError, ProviderNotConfigured
from generations.services.providers import (
    DID_NOT_FIT,
    MAX_COPY_VARIANTS,
    UNREADABLE,
    CopyResult,
    _record_attempt,
    _remote_choice,
    _switches,
    feature_status,
)

logger = logging.getLogger(__name__)


class _DidNotFit(MalformedResponse):
    """The model answered valid JSON that breaks the rules (a slot missing, a text too long)."""

    def __init__(self, problems: list[str], content: str, *, status_code: int | None) -> None:
        super().__init__(
            DID_NOT_FIT + " " + "; ".join(problems[:5]), code="copy_did_not_fit", status_code=status_code, billed=True
        )
        self.problems = problems
        self.content = content


class _Unreadable(MalformedResponse):
    def __init__(self, why: str, content: str, *, status_code: int | None) -> None:
        super().__init__(f"The AI answer was not the JSON asked for: {why}.", status_code=status_code, billed=True)
        self.content = content


@dataclass(frozen=True)
class _Variants:
    status_code: int | None
    variants: list[dict[str, str]]


def _check_slots(slots: dict[str, dict]) -> dict[str, dict]:
    if not isinstance(slots, dict) or not slots:
        raise ProviderError("Choose at least one text to write variants of.", code="invalid_slots")
    checked = {}
    for name, slot in slots.items():
        if not isinstance(slot, dict):
            raise ProviderError(f"The text slot {name} is not described.", code="invalid_slots")
        max_chars = slot.get("max_chars")
        if not isinstance(max_chars, int) or isinstance(max_chars, bool) or max_chars < 1:
            raise ProviderError(f"The text slot {name} has no character limit.", code="invalid_slots")
        checked[str(name)] = {
            "label": str(slot.get("label") or name),
            "max_chars": max_chars,
            "text": str(slot.get("text") or ""),
        }
    return checked


def _describe(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value if item)
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {_describe(v)}" for k, v in value.items() if v)
    return str(value)


def _copy_messages(
    brand: dict, slots: dict[str, dict], count: int, brief: dict[str, str] | None = None
) -> list[dict[str, str]]:
    name = str(brand.get("name") or "the brand")
    voice = brand.get("voice") or {}
    messaging = brand.get("messaging") or {}
    lines = [
        f"You write advertising copy for {name}.",
        f"Brand voice: {_describe(voice)}." if voice else "Brand voice: clear, warm and direct.",
    ]
    if messaging:
        lines.append(f"Messaging: {_describe(messaging)}.")
    # What the texts are for beyond the brand (a landing page's business profile and goal).
    what = "the ad's texts"
    for key, value in (brief or {}).items():
        if key == "what":
            what = value
        elif value:
            lines.append(f"{key}: {value}.")
    example = {slot: f"<{spec['label']}, at most {spec['max_chars']} characters>" for slot, spec in slots.items()}
    lines += [
        f"Write {count} different variants of {what}, each in the brand's voice.",
        "Answer with a JSON object only, in this shape: " + json.dumps({"variants": [example]}, ensure_ascii=False),
        (
            "Every variant has every key. Never exceed a character limit: count the characters, spaces included. "
            "Do not wrap the texts in quotation marks."
        ),
    ]
    request = {
        "variants_wanted": count,
        "texts": [
            {"key": slot, "label": spec["label"], "max_chars": spec["max_chars"], "current_text": spec["text"]}
            for slot, spec in slots.items()
        ],
    }
    return [
        {"role": "system", "content": "\n".join(lines)},
        {"role": "user", "content": json.dumps(request, ensure_ascii=False)},
    ]


def _parse_variants(content: str, slots: dict[str, dict], count: int, status_code: int | None) -> list[dict[str, str]]:
    text = content.strip()
    if text.startswith("```"):
        # Some local models wrap JSON in a Markdown fence even in JSON mode.
        text = text.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _Unreadable("not valid JSON", content, status_code=status_code) from exc
    variants = data.get("variants") if isinstance(data, dict) else data
    if not isinstance(variants, list) or not all(isinstance(v, dict) for v in variants):
        raise _Unreadable('no "variants" list', content, status_code=status_code)
    problems = []
    if len(variants) < count:
        problems.append(f"{len(variants)} variants were written; {count} are needed")
    cleaned = []
    for number, variant in enumerate(variants[:count], start=1):
        row = {}
        for slot, spec in slots.items():
            value = variant.get(slot)
            value = " ".join(value.split()) if isinstance(value, str) else ""
            if not value:
                problems.append(f"variant {number} has no {slot}")
            elif len(value) > spec["max_chars"]:
                problems.append(
                    f"variant {number} {slot} has {len(value)} characters; the limit is {spec['max_chars']}"
                )
            row[slot] = value
        cleaned.append(row)
    if problems:
        raise _DidNotFit(problems, content, status_code=status_code)
    return cleaned


def write_copy_variants(
    *,
    user,
    brand: dict,
    slots: dict[str, dict],
    count: int,
    generation=None,
    attempt: int = 1,
    brief: dict[str, str] | None = None,
) -> CopyResult:
    """`count` variants of the ad's texts in the brand's voice, each slot within its max_chars.

    The chat model is asked for JSON. An answer that cannot be read, or breaks a limit, is answered
    once with what was wrong; a second bad answer is a ProviderError. Texts are never cut short.
    `brief` adds context lines to the instructions (e.g. {"Business": ..., "Goal": ...}); its
    "what" key names what the texts are (default: the ad's texts).
    """
    slots = _check_slots(slots)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COPY_VARIANTS:
        raise ProviderError(f"Ask for between 1 and {MAX_COPY_VARIANTS} variants.", code="invalid_count")
    switches = _switches()
    choice = _remote_choice(ProviderOperation.COPY, switches)
    if choice is None:
        raise ProviderNotConfigured(feature_status()["ai_copy"].message)
    messages = _copy_messages(brand or {}, slots, count, brief)
    total = Decimal("0")
    last_error: MalformedResponse | None = None
    for try_number in (1, 2):
        if last_error is not None:
            content = getattr(last_error, "content", "")
            if isinstance(last_error, _DidNotFit):
                note = "Your answer broke these rules: " + "; ".join(last_error.problems)
            else:
                note = "Your answer was not the JSON object asked for."
            if content:
                messages = [*messages, {"role": "assistant", "content": content}]
            messages = [*messages, {"role": "user", "content": note + ". Answer again with the whole JSON object."}]
        summary = {
            "variants": count,
            "slots": sorted(slots),
            "max_chars": {slot: spec["max_chars"] for slot, spec in slots.items()},
            "try": try_number,
        }

        def call(messages=messages, summary=summary):
            answer = choice.provider.complete_json(messages=messages, model=choice.model)
            summary["usage"] = answer.usage
            return _Variants(answer.status_code, _parse_variants(answer.content, slots, count, answer.status_code))

        try:
            answer, cost = _record_attempt(
                choice=choice,
                operation=ProviderOperation.COPY,
                user=user,
                generation=generation,
                image_operation=None,
                attempt=attempt,
                summary=summary,
                call=call,
            )
        except MalformedResponse as error:
            total += error.cost
            last_error = error
            continue
        return CopyResult(variants=answer.variants, provider=choice.provider.key, model=choice.model, cost=total + cost)
    if isinstance(last_error, _DidNotFit):
        raise ProviderError(DID_NOT_FIT, code="copy_did_not_fit", call_status=CallStatus.MALFORMED)
    raise ProviderError(UNREADABLE, code="copy_unreadable", call_status=CallStatus.MALFORMED)
