"""The member list's rows, written out in Python (``{% member_rows page.object_list %}``).

Django's template engine resolves each row's URL, dates and choices through its variables at
a cost that a page of rows notices (``docs/decisions/0005-hand-written-html.md``), as the
report tables do (``reports.renderers.html``). Every value is escaped with ``html.escape``
before it goes into the markup.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from common.dates import dmy

from ..choices import Gender
from ..models import Member, Status

register = template.Library()


def _day(value: datetime.date | None) -> str:
    return dmy(value) if value else "—"


@register.simple_tag
def member_rows(members: Iterable[Member], columns=None) -> SafeString:
    """One <tr> per member: name (a link to the record), gender, date of birth, record cell,
    status badge, admission and recognition dates. The members need ``record_unit`` loaded.
    ``columns`` (the list's, each with a ``label``): each cell carries its column's label in
    ``data-label``, which the phone layout shows beside the value when the table reflows."""
    genders = {value: escape(str(label)) for value, label in Gender.choices}
    statuses = {value: escape(str(label)) for value, label in Status.choices}
    if columns:
        td = [f'<td data-label="{escape(str(c["label"]))}">' for c in columns]
    else:
        td = ["<td>"] * 7
    parts = []
    for m in members:
        url = escape(reverse("members:member_detail", args=[m.pk]))
        parts.append(
            f'<tr>{td[0]}<a href="{url}">{escape(m.full_name)}</a></td>'
            f"{td[1]}{genders.get(m.gender, escape(m.gender))}</td>"
            f"{td[2]}{_day(m.date_of_birth)}</td>"
            f"{td[3]}{escape(m.record_unit.name)}</td>"
            f'{td[4]}<span class="badge {escape(m.status)}">'
            f"{statuses.get(m.status, escape(m.status))}</span></td>"
            f"{td[5]}{_day(m.admitted_on)}</td>{td[6]}{_day(m.recognized_on)}</td></tr>"
        )
    return mark_safe("".join(parts))  # every value above is escaped
