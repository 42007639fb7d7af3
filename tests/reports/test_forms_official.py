"""The official forms 1 (increase and decrease) and 2 (new admissions): rows from one function,
this period against the same period a year earlier, the same rows in every format."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from members.models import Event
from members.services import (
    member_readmit,
    member_record_death,
    member_remove,
    member_restore,
    member_transfer_in,
)
from reports import official_forms, tables
from reports.figures import flow_events, unit_figures
from reports.official_forms import form1, form2, same_period_last_year
from reports.renderers.xlsx import official_form_xlsx
from reports.tables import percent
from tests.conftest import admit, admit_official, d, make_decision, new_person

pytestmark = pytest.mark.django_db
K = Event.Kind
R = Event.Reason
YEAR = (d("2022-01-01"), d("2022-12-31"))


def remove(member, kind, reason, on):
    member_remove(
        member=member,
        kind=kind,
        reason=reason,
        effective_date=on,
        decision=make_decision(on),
        standards_kept=True,  # a discharge: the member kept the standards (R13)
    )


def rows_by_label(table) -> dict[str, list]:
    return {row.label: [cell.value for cell in row.cells] for row in table.all_rows()}


@pytest.fixture
def history(tree):
    """7 members at the start of 2021. 2021: 2 admitted, 1 died, 1 struck off (on 31/12).
    2022: 3 admitted, 1 transferred in, 1 restored, 1 died, 1 expelled, 2 struck off (1 while
    probationary), 1 discharged."""
    a, b = tree.cell_a, tree.cell_b
    old = [admit_official(a, d("2015-01-01")) for _ in range(6)]
    admit_official(b, d("2015-02-01"))
    # 2021
    admit(a, d("2021-03-01"))
    admit(b, d("2021-04-01"))
    member_record_death(member=old[0], effective_date=d("2021-05-01"))
    remove(old[1], K.STRUCK_OFF, R.UNPAID_DUES, d("2021-12-31"))  # before the period
    # 2022
    probationer = admit(a, d("2022-01-10"))
    admit(b, d("2022-02-01"), gender="female")
    admit(b, d("2022-03-01"))
    arrived = new_person(admitted_on=d("2010-01-01"), recognized_on=d("2011-01-01"))
    member_transfer_in(
        member=arrived,
        unit=a,
        origin="Tỉnh ủy Hậu Giang",
        effective_date=d("2022-04-01"),
        decision=make_decision(d("2022-04-01")),
        probationary=False,
    )
    member_restore(
        member=old[1],
        unit=a,
        effective_date=d("2022-04-15"),
        decision=make_decision(d("2022-04-15")),
    )
    member_record_death(member=old[2], effective_date=d("2022-05-01"))
    remove(old[3], K.EXPELLED, R.DISCIPLINE, d("2022-06-01"))
    remove(probationer, K.STRUCK_OFF, R.PROBATION_FAILED, d("2022-07-01"))
    # An official member who came from outside: no recognition among our events, yet official.
    remove(arrived, K.STRUCK_OFF, R.QUIT_ACTIVITIES, d("2022-08-01"))
    remove(old[4], K.DISCHARGED, R.ON_REQUEST, d("2022-09-01"))
    return tree


def test_form_1_rows_for_a_known_history(history, django_assert_num_queries):
    with django_assert_num_queries(6):
        form = form1(history.root, *YEAR)
    rows = rows_by_label(form.table)
    # this year, last year, %
    assert rows["Đảng viên cuối kỳ trước"] == [7, 7, 100.0]
    assert rows["Tăng trong kỳ"] == [5, 2, 250.0]
    assert rows["Kết nạp"] == [3, 2, 150.0]
    assert rows["trong đó: kết nạp lại"] == [0, 0, None]
    assert rows["Chuyển đến (từ tỉnh khác, từ huyện khác trong tỉnh)"] == [1, 0, None]
    assert rows["Phục hồi đảng tịch"] == [1, 0, None]
    assert rows["Giảm trong kỳ"] == [5, 2, 250.0]
    assert rows["Từ trần"] == [1, 1, 100.0]
    assert rows["Khai trừ"] == [1, 0, None]
    assert rows["Xóa tên"] == [2, 1, 200.0]
    assert rows["trong đó: đảng viên dự bị"] == [1, 0, None]
    assert rows["Xin ra khỏi Đảng, cho ra khỏi Đảng"] == [1, 0, None]
    assert rows["Đảng viên cuối kỳ"] == [7, 7, 100.0]
    codes = [row.code for row in form.table.rows if row.code in "ABCD" and row.code]
    assert codes == ["A", "B", "C", "D"]
    # A + B − C = D in both periods
    by_code = {row.code: row.cells for row in form.table.rows if row.code in {"A", "B", "C", "D"}}
    for column in (0, 1):
        a, b, c, d_ = (by_code[code][column].value for code in "ABCD")
        assert a + b - c == d_
    this = unit_figures(history.root, *YEAR)
    assert this.balance_difference == 0
    assert any("Cân đối ✓" in note for note in form.table.notes)


def test_struck_off_while_probationary_is_decided_by_the_latest_status_event(history):
    figures = unit_figures(history.root, *YEAR)
    assert figures.all_events.struck_off == 2
    assert figures.all_struck_off_probationary == 1
    listed = flow_events(history.root, *YEAR, None, "struck_off_probationary")
    assert [e.reason for e in listed] == [R.PROBATION_FAILED]


def test_a_readmitted_member_struck_off_before_recognition_was_probationary(tree):
    member = admit_official(tree.cell_a, d("2010-01-01"))
    remove(member, K.STRUCK_OFF, R.UNPAID_DUES, d("2015-01-01"))
    member_readmit(
        member=member,
        unit=tree.cell_a,
        decision=make_decision(d("2018-06-01")),
        ceremony_date=d("2018-06-01"),
        consent=make_decision(d("2018-05-01")),
    )
    remove(member, K.STRUCK_OFF, R.PROBATION_FAILED, d("2019-03-01"))
    assert (
        unit_figures(tree.root, d("2015-01-01"), d("2015-12-31")).all_struck_off_probationary == 0
    )
    assert (
        unit_figures(tree.root, d("2019-01-01"), d("2019-12-31")).all_struck_off_probationary == 1
    )


def test_form_2_rows_and_the_same_period_last_year(history, django_assert_num_queries):
    with django_assert_num_queries(4):  # two breakdowns (this year, last year) of 2 queries
        form = form2(history.root, *YEAR)
    rows = rows_by_label(form.table)
    assert rows["Tổng số đảng viên mới kết nạp"] == [3, 2, 150.0]
    assert rows["trong đó: nữ"] == [1, 0, None]
    assert rows["kết nạp lại"] == [0, 0, None]
    assert rows["Khác"] == [3, 2, 150.0]  # the occupation group by default
    assert rows["Số tổ chức cơ sở đảng có kết nạp đảng viên"] == [1, 1, 100.0]
    ages = [rows[str(label)] for label in official_forms.AGE_BAND_LABELS]
    assert sum(this for this, _last, _pct in ages) == 3
    assert rows["Tuổi bình quân"][0] == 36.0  # born 17/05/1985: 36 at each 2022 admission
    headings = [row.label for row in form.table.rows if row.code in {"2", "3", "4", "5", "6"}]
    assert headings == [
        "Nghề nghiệp",
        "Tuổi đời (khi kết nạp)",
        "Trình độ giáo dục phổ thông",
        "Trình độ chuyên môn, nghiệp vụ",
        "Học hàm",
    ]


@pytest.mark.parametrize(
    "this, last, expected", [(3, 2, 150.0), (1, 3, 33.3), (0, 4, 0.0), (5, 0, None), (0, 0, None)]
)
def test_percent_has_one_decimal_and_no_value_when_last_year_is_zero(this, last, expected):
    assert percent(this, last) == expected
    assert tables.display(percent(this, last), "decimal") == (
        "—" if expected is None else f"{expected:.1f}".replace(".", ",")
    )


def test_the_same_period_last_year_keeps_the_days_and_handles_29_february():
    assert same_period_last_year(d("2024-02-29"), d("2024-12-31")) == (
        d("2023-02-28"),
        d("2023-12-31"),
    )
    assert same_period_last_year(*YEAR) == (d("2021-01-01"), d("2021-12-31"))


def test_the_forms_are_the_same_in_the_workbook(history):
    for make in (form1, form2):
        form = make(history.root, *YEAR)
        sheet = openpyxl.load_workbook(io.BytesIO(official_form_xlsx(form))).active
        written = {row[1]: list(row[2:5]) for row in sheet.iter_rows(values_only=True) if row[1]}
        for row in form.table.rows:
            expected = [
                "—" if c.value is None else (None if c.value == "" else c.value) for c in row.cells
            ]
            assert written[row.label] == expected, row.label


def test_the_forms_pages_show_the_same_rows(client, history, django_user_model):
    admin = django_user_model.objects.create_superuser("admin", password="x" * 12, email="")
    client.force_login(admin)
    for name, make in (("reports:form1", form1), ("reports:form2", form2)):
        response = client.get(
            reverse(name, args=[history.root.code]), {"from": "01/01/2022", "to": "31/12/2022"}
        )
        assert response.status_code == 200
        html = response.content.decode()
        shown = response.context["official"].table
        assert rows_by_label(shown) == rows_by_label(make(history.root, *YEAR).table)
        assert "Cùng kỳ năm trước" in html and "% kỳ này so với cùng kỳ" in html
        assert "—" in html


def test_the_subtitle_names_the_period(history):
    form = form1(history.root, datetime.date(2022, 1, 1), datetime.date(2022, 6, 30))
    assert form.subtitle.startswith("Từ ngày 01/01/2022")
    assert form1(history.root, *YEAR).subtitle == "Năm 2022"
