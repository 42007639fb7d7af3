"""The shape of the office workbook: its unit tree and its accounts with their roles.

Two sheets, Vietnamese like the roster's (a data format, whatever the interface language):

- "Đơn vị": one row per unit: its code, name, kind, the code of the unit above it (blank for
  the tree's root) and its founding day. A parent may stand below its children in the sheet.
- "Tài khoản": one row per role: the sign-in name, the person's name and e-mail, the unit's
  code and the role on it. A person with several roles has several rows (the same sign-in
  name); a superuser (system administrator) is marked on any of them.

Passwords are never in the workbook: the load makes a one-time password for each new account.
The cells are read by the roster's own reader (``members.roster.columns.parse_cell``).
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from branches.models import Role, Unit
from members.roster.columns import DATE_FORMAT, Column, Yes, vietnamese_labels

UNITS_SHEET = "Đơn vị"
ACCOUNTS_SHEET = "Tài khoản"
GUIDE_SHEET = "Hướng dẫn"
LISTS_SHEET = "Danh mục"
TEMPLATE_ROWS = 500

UNIT_COLUMNS = (
    Column("code", "Mã đơn vị", width=22, max_length=64),
    Column("name", "Tên đơn vị", width=36, max_length=200),
    Column("kind", "Loại đơn vị", "code", 26, choices=Unit.Kind),
    Column("parent", "Mã đơn vị cấp trên", width=22, max_length=64),
    Column("founded_on", "Ngày thành lập", "date", 14),
)
ACCOUNT_COLUMNS = (
    Column("username", "Tên đăng nhập", width=18, max_length=150),
    Column("full_name", "Họ và tên", width=26, max_length=150),
    Column("email", "Email", width=26, max_length=254),
    Column("unit", "Mã đơn vị", width=22, max_length=64),
    Column("role", "Vai trò", "code", 28, choices=Role.Kind),
    Column("superuser", "Quản trị hệ thống", "bool", 12),
)
SHEETS = {UNITS_SHEET: UNIT_COLUMNS, ACCOUNTS_SHEET: ACCOUNT_COLUMNS}
REQUIRED = {
    UNITS_SHEET: ("code", "name", "kind", "founded_on"),
    ACCOUNTS_SHEET: ("username", "full_name"),
}

GUIDE = [
    "Tệp khởi tạo: cây đơn vị và tài khoản của văn phòng",
    "",
    "Trang “Đơn vị”: mỗi dòng một đơn vị. Mã đơn vị: chữ không dấu, số, gạch ngang (ví dụ "
    "phuong-an-binh-cb-1). Mã đơn vị cấp trên: để trống cho đơn vị gốc (đảng bộ cấp trên cơ "
    "sở); đơn vị cấp trên có thể ghi ở dòng dưới. Loại đơn vị: chọn trong danh sách. Ngày "
    "thành lập: dd/mm/yyyy (không sớm hơn ngày thành lập của đơn vị cấp trên).",
    "Trang “Tài khoản”: mỗi dòng một vai trò. Người có nhiều vai trò ghi nhiều dòng cùng tên "
    "đăng nhập. Vai trò: chọn trong danh sách; Mã đơn vị: đơn vị của vai trò (trong tệp này "
    "hoặc đã có). Quản trị hệ thống: “Có” cho người quản trị.",
    "Không ghi mật khẩu vào tệp: mỗi tài khoản mới nhận một mật khẩu dùng một lần, hiện một lần "
    "sau khi ghi; người dùng đổi mật khẩu khi đăng nhập lần đầu.",
    "Tệp được kiểm tra và xem trước; chỉ ghi khi không có lỗi nào, tất cả hoặc không gì cả. "
    "Nạp lại cùng tệp không thay đổi gì.",
]


def template_workbook() -> Workbook:
    """The empty office workbook: both sheets' headers, a guide and drop-down lists."""
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {title: wb.create_sheet(title) for title in SHEETS}
    guide = wb.create_sheet(GUIDE_SHEET)
    lists = wb.create_sheet(LISTS_SHEET)
    list_column = 0
    for title, columns in SHEETS.items():
        ws = sheets[title]
        for index, column in enumerate(columns, start=1):
            ws.cell(row=1, column=index, value=column.header).font = Font(bold=True)
            ws.column_dimensions[get_column_letter(index)].width = column.width
            if column.kind == "date":
                for row in range(2, TEMPLATE_ROWS + 1):
                    ws.cell(row=row, column=index).number_format = DATE_FORMAT
        ws.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            if column.kind not in ("code", "bool"):
                continue
            labels = vietnamese_labels(column.choices if column.kind == "code" else Yes)
            list_column += 1
            for row, label in enumerate(labels, start=1):
                lists.cell(row=row, column=list_column, value=label)
            col = get_column_letter(list_column)
            validation = DataValidation(
                type="list",
                formula1=f"'{LISTS_SHEET}'!${col}$1:${col}${len(labels)}",
                allow_blank=True,
            )
            target = get_column_letter(index)
            validation.add(f"{target}2:{target}{TEMPLATE_ROWS}")
            ws.add_data_validation(validation)
    for line in GUIDE:
        guide.append([line])
    guide["A1"].font = Font(bold=True)
    guide.column_dimensions["A"].width = 120
    lists.sheet_state = "hidden"
    wb.active = 0
    return wb
