"""Back, then Generate again: say what the user made from this form a moment ago, and ask before
making the same ads again (and charging for them again).

`recent_from_template` feeds the customise page's note; `same_as_recent` is the check the
Generate button passes through: an identical request (same texts, colours, library images,
formats, output and AI choices) made within REPEAT_WINDOW needs an explicit "make them again".
A request with a newly uploaded file is never "the same" (its content is not known yet).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.timesince import timesince

from generations.errors import InvalidGenerationRequest
from generations.models import Generation, GenerationStatus
from generations.services import generation as generation_services

REPEAT_WINDOW = timedelta(minutes=30)
_COUNTED = (GenerationStatus.QUEUED, GenerationStatus.RUNNING, GenerationStatus.COMPLETED)


@dataclass(frozen=True)
class RecentGeneration:
    generation: Generation
    versions: int  # the first and the variations made with it

    @property
    def ago(self) -> str:
        """ "a moment ago", "3 minutes ago"."""
        if timezone.now() - self.generation.created_at < timedelta(minutes=1):
            return "a moment ago"
        return f"{timesince(self.generation.created_at)} ago"

    @property
    def credits(self) -> int:
        return self.generation.credits_used or self.generation.credits_quoted


def _recent(*, user, template_id):
    since = timezone.now() - REPEAT_WINDOW
    return (
        Generation.objects.filter(
            user=user, template_id=template_id, parent__isnull=True, created_at__gte=since, status__in=_COUNTED
        )
        .select_related("template")
        .order_by("-created_at")
    )


def recent_from_template(*, user, template_id) -> RecentGeneration | None:
    """The user's latest generation from this template within the window (for the page's note)."""
    latest = _recent(user=user, template_id=template_id).first()
    if latest is None:
        return None
    return RecentGeneration(latest, versions=1 + latest.variations.filter(variation_kind="seed").count())


def _comparable(customization: dict, parameters: dict) -> dict:
    return {
        **customization,
        "output_format": parameters.get("output_format"),
        "quality": parameters.get("quality"),
    }


def same_as_recent(*, user, request: generation_services.GenerationRequest, spec: dict) -> RecentGeneration | None:
    """The recent generation this request would make again, or None (also when the request is invalid:
    request_generation then says what is wrong)."""
    if request.image_uploads:
        return None
    if request.request_key and Generation.objects.filter(user=user, request_key=request.request_key).exists():
        return None  # the same form sent twice: request_generation answers with what it made, no charge
    try:
        customization = generation_services.check_request(user=user, request=request, spec=spec)
    except InvalidGenerationRequest:
        return None
    wanted = _comparable(customization, {"output_format": request.output_format, "quality": request.quality})
    for generation in _recent(user=user, template_id=request.template_id)[:20]:
        if _comparable(generation.customization_data or {}, generation.parameters or {}) == wanted:
            return RecentGeneration(
                generation, versions=1 + generation.variations.filter(variation_kind="seed").count()
            )
    return None
