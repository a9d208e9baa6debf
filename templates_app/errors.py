"""Domain errors of templates: a design spec that breaks the format's rules, a text that cannot fit its box."""

from craftplatform.errors import DomainError


class TemplateSpecError(DomainError):
    """A design spec (or a font file, or a render input) breaks the rules of docs/design-spec.md.

    `problems` lists every fault found as `(path, message)` pairs, such as
    `("formats.1:1.layers[3].font", "Unknown font 'Comic Sans'; choose one of …")`, so an editor can
    show each beside the part it names.
    """

    default_message = "The design is not valid."

    def __init__(self, problems: list[tuple[str, str]], *, code: str | None = None) -> None:
        self.problems = list(problems)
        message = "; ".join(f"{path}: {text}" if path else text for path, text in self.problems)
        super().__init__(message or self.default_message, code=code or "invalid_spec")


class TextDoesNotFit(DomainError):
    """A text cannot fit its box in a format even at the layer's smallest size.

    `overflow_lines` is how many lines more than `max_lines` the text needs at that size and
    `overflow_px` how many pixels taller (or wider, for one unbreakable character) than the box it is.
    """

    def __init__(
        self,
        *,
        slot: str,
        format_key: str,
        overflow_lines: int,
        overflow_px: int,
        min_size: float | None = None,
        code: str | None = None,
    ) -> None:
        self.slot = slot
        self.format_key = format_key
        self.overflow_lines = overflow_lines
        self.overflow_px = overflow_px
        self.min_size = min_size
        parts = []
        if overflow_lines:
            parts.append(f"{overflow_lines} line{'s' if overflow_lines != 1 else ''} too many")
        if overflow_px:
            parts.append(f"{overflow_px} px over the box")
        detail = " and ".join(parts) or "too large"
        size = f" ({min_size:g} px)" if min_size else ""
        message = f"The text for '{slot}' does not fit the {format_key} layout even at its smallest size{size}: {detail}. Shorten it."
        super().__init__(message, code=code or "text_does_not_fit")
