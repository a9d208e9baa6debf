"""Server-drawn SVG charts: no script, no network, readable by screen readers through the table
every chart comes with (the chart itself is an image with a text summary)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import format_html, format_html_join

WIDTH = 640
HEIGHT = 180
PAD_LEFT = 8
PAD_BOTTOM = 22


def _number(value) -> float:
    if value in (None, ""):
        return 0.0
    try:
        return float(Decimal(str(value)))
    except ArithmeticError:
        return 0.0


def bar_chart(*, title: str, labels: list[str], values: list) -> str:
    numbers = [_number(v) for v in values]
    if not numbers or max(numbers, default=0) <= 0:
        return ""
    top = max(numbers)
    count = len(numbers)
    slot = (WIDTH - PAD_LEFT) / count
    bar = max(1.0, slot * 0.7)
    usable = HEIGHT - PAD_BOTTOM - 6
    bars = []
    for index, (label, number) in enumerate(zip(labels, numbers, strict=True)):
        height = usable * number / top
        x = PAD_LEFT + index * slot + (slot - bar) / 2
        y = HEIGHT - PAD_BOTTOM - height
        bars.append((f"{x:.1f}", f"{y:.1f}", f"{bar:.1f}", f"{height:.1f}", f"{label}: {values[index]}"))
    rects = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" rx="1"><title>{}</title></rect>',
        bars,
    )
    first, last = labels[0], labels[-1]
    summary = f"{title}: highest {values[numbers.index(top)]} on {labels[numbers.index(top)]}; {count} points from {first} to {last}."
    return format_html(
        '<svg class="analytics-chart" viewBox="0 0 {w} {h}" role="img" aria-label="{summary}" '
        'preserveAspectRatio="none" width="100%" height="{h}">'
        '<g class="bars">{rects}</g>'
        '<line x1="{pl}" y1="{base}" x2="{w}" y2="{base}" class="axis"></line>'
        '<text x="{pl}" y="{h_text}" class="tick">{first}</text>'
        '<text x="{w}" y="{h_text}" text-anchor="end" class="tick">{last}</text>'
        "</svg>",
        w=WIDTH,
        h=HEIGHT,
        summary=summary,
        rects=rects,
        pl=PAD_LEFT,
        base=HEIGHT - PAD_BOTTOM,
        h_text=HEIGHT - 6,
        first=first,
        last=last,
    )
