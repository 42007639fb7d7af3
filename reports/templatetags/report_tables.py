from django import template

from ..renderers.html import table_html

register = template.Library()


@register.simple_tag
def report_table(table, *, links: bool, caption: bool = True):
    """``{% report_table table links=True %}``: one ``reports.tables.Table`` in HTML."""
    return table_html(table, links=links, caption=caption)
