"""The report tables as HTML, for the page and the PDF alike (``{% report_table %}``).

Written out in Python rather than through a template: a report page has hundreds of figures,
and the template engine (or ``format_html`` on each cell) took several times longer to render
them (docs/decisions/0005-hand-written-html.md). Every value and URL is escaped
(``html.escape``, as Django's own ``escape`` does) before it goes into the markup.
"""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from ..tables import Table


def _linked(text: str, url: str, links: bool) -> str:
    if links and url:
        return f'<a href="{escape(url)}">{escape(text)}</a>'
    return escape(text)


def table_html(table: Table, *, links: bool, caption: bool = True) -> SafeString:
    """``table`` as a <table> (id ``table-<key>``) and its notes. ``links``: the figures and
    the children's names link to their records and reports (the page; not the PDF)."""
    classes = (
        "report-table" + (" wide" if table.wide else "") + (" form" if table.with_codes else "")
    )
    parts = [f'<table class="{classes}" id="table-{escape(table.key)}">']
    if caption and table.title:
        parts.append(f"<caption>{escape(str(table.title))}</caption>")
    parts.append("<thead><tr>")
    if table.with_codes:
        code_header = gettext("TT")  # outside the f-string, where makemessages finds it
        parts.append(f'<th scope="col" class="code">{escape(code_header)}</th>')
    parts.append(f'<th scope="col" class="label">{escape(str(table.label_header))}</th>')
    parts.extend(f'<th scope="col" class="num">{escape(str(c.label))}</th>' for c in table.columns)
    parts.append("</tr></thead><tbody>")
    for row in table.all_rows():
        row_classes = f"level-{row.level}" + (" strong" if row.strong else "")
        if row is table.total:
            row_classes += " total"
        parts.append(f'<tr class="{row_classes}">')
        if table.with_codes:
            parts.append(f'<td class="code">{escape(row.code)}</td>')
        parts.append(f'<th scope="row" class="label">{_linked(row.label, row.url, links)}</th>')
        parts.extend(
            f'<td class="num">{_linked(cell.display, cell.url, links)}</td>' for cell in row.cells
        )
        parts.append("</tr>")
    parts.append("</tbody></table>")
    parts.extend(f'<p class="note">{escape(str(note))}</p>' for note in table.notes)
    return mark_safe("".join(parts))  # every value above is escaped
