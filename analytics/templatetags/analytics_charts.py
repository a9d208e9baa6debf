from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from analytics.charts import bar_chart
from analytics.reports import Table

register = template.Library()


@register.simple_tag
def table_chart(table: Table) -> str:
    """The bar chart of a table's chart column over its first column (nothing when all are zero)."""
    if table.chart_column is None or not table.rows:
        return ""
    return bar_chart(
        title=table.title,
        labels=[str(row[0]) for row in table.rows],
        values=[row[table.chart_column] for row in table.rows],
    )


@register.simple_tag
def table_rows(table: Table) -> SafeString:
    """The body rows of a table, built in one pass: a 90-day table is thousands of cells, and the
    template language costs tens of milliseconds for them where this costs one or two."""
    return format_html_join(
        "",
        '<tr><th scope="row" class="fw-normal text-nowrap">{}</th>{}</tr>',
        (
            (row[0], format_html_join("", '<td class="text-end">{}</td>', ((cell,) for cell in row[1:])))
            for row in table.rows
        ),
    )
