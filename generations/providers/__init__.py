"""AI providers behind one interface: the built-in offline renderer, an OpenAI-compatible service and
an Automatic1111 (Stable Diffusion web UI) server. These client modules are the only code that talks
HTTP to a provider; `generations.services.providers` chooses one, calls it and records the call."""

from generations.providers.base import ChatAnswer, Provider, ProviderImage
from generations.providers.errors import (
    ContentRefused,
    MalformedResponse,
    ProviderError,
    ProviderNotConfigured,
    TransientProviderError,
)
from generations.providers.registry import PROVIDERS, REMOTE_ORDER, builtin, get_provider

__all__ = [
    "PROVIDERS",
    "REMOTE_ORDER",
    "ChatAnswer",
    "ContentRefused",
    "MalformedResponse",
    "Provider",
    "ProviderError",
    "ProviderImage",
    "ProviderNotConfigured",
    "TransientProviderError",
    "builtin",
    "get_provider",
]
