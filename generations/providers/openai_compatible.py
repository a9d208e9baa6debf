"""OpenAI, or any server that speaks its API (LocalAI, vLLM, Ollama, LM Studio, a gateway):
images for backgrounds and product scenes (`POST {base}/images/generations`) and chat for copy
variants (`POST {base}/chat/completions`, JSON mode). The base URL is OPENAI_BASE_URL, so
self-hosters point it at a local model server.
"""

from typing import ClassVar

from django.conf import settings

from generations.models import CallStatus, ProviderKind, ProviderOperation
from generations.providers.base import ChatAnswer, Provider, ProviderImage, decode_base64_image
from generations.providers.errors import ContentRefused, MalformedResponse, ProviderError
from generations.providers.transport import HttpAnswer, clean_detail, post_json, raise_for_status

# Error codes OpenAI (and Azure OpenAI) use when a safety system refuses a prompt.
CONTENT_POLICY_CODES = frozenset({"content_policy_violation", "moderation_blocked", "content_filter"})


def parse_size(value: str) -> tuple[int, int] | None:
    width, sep, height = value.strip().lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit() or int(width) < 1 or int(height) < 1:
        return None
    return int(width), int(height)


def closest_size(size: tuple[int, int], allowed: list[str]) -> str:
    """Of the sizes the model accepts, the one closest in shape to `size` (then the larger one)."""
    target = size[0] / size[1]
    candidates = [(parsed, text) for text in allowed if (parsed := parse_size(text))]
    if not candidates:
        return "1024x1024"
    return min(candidates, key=lambda c: (abs(c[0][0] / c[0][1] - target), -c[0][0] * c[0][1]))[1]


class OpenAICompatibleProvider(Provider):
    key = ProviderKind.OPENAI.value
    label = "The OpenAI-compatible AI service"
    operations: ClassVar[frozenset[str]] = frozenset({ProviderOperation.IMAGE, ProviderOperation.COPY})

    def missing_settings(self, operation: str | None = None) -> list[str]:
        missing = [name for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL") if not getattr(settings, name, "")]
        return missing

    def default_model(self, operation: str) -> str:
        if operation == ProviderOperation.IMAGE:
            return settings.OPENAI_IMAGE_MODEL
        if operation == ProviderOperation.COPY:
            return settings.OPENAI_CHAT_MODEL
        return ""

    def describe_settings(self) -> str:
        missing = self.missing_settings()
        if missing:
            return "Not configured: set " + ", ".join(missing)
        return f"Configured: key set, base URL {clean_detail(settings.OPENAI_BASE_URL)}"

    # -- HTTP ----------------------------------------------------------------------------------

    def _post(self, path: str, payload: dict) -> HttpAnswer:
        answer = post_json(
            service=self.label,
            url=settings.OPENAI_BASE_URL.rstrip("/") + path,
            payload=payload,
            headers={"Authorization": f"Bearer {settings.OPENAI_API_KEY}"},
        )
        if not answer.ok:
            self._raise_error(answer)
        return answer

    def _raise_error(self, answer: HttpAnswer) -> None:
        error = answer.error_json().get("error")
        error = error if isinstance(error, dict) else {}
        code = str(error.get("code") or "")
        detail = clean_detail(error.get("message"), secrets=(settings.OPENAI_API_KEY,))
        if code in CONTENT_POLICY_CODES:
            raise ContentRefused(status_code=answer.status_code)
        if answer.status_code == 429 and code == "insufficient_quota":
            # Not a rate limit: the account is out of money, and waiting will not help.
            raise ProviderError(
                f"{self.label} has no quota left on this installation's account. Please tell the site's staff.",
                code="provider_quota",
                status_code=429,
            )
        raise_for_status(answer, detail=detail)

    # -- operations ----------------------------------------------------------------------------

    def generate_image(
        self,
        *,
        prompt: str,
        negative_prompt: str,
        size: tuple[int, int],
        seed: int,
        brand_colors: dict[str, str],
        model: str,
    ) -> ProviderImage:
        # The API takes neither a seed nor a negative prompt; the prompt itself says what to avoid.
        request_size = closest_size(size, list(settings.OPENAI_IMAGE_SIZES))
        payload: dict = {"model": model, "prompt": prompt, "n": 1, "size": request_size}
        if not model.startswith("gpt-image"):
            # DALL·E models and most local servers answer with a URL unless asked for base64;
            # gpt-image models always answer in base64 and refuse the parameter.
            payload["response_format"] = "b64_json"
        if settings.OPENAI_IMAGE_QUALITY:
            payload["quality"] = settings.OPENAI_IMAGE_QUALITY
        answer = self._post("/images/generations", payload)
        body = answer.json_object()
        data = body.get("data")
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            raise MalformedResponse(f"{self.label} answered without an image.", status_code=answer.status_code)
        first = data[0]
        if not first.get("b64_json") and first.get("url"):
            raise MalformedResponse(
                f"{self.label} answered with a link instead of image data; it must support response_format=b64_json.",
                status_code=answer.status_code,
            )
        image = decode_base64_image(first.get("b64_json"), service=self.label, status_code=answer.status_code)
        return ProviderImage(image=image, status_code=answer.status_code, details={"request_size": request_size})

    def complete_json(self, *, messages: list[dict[str, str]], model: str) -> ChatAnswer:
        payload = {"model": model, "messages": messages, "response_format": {"type": "json_object"}, "n": 1}
        answer = self._post("/chat/completions", payload)
        body = answer.json_object()
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise MalformedResponse(f"{self.label} answered without a message.", status_code=answer.status_code)
        choice = choices[0]
        message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        if message.get("refusal") or choice.get("finish_reason") == "content_filter":
            raise ContentRefused(status_code=answer.status_code, billed=True)
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            raise MalformedResponse(
                f"{self.label} answered with an empty message.",
                status_code=answer.status_code,
                call_status=CallStatus.MALFORMED,
                billed=True,
            )
        if choice.get("finish_reason") == "length":
            raise MalformedResponse(
                f"{self.label} stopped before finishing its answer.", status_code=answer.status_code, billed=True
            )
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
        usage = {k: v for k, v in usage.items() if k in ("prompt_tokens", "completion_tokens", "total_tokens")}
        return ChatAnswer(content=content, status_code=answer.status_code, usage=usage)
