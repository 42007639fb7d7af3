"""Roster import and export (members.roster and the import_roster / export_roster commands)."""

from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import translation
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from members import roster
from members.models import Event, Member, Membership, RosterImport, RosterImportRow
from members.roster import RosterError
from members.services import member_remove, member_transfer
from tests.conftest import admit, admit_official, d, make_decision, nothing_written
from tests.members.roster_files import (
    EVENT_KEYS,
    MEMBER_HEADER,
    MEMBER_KEYS,
    book,
)
from tests.members.roster_files import (
    event as event_row,
)
from tests.members.roster_files import (
    member as row,
)

Status = RosterImport.Status
Action = RosterImportRow.Action


def checked(path, *, user=None, histories: bool = True) -> RosterImport:
    """Upload and check a file, as the upload page does; nothing is written."""
    ri = roster.create_import(Path(path).read_bytes(), file_name=Path(path).name, user=user)
    return roster.check(ri, histories=histories)


def messages(ri: RosterImport) -> list[str]:
    return roster.error_messages(ri)


def only_error(ri: RosterImport) -> str:
    found = messages(ri)
    assert len(found) == 1, found
    return found[0]


def rows(ri: RosterImport, sheet: str = "members") -> list[RosterImportRow]:
    return list(ri.rows.filter(sheet=sheet).order_by("number"))


def imported(path, **options) -> RosterImport:
    return roster.import_file(path, **options)


# --- the template ----------------------------------------------------------------------------


def test_template_has_both_sheets_a_guide_and_drop_down_lists():
    wb = roster.template_workbook()
    assert wb.sheetnames[:2] == [roster.MEMBERS_SHEET, roster.EVENTS_SHEET]
    assert roster.GUIDE_SHEET in wb.sheetnames
    members_ws = wb[roster.MEMBERS_SHEET]
    headers = [c.value for c in members_ws[1]]
    assert headers[: len(MEMBER_HEADER)] == MEMBER_HEADER
    ranges = {str(v.sqref).split(":")[0] for v in members_ws.data_validations.dataValidation}
    # Giới tính, Dân tộc, Tôn giáo, the five coded levels and groups, the three yes/no columns
    assert {"C2", "G2", "H2", "M2", "N2", "O2", "P2", "Q2", "S2", "T2", "U2"} == ranges
    events_ws = wb[roster.EVENTS_SHEET]
    ranges = {str(v.sqref).split(":")[0] for v in events_ws.data_validations.dataValidation}
    assert ranges == {"D2", "H2"}  # Loại sự kiện, Lý do


def test_empty_template_reads_as_no_rows(tree, tmp_path):
    path = tmp_path / "mau.xlsx"
    roster.template_workbook().save(path)
    assert "không có dòng đảng viên" in only_error(checked(path))


def test_template_opens_and_fills_in(tree, tmp_path):
    path = tmp_path / "mau.xlsx"
    wb = roster.template_workbook()
    ws = wb[roster.MEMBERS_SHEET]
    for index, value in enumerate(row(), start=1):
        ws.cell(row=2, column=index, value=value)
    wb.save(path)
    ri = checked(path)
    assert ri.status == Status.READY, messages(ri)
    assert ri.summary["create"] == 1


# --- bad files -------------------------------------------------------------------------------


def test_not_an_xlsx(tree, tmp_path):
    path = tmp_path / "ds.xlsx"
    path.write_text("Họ và tên;Ngày sinh\n")
    assert "không phải tệp Excel" in only_error(checked(path))


def test_corrupt_archive(tree, tmp_path):
    path = tmp_path / "ds.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", "<not a workbook")
    assert "hỏng" in only_error(checked(path))


def test_truncated_xlsx(tree, tmp_path):
    good = book(tmp_path / "good.xlsx", [row()])
    path = tmp_path / "ds.xlsx"
    path.write_bytes(good.read_bytes()[:-200])
    ri = checked(path)
    assert ri.status == Status.INVALID and messages(ri)


def test_password_protected(tree, tmp_path):
    # An encrypted .xlsx is an OLE compound file holding an "EncryptedPackage" stream.
    path = tmp_path / "ds.xlsx"
    body = b"\0" * 600 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 600
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + body)
    assert "tệp có mật khẩu" in only_error(checked(path)).lower()


def test_old_xls(tree, tmp_path):
    path = tmp_path / "ds.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000)
    assert ".xls" in only_error(checked(path))


def test_zero_bytes(tree, tmp_path):
    path = tmp_path / "ds.xlsx"
    path.write_bytes(b"")
    assert "rỗng" in only_error(checked(path))


def test_empty_sheet(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [], header=[])
    assert "trống" in only_error(checked(path))


def test_over_the_size_limit_is_refused_before_opening(tree):
    assert "quá lớn" in roster.reading.sniff(b"PK" + b"\0" * 2000, max_bytes=1000)


def test_a_file_over_the_size_limit_is_refused_by_the_command(tree, tmp_path, monkeypatch):
    path = book(tmp_path / "ds.xlsx", [row()])
    monkeypatch.setattr(roster.importing, "MAX_BYTES", 1000)
    with nothing_written(), pytest.raises(RosterError) as raised:
        imported(path)
    assert "quá lớn" in raised.value.messages[0]


def test_too_many_rows_is_refused(tree, tmp_path, monkeypatch):
    monkeypatch.setattr(roster.importing, "MAX_ROWS", 3)
    path = book(
        tmp_path / "ds.xlsx",
        [row(citizen_id=f"09218500000{n}", full_name=f"Người {n}") for n in range(1, 5)],
    )
    ri = checked(path)
    assert "quá 3 dòng" in only_error(ri)
    assert not ri.rows.exists()  # nothing staged from a refused file


def test_missing_header_is_named(tree, tmp_path):
    header = [h for h in MEMBER_HEADER if h != "Ngày sinh"]
    values = [v for h, v in zip(MEMBER_HEADER, row(), strict=True) if h != "Ngày sinh"]
    path = book(tmp_path / "ds.xlsx", [values], header=header)
    message = only_error(checked(path))
    assert message.startswith("trang Đảng viên, dòng 1: dòng tiêu đề sai")
    assert "“Ngày sinh”" in message


def test_a_mistyped_header_is_named_not_dropped(tree, tmp_path):
    header = ["Số CCCCD" if h == "Số CCCD" else h for h in MEMBER_HEADER]
    path = book(tmp_path / "ds.xlsx", [row()], header=header)
    assert "“Số CCCCD”" in only_error(checked(path))


def test_optional_columns_may_be_left_out(tree, tmp_path):
    keep = ["Mã chi bộ", "Họ và tên", "Giới tính", "Ngày sinh", "Ngày vào Đảng"]
    keep.append("Số quyết định kết nạp")
    values = [v for h, v in zip(MEMBER_HEADER, row(), strict=True) if h in keep]
    ri = checked(book(tmp_path / "ds.xlsx", [values], header=keep))
    assert ri.status == Status.READY, messages(ri)


def test_headers_match_after_trimming_and_folding(tree, tmp_path):
    from common.vntext import fold

    header = [f"  {fold(h).upper()}  " for h in MEMBER_HEADER]
    ri = checked(book(tmp_path / "ds.xlsx", [row()], header=header))
    assert ri.status == Status.READY, messages(ri)
    assert ri.summary["create"] == 1


def test_formula_is_an_error_for_that_cell(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(full_name='=CONCAT("Trần ","Mẫu")')])
    message = only_error(checked(path))
    assert message.startswith("trang Đảng viên, dòng 2, cột Họ và tên:") and "công thức" in message


def test_merged_cells_are_named(tree, tmp_path):
    path = book(
        tmp_path / "ds.xlsx",
        [row(), row(unit_code=None, citizen_id="092185000002", full_name="Lê Văn An")],
    )
    wb = load_workbook(path)
    wb[roster.MEMBERS_SHEET].merge_cells("A2:A3")
    wb.save(path)
    found = messages(checked(path))
    assert found == [
        "trang Đảng viên, dòng 2, cột Mã chi bộ: Ô gộp: hãy bỏ gộp ô và ghi giá trị vào từng dòng.",
        "trang Đảng viên, dòng 3, cột Mã chi bộ: Ô gộp: hãy bỏ gộp ô và ghi giá trị vào từng dòng.",
    ]


def test_unknown_unit(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(unit_code="khong-co")])
    assert (
        only_error(checked(path))
        == "trang Đảng viên, dòng 2, cột Mã chi bộ: Không có chi bộ mã “khong-co”."
    )


def test_a_unit_that_keeps_no_roll(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(unit_code="phuong-thot-not")])
    assert "không phải chi bộ" in only_error(checked(path))


def test_missing_required_cell(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(gender=None)])
    assert only_error(checked(path)) == "trang Đảng viên, dòng 2, cột Giới tính: Cần nhập ô này."


def test_neither_admission_nor_arrival(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(admission_no=None)])
    assert only_error(checked(path)).startswith(
        "trang Đảng viên, dòng 2, cột Số quyết định kết nạp: Cần ghi"
    )


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
    ri = checked(book(tmp_path / "ds.xlsx", [row(date_of_birth=value)]), histories=False)
    assert ri.status == Status.READY, messages(ri)
    assert rows(ri)[0].values["date_of_birth"] == "1985-05-17"


@pytest.mark.parametrize("value", ["31/02/1985", "1985", "mười bảy", -5, True])
def test_bad_dates(tree, tmp_path, value):
    message = only_error(checked(book(tmp_path / "ds.xlsx", [row(date_of_birth=value)])))
    assert message.startswith("trang Đảng viên, dòng 2, cột Ngày sinh:")


def test_spaces_trimmed(tree, tmp_path):
    path = book(
        tmp_path / "ds.xlsx", [row(full_name="  Trần   Thị  Mẫu ", unit_code=" long-thanh-1")]
    )
    ri = checked(path)
    assert ri.status == Status.READY, messages(ri)
    assert rows(ri)[0].values["full_name"] == "Trần Thị Mẫu"


@pytest.mark.parametrize(
    "value, expected",
    [
        (92185000001, "092185000001"),  # a number: the leading zero is lost, then restored
        (92186000001.0, "092186000001"),
        ("9.2185000001E+10", "092185000001"),
        (" 092185000001 ", "092185000001"),
    ],
)
def test_citizen_id_typed_as_a_number(tree, tmp_path, value, expected):
    ri = checked(book(tmp_path / "ds.xlsx", [row(citizen_id=value)]), histories=False)
    assert ri.status == Status.READY, messages(ri)
    assert rows(ri)[0].values["citizen_id"] == expected


@pytest.mark.parametrize("value", ["12345", "0921850000011", "09218500000A", 1.5])
def test_bad_citizen_id(tree, tmp_path, value):
    message = only_error(checked(book(tmp_path / "ds.xlsx", [row(citizen_id=value)])))
    assert message == "trang Đảng viên, dòng 2, cột Số CCCD: Số CCCD gồm đúng 12 chữ số."


@pytest.mark.parametrize("value, expected", [("Có", True), ("x", True), ("không", False)])
def test_yes_no_cells(tree, tmp_path, value, expected):
    path = book(tmp_path / "ds.xlsx", [row(youth_union_member=value)])
    imported(path)
    assert Member.objects.get().youth_union_member is expected


def test_same_citizen_id_twice_in_the_file(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(), row(full_name="Lê Văn Khác")])
    assert (
        only_error(checked(path))
        == "trang Đảng viên, dòng 3, cột Số CCCD: Trùng với dòng 2 của tệp."
    )


# --- checking writes nothing; committing writes everything or nothing --------------------------


def test_check_writes_nothing_yet_finds_the_services_refusals(tree, tmp_path):
    path = book(
        tmp_path / "ds.xlsx",
        [row(), row(citizen_id="092185000002", full_name="Trẻ Quá", date_of_birth="01/01/2000")],
    )
    with nothing_written():
        ri = checked(path)
    assert ri.status == Status.INVALID
    [message] = messages(ri)
    assert message.startswith(
        "trang Đảng viên, dòng 3, cột Ngày sinh: Người vào Đảng phải từ đủ 18"
    )


def test_import_creates_members_through_the_services(tree, directive28, tmp_path):
    path = book(
        tmp_path / "ds.xlsx",
        [
            row(directive="28-CT/TW", issuing_body="Đảng ủy phường Thốt Nốt"),
            row(
                full_name="Lê Văn Chính",
                gender="Nam",
                citizen_id="092185000002",
                party_card_no=12345678,
                ethnicity="Khmer",
                religion="phat giao hoa hao",
                occupation_group="Nông, lâm, ngư nghiệp",
                political_theory="Trung cấp",
                ceremony_date="15/03/2015",
                recognized_on="15/03/2016",
                recognition_no="40-QĐ/ĐU",
            ),
        ],
    )
    ri = checked(path)
    assert ri.status == Status.READY and ri.summary["create"] == 2, messages(ri)
    summary = roster.commit(ri)
    assert summary["create"] == 2
    ri.refresh_from_db()
    assert (ri.status, ri.committed_at is not None) == (Status.DONE, True)
    first = Member.objects.get(citizen_id="092185000001")
    assert first.events.get().directive == directive28
    official = Member.objects.get(citizen_id="092185000002")
    assert (official.status, official.unit, official.party_card_no) == (
        "official",
        tree.cell_a,
        "12345678",
    )
    assert (official.ethnicity, official.religion) == ("05", "hoa_hao")
    assert (official.occupation_group, official.political_theory) == ("farmer", "intermediate")
    assert (official.admitted_on, official.recognized_on) == (d("2015-03-01"), d("2016-03-15"))
    assert list(official.events.values_list("kind", "decision_no")) == [
        ("admission", "12-QĐ/ĐU"),
        ("recognition", "40-QĐ/ĐU"),
    ]
    assert official.derived_state() == official.state


def test_a_rule_breaking_last_row_writes_nothing(tree, tmp_path):
    admit(tree.cell_a, d("2016-01-01"))
    data = [row(citizen_id=f"09218500000{n}", full_name=f"Người {n}") for n in range(1, 4)]
    # recognized only 6 months after the ceremony: the service refuses it
    data.append(
        row(
            citizen_id="092185000009",
            full_name="Người Cuối",
            recognized_on="01/09/2015",
            recognition_no="7-QĐ/ĐU",
        )
    )
    path = book(tmp_path / "ds.xlsx", data)
    ri = checked(path, histories=False)  # planned only: the rule is met at the commit
    assert ri.status == Status.READY
    with nothing_written(), pytest.raises(RosterError) as raised:
        roster.commit(ri)
    [message] = raised.value.messages
    assert message.startswith(
        "trang Đảng viên, dòng 5, cột Ngày chính thức: Chưa đủ 12 tháng dự bị"
    )
    ri.refresh_from_db()
    assert ri.status == Status.INVALID


def test_an_import_with_errors_is_never_committed(tree, tmp_path):
    ri = checked(book(tmp_path / "ds.xlsx", [row(), row(unit_code="khong-co")]))
    with nothing_written(), pytest.raises(RosterError):
        roster.commit(ri)


def test_dry_run_does_everything_and_writes_nothing(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row()])
    with nothing_written():
        ri = imported(path, dry_run=True)
    assert ri.summary["create"] == 1


def test_importing_the_same_file_twice(tree, tmp_path):
    path = book(
        tmp_path / "ds.xlsx",
        [row(), row(full_name="Lê Văn B", citizen_id="092185000002")],
        [
            event_row(
                action="Xóa tên",
                effective_date="02/02/2020",
                reason="Tự ý bỏ sinh hoạt đảng",
                decision_no="5-QĐ/ĐU",
                full_name="Trần Thị Mẫu",
            )
        ],
    )
    imported(path)
    again = checked(path)
    assert {k: again.summary[k] for k in ("create", "update", "unchanged", "new_events")} == {
        "create": 0,
        "update": 0,
        "unchanged": 2,
        "new_events": 0,
    }
    assert again.summary["known_events"] == 1
    with nothing_written():
        roster.commit(again)


def test_update_changes_only_the_record(tree, tmp_path):
    member = admit(
        tree.cell_a, d("2015-03-01"), citizen_id="092185000001", full_name="Trần Thị Mẩu"
    )
    events = list(member.events.values_list())
    ri = checked(book(tmp_path / "ds.xlsx", [row(party_card_no="PC-1")]))
    [staged] = rows(ri)
    assert staged.action == Action.UPDATE
    assert staged.changes == {
        "full_name": ["Trần Thị Mẩu", "Trần Thị Mẫu"],
        "gender": ["male", "female"],
        "party_card_no": ["", "PC-1"],
    }
    roster.commit(ri)
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
    ri = checked(book(tmp_path / "ds.xlsx", [row(citizen_id=None, party_card_no="PC-7")]))
    assert rows(ri)[0].action == Action.UNCHANGED


def test_a_check_gone_stale_is_refused(tree, tmp_path):
    ri = checked(book(tmp_path / "ds.xlsx", [row()]))
    assert ri.status == Status.READY
    admit(tree.cell_b, d("2016-01-01"), citizen_id="092185000001")  # meanwhile, someone else
    with nothing_written(), pytest.raises(RosterError) as raised:
        roster.commit(ri)
    assert "hãy kiểm tra lại" in raised.value.messages[0]


def test_an_edit_since_the_check_is_refused(tree, tmp_path):
    member = admit(tree.cell_a, d("2015-03-01"), citizen_id="092185000001", full_name="Cũ")
    ri = checked(book(tmp_path / "ds.xlsx", [row()]))
    member.refresh_from_db()
    member.residence, member.version = "Khu vực 3", member.version + 1
    member.save()
    with nothing_written(), pytest.raises(RosterError) as raised:
        roster.commit(ri)
    assert "hãy kiểm tra lại" in raised.value.messages[0]


# --- likely duplicates: flagged, decided by a person, never merged ------------------------------


@pytest.fixture
def look_alike(tree):
    return admit(
        tree.cell_b,
        d("2016-01-01"),
        full_name="TRẦN THỊ MẪU",
        born=d("1985-05-17"),
        gender="female",
    )


def test_likely_duplicate_is_flagged_and_must_be_decided(look_alike, tmp_path):
    path = book(
        tmp_path / "ds.xlsx", [row(), row(full_name="tran thi mau", citizen_id="092185000002")]
    )
    ri = checked(path)
    flagged = rows(ri)
    assert [r.action for r in flagged] == [Action.CREATE, Action.CREATE]
    assert all(f"mã {look_alike.pk}" in r.duplicate_of for r in flagged)
    assert ri.summary["undecided"] == 2
    with nothing_written(), pytest.raises(RosterError) as raised:
        roster.commit(ri)
    assert "nghi trùng" in raised.value.messages[0]


def test_duplicates_created_on_request(look_alike, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row()])
    imported(path, duplicates="create")
    assert Member.objects.filter(name_folded="tran thi mau").count() == 2


def test_duplicates_skipped_on_request_with_their_events(look_alike, tmp_path):
    path = book(
        tmp_path / "ds.xlsx",
        [row()],
        [event_row(action="Từ trần", effective_date="01/01/2021")],
    )
    with nothing_written():
        ri = imported(path, duplicates="skip")
    assert (ri.summary["skip"], ri.summary["new_events"]) == (1, 0)


def test_duplicate_within_the_file_is_flagged(tree, tmp_path):
    path = book(
        tmp_path / "ds.xlsx", [row(), row(full_name="Trần Thị  Mẫu", citizen_id="092185000002")]
    )
    flagged = rows(checked(path))
    assert (flagged[0].duplicate_of, flagged[1].duplicate_of) == (
        "",
        "Trùng họ tên và ngày sinh với dòng 2 của tệp.",
    )


# --- members received from outside, and the events sheet ---------------------------------------


def test_a_member_received_official_from_outside(tree, tmp_path):
    path = book(
        tmp_path / "ds.xlsx",
        [
            row(
                admission_no=None,
                admitted_on="01/03/2010",
                recognized_on="01/03/2011",
                origin="Tỉnh ủy An Giang",
                arrived_on="05/06/2021",
                arrival_no="8-QĐ/BTC",
            )
        ],
    )
    imported(path)
    member = Member.objects.get()
    assert (member.status, member.admitted_on, member.recognized_on) == (
        "official",
        d("2010-03-01"),
        d("2011-03-01"),
    )
    arrival = member.events.get()
    assert (arrival.kind, arrival.other_unit_name, arrival.probationary) == (
        "transfer_in",
        "Tỉnh ủy An Giang",
        False,
    )


def test_a_probationer_received_then_recognized(tree, tmp_path):
    path = book(
        tmp_path / "ds.xlsx",
        [
            row(
                admission_no=None,
                admitted_on="01/03/2021",
                origin="Tỉnh ủy An Giang",
                arrived_on="05/06/2021",
                arrival_no="8-QĐ/BTC",
                recognized_on="01/03/2022",  # the end of probation (R8)
                recognition_no="9-QĐ/ĐU",
            )
        ],
    )
    imported(path)
    member = Member.objects.get()
    assert list(member.events.values_list("kind", "probationary")) == [
        ("transfer_in", True),
        ("recognition", False),
    ]
    assert member.status == "official"


def test_admission_and_arrival_on_one_row_is_refused(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(origin="Tỉnh ủy An Giang")])
    assert "không ghi cả hai" in only_error(checked(path))


def test_every_kind_of_event(tree, directive28, tmp_path):
    # A woman born in 1960: 57 when exempted in 2017 (R16), 60 when re-admitted in 2020.
    person = {"citizen_id": "092185000001", "date_of_birth": "01/01/1960"}
    events = [
        event_row(
            action="Chuyển sinh hoạt trong hệ thống",
            effective_date="01/02/2017",
            unit_code="long-thanh-2",
            decision_no="1-QĐ/BTC",
        ),
        event_row(
            action="Chuyển sinh hoạt tạm thời",
            effective_date="01/03/2017",
            other_unit_name="Đảng bộ Khu công nghiệp",
            decision_no="2-GGT",
        ),
        event_row(action="Miễn sinh hoạt", effective_date="01/04/2017", decision_no="3-QĐ/CB"),
        event_row(
            action="Cho ra khỏi Đảng",
            effective_date="01/05/2017",
            reason="Xin ra khỏi Đảng vì hoàn cảnh gia đình đặc biệt khó khăn",
            decision_no="4-QĐ/ĐU",
            directive="28-CT/TW",
        ),
        event_row(
            action="Kết nạp lại",
            effective_date="01/06/2020",
            unit_code="long-thanh-1",
            decision_no="5-QĐ/ĐU",
            ceremony_date="10/06/2020",
        ),
        event_row(
            action="Công nhận chính thức", effective_date="10/06/2021", decision_no="6-QĐ/ĐU"
        ),
        event_row(
            action="Chuyển đi ngoài hệ thống",
            effective_date="01/07/2021",
            other_unit_name="Tỉnh ủy Đồng Tháp",
            decision_no="7-QĐ/BTC",
        ),
        event_row(
            action="Chuyển đến từ ngoài hệ thống",
            effective_date="01/08/2022",
            unit_code="thpt-thot-not",
            other_unit_name="Tỉnh ủy Đồng Tháp",
            decision_no="8-QĐ/BTC",
        ),
        event_row(
            action="Khai trừ",
            effective_date="01/09/2022",
            reason="Vi phạm kỷ luật Đảng",
            decision_no="9-QĐ/UBKT",
        ),
        event_row(
            action="Phục hồi đảng tịch",
            effective_date="01/10/2023",
            unit_code="thpt-thot-not",
            decision_no="10-QĐ/UBKT",
        ),
        event_row(action="Từ trần", effective_date="01/11/2024"),
    ]
    path = book(
        tmp_path / "ds.xlsx",
        [row(recognized_on="01/03/2016", recognition_no="40-QĐ/ĐU", **person)],
        events,
    )
    ri = imported(path)
    assert ri.summary["new_events"] == len(events)
    member = Member.objects.get()
    assert list(member.events.values_list("kind", flat=True)) == [
        "admission",
        "recognition",
        "transfer_out",
        "transfer_in",
        "temporary_transfer",
        "exemption",
        "discharged",
        "readmission",
        "recognition",
        "transfer_out",
        "transfer_in",
        "expelled",
        "restoration",
        "death",
    ]
    assert member.derived_state() == member.state
    assert member.events.get(kind="discharged").directive == directive28
    assert (member.status, member.record_unit) == ("dead", tree.gcell)


def test_events_rows_for_a_member_already_recorded(tree, tmp_path):
    member = admit_official(tree.cell_a, d("2015-03-01"), citizen_id="092185000001")
    path = book(
        tmp_path / "ds.xlsx",
        [],
        [
            event_row(
                action="Xóa tên",
                effective_date="01/06/2022",
                reason="Tự ý bỏ sinh hoạt đảng",
                decision_no="3-QĐ/ĐU",
            )
        ],
        header=MEMBER_HEADER,
    )
    ri = imported(path)
    assert ri.summary["new_events"] == 1
    member.refresh_from_db()
    assert member.status == "removed"


def test_an_event_for_nobody_known(tree, tmp_path):
    path = book(
        tmp_path / "ds.xlsx",
        [row()],
        [event_row(citizen_id="092185999999", action="Từ trần", effective_date="01/01/2021")],
    )
    message = only_error(checked(path))
    assert message.startswith("trang Sự kiện, dòng 2, cột Số CCCD: Không tìm thấy đảng viên")


def test_an_event_without_any_id(tree, tmp_path):
    path = book(
        tmp_path / "ds.xlsx",
        [row()],
        [event_row(citizen_id=None, action="Từ trần", effective_date="01/01/2021")],
    )
    assert "Cần ghi Số CCCD hoặc Số thẻ" in only_error(checked(path))


def test_an_event_whose_name_differs_from_the_record(tree, tmp_path):
    path = book(
        tmp_path / "ds.xlsx",
        [row()],
        [event_row(full_name="Nguyễn Văn Khác", action="Từ trần", effective_date="01/01/2021")],
    )
    assert only_error(checked(path)).startswith(
        "trang Sự kiện, dòng 2, cột Họ và tên: Họ tên khác hồ sơ"
    )


def test_an_event_before_the_admission_is_refused_where_it_stands(tree, tmp_path):
    path = book(
        tmp_path / "ds.xlsx",
        [row()],
        [event_row(action="Từ trần", effective_date="01/01/2014")],
    )
    with nothing_written():
        message = only_error(checked(path))
    assert message.startswith("trang Sự kiện, dòng 2, cột Ngày hiệu lực:")


def test_a_removal_needs_its_reason(tree, tmp_path):
    path = book(
        tmp_path / "ds.xlsx",
        [row()],
        [event_row(action="Xóa tên", effective_date="01/01/2021", decision_no="1-QĐ")],
    )
    assert only_error(checked(path)).startswith("trang Sự kiện, dòng 2, cột Lý do: Cần ghi lý do.")


def test_an_unknown_kind_of_event(tree, tmp_path):
    path = book(
        tmp_path / "ds.xlsx", [row()], [event_row(action="Đi chơi", effective_date="01/01/2021")]
    )
    assert only_error(checked(path)).startswith(
        "trang Sự kiện, dòng 2, cột Loại sự kiện: Không rõ “Đi chơi”"
    )


# --- who may import where ----------------------------------------------------------------------


def test_office_may_not_import_into_another_organization(cast, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(unit_code="thoi-thanh")])
    message = only_error(checked(path, user=cast.users.office))
    assert message.startswith(
        "trang Đảng viên, dòng 2, cột Mã chi bộ: Bạn không có quyền nhập đảng viên"
    )


def test_office_may_not_change_an_outsiders_record(cast, tmp_path):
    outsider = cast.members.o
    path = book(
        tmp_path / "ds.xlsx",
        [],
        [
            event_row(
                citizen_id=None, party_card_no=None, action="Từ trần", effective_date="01/01/2021"
            )
        ],
        header=MEMBER_HEADER,
    )
    outsider.party_card_no = "PC-O"
    outsider.save()
    wb = load_workbook(path)
    wb[roster.EVENTS_SHEET]["B2"] = "PC-O"
    wb.save(path)
    message = only_error(checked(path, user=cast.users.office))
    assert "không có quyền ghi sự kiện" in message


# --- export and round trip ---------------------------------------------------------------------


@pytest.fixture
def members(tree):
    moved = admit_official(
        tree.cell_a, d("2015-03-01"), citizen_id="012345678901", full_name="Nguyễn Văn An"
    )
    member_transfer(
        member=moved,
        to_unit=tree.cell_b,
        effective_date=d("2018-01-02"),
        decision=make_decision(d("2018-01-02")),
    )
    left = admit_official(
        tree.cell_b,
        d("2016-06-01"),
        party_card_no="93.012345",
        full_name="Lâm Thị Bé",
        gender="female",
        ethnicity="05",
        religion="buddhism",
    )
    member_remove(
        member=left,
        kind="struck_off",
        reason="unpaid_dues",
        effective_date=d("2021-05-05"),
        decision=make_decision(d("2021-05-05")),
    )
    return [
        moved,
        left,
        admit(tree.gcell, d("2024-02-01"), ceremony=d("2024-02-20"), citizen_id="092199000123"),
    ]


def test_export_then_import_is_all_unchanged(members, tmp_path, django_assert_num_queries):
    path = tmp_path / "xuat.xlsx"
    with django_assert_num_queries(2):  # the members with their cells, then their events
        assert roster.export_roster(Member.objects.all(), path) == 3
    ri = checked(path)
    assert ri.status == Status.READY, messages(ri)
    assert (ri.summary["unchanged"], ri.summary["known_events"], ri.summary["new_events"]) == (
        3,
        2,
        0,
    )
    assert not ri.rows.exclude(notes=[]).exists()
    with nothing_written():
        roster.commit(ri)


def timelines() -> list:
    return [
        (
            m.citizen_id,
            m.party_card_no,
            m.full_name,
            m.status,
            m.unit_id,
            m.record_unit_id,
            m.admitted_on,
            m.recognized_on,
            list(
                m.events.values_list(
                    "kind",
                    "effective_date",
                    "unit_id",
                    "other_unit_id",
                    "other_unit_name",
                    "decision_no",
                    "decision_date",
                    "issuing_body",
                    "directive_id",
                    "reason",
                    "ceremony_date",
                    "probationary",
                )
            ),
        )
        for m in Member.objects.order_by("citizen_id", "party_card_no")
    ]


def test_export_imports_into_an_empty_database(members, tmp_path):
    path = tmp_path / "xuat.xlsx"
    roster.export_roster(Member.objects.all(), path)
    before = timelines()
    Membership.objects.all().delete()
    Event.objects.all().delete()
    Member.objects.all().delete()
    assert imported(path).summary["create"] == 3
    assert timelines() == before
    assert all(m.derived_state() == m.state for m in Member.objects.all())


def test_export_is_a_cell_text_citizen_id(members, tmp_path):
    path = tmp_path / "xuat.xlsx"
    roster.export_roster(Member.objects.filter(pk=members[0].pk), path)
    ws = load_workbook(path)[roster.MEMBERS_SHEET]
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
    assert "trang Đảng viên, dòng 3, cột Số CCCD: Số CCCD gồm đúng 12 chữ số." in err.getvalue()


def test_import_command_dry_run_then_real(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row()])
    with nothing_written():
        out, _ = run("import_roster", str(path), "--dry-run")
    assert "Thêm mới: 1 · Cập nhật: 0 · Không đổi: 0" in out
    run("import_roster", str(path))
    assert Member.objects.filter(citizen_id="092185000001").exists()


def test_import_command_lists_duplicates_and_waits_for_a_decision(look_alike, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row()])
    out, err = io.StringIO(), io.StringIO()
    with nothing_written(), pytest.raises(CommandError):
        call_command("import_roster", str(path), stdout=out, stderr=err)
    assert "trang Đảng viên, dòng 2: nghi trùng" in out.getvalue()
    assert "nghi trùng chưa chọn" in err.getvalue()
    run("import_roster", str(path), "--duplicates", "create")
    assert Member.objects.count() == 2


def test_import_command_missing_file(tree, tmp_path):
    with pytest.raises(CommandError, match="Không có tệp"):
        run("import_roster", str(tmp_path / "khong-co.xlsx"))


def test_export_command_by_unit(members, tmp_path):
    path = tmp_path / "xuat.xlsx"
    out, _ = run("export_roster", str(path), "--unit", "phuong-thot-not")
    assert "2 đảng viên" in out
    out, _ = run("export_roster", str(path), "--unit", "phuong-thot-not", "--current")
    assert "1 đảng viên" in out
    with pytest.raises(CommandError):
        run("export_roster", str(path), "--unit", "khong-co")


def test_export_roster_writes_the_empty_template_on_request(tmp_path):
    path = tmp_path / "mau.xlsx"
    run("export_roster", str(path), "--template")
    workbook = load_workbook(path)
    assert roster.MEMBERS_SHEET in workbook.sheetnames and roster.GUIDE_SHEET in workbook.sheetnames
    sheet = workbook[roster.MEMBERS_SHEET]
    assert [c.value for c in sheet[1]][:2] == ["Mã chi bộ", "Họ và tên"]
    assert all(cell.value is None for row in sheet.iter_rows(min_row=2) for cell in row)


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
    "youth_union_member": st.sampled_from(["Có", "", None, "không"]),
    "admitted_on": st.sampled_from(["01/03/2015", "01/03/2009", datetime.date(2020, 1, 1)]),
    "admission_no": st.sampled_from(["1-QĐ/ĐU", "2-QĐ/ĐU", "", None, None]),
    "ceremony_date": st.sampled_from([None, "01/03/2015", "01/02/2015", 42064]),
    "origin": st.sampled_from([None, None, "Tỉnh ủy An Giang"]),
    "arrived_on": st.sampled_from([None, "05/06/2021"]),
    "arrival_no": st.sampled_from([None, "8-QĐ/BTC"]),
    "directive": st.sampled_from([None, "28-CT/TW", "99-CT/TW"]),
    "recognized_on": st.sampled_from(["", "01/03/2016", "01/09/2015"]),
    "recognition_no": st.sampled_from(["", "2-QĐ/ĐU"]),
}
plausible_events = {
    "citizen_id": st.sampled_from(["092185000001", "092185000002", None]),
    "action": st.sampled_from(
        [
            "Từ trần",
            "Xóa tên",
            "Chuyển sinh hoạt trong hệ thống",
            "Công nhận chính thức",
            "Kết nạp lại",
            "x",
        ]
    ),
    "effective_date": st.sampled_from(["01/01/2014", "01/06/2017", "01/06/2023", None]),
    "unit_code": st.sampled_from([None, "long-thanh-2", "khong-co"]),
    "reason": st.sampled_from([None, "Tự ý bỏ sinh hoạt đảng", "Vi phạm kỷ luật Đảng"]),
    "decision_no": st.sampled_from([None, "9-QĐ/ĐU"]),
}


def cell(table: dict, key: str):
    """Mostly a value that column might hold, sometimes anything at all."""
    return st.integers(0, 11).flatmap(
        lambda n: cell_values if n == 7 or key not in table else table[key]
    )


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.fixed_dictionaries({key: cell(plausible, key) for key in plausible}),
    st.lists(
        st.fixed_dictionaries({key: cell(plausible_events, key) for key in plausible_events}),
        max_size=2,
    ),
)
def test_any_cells_never_crash_nor_write_partly(tree, directive28, tmp_path, values, events):
    path = book(
        tmp_path / "h.xlsx",
        [[values.get(key) for key in MEMBER_KEYS]],
        [[e.get(key) for key in EVENT_KEYS] for e in events],
    )
    with transaction.atomic():
        with nothing_written():
            ri = checked(path)
        if ri.status == Status.INVALID:
            event("refused at the check")
            assert messages(ri)
        else:
            assert ri.status == Status.READY
            try:
                roster.commit(ri, dry_run=False)
            except RosterError as error:
                event("refused at commit")
                assert error.messages
                assert not Member.objects.exists() and not Event.objects.exists()
            else:
                event("written")
                (member,) = Member.objects.all()
                assert member.derived_state() == member.state
        transaction.set_rollback(True)


def test_checking_takes_the_same_queries_for_any_number_of_rows(
    tree, tmp_path, django_assert_max_num_queries
):
    def file(n: int):
        data = [row(citizen_id=f"0921850{i:05d}", full_name=f"Người {i}") for i in range(n)]
        return book(tmp_path / f"{n}.xlsx", data)

    small, large = file(3), file(60)
    # staging in one batch, then one chunk: units, members by ID, look-alikes, events, saves
    with django_assert_max_num_queries(40) as few:
        checked(small, histories=False)
    with django_assert_max_num_queries(40) as many:
        checked(large, histories=False)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_errors_are_written_in_the_uploaders_language_wherever_the_check_runs(tree, tmp_path):
    # The check runs in a worker, whose language is the site's (Vietnamese); the errors are
    # stored as text, so they must be written in the language of the one who uploaded.
    path = book(
        tmp_path / "ds.xlsx",
        [
            row(gender=None),
            row(citizen_id="092185000002", full_name="Lê Văn Hai", unit_code="phuong-thot-not"),
            row(citizen_id="092185000003", full_name="Lê Văn Ba", date_of_birth="01/03/2000"),
        ],
    )
    with translation.override("en"):
        ri = roster.create_import(path.read_bytes(), file_name="ds.xlsx")
    assert ri.language == "en"
    with translation.override("vi"):
        roster.check(ri)
    found = messages(ri)
    # the headers stay the file's
    assert found[0] == "sheet Đảng viên, row 2, column Giới tính: This cell is required."
    assert found[1] == (
        "sheet Đảng viên, row 3, column Mã chi bộ: “Đảng bộ phường Thốt Nốt” is not a party cell."
    )
    assert found[2] == (  # the services' own rule, in English too
        "sheet Đảng viên, row 4, column Ngày sinh: A person joining the Party must be aged 18 "
        "to 60; on 01/03/2015 this person is 15."
    )
    assert len(found) == 3

    with translation.override("vi"):
        ri = roster.create_import(path.read_bytes(), file_name="ds.xlsx")
    with translation.override("en"):
        roster.check(ri)
    assert messages(ri)[0] == "trang Đảng viên, dòng 2, cột Giới tính: Cần nhập ô này."
