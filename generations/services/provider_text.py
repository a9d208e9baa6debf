"""Short plain-words texts from the chat provider (an explanation of numbers, for example): asked for
as JSON, checked, and recorded like every provider call (a ProviderCall row with its tokens in the
summary and its price). Split from `generations.services.providers`, which chooses the provider."""

import json
import logging
from dataclasses import dataclass
from decimal import Decimal

from generations.models import ProviderKind, ProviderOperation
from generations.providers import MalformedResponse, ProviderNotConfigured
from generations.services.providers import _record_attempt, _remote_choice, _switches, feature_status

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 700


@dataclass(frozen=True)
class TextResult:
    text: str
    provider: str
    model: str
    cost: Decimal

    @property
    def written_by(self) -> str:
        return f"{ProviderKind(self.provider).label}{f' ({self.model})' if self.model else ''}"


@dataclass(frozen=True)
class _Text:
    status_code: int | None
    text: str


def text_available() -> bool:
    """Whether a chat provider is enabled and configured (the same one AI copy uses)."""
    return _remote_choice(ProviderOperation.COPY, _switches()) is not None


def _parse(content: str, status_code: int | None) -> str:
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise MalformedResponse(
            "The AI answer was not the JSON asked for.", status_code=status_code, billed=True
        ) from exc
    value = data.get("text") if isinstance(data, dict) else None
    value = " ".join(value.split()) if isinstance(value, str) else ""
    if not value:
        raise MalformedResponse("The AI answer had no text.", status_code=status_code, billed=True)
    if len(value) > MAX_TEXT_CHARS:
        raise MalformedResponse(
            f"The AI answer was longer than {MAX_TEXT_CHARS} characters.", status_code=status_code, billed=True
        )
    return value


def write_text(*, user, instructions: str, facts: dict, purpose: str, attempt: int = 1) -> TextResult:
    """A short text following `instructions`, written from `facts` (sent as JSON). One attempt, one
    ProviderCall row (`purpose` and the token usage in its summary); errors are raised as
    ProviderError, ProviderNotConfigured when no chat provider is on."""
    choice = _remote_choice(ProviderOperation.COPY, _switches())
    if choice is None:
        raise ProviderNotConfigured(feature_status()["ai_copy"].message)
    messages = [
        {
            "role": "system",
            "content": (
                f"{instructions}\nUse only the numbers given; do not invent any. Answer with a JSON object only, "
                f'in this shape: {{"text": "<at most {MAX_TEXT_CHARS} characters>"}}'
            ),
        },
        {"role": "user", "content": json.dumps(facts, ensure_ascii=False, default=str)},
    ]
    summary: dict = {"purpose": purpose, "facts": sorted(facts)}

    def call() -> _Text:
        answer = choice.provider.complete_json(messages=messages, model=choice.model)
        summary["usage"] = answer.usage
        return _Text(answer.status_code, _parse(answer.content, answer.status_code))

    answer, cost = _record_attempt(
        choice=choice,
        operation=ProviderOperation.COPY,
        user=user,
        generation=None,
        image_operation=None,
        attempt=attempt,
        summary=summary,
        call=call,
    )
    return TextResult(text=answer.text, provider=choice.provider.key, model=choice.model, cost=cost)
