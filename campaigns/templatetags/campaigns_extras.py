from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key, "")


@register.filter
def minor(amount) -> str:
    """Minor currency units (cents) as an amount: 2050 -> 20.50."""
    try:
        return f"{int(amount) / 100:.2f}"
    except (TypeError, ValueError):
        return ""
