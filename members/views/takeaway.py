"""Taking the member list away: every filtered row printed, or downloaded to Excel, for
every role within its scope (a cell secretary's own roll included). Each is logged
in the log of bulk reads (``BulkRead``), as the opening of a record is (``RecordView``)."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from common.dates import dmy
from common.xlsx import text_cell

from .. import selectors
from ..choices import Gender
from ..models import BulkRead, Status
from ..services.read_log import log_bulk_read
from .browse import COLUMNS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _log(request, kind: str, rows: int) -> None:
    log_bulk_read(user=request.user, kind=kind, what=request.GET.urlencode(), records=rows)


def _heading(found, today) -> list[str]:
    lines = [_("Danh sách đảng viên, ngày %(day)s") % {"day": dmy(today)}]
    for label, value in found.asked:
        lines.append(f"{label}: {value}")
    return lines


@login_required
@require_safe
def member_list_print(request):
    """Every filtered row on one page for the printer, with a heading saying which unit,
    which filters and which day."""
    found = selectors.member_list_takeaway(request)
    today = timezone.localdate()
    if found.filter.is_valid():
        _log(request, BulkRead.Kind.LIST_PRINT, len(found.members))
    return render(
        request,
        "members/member_list_print.html",
        {
            "found": found,
            "heading": _heading(found, today),
            "today": today,
            "columns": [{"label": label} for _key, label in COLUMNS],
        },
    )


@login_required
@require_safe
def member_list_xlsx(request):
    """The filtered list as a workbook: the heading, then one row a member."""
    found = selectors.member_list_takeaway(request)
    today = timezone.localdate()
    if not found.filter.is_valid():
        return member_list_print(request)  # the same page says what is wrong
    genders = dict(Gender.choices)
    statuses = dict(Status.choices)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Đảng viên"))
    for width, letter in zip((6, 30, 8, 12, 36, 14, 14, 14, 16), "ABCDEFGHI", strict=True):
        sheet.column_dimensions[letter].width = width
    for line in _heading(found, today):
        sheet.append([text_cell(sheet, line)])
    sheet.append([])
    headers = [
        _("STT"),
        _("Họ và tên"),
        _("Giới tính"),
        _("Ngày sinh"),
        _("Chi bộ"),
        _("Trạng thái"),
        _("Ngày vào Đảng"),
        _("Ngày chính thức"),
        _("Số CCCD"),
    ]
    header_cells = []
    for header in headers:
        cell = text_cell(sheet, str(header))
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)

    def day(value):
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "DD/MM/YYYY"
        return cell

    for number, m in enumerate(found.members, start=1):
        sheet.append(
            [
                number,
                text_cell(sheet, m.full_name),
                text_cell(sheet, str(genders.get(m.gender, m.gender))),
                day(m.date_of_birth),
                text_cell(sheet, m.record_unit.name),
                text_cell(sheet, str(statuses.get(m.status, m.status))),
                day(m.admitted_on),
                day(m.recognized_on),
                text_cell(sheet, m.citizen_id) if m.citizen_id else None,
            ]
        )
    if found.more:
        sheet.append([])
        sheet.append(
            [
                text_cell(
                    sheet,
                    _("Danh sách dừng ở %(n)s người; hãy lọc hẹp hơn để lấy đủ.")
                    % {"n": f"{selectors.TAKEAWAY_MAX:,}".replace(",", ".")},
                )
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    _log(request, BulkRead.Kind.LIST_XLSX, len(found.members))
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="dang-vien-{today:%Y%m%d}.xlsx"'
    return response
