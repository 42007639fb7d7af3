"""The report tables as HTML, for the page and the PDF alike (``{% report_table %}``).

Written out in Python rather than through a template: a commune's report page has about 500
figures, and Django's template engine took ~9 ms to render them (a fifth of the page), this
takes ~1 ms. Every value goes through ``format_html`` (escaped).
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from ..exports import Table


def _linked(text: str, url: str, links: bool) -> SafeString:
    if links and url:
        return format_html('<a href="{}">{}</a>', url, text)
    return format_html("{}", text)


def table_html(table: Table, *, links: bool, caption: bool = True) -> SafeString:
    """``table`` as a <table> (id ``table-<key>``) and its notes. ``links``: the figures and
    the children's names link to their records and reports (the page; not the PDF)."""
    classes = (
        "report-table" + (" wide" if table.wide else "") + (" form" if table.with_codes else "")
    )
    parts = [format_html('<table class="{}" id="table-{}">', classes, table.key)]
    if caption and table.title:
        parts.append(format_html("<caption>{}</caption>", table.title))
    parts.append("<thead><tr>")
    if table.with_codes:
        parts.append(format_html('<th scope="col" class="code">{}</th>', gettext("TT")))
    parts.append(format_html('<th scope="col" class="label">{}</th>', table.label_header))
    parts.append(
        format_html_join(
            "", '<th scope="col" class="num">{}</th>', ((c.label,) for c in table.columns)
        )
    )
    parts.append("</tr></thead><tbody>")
    for row in table.all_rows():
        classes = f"level-{row.level}" + (" strong" if row.strong else "")
        if row is table.total:
            classes += " total"
        parts.append(format_html('<tr class="{}">', classes))
        if table.with_codes:
            parts.append(format_html('<td class="code">{}</td>', row.code))
        parts.append(
            format_html('<th scope="row" class="label">{}</th>', _linked(row.label, row.url, links))
        )
        parts.extend(
            format_html('<td class="num">{}</td>', _linked(cell.display, cell.url, links))
            for cell in row.cells
        )
        parts.append("</tr>")
    parts.append("</tbody></table>")
    parts.extend(format_html('<p class="note">{}</p>', note) for note in table.notes)
    return mark_safe("".join(parts))  # every part went through format_html
