"""Loading an office's unit tree and accounts from its workbook: check, preview, write.

The same steps as the roster import (``members.roster``), for a file of a few hundred rows,
so they run within the request or the command: the file is read by the roster's cell reader
and sniffed by its file checks; ``check()`` tries every row through the same writes as
``load()`` (``branches.services.unit_create``, Django's user model, ``Role``) inside a
transaction that is rolled back, so every rule a write would refuse is reported on its row;
``load()`` writes all rows or none.

Accounts get no password from the workbook: each new account gets a one-time password,
returned once by ``load()`` (the page and the command show it; only its hash is stored) for the
administrator to hand over; the user then changes it (``Đổi mật khẩu``). We chose this over a
reset link by e-mail because an office's intranet often has no mail server, and over a
password typed in the workbook because the file would then travel with every password in it.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from branches import services as unit_services
from branches.models import Role, Unit
from common.vntext import fold
from members.roster.columns import located, parse_cell, text
from members.roster.reading import sniff

from .workbook import ACCOUNT_COLUMNS, ACCOUNTS_SHEET, REQUIRED, SHEETS, UNIT_COLUMNS, UNITS_SHEET

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
HEADER_SEARCH_ROWS = 10
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I
PASSWORD_LENGTH = 14


@dataclasses.dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        return located(self.sheet, self.row, self.column, self.message)


@dataclasses.dataclass
class UnitRow:
    row: int
    code: str
    name: str
    kind: str
    parent: str
    founded_on: datetime.date
    new: bool = True
    failed: bool = False  # refused by a check or a service: listed with its error

    @property
    def kind_label(self) -> str:
        return Unit.Kind(self.kind).label


@dataclasses.dataclass
class AccountRow:
    row: int
    username: str
    full_name: str
    email: str
    superuser: bool
    roles: list[tuple[int, str, str]]  # (row, unit code, role kind)
    new: bool = True
    new_roles: int = 0
    password: str = ""  # the one-time password of a new account, after load()

    @property
    def role_labels(self) -> list[str]:
        return [f"{Role.Kind(kind).label} · {code}" for _row, code, kind in self.roles]


@dataclasses.dataclass
class Outcome:
    units: list[UnitRow]
    accounts: list[AccountRow]
    problems: list[Problem]
    written: bool = False

    @property
    def new_units(self) -> int:
        return sum(u.new for u in self.units)

    @property
    def new_accounts(self) -> int:
        return sum(a.new for a in self.accounts)

    @property
    def new_roles(self) -> int:
        return sum(a.new_roles for a in self.accounts)


class _Rollback(Exception):
    pass


def _read_sheet(ws, title: str, problems: list[Problem]) -> list[tuple[int, dict]]:
    columns = SHEETS[title]
    wanted = {fold(c.header): c for c in columns}
    rows = ws.iter_rows(values_only=True)
    positions: dict[str, int] | None = None
    header_row = 0
    for number, cells in enumerate(rows, start=1):
        if any(text(v) for v in cells):
            positions = {}
            for index, value in enumerate(cells):
                written = text(value)
                if not written:
                    continue
                column = wanted.get(fold(written))
                if column is None:
                    problems.append(Problem(title, number, written, _("cột không có trong mẫu.")))
                else:
                    positions.setdefault(column.key, index)
            header_row = number
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if positions is None:
        problems.append(Problem(title, None, "", _("trang tính trống.")))
        return []
    by_key = {c.key: c for c in columns}
    for key in REQUIRED[title]:
        if key not in positions:
            problems.append(Problem(title, header_row, by_key[key].header, _("thiếu cột này.")))
    found = []
    for number, cells in enumerate(rows, start=header_row + 1):
        if not any(text(v) for v in cells):
            continue
        if len(found) >= MAX_ROWS:
            problems.append(Problem(title, number, "", _("quá nhiều dòng.")))
            break
        values = {}
        for key, index in positions.items():
            column = by_key[key]
            try:
                value = parse_cell(column, cells[index] if index < len(cells) else None)
            except ValueError as error:
                problems.append(Problem(title, number, column.header, str(error)))
                continue
            if value is not None:
                values[key] = value
        for key in REQUIRED[title]:
            if (
                key in positions
                and key not in values
                and not any(
                    p.row == number and p.sheet == title and p.column == by_key[key].header
                    for p in problems
                )
            ):
                problems.append(Problem(title, number, by_key[key].header, _("Cần nhập ô này.")))
        found.append((number, values))
    return found


def read(data: bytes) -> Outcome:
    """The workbook's rows, with every problem found without the database."""
    problems: list[Problem] = []
    refused = sniff(data, max_bytes=MAX_BYTES)
    if refused:
        return Outcome([], [], [Problem(_("tệp"), None, "", refused)])
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # corrupt archives raise many kinds of errors: all mean the same here
        return Outcome([], [], [Problem(_("tệp"), None, "", _("Tệp bị hỏng."))])
    try:
        by_fold = {fold(name): name for name in wb.sheetnames}
        sheets = {}
        for title in SHEETS:
            name = by_fold.get(fold(title))
            if name is None:
                problems.append(Problem(title, None, "", _("không có trang tính này.")))
                sheets[title] = []
            else:
                sheets[title] = _read_sheet(wb[name], title, problems)
    finally:
        wb.close()
    units = _units(sheets[UNITS_SHEET], problems)
    accounts = _accounts(sheets[ACCOUNTS_SHEET], problems)
    return Outcome(units, accounts, problems)


def _units(rows, problems) -> list[UnitRow]:
    found: list[UnitRow] = []
    first_row: dict[str, int] = {}
    code_header = UNIT_COLUMNS[0].header
    for number, v in rows:
        if not all(k in v for k in REQUIRED[UNITS_SHEET]):
            continue
        if v["code"] in first_row:
            message = _("Trùng mã với dòng %(row)s.") % {"row": first_row[v["code"]]}
            problems.append(Problem(UNITS_SHEET, number, code_header, message))
            continue
        first_row[v["code"]] = number
        found.append(
            UnitRow(number, v["code"], v["name"], v["kind"], v.get("parent", ""), v["founded_on"])
        )
    return _tree_order(found, problems)


def _tree_order(units: list[UnitRow], problems) -> list[UnitRow]:
    """The units parents first; a unit whose parent is in the file behind a loop is refused."""
    in_file = {u.code: u for u in units}
    ordered: list[UnitRow] = []
    placed: set[str] = set()
    state: dict[str, str] = {}

    def visit(unit: UnitRow, path: list[str]) -> bool:
        if unit.code in placed:
            return True
        if state.get(unit.code) == "visiting":
            return False
        state[unit.code] = "visiting"
        parent = in_file.get(unit.parent)
        ok = parent is None or visit(parent, [*path, unit.code])
        state[unit.code] = "done"
        if ok:
            placed.add(unit.code)
            ordered.append(unit)
        return ok

    for unit in units:
        if not visit(unit, []) and unit.code not in placed:
            problems.append(
                Problem(
                    UNITS_SHEET,
                    unit.row,
                    UNIT_COLUMNS[3].header,
                    _("Vòng lặp: đơn vị nằm dưới chính nó."),
                )
            )
    return ordered


def _accounts(rows, problems) -> list[AccountRow]:
    by_name: dict[str, AccountRow] = {}
    unit_header, role_header = ACCOUNT_COLUMNS[3].header, ACCOUNT_COLUMNS[4].header
    for number, v in rows:
        if not all(k in v for k in REQUIRED[ACCOUNTS_SHEET]):
            continue
        if ("unit" in v) != ("role" in v):
            missing = role_header if "unit" in v else unit_header
            problems.append(Problem(ACCOUNTS_SHEET, number, missing, _("Cần nhập ô này.")))
            continue
        account = by_name.get(v["username"])
        if account is None:
            account = by_name[v["username"]] = AccountRow(
                number, v["username"], v["full_name"], v.get("email", ""), False, []
            )
        elif v["full_name"] != account.full_name:
            message = _("Khác họ tên với dòng %(row)s cùng tên đăng nhập.") % {"row": account.row}
            problems.append(Problem(ACCOUNTS_SHEET, number, ACCOUNT_COLUMNS[1].header, message))
        account.superuser = account.superuser or bool(v.get("superuser"))
        if "unit" in v:
            account.roles.append((number, v["unit"], v["role"]))
    return list(by_name.values())


def _message(error: ValidationError) -> tuple[str, str]:
    """(field, message) of the first message of a ValidationError."""
    if hasattr(error, "error_dict"):
        field, errors = next(iter(error.error_dict.items()))
        return field, " ".join(e.messages[0] for e in errors[:1])
    return "", error.messages[0]


_UNIT_FIELD_COLUMN = {"code": 0, "name": 1, "kind": 2, "parent": 3, "founded_on": 4}


def _write(outcome: Outcome) -> None:
    """Write every row, noting the refused ones in ``outcome.problems``."""
    User = get_user_model()
    units: dict[str, Unit] = {}
    failed: set[str] = set()
    for row in outcome.units:
        existing = Unit.objects.filter(code=row.code).first()
        if existing is not None:
            units[row.code] = existing
            row.new = False
            same = (existing.name, existing.kind) == (row.name, row.kind)
            if not same:
                message = _("Mã đã có, cho đơn vị khác: “%(unit)s”.") % {"unit": existing}
                outcome.problems.append(
                    Problem(UNITS_SHEET, row.row, UNIT_COLUMNS[0].header, message)
                )
                row.failed = True
            continue
        parent = None
        if row.parent:
            parent = units.get(row.parent) or Unit.objects.filter(code=row.parent).first()
            if parent is None:
                if row.parent not in failed:
                    message = _("Không có đơn vị mã “%(code)s” trong tệp hay trong dữ liệu.") % {
                        "code": row.parent
                    }
                else:
                    message = _("Đơn vị cấp trên “%(code)s” có lỗi.") % {"code": row.parent}
                outcome.problems.append(
                    Problem(UNITS_SHEET, row.row, UNIT_COLUMNS[3].header, message)
                )
                failed.add(row.code)
                row.failed = True
                continue
        try:
            with transaction.atomic():
                units[row.code] = unit_services.unit_create(
                    code=row.code,
                    name=row.name,
                    kind=row.kind,
                    founded_on=row.founded_on,
                    parent=parent,
                )
        except ValidationError as error:
            field, message = _message(error)
            column = UNIT_COLUMNS[_UNIT_FIELD_COLUMN.get(field, 0)].header
            outcome.problems.append(Problem(UNITS_SHEET, row.row, column, message))
            failed.add(row.code)
            row.failed = True
    for account in outcome.accounts:
        user = User.objects.filter(username=account.username).first()
        if user is None:
            account.password = "".join(
                secrets.choice(PASSWORD_ALPHABET) for _i in range(PASSWORD_LENGTH)
            )
            user = User(
                username=account.username,
                first_name=account.full_name,  # the whole name, as the demo keeps it
                email=account.email,
                is_staff=account.superuser,
                is_superuser=account.superuser,
            )
            user.set_password(account.password)
            try:
                user.full_clean()
            except ValidationError as error:
                field, message = _message(error)
                header = {"email": ACCOUNT_COLUMNS[2].header}.get(field, ACCOUNT_COLUMNS[0].header)
                outcome.problems.append(Problem(ACCOUNTS_SHEET, account.row, header, message))
                continue
            user.save()
        else:
            account.new = False
        for number, code, kind in account.roles:
            unit = units.get(code) or Unit.objects.filter(code=code).first()
            if unit is None:
                message = _("Không có đơn vị mã “%(code)s” trong tệp hay trong dữ liệu.") % {
                    "code": code
                }
                outcome.problems.append(
                    Problem(ACCOUNTS_SHEET, number, ACCOUNT_COLUMNS[3].header, message)
                )
                continue
            role = Role.objects.filter(user=user, unit=unit).first()
            if role is not None:
                if role.kind != kind:
                    message = _("Người này đã có vai trò “%(role)s” ở đơn vị này.") % {
                        "role": role.get_kind_display()
                    }
                    outcome.problems.append(
                        Problem(ACCOUNTS_SHEET, number, ACCOUNT_COLUMNS[4].header, message)
                    )
                continue
            Role.objects.create(user=user, unit=unit, kind=kind)
            account.new_roles += 1


def _sorted(outcome: Outcome) -> Outcome:
    sheets = list(SHEETS)
    outcome.problems.sort(
        key=lambda p: (sheets.index(p.sheet) if p.sheet in sheets else -1, p.row or 0)
    )
    return outcome


def check(data: bytes) -> Outcome:
    """What ``load`` would do with the file, and every problem; writes nothing."""
    outcome = read(data)
    if all(p.row is not None for p in outcome.problems):
        try:
            with transaction.atomic():
                _write(outcome)
                raise _Rollback
        except _Rollback:
            pass
    for account in outcome.accounts:
        account.password = ""
    return _sorted(outcome)


def load(data: bytes) -> Outcome:
    """Write the file's units, accounts and roles, all or none (none if any problem); the new
    accounts' one-time passwords are on ``outcome.accounts`` (shown once, never stored)."""
    outcome = read(data)
    if any(p.row is None for p in outcome.problems):
        return _sorted(outcome)  # a file or a sheet refused: nothing to try
    try:
        with transaction.atomic():
            _write(outcome)
            if outcome.problems:
                raise _Rollback
    except _Rollback:
        for account in outcome.accounts:
            account.password = ""
        return _sorted(outcome)
    outcome.written = True
    return outcome
