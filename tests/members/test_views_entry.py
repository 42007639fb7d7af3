"""Data-entry pages (members.views.entry): who may open them, what a refusal looks like (a form
error next to the field, everything typed kept, nothing written), the lost-update guard on the
record, the success paths, and the queries each page costs."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from branches.services import unit_create
from members.models import Event, Member, Membership, Status
from members.services import member_remove
from tests.conftest import d, make_decision, nothing_written

K = Event.Kind
R = Event.Reason

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2023, 6, 5, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))

MEMBER_PAGES = [
    "member_edit",
    "member_recognize",
    "member_transfer",
    "member_remove",
    "member_death",
    "member_exempt",
    "member_restore",
    "member_readmit",
]
NEW_RECORD_PAGES = ["member_admit", "member_transfer_in"]
PLAIN_PAGES = [*NEW_RECORD_PAGES, "recognition_due"]
ALL_PAGES = [*PLAIN_PAGES, *MEMBER_PAGES]


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(NOW, tick=False):
        yield


def url(view: str, member: Member | None = None) -> str:
    return reverse(f"members:{view}", args=[member.pk] if member is not None else [])


def page_url(view: str, cast) -> str:
    return url(view, None if view in PLAIN_PAGES else cast.members.a)


def decision(**overrides) -> dict:
    return {
        "decision_no": "15-QĐ/ĐU",
        "decision_date": "05/06/2023",
        "issuing_body": "Đảng ủy phường Thốt Nốt",
        "directive": "",
        "notes": "",
        **overrides,
    }


def record(**overrides) -> dict:
    return {
        "full_name": "Đặng Thị Hồng Nhung",
        "gender": "female",
        "date_of_birth": "12/08/1995",
        "place_of_birth": "Thốt Nốt, Cần Thơ",
        "hometown": "Thốt Nốt, Cần Thơ",
        "residence": "Khu vực Long Thạnh 1",
        "ethnicity": "01",
        "religion": "none",
        "occupation": "Giáo viên",
        "occupation_group": "other",
        "general_education": "upper_secondary",
        "professional_level": "university",
        "academic_title": "none",
        "political_theory": "none",
        "citizen_id": "",
        "party_card_no": "",
        "personal_history_no": "",
        "youth_union_member": "on",
        **overrides,
    }


def admission(cast, **overrides) -> dict:
    return {
        **record(),
        **decision(),
        "unit": str(cast.tree.cell_a.pk),
        "ceremony_date": "05/06/2023",
        "sponsors": "Lê Văn Bình, Trần Thị Ánh",
        **overrides,
    }


def edit_data(member: Member, **overrides) -> dict:
    data = record(
        full_name=member.full_name,
        gender=member.gender,
        date_of_birth=member.date_of_birth.strftime("%d/%m/%Y"),
        youth_union_member="",
    )
    data["version"] = str(member.version)
    data.update(overrides)
    return data


def strike_off(member: Member, on: datetime.date, reason: str = R.UNPAID_DUES) -> None:
    member_remove(
        member=member,
        kind=K.STRUCK_OFF,
        reason=reason,
        effective_date=on,
        decision=make_decision(on),
    )


def form_errors(response) -> dict:
    return response.context["form"].errors


# --- who may open what ----------------------------------------------------------------------------


@pytest.mark.parametrize("view", ALL_PAGES)
def test_editors_open_the_pages_in_their_scope(cast, client, view):
    for user in (cast.users.board, cast.users.office, cast.users.admin):
        client.force_login(user)
        response = client.get(page_url(view, cast))
        assert response.status_code == 200, (user, response.status_code)


@pytest.mark.parametrize("view", PLAIN_PAGES)
def test_an_editor_of_another_ward_opens_the_pages_without_an_object(cast, client, view):
    client.force_login(cast.users.other_office)
    assert client.get(url(view)).status_code == 200


@pytest.mark.parametrize("view", MEMBER_PAGES)
@pytest.mark.parametrize(
    ("user", "member"),
    [
        ("office", "o"),
        ("office", "g"),
        ("other_office", "a"),
        ("other_office", "b"),
        ("nobody", "a"),
    ],
)
def test_outsiders_get_404_on_get_and_post(cast, client, view, user, member):
    client.force_login(getattr(cast.users, user))
    target = url(view, getattr(cast.members, member))
    with nothing_written():
        assert client.get(target).status_code == 404
        assert client.post(target, {}).status_code == 404


@pytest.mark.parametrize("view", MEMBER_PAGES)
@pytest.mark.parametrize(
    ("user", "member"),
    # The leader sits on the district unit beside the board: a role there is not the board's.
    [("secretary", "b"), ("leader", "a"), ("leader", "b"), ("leader", "o")],
)
def test_readers_get_403_on_get_and_post(cast, client, view, user, member):
    client.force_login(getattr(cast.users, user))
    target = url(view, getattr(cast.members, member))
    with nothing_written():
        assert client.get(target).status_code == 403
        assert client.post(target, edit_data(getattr(cast.members, member))).status_code == 403


@pytest.mark.parametrize("view", PLAIN_PAGES)
@pytest.mark.parametrize("user", ["secretary", "leader", "nobody"])
def test_readers_get_403_on_the_pages_without_an_object(cast, client, view, user):
    client.force_login(getattr(cast.users, user))
    with nothing_written():
        assert client.get(url(view)).status_code == 403
        if view in NEW_RECORD_PAGES:
            assert client.post(url(view), admission(cast)).status_code == 403


@pytest.mark.parametrize("view", ALL_PAGES)
def test_anonymous_is_sent_to_sign_in(cast, client, view):
    target = page_url(view, cast)
    for response in (client.get(target), client.post(target, {})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("view", ALL_PAGES)
@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_wrong_method_is_405(cast, client, view, method):
    client.force_login(cast.users.board)
    with nothing_written():
        assert getattr(client, method)(page_url(view, cast)).status_code == 405


def test_the_recognition_list_is_read_only(cast, client):
    client.force_login(cast.users.board)
    assert client.post(url("recognition_due")).status_code == 405


@pytest.mark.parametrize("view", MEMBER_PAGES)
@pytest.mark.parametrize("pk", ["0", "987654", "99999999999999999999999"])
def test_unknown_member_is_404(cast, client, view, pk):
    client.force_login(cast.users.board)
    target = url(view, cast.members.a).replace(f"/{cast.members.a.pk}/", f"/{pk}/")
    assert client.get(target).status_code == 404
    assert client.post(target, {}).status_code == 404


def test_negative_member_number_is_404(cast, client):
    client.force_login(cast.users.board)
    assert client.get("/members/-1/edit/").status_code == 404


# --- pages and their query counts -----------------------------------------------------------------

# session, user; the user's roles (read once per request: the access checks and the nav);
# the access check (member, may edit) where there is a member; then each form's choices:
# the directives (where the kind carries one out), the cells.
QUERIES = {
    "member_admit": 5,
    "member_transfer_in": 5,
    "recognition_due": 4,
    "member_edit": 5,
    "member_recognize": 7,  # + when probation ends
    "member_transfer": 6,
    "member_remove": 6,
    "member_death": 5,
    "member_exempt": 5,
    "member_restore": 7,
    "member_readmit": 7,
}


@pytest.mark.parametrize("view", ALL_PAGES)
def test_query_count_of_each_page(cast, client, django_assert_num_queries, view):
    client.force_login(cast.users.office)
    target = page_url(view, cast)
    with django_assert_num_queries(QUERIES[view]):
        response = client.get(target)
    assert response.status_code == 200


@pytest.mark.parametrize("view", [p for p in ALL_PAGES if p != "recognition_due"])
def test_each_form_page_says_what_and_whose_and_can_be_left(cast, client, view):
    client.force_login(cast.users.board)
    response = client.get(page_url(view, cast))
    html = response.content.decode()
    assert 'method="post"' in html
    assert "csrfmiddlewaretoken" in html
    assert "Hủy" in html  # the way back
    if view in MEMBER_PAGES:
        title = html.split("<title>")[1].split("</title>")[0]
        assert title.split(":")[0].strip()  # what is done…
        assert cast.members.a.full_name in title  # …and to whom
        assert reverse("members:member_detail", args=[cast.members.a.pk]) in html
    # Every date field says how to type it.
    for field in response.context["form"]:
        if field.widget_type == "date":
            assert "dd/mm/yyyy" in str(field.label)
            assert 'placeholder="dd/mm/yyyy"' in str(field)


def test_no_directive_is_preselected_and_deaths_offer_none(cast, client):
    client.force_login(cast.users.board)
    html = client.get(url("member_remove", cast.members.b)).content.decode()
    assert f'<option value="{cast.directive.pk}">' in html
    assert f'<option value="{cast.directive.pk}" selected>' not in html
    html = client.get(url("member_death", cast.members.b)).content.decode()
    assert 'name="directive"' not in html


# --- bad input: a form error, never a 500 ---------------------------------------------------------


@pytest.mark.parametrize("view", [p for p in ALL_PAGES if p != "recognition_due"])
@pytest.mark.parametrize(
    "garbage",
    [
        {},
        {"decision_date": "31/02/2023", "effective_date": "abc", "ceremony_date": "  "},
        {"unit": "999999999999999999999", "to_unit": "-5", "directive": "x", "kind": "?"},
        {"decision_no": "  ", "date_of_birth": "00/00/0000", "version": "abc", "mode": "up"},
        {"effective_date": "01/01/1800", "decision_date": "1/1/1", "admitted_on": "\x00"},
    ],
)
def test_garbage_gives_form_errors_and_writes_nothing(cast, client, view, garbage):
    client.force_login(cast.users.board)
    with nothing_written():
        response = client.post(page_url(view, cast), garbage)
    assert response.status_code == 200
    assert form_errors(response)
    assert "errorlist" in response.content.decode()


def test_a_cell_outside_the_users_scope_is_a_form_error(cast, client):
    client.force_login(cast.users.office)
    with nothing_written():
        response = client.post(url("member_admit"), admission(cast, unit=str(cast.cell_o.pk)))
    assert response.status_code == 200
    assert "unit" in form_errors(response)


# --- each refusal of a service, next to its field, with the input kept ----------------------------


def test_too_young_is_refused_next_to_the_date_of_birth(cast, client):
    client.force_login(cast.users.board)
    data = admission(cast, date_of_birth="06/06/2005")  # 17 on 05/06/2023
    with nothing_written():
        response = client.post(url("member_admit"), data)
    assert response.status_code == 200
    assert "18" in str(form_errors(response)["date_of_birth"])
    html = response.content.decode()
    assert 'value="06/06/2005"' in html
    assert 'value="Đặng Thị Hồng Nhung"' in html
    assert 'value="Lê Văn Bình, Trần Thị Ánh"' in html


def test_bad_citizen_id_is_refused_next_to_the_field(cast, client):
    client.force_login(cast.users.board)
    with nothing_written():
        response = client.post(url("member_admit"), admission(cast, citizen_id="12345"))
    assert response.status_code == 200
    assert "12 chữ số" in str(form_errors(response)["citizen_id"])
    assert 'value="12345"' in response.content.decode()


def test_duplicate_citizen_id_is_refused_next_to_the_field(cast, client):
    Member.objects.filter(pk=cast.members.b.pk).update(citizen_id="092085001234")
    client.force_login(cast.users.board)
    with nothing_written():
        response = client.post(url("member_admit"), admission(cast, citizen_id="0920 8500 1234"))
    assert response.status_code == 200
    assert "đã có" in str(form_errors(response)["citizen_id"])
    assert 'value="Đặng Thị Hồng Nhung"' in response.content.decode()


def test_a_citizen_id_taken_in_a_race_is_a_form_error_not_a_500(cast, client, monkeypatch):
    """Another clerk saves the same citizen ID between the form's check and the insert."""
    from django.db import IntegrityError

    from members import services

    def racing_admit(**kwargs):
        Member.objects.filter(pk=cast.members.b.pk).update(citizen_id="092085001234")
        raise IntegrityError("UNIQUE constraint failed: members_member.citizen_id")

    monkeypatch.setattr(services, "member_admit", racing_admit)
    client.force_login(cast.users.board)
    response = client.post(url("member_admit"), admission(cast, citizen_id="092085001234"))
    assert response.status_code == 200
    assert "đã có" in str(form_errors(response)["citizen_id"])


# SQLite's own message when another writer holds the lock past the wait (tests/test_sqlite_file.py
# raises the real one): a roster's commit holds it for its whole run.
BUSY = "database is locked"
BUSY_TEXT = "hệ thống đang bận"


def refuse_as_busy(*args, **kwargs):
    from django.db import OperationalError

    raise OperationalError(BUSY)


def test_a_new_record_refused_by_a_busy_database_says_so_and_keeps_the_input(
    cast, client, monkeypatch
):
    from members import services

    monkeypatch.setattr(services, "member_admit", refuse_as_busy)
    client.force_login(cast.users.board)
    with nothing_written():
        response = client.post(url("member_admit"), admission(cast))
    assert response.status_code == 200
    assert BUSY_TEXT in str(form_errors(response)["__all__"])
    page = response.content.decode()
    assert 'value="Đặng Thị Hồng Nhung"' in page
    assert "sửa lại rồi bấm lưu" not in page  # nothing to correct in what was typed


def test_an_event_refused_by_a_busy_database_says_so_and_keeps_the_input(cast, client, monkeypatch):
    from members import services

    monkeypatch.setattr(services, "member_remove", refuse_as_busy)
    member = cast.members.b
    client.force_login(cast.users.office)
    data = {**decision(decision_no="77-QĐ/ĐU"), "kind": K.STRUCK_OFF, "reason": R.UNPAID_DUES}
    with nothing_written():
        response = client.post(
            url("member_remove", member),
            {**data, "effective_date": "05/06/2023", "confirmed": "1"},
        )
    assert response.status_code == 200
    assert BUSY_TEXT in str(form_errors(response)["__all__"])
    assert 'value="77-QĐ/ĐU"' in response.content.decode()


def test_an_edit_refused_by_a_busy_database_says_so_and_keeps_the_input(cast, client, monkeypatch):
    from members.views import entry

    monkeypatch.setattr(entry, "_update_record", refuse_as_busy)
    member = cast.members.b
    client.force_login(cast.users.office)
    response = client.post(url("member_edit", member), edit_data(member, occupation="Thợ mộc"))
    assert response.status_code == 200
    assert BUSY_TEXT in str(form_errors(response)["__all__"])
    assert 'value="Thợ mộc"' in response.content.decode()


def test_any_other_database_failure_is_not_passed_off_as_busy(cast, client, monkeypatch):
    from django.db import OperationalError

    from members import services

    def fail(**kwargs):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(services, "member_admit", fail)
    client.force_login(cast.users.board)
    with pytest.raises(OperationalError, match="disk I/O error"):
        client.post(url("member_admit"), admission(cast))


def test_recognition_too_early_is_refused_next_to_the_date(cast, client):
    client.force_login(cast.users.board)
    data = {**decision(decision_date="01/02/2023"), "effective_date": "01/02/2023"}
    with nothing_written():
        response = client.post(url("member_recognize", cast.members.a), data)
    assert response.status_code == 200
    assert "01/03/2023" in str(form_errors(response)["effective_date"])
    assert 'value="01/02/2023"' in response.content.decode()


def test_expelling_a_probationer_is_refused_next_to_the_kind(cast, client):
    client.force_login(cast.users.board)
    data = {
        **decision(),
        "kind": K.EXPELLED,
        "reason": R.DISCIPLINE,
        "effective_date": "05/06/2023",
    }
    with nothing_written():
        response = client.post(url("member_remove", cast.members.a), {**data, "confirmed": "1"})
    assert response.status_code == 200
    assert "dự bị" in str(form_errors(response)["kind"])
    html = response.content.decode()
    assert re.search(r'<input type="radio" name="kind" value="expelled"[^>]* checked>', html)
    assert f'<option value="{R.DISCIPLINE}" selected>' in html


def test_an_event_on_a_removed_member_is_refused_at_the_top_of_the_form(cast, client):
    strike_off(cast.members.b, d("2023-01-10"))
    client.force_login(cast.users.board)
    data = {**decision(), "effective_date": "05/06/2023", "notes": "ốm nặng"}
    with nothing_written():
        response = client.post(url("member_exempt", cast.members.b), data)
    assert response.status_code == 200
    assert "Đã ra khỏi Đảng" in str(form_errors(response)["__all__"])
    html = response.content.decode()
    assert "ốm nặng" in html
    assert 'value="15-QĐ/ĐU"' in html


def test_readmission_too_early_is_refused_next_to_the_decision_date(cast, client):
    strike_off(cast.members.b, d("2021-01-10"))
    client.force_login(cast.users.board)
    data = {**decision(), "unit": str(cast.tree.cell_b.pk), "ceremony_date": "05/06/2023"}
    with nothing_written():
        response = client.post(url("member_readmit", cast.members.b), {**data, "confirmed": "1"})
    assert response.status_code == 200
    assert "36" in str(form_errors(response)["decision_date"])
    assert 'value="05/06/2023"' in response.content.decode()


def test_transfer_to_a_cell_not_existing_on_that_day_is_refused_next_to_the_cell(cast, client):
    new_cell = unit_create(
        code="long-thanh-3",
        name="Chi bộ khu vực Long Thạnh 3",
        kind="cell",
        founded_on=d("2023-03-01"),
        parent=cast.tree.gc,
    )
    client.force_login(cast.users.office)
    data = {
        **decision(decision_date="01/02/2023"),
        "mode": "within",
        "to_unit": str(new_cell.pk),
        "effective_date": "01/02/2023",
    }
    with nothing_written():
        response = client.post(url("member_transfer", cast.members.b), {**data, "confirmed": "1"})
    assert response.status_code == 200
    assert "không tồn tại" in str(form_errors(response)["to_unit"])
    assert f'<option value="{new_cell.pk}" selected>' in response.content.decode()


def test_decision_after_the_effective_date_is_refused_next_to_the_decision_date(cast, client):
    client.force_login(cast.users.board)
    data = {**decision(decision_date="06/06/2023"), "effective_date": "05/06/2023"}
    with nothing_written():
        response = client.post(url("member_exempt", cast.members.b), data)
    assert "decision_date" in form_errors(response)


# --- the record: editing, and two clerks at once --------------------------------------------------


def test_edit_saves_the_record_only_and_counts_the_version(cast, client):
    member = cast.members.b
    client.force_login(cast.users.office)
    response = client.post(
        url("member_edit", member),
        edit_data(member, full_name="  Lê   Văn  Bình ", citizen_id="0920 8500 1234"),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("members:member_detail", args=[member.pk])
    member.refresh_from_db()
    assert member.full_name == "Lê Văn Bình"
    assert member.citizen_id == "092085001234"
    assert member.version == 2
    assert (member.status, member.unit) == (Status.OFFICIAL, cast.tree.cell_b)
    assert member.history.first().history_user == cast.users.office


def test_two_clerks_editing_at_once_the_second_is_told_and_keeps_their_input(cast, client):
    member = cast.members.b
    first, second = client, type(client)()
    first.force_login(cast.users.board)
    second.force_login(cast.users.office)
    # Both open the form: the same version.
    for c in (first, second):
        assert c.get(url("member_edit", member)).context["form"]["version"].value() == 1

    saved = first.post(url("member_edit", member), edit_data(member, occupation="Nông dân"))
    assert saved.status_code == 302

    refused = second.post(url("member_edit", member), edit_data(member, occupation="Thợ may"))
    assert refused.status_code == 200
    errors = str(form_errors(refused)["__all__"])
    assert "đã được" in errors and "board" in errors and "lưu lại" in errors
    html = refused.content.decode()
    assert 'value="Thợ may"' in html  # their input is kept
    assert "Nông dân" in html  # and the stored value shown for review
    member.refresh_from_db()
    assert (member.occupation, member.version) == ("Nông dân", 2)

    # Having looked, they save again: the form now carries the version they reviewed.
    again = second.post(url("member_edit", member), refused.context["form"].data)
    assert again.status_code == 302
    member.refresh_from_db()
    assert (member.occupation, member.version) == ("Thợ may", 3)


def test_a_citizen_id_taken_in_a_race_on_edit_is_a_form_error(cast, client, monkeypatch):
    from django.db import IntegrityError

    from members.views import entry

    def racing_update(form):
        Member.objects.filter(pk=cast.members.a.pk).update(citizen_id="092085001234")
        raise IntegrityError("UNIQUE constraint failed: members_member.citizen_id")

    monkeypatch.setattr(entry, "_update_record", racing_update)
    member = cast.members.b
    client.force_login(cast.users.office)
    response = client.post(url("member_edit", member), edit_data(member, citizen_id="092085001234"))
    assert response.status_code == 200
    assert "đã có" in str(form_errors(response)["citizen_id"])


def test_an_event_between_loading_and_saving_the_record_is_not_undone(cast, client):
    """The edit writes only the record's fields: a removal recorded meanwhile stays."""
    member = cast.members.b
    client.force_login(cast.users.office)
    data = edit_data(member, occupation="Nông dân")
    strike_off(member, d("2023-06-01"))
    assert client.post(url("member_edit", member), data).status_code == 302
    member.refresh_from_db()
    assert (member.status, member.occupation) == (Status.REMOVED, "Nông dân")
    assert member.derived_state() == member.state


# --- success paths --------------------------------------------------------------------------------


def assert_done(response, member: Member) -> None:
    assert response.status_code == 302, getattr(response, "context", None) and form_errors(response)
    assert response["Location"] == reverse("members:member_detail", args=[member.pk])
    member.refresh_from_db()
    assert member.derived_state() == member.state


def test_admission(cast, client):
    client.force_login(cast.users.office)
    response = client.post(
        url("member_admit"),
        admission(cast, directive=str(cast.directive.pk), citizen_id="0920 9500 0001"),
    )
    member = Member.objects.get(full_name="Đặng Thị Hồng Nhung")
    assert_done(response, member)
    assert (member.status, member.unit, member.admitted_on) == (
        Status.PROBATIONARY,
        cast.tree.cell_a,
        d("2023-06-05"),
    )
    assert member.citizen_id == "092095000001"
    assert member.youth_union_member
    event = member.events.get()
    assert (event.kind, event.ceremony_date, event.directive) == (
        K.ADMISSION,
        d("2023-06-05"),
        cast.directive,
    )
    assert (event.decision_no, event.sponsors, event.created_by) == (
        "15-QĐ/ĐU",
        "Lê Văn Bình, Trần Thị Ánh",
        cast.users.office,
    )
    followed = client.get(response["Location"], follow=False)
    assert followed.status_code in (200, 302)


def test_admission_message_is_shown(cast, client):
    client.force_login(cast.users.board)
    response = client.post(url("member_admit"), admission(cast), follow=True)
    assert "Đã ghi kết nạp Đặng Thị Hồng Nhung" in response.content.decode()


def test_transfer_in(cast, client):
    client.force_login(cast.users.office)
    data = {
        **record(full_name="Huỳnh Văn Đến"),
        **decision(),
        "admitted_on": "03/02/2010",
        "recognized_on": "03/02/2011",
        "origin": "Đảng bộ phường An Hòa, TP Huế",
        "unit": str(cast.tree.cell_b.pk),
        "effective_date": "05/06/2023",
    }
    response = client.post(url("member_transfer_in"), data)
    member = Member.objects.get(full_name="Huỳnh Văn Đến")
    assert_done(response, member)
    assert (member.status, member.unit) == (Status.OFFICIAL, cast.tree.cell_b)
    event = member.events.get()
    assert (event.kind, event.other_unit_name) == (K.TRANSFER_IN, "Đảng bộ phường An Hòa, TP Huế")


def test_transfer_in_probationer_with_a_recognition_date_is_refused(cast, client):
    client.force_login(cast.users.office)
    data = {
        **record(full_name="Huỳnh Văn Đến"),
        **decision(),
        "admitted_on": "03/02/2023",
        "recognized_on": "03/03/2023",
        "probationary": "on",
        "origin": "Đảng bộ phường An Hòa",
        "unit": str(cast.tree.cell_b.pk),
        "effective_date": "05/06/2023",
    }
    with nothing_written():
        response = client.post(url("member_transfer_in"), data)
    assert "recognized_on" in form_errors(response)


def test_recognition(cast, client):
    member = cast.members.a
    client.force_login(cast.users.office)
    data = {**decision(decision_date="01/03/2023"), "effective_date": "01/03/2023"}
    assert_done(client.post(url("member_recognize", member), data), member)
    assert (member.status, member.recognized_on) == (Status.OFFICIAL, d("2023-03-01"))
    assert member.events.filter(kind=K.RECOGNITION).count() == 1


def test_transfer_within_the_system(cast, client):
    member = cast.members.b
    client.force_login(cast.users.office)
    data = {
        **decision(),
        "mode": "within",
        "to_unit": str(cast.tree.cell_a.pk),
        "effective_date": "05/06/2023",
    }
    assert_done(client.post(url("member_transfer", member), {**data, "confirmed": "1"}), member)
    assert member.unit == cast.tree.cell_a
    assert [e.kind for e in member.events.filter(effective_date=d("2023-06-05"))] == [
        K.TRANSFER_OUT,
        K.TRANSFER_IN,
    ]


def test_transfer_out_of_the_system(cast, client):
    member = cast.members.b
    client.force_login(cast.users.office)
    data = {
        **decision(),
        "mode": "out",
        "destination": "Đảng ủy xã Tân Lộc",
        "effective_date": "05/06/2023",
    }
    assert_done(client.post(url("member_transfer", member), {**data, "confirmed": "1"}), member)
    assert member.status == Status.TRANSFERRED_OUT
    assert member.events.last().other_unit_name == "Đảng ủy xã Tân Lộc"


def test_temporary_transfer(cast, client):
    member = cast.members.b
    client.force_login(cast.users.office)
    data = {
        **decision(),
        "mode": "temporary",
        "to_unit": str(cast.tree.cell_a.pk),
        "effective_date": "05/06/2023",
        "purpose": "work",
        "term_end": "05/12/2023",
    }
    assert_done(client.post(url("member_transfer", member), {**data, "confirmed": "1"}), member)
    assert (member.status, member.unit) == (Status.OFFICIAL, cast.tree.cell_b)
    event = member.events.last()
    assert (event.kind, event.purpose, event.term_end) == (
        K.TEMPORARY_TRANSFER,
        "work",
        d("2023-12-05"),
    )


@pytest.mark.parametrize(
    ("kind", "reason"),
    [(K.STRUCK_OFF, R.UNPAID_DUES), (K.DISCHARGED, R.ON_REQUEST), (K.EXPELLED, R.DISCIPLINE)],
)
def test_removal(cast, client, kind, reason):
    member = cast.members.b
    client.force_login(cast.users.office)
    data = {**decision(), "kind": kind, "reason": reason, "effective_date": "05/06/2023"}
    data["standards_kept"] = "on"  # asked of a discharge only (R13)
    assert_done(client.post(url("member_remove", member), {**data, "confirmed": "1"}), member)
    assert member.status == Status.REMOVED
    event = member.events.last()
    assert (event.kind, event.reason) == (kind, reason)


def test_death_without_a_decision(cast, client):
    member = cast.members.b
    client.force_login(cast.users.office)
    data = {**decision(decision_no="", decision_date=""), "effective_date": "01/06/2023"}
    assert_done(client.post(url("member_death", member), {**data, "confirmed": "1"}), member)
    assert member.status == Status.DEAD
    assert member.events.last().decision_no == ""


def test_exemption(cast, client):
    member = cast.members.b
    Member.objects.filter(pk=member.pk).update(date_of_birth=d("1960-01-01"))  # 63 (R16)
    client.force_login(cast.users.office)
    data = {**decision(), "effective_date": "05/06/2023", "poor_health": "on", "on_request": "on"}
    assert_done(client.post(url("member_exempt", member), data), member)
    assert member.status == Status.OFFICIAL
    assert member.events.last().kind == K.EXEMPTION


def test_restoration(cast, client):
    member = cast.members.b
    strike_off(member, d("2022-01-10"))
    client.force_login(cast.users.office)
    data = {**decision(), "unit": str(cast.tree.cell_a.pk), "effective_date": "05/06/2023"}
    assert_done(client.post(url("member_restore", member), {**data, "confirmed": "1"}), member)
    assert (member.status, member.unit) == (Status.OFFICIAL, cast.tree.cell_a)


def test_readmission(cast, client):
    member = cast.members.b
    strike_off(member, d("2019-01-10"))
    client.force_login(cast.users.office)
    data = {
        **decision(),
        "unit": str(cast.tree.cell_b.pk),
        "ceremony_date": "05/06/2023",
        "consent_no": "1250-CV/TU",
        "consent_date": "20/05/2023",
    }
    first = member.admitted_on
    assert_done(client.post(url("member_readmit", member), {**data, "confirmed": "1"}), member)
    # The first admission stays the record's (R15).
    assert (member.status, member.admitted_on) == (Status.PROBATIONARY, first)
    assert member.events.last().kind == K.READMISSION


def test_restore_and_readmit_offer_the_members_last_cell_first(cast, client):
    strike_off(cast.members.b, d("2019-01-10"))
    client.force_login(cast.users.office)
    for view in ("member_restore", "member_readmit"):
        html = client.get(url(view, cast.members.b)).content.decode()
        assert f'<option value="{cast.tree.cell_b.pk}" selected>' in html


# --- the probationers due for recognition ---------------------------------------------------------


def test_recognition_list_overdue_first_with_links(cast, client):
    from tests.conftest import admit

    waiting = admit(cast.tree.cell_b, d("2023-01-15"), full_name="Ngô Văn Chờ")
    due = admit(cast.tree.cell_b, d("2022-05-20"), full_name="Ngô Văn Đến")
    client.force_login(cast.users.office)
    response = client.get(url("recognition_due"))
    rows = response.context["members"]
    assert [m.full_name for m in rows] == ["Trần Thị Ánh", "Ngô Văn Đến", "Ngô Văn Chờ"]
    assert [m.recognition for m in rows] == ["overdue", "due", "waiting"]
    # The dates are those the recognition service goes by.
    assert rows[0].probation_ends == d("2023-03-01")
    assert rows[2].probation_ends == d("2024-01-15")
    html = response.content.decode()
    for member in (cast.members.a, waiting, due):
        assert url("member_recognize", member) in html
    assert "Quá hạn" in html


def test_recognition_list_is_the_users_editable_scope(cast, client):
    from tests.conftest import admit

    admit(cast.cell_o, d("2023-01-15"), full_name="Người Phường Khác")
    client.force_login(cast.users.office)
    names = [m.full_name for m in client.get(url("recognition_due")).context["members"]]
    assert names == ["Trần Thị Ánh"]


def test_recognition_list_costs_the_same_queries_for_more_members(
    cast, client, django_assert_num_queries
):
    from tests.conftest import admit

    client.force_login(cast.users.board)
    with django_assert_num_queries(QUERIES["recognition_due"]):
        client.get(url("recognition_due"))
    for n in range(6):
        admit(cast.tree.cell_b, d("2022-07-01"), full_name=f"Ngô Văn Thêm {n}")
    with django_assert_num_queries(QUERIES["recognition_due"]):
        response = client.get(url("recognition_due"))
    assert len(response.context["members"]) == 7


# --- random input to the admission form -----------------------------------------------------------

ADMISSION_FIELDS = sorted(
    [*record(), *decision(), "unit", "ceremony_date", "sponsors", "private_business_owner"]
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    junk=st.dictionaries(
        st.sampled_from(ADMISSION_FIELDS),
        st.text(max_size=40) | st.sampled_from(["", " ", "31/02/2023", "0", "-1", "1e9", "on"]),
        max_size=8,
    )
)
def test_random_input_to_the_admission_form_never_fails_nor_writes_half(cast, client, junk):
    client.force_login(cast.users.office)
    before = (Member.objects.count(), Event.objects.count(), Membership.objects.count())
    response = client.post(url("member_admit"), admission(cast, **junk))
    after = (Member.objects.count(), Event.objects.count(), Membership.objects.count())
    assert response.status_code in (200, 302)
    event(f"status {response.status_code}")
    if response.status_code == 200:
        assert form_errors(response)
        assert after == before
    else:
        assert after == (before[0] + 1, before[1] + 1, before[2] + 1)
        member = Member.objects.latest("pk")
        assert member.derived_state() == member.state
        assert member.events.get().kind == K.ADMISSION


# --- issue 24: recognition from the end of probation (R8) ----------------------------------------


def test_recognition_form_prefills_the_end_of_probation_and_today(cast, client):
    client.force_login(cast.users.office)
    html = client.get(url("member_recognize", cast.members.a)).content.decode()
    assert 'name="effective_date" value="01/03/2023"' in html
    assert 'name="decision_date" value="05/06/2023"' in html
    # The cell's deadline (30 working days after 01/03/2023) is past on the page's day.
    assert "12/04/2023" in html and "Đã quá hạn" in html


def test_recognition_decided_later_is_accepted_from_the_end_of_probation(cast, client):
    client.force_login(cast.users.office)
    data = {
        **decision(decision_date="10/04/2023"),
        "effective_date": "01/03/2023",
        "resolution_date": "20/03/2023",
    }
    response = client.post(url("member_recognize", cast.members.a), data)
    assert response.status_code == 302
    member = Member.objects.get(pk=cast.members.a.pk)
    assert (member.status, member.recognized_on) == (Status.OFFICIAL, d("2023-03-01"))


def test_recognition_dated_on_the_decision_is_refused_next_to_the_date(cast, client):
    client.force_login(cast.users.office)
    data = {**decision(decision_date="10/04/2023"), "effective_date": "10/04/2023"}
    with nothing_written():
        response = client.post(url("member_recognize", cast.members.a), data)
    assert "01/03/2023" in str(form_errors(response)["effective_date"])


# --- issue 24: removal kinds and reasons (R10-R13), re-admission (R14) ----------------------------


def test_a_reason_of_another_kind_is_refused_next_to_the_reason(cast, client):
    client.force_login(cast.users.office)
    data = {
        **decision(),
        "kind": K.DISCHARGED,
        "reason": R.UNPAID_DUES,
        "effective_date": "05/06/2023",
    }
    data["standards_kept"] = "on"
    with nothing_written():
        response = client.post(url("member_remove", cast.members.b), data)
    assert "xin ra khỏi Đảng" in str(form_errors(response)["reason"])


def test_a_discharge_unconfirmed_is_refused_next_to_the_checkbox(cast, client):
    client.force_login(cast.users.office)
    data = {
        **decision(),
        "kind": K.DISCHARGED,
        "reason": R.ON_REQUEST,
        "effective_date": "05/06/2023",
    }
    with nothing_written():
        response = client.post(url("member_remove", cast.members.b), data)
    assert "kỷ luật trước" in str(form_errors(response)["standards_kept"])
    data.update(standards_kept="on", confirmed="1")
    assert client.post(url("member_remove", cast.members.b), data).status_code == 302
    assert Member.objects.get(pk=cast.members.b.pk).status == Status.REMOVED


def test_readmission_without_the_provinces_consent_is_refused_next_to_the_field(cast, client):
    strike_off(cast.members.b, d("2019-01-10"))
    client.force_login(cast.users.board)
    data = {**decision(), "unit": str(cast.tree.cell_b.pk), "ceremony_date": "05/06/2023"}
    with nothing_written():
        response = client.post(url("member_readmit", cast.members.b), data)
    assert "tỉnh ủy" in str(form_errors(response)["consent_no"])
    data.update(consent_no="1250-CV/TU", consent_date="01/05/2023", confirmed="1")
    assert client.post(url("member_readmit", cast.members.b), data).status_code == 302
    member = Member.objects.get(pk=cast.members.b.pk)
    assert (member.status, member.admitted_on) == (Status.PROBATIONARY, cast.members.b.admitted_on)


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        (R.UNPAID_DUES, "Có thể xét kết nạp lại từ ngày 10/01/2026"),
        (R.QUIT_ACTIVITIES, "Không bao giờ"),
    ],
)
def test_a_removed_members_page_says_when_readmission_is_possible(cast, client, reason, shown):
    strike_off(cast.members.b, d("2023-01-10"), reason=reason)
    client.force_login(cast.users.office)
    html = client.get(url("member_detail", cast.members.b)).content.decode()
    assert shown in html


# --- the check-and-confirm step (issue 25) ---------------------------------------------


def test_a_removal_shows_what_it_will_record_and_saves_only_once_confirmed(cast, client):
    member = cast.members.b
    client.force_login(cast.users.office)
    data = {
        **decision(),
        "kind": K.STRUCK_OFF,
        "reason": R.UNPAID_DUES,
        "effective_date": "05/06/2023",
    }
    with nothing_written():
        response = client.post(url("member_remove", member), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Kiểm tra trước khi lưu" in html
    assert f"{member.full_name} sẽ không còn trong danh sách của {cast.tree.cell_b.name}" in html
    assert "05/06/2023" in html
    assert 'name="confirmed" value="1"' in html
    # Back to the form: nothing saved, everything typed kept.
    with nothing_written():
        back = client.post(url("member_remove", member), {**data, "back": "1"})
    assert 'value="15-QĐ/ĐU"' in back.content.decode()
    assert_done(client.post(url("member_remove", member), {**data, "confirmed": "1"}), member)
    member.refresh_from_db()
    assert member.status == Status.REMOVED


@pytest.mark.parametrize(
    "view, data",
    [
        ("member_death", {"effective_date": "01/06/2023", "decision_no": "", "decision_date": ""}),
        (
            "member_transfer",
            {"mode": "out", "destination": "Tỉnh ủy Hậu Giang", "effective_date": "05/06/2023"},
        ),
    ],
)
def test_death_and_transfer_ask_to_confirm_first(cast, client, view, data):
    member = cast.members.b
    client.force_login(cast.users.office)
    with nothing_written():
        response = client.post(url(view, member), {**decision(), **data})
    assert "Kiểm tra trước khi lưu" in response.content.decode()
    assert member.full_name in response.content.decode()


# --- a form posted twice records once (issue 30, item 3) --------------------------------


@pytest.mark.parametrize(
    "view, data",
    [
        (
            "member_exempt",
            {"effective_date": "05/06/2023", "poor_health": "on", "on_request": "on"},
        ),
        (
            "member_transfer",
            {
                "mode": "temporary",
                "destination": "Đảng bộ xã Tân Lộc",
                "effective_date": "05/06/2023",
                "purpose": "work",
                "term_end": "05/12/2023",
                "confirmed": "1",
            },
        ),
        (
            "member_death",
            {
                "effective_date": "01/06/2023",
                "decision_no": "",
                "decision_date": "",
                "confirmed": "1",
            },
        ),
    ],
)
def test_the_same_form_posted_twice_records_once(cast, client, view, data):
    member = cast.members.b
    old_enough(member)  # an exemption is for the old (R16)
    client.force_login(cast.users.office)
    page = client.get(url(view, member))
    token = page.context["form"]["form_token"].value()
    assert f'name="form_token" value="{token}"' in page.content.decode()
    posted = {**decision(), **data, "form_token": str(token)}
    assert_done(client.post(url(view, member), posted), member)
    before = member.events.count()
    with nothing_written():
        again = client.post(url(view, member), posted, follow=True)
    assert member.events.count() == before
    assert "đã được lưu trước đó" in again.content.decode()


def test_a_new_record_posted_twice_is_created_once(cast, client):
    client.force_login(cast.users.office)
    token = client.get(url("member_admit")).context["form"]["form_token"].value()
    posted = {**admission(cast), "form_token": str(token)}
    first = client.post(url("member_admit"), posted)
    assert first.status_code == 302
    with nothing_written():
        again = client.post(url("member_admit"), posted)
    assert again.status_code == 302
    assert again["Location"] == first["Location"]  # the record the first post made


def test_a_refused_post_leaves_its_token_for_the_corrected_one(cast, client):
    member = cast.members.b
    old_enough(member)
    client.force_login(cast.users.office)
    token = client.get(url("member_exempt", member)).context["form"]["form_token"].value()
    refused = client.post(
        url("member_exempt", member),
        {**decision(), "effective_date": "01/01/2010", "form_token": str(token)},
    )
    assert refused.status_code == 200  # before the member's last event: refused
    posted = {
        **decision(),
        "effective_date": "05/06/2023",
        "poor_health": "on",
        "on_request": "on",
        "form_token": str(token),
    }
    assert_done(client.post(url("member_exempt", member), posted), member)


def old_enough(member) -> None:
    """Make ``member`` (a man) 65 on the tests' day, old enough to be exempted (R16)."""
    Member.objects.filter(pk=member.pk).update(date_of_birth=d("1958-01-01"))
    member.refresh_from_db()
