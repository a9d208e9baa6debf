"""What a generation's status is called, everywhere it is shown: the badge, the progress panel,
the status JSON and the API. One function, so the badge never says "Queued" while the panel
counts formats done."""

from dataclasses import dataclass

from generations.models import GenerationStatus


@dataclass(frozen=True)
class StatusText:
    label: str  # the badge: one or two words
    tone: str  # Bootstrap colour of the badge
    heading: str  # the progress panel's heading
    done: int
    total: int


TONES = {
    GenerationStatus.QUEUED: "secondary",
    GenerationStatus.RUNNING: "info",
    GenerationStatus.COMPLETED: "success",
    GenerationStatus.FAILED: "danger",
    GenerationStatus.CANCELLED: "dark",
}
HEADINGS = {
    GenerationStatus.QUEUED: "Queued",
    GenerationStatus.RUNNING: "Making your ads",
    GenerationStatus.COMPLETED: "Done",
    GenerationStatus.FAILED: "This generation failed",
    GenerationStatus.CANCELLED: "Cancelled",
}


def describe(generation) -> StatusText:
    formats = list(generation.formats or [])
    progress = generation.progress or {}
    done = sum(1 for key in formats if progress.get(key) == "done")
    status = generation.status
    label = generation.get_status_display()
    if status == GenerationStatus.RUNNING and formats:
        label = f"Making {done} of {len(formats)}" if done < len(formats) else "Finishing"
    return StatusText(
        label=label,
        tone=TONES.get(status, "dark"),
        heading=HEADINGS.get(status, label),
        done=done,
        total=len(formats),
    )
