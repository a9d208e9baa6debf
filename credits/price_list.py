"""What each thing a user can do costs, in the words the product uses: the one price list.

A pricing rule prices an *operation* per unit; some actions take several units (upscaling 4x
is two units of "upscale"). Every page, the API and every email that names a price reads it
from here, so the credits page and the image page can never disagree ("Upscale 2x or 4x: 2"
beside "Upscale 4x: 4 credits").
"""

from dataclasses import dataclass

from credits.constants import Operation
from credits.models import PricingRule
from credits.services.pricing import quote


@dataclass(frozen=True)
class PricedAction:
    key: str
    operation: str
    units: int
    label: str
    description: str
    factor: int | None = None


# fmt: off
ACTIONS: tuple[PricedAction, ...] = (
    PricedAction("generate_format", Operation.GENERATE_FORMAT, 1, "Ad format", "Each format of an ad (1:1, 4:5, 9:16, 16:9)"),
    PricedAction("variation", Operation.VARIATION, 1, "Variation", "Each format of a new variation of an ad"),
    PricedAction("upscale_2x", Operation.UPSCALE, 1, "Upscale 2x", "Twice the width and height", factor=2),
    PricedAction("upscale_4x", Operation.UPSCALE, 2, "Upscale 4x", "Four times the width and height", factor=4),
    PricedAction("remove_background", Operation.REMOVE_BACKGROUND, 1, "Remove background", "A transparent PNG of the subject"),
    PricedAction("vectorize", Operation.VECTORIZE, 1, "Vectorize", "Trace an image to an SVG"),
    PricedAction("ai_copy", Operation.AI_COPY, 1, "AI copy", "Text variants in your brand's voice"),
    PricedAction("ai_image", Operation.AI_IMAGE, 1, "AI image", "An AI background or product scene"),
)
# fmt: on


def action_for(*, operation: str, factor: int | None = None) -> PricedAction | None:
    return next((a for a in ACTIONS if a.operation == operation and a.factor == factor), None)


def units(*, operation: str, factor: int | None = None) -> int:
    """How many units of its operation's price one action takes (upscaling 4x: two)."""
    action = action_for(operation=operation, factor=factor)
    return action.units if action else 1


def price_list_for(*, user) -> list[dict]:
    """Each action the user can buy with credits now, with its price for them (plan tier included)."""
    rules = {rule.operation: rule for rule in PricingRule.objects.filter(enabled=True)}
    prices = []
    for action in ACTIONS:
        rule = rules.get(action.operation)
        if rule is None:
            continue
        priced = quote(user=user, operation=action.operation, quantity=action.units)
        prices.append(
            {
                "key": action.key,
                "operation": action.operation,
                "label": action.label,
                "description": action.description,
                "units": action.units,
                "cost": priced.total,
                "daily_limit": rule.daily_limit,
            }
        )
    return prices
