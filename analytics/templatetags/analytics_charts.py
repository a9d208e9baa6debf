from django import template

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
