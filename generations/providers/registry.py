"""The providers this installation knows, and which remote one is tried first for each operation."""

from generations.models import ProviderKind, ProviderOperation
from generations.providers.automatic1111 import Automatic1111Provider
from generations.providers.base import Provider
from generations.providers.builtin import BuiltinProvider
from generations.providers.openai_compatible import OpenAICompatibleProvider

PROVIDERS: dict[str, Provider] = {
    provider.key: provider for provider in (BuiltinProvider(), OpenAICompatibleProvider(), Automatic1111Provider())
}

# Remote providers in the order they are tried: the first one enabled in the admin and configured
# wins. Images fall back to the built-in renderer; the other operations have no offline provider here.
REMOTE_ORDER: dict[str, tuple[str, ...]] = {
    ProviderOperation.IMAGE: (ProviderKind.OPENAI, ProviderKind.AUTOMATIC1111),
    ProviderOperation.COPY: (ProviderKind.OPENAI,),
    ProviderOperation.UPSCALE: (ProviderKind.AUTOMATIC1111,),
    ProviderOperation.REMOVE_BACKGROUND: (ProviderKind.AUTOMATIC1111,),
}


def get_provider(key: str) -> Provider:
    return PROVIDERS[key]


def builtin() -> Provider:
    return PROVIDERS[ProviderKind.BUILTIN]
