"""Roster import and export (members.roster and the import_roster / export_roster commands)."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from members import roster
from members.models import Event, Member, Membership
from members.roster import RosterError, commit_roster, read_roster
from tests.conftest import admit, admit_official, d, nothing_written

HEADER_ROW = [c.header for c in roster.COLUMNS]


def row(**values) -> list:
    """A valid data row (a new member of cell long-thanh-1), with ``values`` overriding."""
    base = {
        "unit_code": "long-thanh-1",
        "full_name": "Trần Thị Mẫu",
        "gender": "Nữ",
        "date_of_birth": "17/05/1985",
        "citizen_id": "092185000001",
        "party_card_no": "",
        "ethnicity": "Kinh",
        "religion": "Không",
        "admitted_on": "01/03/2015",
        "admission_no": "12-QĐ/ĐU",
        "ceremony_date": "",
        "recognized_on": "",
        "recognition_no": "",
    }
    base.update(values)
    return [base[c.key] for c in roster.COLUMNS]


def book(path, rows, *, header=HEADER_ROW, title=roster.SHEET):
    wb = Workbook()
    ws = wb.active
    ws.title = title
    if header is not None:
        ws.append(header)
    for values in rows:
        ws.append(values)
    wb.save(path)
    return path


def messages(preview) -> list[str]:
    return [str(e) for e in preview.errors]


def only_error(preview) -> roster.RowError:
    assert len(preview.errors) == 1, messages(preview)
    return preview.errors[0]


# --- the template ----------------------------------------------------------------------------


def test_template_has_headers_guide_and_drop_down_lists(tmp_path):
    wb = roster.template_workbook()
    assert roster.SHEET in wb.sheetnames and roster.GUIDE_SHEET in wb.sheetnames
    ws = wb[roster.SHEET]
    assert [c.value for c in ws[1]] == HEADER_ROW
    ranges = {str(v.sqref).split(":")[0] for v in ws.data_validations.dataValidation}
    assert ranges == {"C2", "G2", "H2"}  # Giới tính, Dân tộc, Tôn giáo


def test_empty_template_reads_as_no_rows(tree, tmp_path):
    path = tmp_path / "mau.xlsx"
    roster.template_workbook().save(path)
    assert "không có dòng đảng viên" in only_error(read_roster(path)).message


# --- bad files -------------------------------------------------------------------------------


def test_not_an_xlsx(tree, tmp_path):
    path = tmp_path / "ds.xlsx"
    path.write_text("Họ và tên;Ngày sinh\n")
    assert "không phải tệp Excel" in only_error(read_roster(path)).message


def test_corrupt_archive(tree, tmp_path):
    path = tmp_path / "ds.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", "<not a workbook")
    assert "hỏng" in only_error(read_roster(path)).message


def test_truncated_xlsx(tree, tmp_path):
    good = book(tmp_path / "good.xlsx", [row()])
    path = tmp_path / "ds.xlsx"
    path.write_bytes(good.read_bytes()[:-200])
    assert read_roster(path).errors


def test_password_protected(tree, tmp_path):
    # An encrypted .xlsx is an OLE compound file holding an "EncryptedPackage" stream.
    path = tmp_path / "ds.xlsx"
    body = b"\0" * 600 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 600
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + body)
    assert "tệp có mật khẩu" in only_error(read_roster(path)).message.lower()


def test_old_xls(tree, tmp_path):
    path = tmp_path / "ds.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000)
    assert ".xls" in only_error(read_roster(path)).message


def test_zero_bytes(tree, tmp_path):
    path = tmp_path / "ds.xlsx"
    path.write_bytes(b"")
    assert "rỗng" in only_error(read_roster(path)).message


def test_empty_sheet(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [], header=None)
    assert "trống" in only_error(read_roster(path)).message


def test_over_the_size_limit_is_refused_before_opening(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row()])
    assert "quá lớn" in only_error(read_roster(path, max_bytes=1000)).message


def test_missing_header_is_named(tree, tmp_path):
    header = [h for h in HEADER_ROW if h != "Số CCCD"]
    path = book(tmp_path / "ds.xlsx", [row()[:-1]], header=header)
    error = only_error(read_roster(path))
    assert (error.row, "Số CCCD" in error.message) == (1, True)


def test_headers_match_after_trimming_and_folding(tree, tmp_path):
    header = [f"  {fold_case(h)}  " for h in HEADER_ROW]
    path = book(tmp_path / "ds.xlsx", [row()], header=header)
    preview = read_roster(path)
    assert preview.ok, messages(preview)
    assert preview.summary()["create"] == 1


def fold_case(header: str) -> str:
    from members.text import fold

    return fold(header).upper()


def test_formula_is_an_error_for_that_cell(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(full_name='=CONCAT("Trần ","Mẫu")')])
    error = only_error(read_roster(path))
    assert (error.sheet, error.row, error.column) == (roster.SHEET, 2, "Họ và tên")
    assert "công thức" in error.message


def test_unknown_unit(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(unit_code="khong-co")])
    error = only_error(read_roster(path))
    assert (error.row, error.column) == (2, "Mã chi bộ")
    assert str(error) == "Đảng viên!2, Mã chi bộ: Không có chi bộ mã “khong-co”."


def test_missing_required_cell(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(admission_no=None)])
    error = only_error(read_roster(path))
    assert (error.row, error.column) == (2, "Số quyết định kết nạp")


@pytest.mark.parametrize(
    "value",
    [
        "17/05/1985",
        " 17/5/1985 ",
        datetime.datetime(1985, 5, 17),
        datetime.date(1985, 5, 17),
        31184,
    ],
)
def test_dates_as_text_real_dates_or_serial_numbers(tree, tmp_path, value):
    path = book(tmp_path / "ds.xlsx", [row(date_of_birth=value)])
    preview = read_roster(path)
    assert preview.ok, messages(preview)
    assert preview.rows[0].values["date_of_birth"] == datetime.date(1985, 5, 17)


@pytest.mark.parametrize("value", ["31/02/1985", "1985", "mười bảy", -5, True])
def test_bad_dates(tree, tmp_path, value):
    path = book(tmp_path / "ds.xlsx", [row(date_of_birth=value)])
    error = only_error(read_roster(path))
    assert (error.row, error.column) == (2, "Ngày sinh")


def test_spaces_trimmed(tree, tmp_path):
    path = book(
        tmp_path / "ds.xlsx", [row(full_name="  Trần   Thị  Mẫu ", unit_code=" long-thanh-1")]
    )
    preview = read_roster(path)
    assert preview.ok, messages(preview)
    assert preview.rows[0].values["full_name"] == "Trần Thị Mẫu"


@pytest.mark.parametrize(
    "value, expected",
    [
        (92185000001, "092185000001"),  # a number: the leading zero is lost, then restored
        (792185000001.0, "792185000001"),
        ("7.92185000001E+11", "792185000001"),
        (" 092185000001 ", "092185000001"),
    ],
)
def test_citizen_id_typed_as_a_number(tree, tmp_path, value, expected):
    path = book(tmp_path / "ds.xlsx", [row(citizen_id=value)])
    preview = read_roster(path)
    assert preview.ok, messages(preview)
    assert preview.rows[0].values["citizen_id"] == expected


@pytest.mark.parametrize("value", ["12345", "0921850000011", "09218500000A", 1.5])
def test_bad_citizen_id(tree, tmp_path, value):
    path = book(tmp_path / "ds.xlsx", [row(citizen_id=value)])
    error = only_error(read_roster(path))
    assert (error.row, error.column) == (2, "Số CCCD")


def test_same_citizen_id_twice_in_the_file(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(), row(full_name="Lê Văn Khác")])
    error = only_error(read_roster(path))
    assert (error.row, error.column, error.message) == (3, "Số CCCD", "Trùng với dòng 2 của tệp.")


# --- committing ------------------------------------------------------------------------------


def test_import_creates_members_through_the_services(tree, tmp_path):
    path = book(
        tmp_path / "ds.xlsx",
        [
            row(),
            row(
                full_name="Lê Văn Chính",
                gender="Nam",
                citizen_id="092185000002",
                party_card_no=12345678,
                ethnicity="Khmer",
                religion="phat giao hoa hao",
                ceremony_date="15/03/2015",
                recognized_on="15/03/2016",
                recognition_no="40-QĐ/ĐU",
            ),
        ],
    )
    summary = commit_roster(read_roster(path))
    assert summary["create"] == 2
    official = Member.objects.get(citizen_id="092185000002")
    assert (official.status, official.unit, official.party_card_no) == (
        "official",
        tree.cell_a,
        "12345678",
    )
    assert (official.ethnicity, official.religion) == ("05", "hoa_hao")
    assert (official.admitted_on, official.recognized_on) == (d("2015-03-01"), d("2016-03-15"))
    assert list(official.events.values_list("kind", "decision_no")) == [
        ("admission", "12-QĐ/ĐU"),
        ("recognition", "40-QĐ/ĐU"),
    ]
    assert official.derived_state() == official.state


def test_a_rule_breaking_last_row_writes_nothing(tree, tmp_path):
    admit(tree.cell_a, d("2016-01-01"))
    rows = [row(citizen_id=f"09218500000{n}", full_name=f"Người {n}") for n in range(1, 4)]
    # recognized only 6 months after the ceremony: the service refuses it
    rows.append(
        row(
            citizen_id="092185000009",
            full_name="Người Cuối",
            recognized_on="01/09/2015",
            recognition_no="7-QĐ/ĐU",
        )
    )
    preview = read_roster(book(tmp_path / "ds.xlsx", rows))
    assert preview.ok, messages(preview)
    with nothing_written(), pytest.raises(RosterError) as raised:
        commit_roster(preview)
    [error] = raised.value.errors
    assert (error.row, error.column) == (5, "Ngày chính thức")
    assert "12 tháng" in error.message


def test_an_underage_row_is_a_row_error(tree, tmp_path):
    preview = read_roster(book(tmp_path / "ds.xlsx", [row(date_of_birth="01/01/2000")]))
    with nothing_written(), pytest.raises(RosterError) as raised:
        commit_roster(preview)
    assert [(e.row, e.column) for e in raised.value.errors] == [(2, "Ngày sinh")]


def test_preview_with_errors_is_never_committed(tree, tmp_path):
    preview = read_roster(book(tmp_path / "ds.xlsx", [row(), row(unit_code="khong-co")]))
    with nothing_written(), pytest.raises(RosterError):
        commit_roster(preview)


def test_dry_run_checks_everything_and_writes_nothing(tree, tmp_path):
    preview = read_roster(book(tmp_path / "ds.xlsx", [row()]))
    with nothing_written():
        assert commit_roster(preview, dry_run=True)["create"] == 1


def test_importing_the_same_file_twice(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(), row(full_name="Lê Văn B", citizen_id="092185000002")])
    commit_roster(read_roster(path))
    again = read_roster(path)
    assert again.summary() == {
        "create": 0,
        "update": 0,
        "unchanged": 2,
        "duplicates": 0,
        "errors": 0,
    }
    with nothing_written():
        commit_roster(again)


def test_update_changes_only_the_record(tree, tmp_path):
    member = admit(
        tree.cell_a, d("2015-03-01"), citizen_id="092185000001", full_name="Trần Thị Mẩu"
    )
    events = list(member.events.values_list())
    preview = read_roster(book(tmp_path / "ds.xlsx", [row(party_card_no="PC-1")]))
    assert preview.rows[0].action == "update"
    assert preview.rows[0].changes == {
        "full_name": ("Trần Thị Mẩu", "Trần Thị Mẫu"),
        "gender": ("male", "female"),
        "party_card_no": ("", "PC-1"),
    }
    commit_roster(preview)
    member.refresh_from_db()
    assert (member.full_name, member.party_card_no, member.version) == ("Trần Thị Mẫu", "PC-1", 2)
    assert list(member.events.values_list()) == events


def test_match_by_party_card_when_no_citizen_id(tree, tmp_path):
    admit(
        tree.cell_a,
        d("2015-03-01"),
        party_card_no="PC-7",
        full_name="Trần Thị Mẫu",
        gender="female",
    )
    preview = read_roster(book(tmp_path / "ds.xlsx", [row(citizen_id=None, party_card_no="PC-7")]))
    assert preview.rows[0].action == "unchanged"


def test_stale_preview_is_refused(tree, tmp_path):
    preview = read_roster(book(tmp_path / "ds.xlsx", [row()]))
    admit(tree.cell_b, d("2016-01-01"), citizen_id="092185000001")  # meanwhile, someone else
    with nothing_written(), pytest.raises(RosterError) as raised:
        commit_roster(preview)
    assert "đọc lại tệp" in raised.value.errors[0].message


def test_likely_duplicate_is_flagged_never_merged(tree, tmp_path):
    known = admit(
        tree.cell_b,
        d("2016-01-01"),
        full_name="TRẦN THỊ MẪU",
        born=d("1985-05-17"),
        gender="female",
    )
    rows = [row(), row(full_name="tran thi mau", citizen_id="092185000002")]
    preview = read_roster(book(tmp_path / "ds.xlsx", rows))
    assert [r.action for r in preview.rows] == ["create", "create"]
    assert f"mã {known.pk}" in preview.rows[0].duplicate_of
    assert f"mã {known.pk}" in preview.rows[1].duplicate_of
    commit_roster(preview)
    assert Member.objects.filter(name_folded="tran thi mau").count() == 3


def test_duplicate_within_the_file_is_flagged(tree, tmp_path):
    rows = [row(), row(full_name="Trần Thị  Mẫu", citizen_id="092185000002")]
    preview = read_roster(book(tmp_path / "ds.xlsx", rows))
    assert (preview.rows[0].duplicate_of, preview.rows[1].duplicate_of) == (
        "",
        "Trùng họ tên và ngày sinh với dòng 2 của tệp.",
    )


# --- export and round trip -------------------------------------------------------------------


@pytest.fixture
def members(tree):
    return [
        admit_official(
            tree.cell_a, d("2015-03-01"), citizen_id="012345678901", full_name="Nguyễn Văn An"
        ),
        admit_official(
            tree.cell_b,
            d("2016-06-01"),
            party_card_no="93.012345",
            full_name="Lâm Thị Bé",
            gender="female",
            ethnicity="05",
            religion="buddhism",
        ),
        admit(tree.gcell, d("2024-02-01"), ceremony=d("2024-02-20"), citizen_id="092199000123"),
    ]


def test_export_then_import_is_all_unchanged(members, tmp_path, django_assert_num_queries):
    path = tmp_path / "xuat.xlsx"
    with django_assert_num_queries(2):  # the members with their cells, then their events
        assert roster.export_roster(Member.objects.active(), path) == 3
    preview = read_roster(path)
    assert preview.summary() == {
        "create": 0,
        "update": 0,
        "unchanged": 3,
        "duplicates": 0,
        "errors": 0,
    }
    assert not any(r.notes for r in preview.rows)
    with nothing_written():
        commit_roster(preview)


def test_export_imports_into_an_empty_database(members, tmp_path):
    path = tmp_path / "xuat.xlsx"
    roster.export_roster(Member.objects.active(), path)
    before = list(roster.roster_rows(Member.objects.order_by("citizen_id", "party_card_no")))
    Membership.objects.all().delete()
    Event.objects.all().delete()
    Member.objects.all().delete()
    assert commit_roster(read_roster(path))["create"] == 3
    after = list(roster.roster_rows(Member.objects.order_by("citizen_id", "party_card_no")))
    assert after == before
    assert all(m.derived_state() == m.state for m in Member.objects.all())


def test_export_is_a_cell_text_citizen_id(members, tmp_path):
    path = tmp_path / "xuat.xlsx"
    roster.export_roster(Member.objects.filter(pk=members[0].pk), path)
    ws = load_workbook(path)[roster.SHEET]
    assert ws["E2"].value == "012345678901"
    assert ws["D2"].value == datetime.datetime(1985, 5, 17)


# --- the commands ----------------------------------------------------------------------------


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_command_with_errors_exits_1_and_writes_nothing(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(), row(citizen_id=12345, full_name="B")])
    err = io.StringIO()
    with nothing_written(), pytest.raises(CommandError) as raised:
        call_command("import_roster", str(path), stdout=io.StringIO(), stderr=err)
    assert raised.value.returncode == 1
    assert "Đảng viên!3, Số CCCD: Số CCCD gồm đúng 12 chữ số." in err.getvalue()


def test_import_command_dry_run_then_real(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row()])
    with nothing_written():
        out, _ = run("import_roster", str(path), "--dry-run")
    assert "Thêm mới: 1 · Cập nhật: 0 · Không đổi: 0 · Nghi trùng: 0" in out
    run("import_roster", str(path))
    assert Member.objects.filter(citizen_id="092185000001").exists()


def test_export_command_by_unit(members, tmp_path):
    path = tmp_path / "xuat.xlsx"
    out, _ = run("export_roster", str(path), "--unit", "phuong-thot-not")
    assert "2 đảng viên" in out
    with pytest.raises(CommandError):
        run("export_roster", str(path), "--unit", "khong-co")


# --- anything in the cells -------------------------------------------------------------------

cell_values = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20),
    st.integers(min_value=-(10**13), max_value=10**13),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=datetime.date(1900, 3, 1), max_value=datetime.date(2100, 1, 1)),
    st.sampled_from(["=1+1", "=A1", "=NOW()", " =SUM(1)"]),
)
plausible = {
    "unit_code": st.sampled_from(["long-thanh-1", "thpt-thot-not", "thot-not", "khong-co"]),
    "full_name": st.sampled_from(["Trần Thị Mẫu", " lê  văn an ", "Nguyễn Văn Thử 1"]),
    "gender": st.sampled_from(["Nam", "Nữ", "nu"]),
    "date_of_birth": st.sampled_from(["17/05/1985", "01/01/2010", 31184]),
    "citizen_id": st.sampled_from(["092185000001", 92185000001, "", None]),
    "party_card_no": st.sampled_from(["", None, "PC-1", 12345678]),
    "ethnicity": st.sampled_from(["Kinh", "khmer", "05", 5, None]),
    "religion": st.sampled_from(["Không", "Phật giáo", None]),
    "admitted_on": st.sampled_from(["01/03/2015", "01/03/2009", datetime.date(2020, 1, 1)]),
    "admission_no": st.sampled_from(["1-QĐ/ĐU", "2-QĐ/ĐU", "3-QĐ/ĐU", ""]),
    "ceremony_date": st.sampled_from([None, "01/03/2015", "01/02/2015", 42064]),
    "recognized_on": st.sampled_from(["", "01/03/2016", "01/09/2015"]),
    "recognition_no": st.sampled_from(["", "2-QĐ/ĐU"]),
}


def cell(key: str):
    """Mostly a value that column might hold, sometimes anything at all."""
    return st.integers(0, 11).flatmap(lambda n: cell_values if n == 7 else plausible[key])


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.fixed_dictionaries({c.key: cell(c.key) for c in roster.COLUMNS}))
def test_any_cells_never_crash_nor_write_partly(tree, tmp_path, values):
    path = book(tmp_path / "h.xlsx", [[values[c.key] for c in roster.COLUMNS]])
    with transaction.atomic():
        preview = read_roster(path)
        read_ok = preview.ok
        try:
            commit_roster(preview)
        except RosterError as error:
            event("refused at commit" if read_ok else "refused at read")
            assert error.errors
            assert not Member.objects.exists()
            assert not Event.objects.exists()
        else:
            event("written")
            (member,) = Member.objects.all()
            assert member.derived_state() == member.state
            assert member.events.count() == (2 if member.recognized_on else 1)
        transaction.set_rollback(True)


def test_reading_takes_the_same_queries_for_any_number_of_rows(
    members, tmp_path, django_assert_num_queries
):
    path = tmp_path / "xuat.xlsx"
    roster.export_roster(Member.objects.active(), path)
    wb = load_workbook(path)
    for n in range(5):
        wb[roster.SHEET].append(row(citizen_id=f"09218500001{n}", full_name=f"Người {n}"))
    wb.save(path)
    # savepoint in and out; units; members by citizen ID; by party card; likely duplicates
    with django_assert_num_queries(6):
        preview = read_roster(path)
    assert preview.summary()["create"] == 5


def test_export_roster_writes_the_empty_template_on_request(tmp_path):
    from io import StringIO

    from django.core.management import call_command
    from openpyxl import load_workbook

    path = tmp_path / "mau.xlsx"
    call_command("export_roster", str(path), "--template", stdout=StringIO())
    workbook = load_workbook(path)
    assert roster.SHEET in workbook.sheetnames and roster.GUIDE_SHEET in workbook.sheetnames
    sheet = workbook[roster.SHEET]
    assert [c.value for c in sheet[1]][:2] == [roster.COLUMNS[0].header, roster.COLUMNS[1].header]
    assert all(cell.value is None for row in sheet.iter_rows(min_row=2) for cell in row)
