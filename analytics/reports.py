"""What a dashboard shows: tables (every chart has one), each exportable to CSV, and the date range."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from django import forms
from django.http import HttpResponse
from django.utils.text import slugify

RANGE_CHOICES = [(7, "7 days"), (14, "14 days"), (28, "28 days"), (90, "90 days")]
MAX_CUSTOM_DAYS = 400


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    # Column index → "bar" draws the table as a bar chart of that column over the first column.
    chart_column: int | None = None
    empty: str = "Nothing in this period."


@dataclass(frozen=True)
class DateRange:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> DateRange:
        return DateRange(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]


class RangeForm(forms.Form):
    days = forms.TypedChoiceField(choices=RANGE_CHOICES, coerce=int, required=False)
    start = forms.DateField(required=False, label="From")
    end = forms.DateField(required=False, label="To")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if bool(start) != bool(end):
            raise forms.ValidationError("Give both dates of a custom range, or pick a preset.")
        if start and end:
            if end < start:
                raise forms.ValidationError("The end of the range is before its start.")
            if (end - start).days + 1 > MAX_CUSTOM_DAYS:
                raise forms.ValidationError(f"A range can cover at most {MAX_CUSTOM_DAYS} days.")
        return data

    def date_range(self, today: date) -> DateRange:
        data = self.cleaned_data
        if data.get("start") and data.get("end"):
            return DateRange(data["start"], data["end"])
        days = data.get("days") or 28
        return DateRange(today - timedelta(days=days - 1), today)


def csv_response(table: Table, *, filename_prefix: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.columns)
    for row in table.rows:
        # A cell a spreadsheet would run as a formula is quoted as text.
        writer.writerow(["'" + str(cell) if str(cell)[:1] in "=+-@" and not _numeric(cell) else cell for cell in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = slugify(f"{filename_prefix}-{table.key}")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _numeric(cell) -> bool:
    try:
        float(str(cell))
    except ValueError:
        return False
    return True
