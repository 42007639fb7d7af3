"""The state of one pass over an import's staged rows, shared by ``planning`` and ``applying``.

A pass is a check (each member's history tried, then rolled back) or a commit (all of it, in
the caller's one transaction). The state is a small dataclass handed to the planning and
applying functions rather than a class that holds both, so each step can be called (and
tested) alone; this module imports neither of them.
"""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext as _

from ..models import Directive, RosterImport, RosterImportRow
from .columns import header


@dataclasses.dataclass(eq=False)
class Run:
    """One pass of planning and applying, for a check (each member rolled back) or a commit."""

    ri: RosterImport
    user: object  # the uploader; None (the command line) or a superuser: no scope
    commit: bool
    histories: bool = True  # False: plan only (a commit follows at once and tries them)
    directives: dict[str, Directive] = dataclasses.field(init=False)
    stale: bool = dataclasses.field(default=False, init=False)
    # Of the chunk's members (planning.known_events): (member, kind, date, decision number) of
    # the events recorded, and each member's start (cell, admission, first recognition).
    known: set[tuple] = dataclasses.field(default_factory=set, init=False)
    starts: dict[int, dict] = dataclasses.field(default_factory=dict, init=False)
    # commit: row pk -> errors, written after the rollback
    failed: dict[int, list] = dataclasses.field(default_factory=dict, init=False)
    # a unit cell's text -> why it names no unit (none, or several of that name)
    unit_problems: dict[str, str] = dataclasses.field(default_factory=dict, init=False)

    def no_unit(self, text: str) -> str:
        return self.unit_problems.get(text) or _("Không có chi bộ mã “%(code)s”.") % {"code": text}

    def __post_init__(self) -> None:
        self.directives = {d.code: d for d in Directive.objects.all()}

    def mark_stale(self, row: RosterImportRow) -> None:
        self.stale = True
        add_error(row, "", _("Dữ liệu đã thay đổi từ khi kiểm tra tệp; hãy kiểm tra lại."))


def add_error(row: RosterImportRow, key: str, message: str) -> None:
    column = header(row.sheet, key) if key else ""
    if [column, message] not in row.errors:
        row.errors.append([column, message])


def require(row: RosterImportRow, key: str, message: str) -> None:
    """A blank cell that the row needs; unless that cell was already unreadable."""
    if not any(e[0] == header(row.sheet, key) for e in row.errors):
        add_error(row, key, message)
