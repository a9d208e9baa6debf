"""The image operations panel's data (price, whether allowed, why not), so any page can include
generations/_operations.html with just an asset."""

import uuid

from django import template

from credits import price_list
from credits import services as credit_services
from generations.models import OperationType
from generations.services import operations as operation_services

register = template.Library()

# (key, operation, factor, button label), in the order the panel shows them; the labels and units
# are the price list's (credits.price_list), so this panel and the credits page say the same.
ACTIONS = tuple(
    (key, operation, factor, price_list.action_for(operation=operation, factor=factor).label)
    for key, operation, factor in (
        ("upscale-2x", OperationType.UPSCALE, 2),
        ("upscale-4x", OperationType.UPSCALE, 4),
        ("remove-background", OperationType.REMOVE_BACKGROUND, None),
        ("vectorize", OperationType.VECTORIZE, None),
    )
)


@register.simple_tag(takes_context=True)
def image_operation_choices(context, asset) -> dict:
    """Each action with its price for the signed-in user, `allowed`, the `reason` when not, and a
    fresh request key (a double-clicked button asks once)."""
    user = context["request"].user
    actions = []
    available = 0
    for key, operation, factor, label in ACTIONS:
        quote = credit_services.quote(
            user=user,
            operation=operation,
            quantity=operation_services.pricing_quantity(operation=operation, factor=factor),
        )
        available = quote.available
        problem = operation_services.operation_problem(asset=asset, operation=operation, factor=factor)
        actions.append(
            {
                "key": key,
                "operation": operation.value,
                "factor": factor,
                "label": label,
                "price": quote.total,
                "allowed": not problem and quote.allowed,
                "reason": problem or quote.reason,
                "request_key": uuid.uuid4().hex,
            }
        )
    return {"actions": actions, "available": available}
