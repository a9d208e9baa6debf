"""“Write it for me”: a page's copy (or one component's) drafted by the AI copy provider.

The texts of the chosen components become slots for `generations`' copy service (one chat call,
recorded as a ProviderCall with its tokens and cost, asked once more if the answer breaks the
rules). The credits come from the `ai_copy` pricing rule, one unit per component written: held
before the call, captured in the transaction that stores the new texts, released when anything
fails (then nothing on the page changes). The answer goes through the same schema validation as
a user's edit: text that looks like markup or a script refuses the whole answer.

Facts the AI must not invent stay as the user wrote them: the brand name, prices, testimonials,
form fields and links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import BusinessProfile
from campaigns.pages import components as schema
from campaigns.pages.models import LandingPage, PageComponent
from campaigns.pages.services import _changed, _lock, _snapshot
from craftplatform.errors import DomainError
from credits import services as credit_services
from generations.services import provider_copy
from generations.services import providers as provider_services

OPERATION = "ai_copy"
MAX_SLOTS = 80
MAX_GOAL_CHARS = 200
# (component type, property) whose words are facts the user owns, never drafted.
NOT_DRAFTED = {
    ("header", "brand_name"),
    ("header", "cta_url"),
    ("testimonials", "items"),
    ("pricing", "price"),
    ("lead_form", "custom_fields"),
    ("footer", "links"),
}
GOALS = {
    "lead": "collect leads: visitors leave their contact details in the form",
    "signup": "get sign-ups",
    "purchase": "sell: visitors buy the offer",
}


class CopyNotOffered(DomainError):
    """No AI copy provider is set up: the button is not offered and the API refuses."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="ai_not_configured")


class CopyRejected(DomainError):
    """The provider answered, but the texts do not pass the component schemas (markup, script)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="ai_answer_rejected")


@dataclass(frozen=True)
class CopyOffer:
    available: bool
    credits: int = 0
    allowed: bool = False
    reason: str = ""
    setup_message: str = ""  # for staff: what to configure


def slots_of(component: PageComponent) -> dict[str, dict[str, Any]]:
    """The component's drafted texts as copy slots, keyed `<component id>|<prop>[|<item>|<sub>]`."""
    spec = schema.component_type(component.component_type)
    slots: dict[str, dict[str, Any]] = {}
    for name, prop in spec.props.items():
        if (component.component_type, name) in NOT_DRAFTED:
            continue
        if prop.kind == "text":
            slots[f"{component.pk}|{name}"] = {
                "label": f"{spec.label}: {prop.label}",
                "max_chars": prop.max_length,
                "text": str(component.props.get(name) or ""),
            }
        elif prop.kind == "items":
            for index, item in enumerate(component.props.get(name) or []):
                for sub, sub_prop in prop.item_props:
                    if sub_prop.kind != "text" or (component.component_type, sub) in NOT_DRAFTED:
                        continue
                    slots[f"{component.pk}|{name}|{index}|{sub}"] = {
                        "label": f"{spec.label}: {prop.label} {index + 1}, {sub_prop.label.lower()}",
                        "max_chars": sub_prop.max_length,
                        "text": str(item.get(sub) or ""),
                    }
    return slots


def _chosen(page: LandingPage, component_id) -> list[PageComponent]:
    rows = list(page.components.order_by("position", "created_at"))
    if component_id is not None:
        rows = [row for row in rows if str(row.pk) == str(component_id)]
        if not rows:
            raise DomainError("That component is not on this page.", code="not_found")
    return [row for row in rows if slots_of(row)]


def copy_offer(*, user, page: LandingPage, component: PageComponent | None = None) -> CopyOffer:
    """Whether the button is offered, and its price now (one unit of AI copy per component)."""
    status = provider_services.feature_status()["ai_copy"]
    if not status.available:
        return CopyOffer(available=False, setup_message=status.message)
    count = len(_chosen(page, component.pk if component is not None else None))
    if not count:
        return CopyOffer(available=True, reason="There is no text to write on this page yet.")
    quote = credit_services.quote(user=user, operation=OPERATION, quantity=count)
    return CopyOffer(available=True, credits=quote.total, allowed=quote.allowed, reason=quote.reason)


def _brief(user, page: LandingPage, goal: str) -> dict[str, str]:
    profile = BusinessProfile.objects.filter(user=user).first()
    brief = {"what": "the texts of a landing page an ad sends visitors to"}
    if profile is not None:
        business = ", ".join(
            part
            for part in (
                profile.business_name,
                profile.get_business_type_display() if profile.business_type else "",
                profile.get_industry_display() if profile.industry else "",
            )
            if part
        )
        brief["Business"] = business
        brief["Audience"] = " ".join(profile.target_audience_description.split())[:500]
    brief["Goal of the page"] = goal or GOALS.get(page.conversion_type, f"get visitors to {page.conversion_type}")
    brief["Page"] = page.title or page.name
    return brief


def _brand(user) -> dict[str, Any]:
    profile = getattr(user, "brand_profile", None)
    if profile is None:
        return {}
    return {
        "name": profile.name or "",
        "voice": dict(profile.brand_voice or {}),
        "messaging": dict(profile.messaging_patterns or {}),
    }


def _clean_goal(goal: str) -> str:
    goal = " ".join((goal or "").split())
    if len(goal) > MAX_GOAL_CHARS:
        raise schema.ComponentError(errors={"goal": f"at most {MAX_GOAL_CHARS} characters"})
    if schema.MARKUP.search(goal):
        raise schema.ComponentError(errors={"goal": "HTML is not allowed: write plain text"})
    return goal


def _merged(component: PageComponent, texts: dict[str, str]) -> dict[str, Any]:
    props = {key: (list(value) if isinstance(value, list) else value) for key, value in component.props.items()}
    for key, text in texts.items():
        parts = key.split("|")
        if parts[0] != str(component.pk):
            continue
        if len(parts) == 2:
            props[parts[1]] = text
        else:
            name, index, sub = parts[1], int(parts[2]), parts[3]
            items = [dict(item) for item in props.get(name) or []]
            if index < len(items):  # an item removed while the AI wrote keeps nothing
                items[index][sub] = text
            props[name] = items
    return props


def write_page_copy(*, user, page: LandingPage, component_id=None, goal: str = "") -> list[PageComponent]:
    """Draft the copy of the page's components (or of one) and store it as one undoable change.

    Raises CopyNotOffered without a provider, InsufficientCredits / OperationNotAllowed from the
    pricing rule, a ProviderError when the call fails or its answer cannot be used, CopyRejected
    when the texts fail the component schemas. In every failure the hold is released and the page
    is as it was.
    """
    status = provider_services.feature_status()["ai_copy"]
    if not status.available:
        raise CopyNotOffered("Writing copy with AI is not set up on this installation.")
    goal = _clean_goal(goal)
    rows = _chosen(page, component_id)
    if not rows:
        raise DomainError("There is no text to write on this page yet.", code="invalid")
    slots: dict[str, dict[str, Any]] = {}
    for row in rows:
        slots.update(slots_of(row))
    if len(slots) > MAX_SLOTS:
        raise DomainError(
            f"This page has {len(slots)} texts, more than are written at once ({MAX_SLOTS}): "
            "write it a component at a time.",
            code="invalid",
        )
    hold, _quote = credit_services.hold_for_operation(
        user=user,
        operation=OPERATION,
        quantity=len(rows),
        reference_type="landing_page",
        reference_id=str(page.pk),
        description=f"AI copy for “{page.name[:60]}” ({len(rows)} component{'s' if len(rows) != 1 else ''})",
    )
    try:
        result = provider_copy.write_copy_variants(
            user=user, brand=_brand(user), slots=slots, count=1, brief=_brief(user, page, goal)
        )
        return _store(page=page, rows=rows, texts=result.variants[0], hold_id=hold.pk)
    except BaseException:
        credit_services.release_hold(hold_id=hold.pk)
        raise


@transaction.atomic
def _store(*, page: LandingPage, rows: list[PageComponent], texts: dict[str, str], hold_id) -> list[PageComponent]:
    page = _lock(page)
    before = _snapshot(page)
    current = {row.pk: row for row in page.components.filter(pk__in=[row.pk for row in rows])}
    changed = []
    for row in rows:
        component = current.get(row.pk)
        if component is None:  # removed while the AI wrote
            continue
        try:
            cleaned = schema.validate_props(component.component_type, _merged(component, texts))
        except schema.ComponentError as exc:
            raise CopyRejected(
                "The AI answer was not usable ("
                + "; ".join(f"{key}: {value}" for key, value in exc.errors.items())[:300]
                + "). Nothing was changed and no credits were taken."
            ) from None
        if cleaned != component.props:
            component.props = cleaned
            component.updated_at = timezone.now()
            changed.append(component)
    if changed:
        PageComponent.objects.bulk_update(changed, ["props", "updated_at"])
        _changed(page, before)
    credit_services.capture_hold(hold_id=hold_id)
    return changed
