# ruff: noqa: F811  (test functions take the imported `cast` fixture as an argument)
"""The report pages and their downloads: who may open them, the period form, the records behind
each figure, and query counts that do not grow with the tree.

The cast (tests/cast.py): board and leader on the district (root), office on the Thốt Nốt ward
(gc), secretary on cell_b, other_office on the Thới Thuận ward, nobody, admin.
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from branches.services import unit_create
from members.services import member_transfer
from tests.cast import cast  # noqa: F401
from tests.conftest import admit, make_decision

TODAY = datetime.date(2023, 6, 5)
PERIOD = {"from": "01/01/2020", "to": "05/06/2023", "directive": "all"}

REPORT_VIEWS = (
    "reports:unit_report",
    "reports:unit_report_pdf",
    "reports:unit_report_xlsx",
    "reports:form1",
    "reports:form1_pdf",
    "reports:form1_xlsx",
    "reports:form2",
    "reports:form2_pdf",
    "reports:form2_xlsx",
    "reports:records",
)
# The cheap ones, for the role matrix (the PDFs are checked once each below).
PAGES = ("reports:unit_report", "reports:form1", "reports:form2", "reports:records")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fixed_today():
    with time_machine.travel(datetime.datetime(2023, 6, 5, 9, 0), tick=False):
        yield


def url(name: str, unit, **params) -> str:
    query = {**PERIOD, **params}
    if name == "reports:records":
        query.setdefault("figure", "admitted")
    text = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{reverse(name, args=[unit.code])}?{text}"


def signed_in(client, user):
    client.force_login(user)
    return client


# --- who may open what -------------------------------------------------------------------------

READERS = {
    "root": {"board", "leader", "admin"},
    "gc": {"board", "leader", "office", "admin"},
    "cell_b": {"board", "leader", "office", "secretary", "admin"},
}


@pytest.mark.parametrize("unit_name", READERS)
def test_each_role_opens_the_reports_of_its_scope_and_gets_404_elsewhere(client, cast, unit_name):
    unit = getattr(cast.tree, unit_name)
    for role in ("board", "office", "secretary", "leader", "other_office", "nobody", "admin"):
        signed_in(client, getattr(cast.users, role))
        for name in PAGES:
            status = client.get(url(name, unit)).status_code
            expected = 200 if role in READERS[unit_name] else 404
            assert status == expected, (role, name, unit_name)


def test_a_cell_secretary_gets_404_for_the_district_exports(client, cast):
    signed_in(client, cast.users.secretary)
    for name in REPORT_VIEWS:
        assert client.get(url(name, cast.tree.root)).status_code == 404, name


def test_readers_may_export_what_they_see(client, cast):
    signed_in(client, cast.users.secretary)
    pdf = client.get(url("reports:unit_report_pdf", cast.tree.cell_b))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"]
    assert "no-cache" in pdf["Cache-Control"] or "no-store" in pdf["Cache-Control"]
    signed_in(client, cast.users.leader)
    for name in ("reports:unit_report_xlsx", "reports:form1_xlsx", "reports:form2_xlsx"):
        response = client.get(url(name, cast.tree.root))
        assert response.status_code == 200, name
        assert response.content.startswith(b"PK"), name  # a zip: the xlsx container
    for name in ("reports:form1_pdf", "reports:form2_pdf"):
        response = client.get(url(name, cast.tree.root))
        assert response.content.startswith(b"%PDF"), name


def test_anonymous_users_are_sent_to_sign_in(client, cast):
    for name in REPORT_VIEWS:
        response = client.get(url(name, cast.tree.root))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


def test_reports_are_read_only(client, cast):
    signed_in(client, cast.users.admin)
    for name in REPORT_VIEWS:
        assert client.post(url(name, cast.tree.root)).status_code == 405, name


# --- the period form ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"from": "31/02/2020"}, "from", "hợp lệ"),
        ({"from": "2020-01-01"}, "from", "hợp lệ"),
        ({"to": "tomorrow"}, "to", "hợp lệ"),
        ({"from": "05/06/2023", "to": "01/01/2020"}, "to", "trước ngày bắt đầu"),
        ({"from": "01/01/0020"}, "from", "Năm phải từ"),
        ({"year": "twenty"}, "year", "số"),
        ({"year": "1800"}, "year", "1930"),
        ({"directive": "99-CT/TW"}, "directive", "99-CT/TW"),
    ],
)
def test_bad_input_shows_the_form_error_never_a_500(client, cast, params, field, message):
    signed_in(client, cast.users.board)
    for name in ("reports:unit_report", "reports:unit_report_pdf", "reports:unit_report_xlsx"):
        response = client.get(url(name, cast.tree.root, **params))
        assert response.status_code == 400, name
        assert response["Content-Type"].startswith("text/html")
        errors = response.context["form"].errors
        assert field in errors, errors
        assert message in " ".join(errors[field]) or message in response.content.decode()


def test_bad_input_on_the_forms_and_the_records_page(client, cast):
    signed_in(client, cast.users.board)
    assert client.get(url("reports:form1", cast.tree.root, to="x")).status_code == 400
    assert client.get(url("reports:form2_pdf", cast.tree.root, year="0")).status_code == 400
    response = client.get(url("reports:records", cast.tree.root, figure="salary"))
    assert response.status_code == 400
    assert "figure" in response.context["form"].errors


def test_the_default_period_is_2020_to_today_under_directive_28(client, cast):
    signed_in(client, cast.users.board)
    response = client.get(reverse("reports:unit_report", args=[cast.tree.root.code]))
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.start, report.end) == (datetime.date(2020, 1, 1), TODAY)
    assert report.directive == cast.directive
    assert response.context["form"]["from"].value() == datetime.date(2020, 1, 1)


def test_a_year_wins_over_the_dates_and_all_means_every_event(client, cast):
    signed_in(client, cast.users.board)
    response = client.get(
        url("reports:unit_report", cast.tree.root, year="2022", directive="all", to="x1")
    )
    assert response.status_code == 400  # a bad date is still an error
    response = client.get(url("reports:unit_report", cast.tree.root, year="2022"))
    report = response.context["report"]
    assert (report.start, report.end) == (datetime.date(2022, 1, 1), datetime.date(2022, 12, 31))
    assert report.directive is None


# --- what the page shows -----------------------------------------------------------------------


def test_the_page_shows_the_figures_their_balance_and_the_children(client, cast):
    signed_in(client, cast.users.board)
    response = client.get(url("reports:unit_report", cast.tree.root, directive="28-CT/TW"))
    html = response.content.decode()
    report = response.context["report"]
    # a (admitted 01/03/2022 under 28) is the only flow of the period; b, g, o were members.
    assert report.figures.flows.admitted == 1
    assert report.figures.members_at_start == 3
    assert report.figures.members_at_end == 4
    assert "Cân đối ✓" in html
    # Vietnamese order: Thốt Nốt before Thới Thuận (ô before ơ).
    assert [f.unit for f in report.children] == [cast.tree.gcell, cast.tree.gc, cast.other]
    assert report.total.members_at_end == 4
    assert "<svg" in html and "Kết nạp" in html
    assert 'data-figure="admitted"' in html


def test_an_unbalanced_report_shows_the_difference_in_red(client, cast, monkeypatch):
    from reports.figures import Figures

    monkeypatch.setattr(Figures, "balance_difference", property(lambda self: -2))
    signed_in(client, cast.users.board)
    html = client.get(url("reports:unit_report", cast.tree.root)).content.decode()
    assert 'class="balance off"' in html
    assert "Chênh lệch -2" in html


def test_every_non_zero_figure_links_to_its_records(client, cast):
    signed_in(client, cast.users.board)
    response = client.get(url("reports:unit_report", cast.tree.root))
    for table in response.context["tables"]:
        for cell in table.cells():
            if cell.link is not None and cell.value:
                assert cell.url.startswith(reverse("reports:records", args=[cell.link.unit_code]))
    admitted = response.context["tables"][0].rows[1].cells[0]
    assert admitted.value == 1
    records = client.get(admitted.url)
    assert records.status_code == 200
    assert records.context["page"].paginator.count == 1
    html = records.content.decode()
    assert "Trần Thị Ánh" in html
    assert reverse("members:member_detail", args=[cast.members.a.pk]) in html


def test_a_category_of_the_admitted_links_to_its_members(client, cast):
    signed_in(client, cast.users.board)
    response = client.get(url("reports:unit_report", cast.tree.root))
    breakdown = next(t for t in response.context["tables"] if t.key == "admitted")
    women = next(row for row in breakdown.rows if row.label == "Nữ").cells[0]
    assert women.value == 1 and "of=women" in women.url
    records = client.get(women.url)
    assert records.context["page"].paginator.count == 1
    html = records.content.decode()
    assert "Trần Thị Ánh" in html and "trong đó: nữ" in html
    bad = client.get(url("reports:records", cast.tree.root, figure="admissions", of="tall"))
    assert bad.status_code == 400


def test_the_records_page_lists_the_members_at_the_end_with_links_only_in_scope(client, cast):
    signed_in(client, cast.users.office)
    response = client.get(url("reports:records", cast.tree.gc, figure="members_at_end"))
    html = response.content.decode()
    assert response.context["page"].paginator.count == 2
    assert "Trần Thị Ánh" in html and "Lê Văn Bình" in html
    assert "Phạm Minh Châu" not in html  # the grassroots cell is not under the ward


def test_the_records_page_pages_by_100(client, cast):
    for n in range(101):
        admit(cast.tree.cell_a, datetime.date(2021, 1, 1), full_name=f"Người Thứ {n:03d}")
    signed_in(client, cast.users.board)
    first = client.get(url("reports:records", cast.tree.gc, figure="admitted"))
    assert first.context["page"].paginator.count == 102
    assert len(first.context["page"].object_list) == 100
    second = client.get(url("reports:records", cast.tree.gc, figure="admitted", page="2"))
    assert len(second.context["page"].object_list) == 2
    assert second.context["page"].start_index() == 101


def test_a_member_who_left_the_scope_is_listed_without_a_link(client, cast):
    """b moves from cell_b (the Thốt Nốt ward) to cell_o (Thới Thuận): the ward's report counts
    the transfer out, but its office may no longer open b's record."""
    day = datetime.date(2022, 5, 1)
    member_transfer(
        member=cast.members.b, to_unit=cast.cell_o, effective_date=day, decision=make_decision(day)
    )
    signed_in(client, cast.users.office)
    response = client.get(url("reports:records", cast.tree.gc, figure="transferred_out"))
    html = response.content.decode()
    assert response.context["page"].paginator.count == 1
    assert "Lê Văn Bình" in html
    assert reverse("members:member_detail", args=[cast.members.b.pk]) not in html
    signed_in(client, cast.users.board)
    html = client.get(url("reports:records", cast.tree.gc, figure="transferred_out")).content
    assert reverse("members:member_detail", args=[cast.members.b.pk]).encode() in html


# --- query counts -------------------------------------------------------------------------------


def _more_children(cast, n):
    for i in range(n):
        unit_create(
            code=f"extra-{i}",
            name=f"Chi bộ thêm {i}",
            kind="cell",
            founded_on=datetime.date(2010, 1, 1),
            parent=cast.tree.gc,
        )


@pytest.mark.parametrize(
    "view, queries",
    [
        # session, user, roles (read once: the scope and the menu), unit, directives,
        # figures 3, children 3, breakdown 2, years
        ("reports:unit_report", 14),
        ("reports:unit_report_xlsx", 24),  # + 9 lists of records, + the bulk read logged
        ("reports:form1", 10),  # session, user, unit, 2 × figures 3, roles
        ("reports:form2", 8),  # session, user, unit, 2 × breakdown 2, roles
        ("reports:records", 8),  # session, user, unit, directives, count, page, roles, the log
    ],
)
def test_query_counts_do_not_depend_on_the_number_of_units(
    client, cast, django_assert_num_queries, view, queries
):
    signed_in(client, cast.users.board)
    with django_assert_num_queries(queries):
        assert client.get(url(view, cast.tree.gc)).status_code == 200
    _more_children(cast, 12)
    with django_assert_num_queries(queries):
        assert client.get(url(view, cast.tree.gc)).status_code == 200
