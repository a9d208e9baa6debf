"""The font families a brand kit may choose: the bundled ones, and those other apps offer a user.

A user's uploaded fonts live in templates_app, which sits below accounts (DESIGN.md section 3:
accounts never imports it). So templates_app registers a provider here from its
AppConfig.ready(), and the brand kit's form and API ask `font_choices_for(user)`.
"""

from collections.abc import Callable, Iterable
from typing import Any

from accounts.constants import BRAND_FONTS

FontChoices = list[tuple[str, str]]
FontProvider = Callable[[Any], Iterable[tuple[str, str]]]

_providers: list[FontProvider] = []


def register_font_choices(provider: FontProvider) -> None:
    """Add a provider: a function of the user returning (family, label) pairs. Registering twice is a no-op."""
    if provider not in _providers:
        _providers.append(provider)


def uploaded_font_choices(user) -> FontChoices:
    """The families the registered providers offer this user, without the bundled ones or repeats."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    seen = {value for value, _ in BRAND_FONTS}
    choices: FontChoices = []
    for provider in _providers:
        for value, label in provider(user):
            if value not in seen:
                seen.add(value)
                choices.append((value, label))
    return choices


def font_choices_for(user) -> FontChoices:
    """Every family the user's brand kit may name: the bundled ones, then the user's own."""
    return [*BRAND_FONTS, *uploaded_font_choices(user)]


def font_choice_groups_for(user) -> list:
    """The same, for a select: grouped when the user has fonts of their own."""
    uploaded = uploaded_font_choices(user)
    if not uploaded:
        return list(BRAND_FONTS)
    return [("Included fonts", list(BRAND_FONTS)), ("Your uploaded fonts", uploaded)]
