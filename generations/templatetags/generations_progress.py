"""The progress panel's data, so any page can include generations/_progress.html with just a generation."""

from django import template

from generations import selectors, status_text

register = template.Library()

STATE_LABELS = {"queued": "Waiting", "rendering": "Rendering…", "done": "Done", "failed": "Not made"}


@register.simple_tag
def generation_progress(generation) -> dict:
    formats = list(generation.formats or [])
    states = [(key, generation.progress.get(key, "queued")) for key in formats]
    done = sum(1 for _key, state in states if state == "done")
    return {
        "status": status_text.describe(generation),
        "rows": [(key, state, STATE_LABELS.get(state, state)) for key, state in states],
        "done": done,
        "total": len(formats),
        "percent": round(100 * done / len(formats)) if formats else 0,
        "queue_position": selectors.queue_position(generation),
    }


@register.simple_tag
def generation_status(generation) -> status_text.StatusText:
    """The badge's words and colour (generations.status_text, the one source)."""
    return status_text.describe(generation)
