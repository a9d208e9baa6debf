"""What a generation request costs a user now, and whether they may make it."""

from dataclasses import dataclass

from credits import services as credit_services


@dataclass(frozen=True)
class PriceLine:
    operation: str
    label: str
    quantity: int
    unit_cost: int
    total: int


@dataclass(frozen=True)
class GenerationPrice:
    lines: list[PriceLine]
    total: int
    available: int
    allowed: bool
    reason: str = ""

    @property
    def needs_credits(self) -> int:
        return max(0, self.total - self.available)


def price_generation(
    *,
    user,
    format_count: int,
    count: int = 1,
    ai_copy: bool = False,
    ai_background: bool = False,
    first_is_variation: bool = False,
) -> GenerationPrice:
    """What `count` generations of `format_count` formats cost this user now, and whether they may.

    The first generation renders at the per-format price (or the variation price when it is itself a
    variation); each further one is a variation of it. AI copy and an AI background are priced per
    generation that uses them.
    """
    lines: list[PriceLine] = []
    reasons: list[str] = []
    available = None

    def add(operation: str, label: str, quantity: int) -> None:
        nonlocal available
        if quantity <= 0:
            return
        quote = credit_services.quote(user=user, operation=operation, quantity=quantity)
        available = quote.available
        lines.append(PriceLine(operation, label, quantity, quote.unit_cost, quote.total))
        if not quote.allowed and quote.affordable:
            reasons.append(quote.reason)

    first_op = "variation" if first_is_variation else "generate_format"
    add(first_op, "Formats rendered" if not first_is_variation else "Variation formats", format_count)
    add("variation", "Variations (formats each)", format_count * (count - 1))
    if ai_copy:
        add("ai_copy", "AI copy", count)
    if ai_background:
        add("ai_image", "AI background", count)
    total = sum(line.total for line in lines)
    available = available if available is not None else 0
    if not reasons and total > available:
        reasons.append(f"This needs {total} credits and you have {available} available.")
    return GenerationPrice(lines=lines, total=total, available=available, allowed=not reasons, reason=" ".join(reasons))
