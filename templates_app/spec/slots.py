"""What a spec's slots ask of the user, read from the slots alone (pure: no database).

A template "needs a product photo" when one of its image slots has the role `product`: its sample
art (the pasta plate, the poke bowl) stands in for the user's own product and should not stay in
their ad. The gallery filters on the stored flag (`AdTemplate.needs_product_photo`), which the
template service derives from here whenever it saves a spec.
"""

PRODUCT_ROLE = "product"


def product_photo_slots(spec: dict) -> list[str]:
    """Names of the image slots that want the user's product photo, in name order."""
    slots = spec.get("slots") or {}
    return sorted(
        name
        for name, slot in slots.items()
        if isinstance(slot, dict) and slot.get("type") == "image" and slot.get("role") == PRODUCT_ROLE
    )


def needs_product_photo(spec: dict) -> bool:
    return bool(product_photo_slots(spec))
