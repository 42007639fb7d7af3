"""The one writer of the log of bulk and sensitive reads (``BulkRead``, issue 30).

Every export of the roster, every report and official form as a file, every list of the
records behind a figure, every import preview and every admin page the superuser opens calls
``log_bulk_read``; the log is shown to the offices on /members/reads/ (scoped like the rest).
"""

from __future__ import annotations

from ..models import BulkRead

Kind = BulkRead.Kind


def log_bulk_read(*, user, kind: str, unit=None, what: str = "", records: int | None = None):
    """Record that ``user`` read ``records`` records (``what``: the figure, the period, the
    path) over ``unit``'s subtree. Anonymous requests are not logged (they read nothing)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return BulkRead.objects.create(
        user=user, kind=kind, unit=unit, what=what[:300], records=records
    )
