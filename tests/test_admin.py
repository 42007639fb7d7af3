"""The admin: every page answers, and history is written only through the services."""

import datetime
import re

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.models import Role, Unit, UnitAncestry, UnitParent
from branches.services import unit_create, unit_move
from members.choices import Gender
from members.models import (
    Directive,
    Event,
    Member,
    MemberName,
    Membership,
    RosterImport,
    RosterImportRow,
    Status,
)
from members.services import Decision, member_admit

D = datetime.date
K = Unit.Kind

IMPORT_MODELS = [RosterImport, RosterImportRow]
ALL_MODELS = [
    Unit,
    UnitParent,
    UnitAncestry,
    Role,
    Directive,
    Member,
    Event,
    Membership,
    MemberName,
    *IMPORT_MODELS,
]
# Rows written only by the services, or derived, or by the import pages: no add page.
DERIVED = [UnitParent, UnitAncestry, Member, Event, Membership, MemberName]
NO_ADD_MODELS = [*DERIVED, *IMPORT_MODELS]
NO_DELETE_MODELS = [Unit, *DERIVED, *IMPORT_MODELS]

# Queries of the Member changelist, whatever the number of members (session, user, counts,
# one page of members joined to their cells, the bulk read logged).
MEMBER_CHANGELIST_QUERIES = 6


def url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


@pytest.fixture
def units(db):
    district = unit_create(
        code="thot-not",
        name="Đảng bộ quận Thốt Nốt",
        kind=K.ABOVE_GRASSROOTS,
        founded_on=D(2004, 1, 1),
    )
    ward = unit_create(
        code="phuong-thot-not",
        name="Đảng bộ phường Thốt Nốt",
        kind=K.GRASSROOTS_COMMITTEE,
        founded_on=D(2004, 1, 1),
        parent=district,
    )
    cell = unit_create(
        code="long-thanh-2",
        name="Chi bộ khu vực Long Thạnh 2",
        kind=K.CELL,
        founded_on=D(2004, 1, 1),
        parent=ward,
    )
    return {"district": district, "ward": ward, "cell": cell}


@pytest.fixture
def directive(db):
    return Directive.objects.create(
        code="28-CT/TW",
        title="Về nâng cao chất lượng kết nạp đảng viên và rà soát, sàng lọc đảng viên",
        issued_on=D(2019, 1, 21),
        issuer="Ban Bí thư",
    )


def admit(cell: Unit, directive: Directive, n: int, full_name: str = "") -> Member:
    member = Member(
        full_name=full_name or f"Nguyễn Văn Lý {n}",
        gender=Gender.MALE,
        date_of_birth=D(1990, 1, 1),
        citizen_id=f"{n:012d}",
        party_card_no=f"TĐ{n:06d}",
    )
    member_admit(
        member=member,
        unit=cell,
        decision=Decision(
            number=f"{n}-QĐ/ĐU",
            date=D(2021, 3, 1),
            issuing_body="Đảng ủy phường Thốt Nốt",
            directive=directive,
        ),
        ceremony_date=D(2021, 3, 15),
        sponsors="Trần Văn An, Lê Thị Bình",
    )
    return member


@pytest.fixture
def data(units, directive, admin_user):
    Role.objects.create(user=admin_user, unit=units["ward"], kind=Role.Kind.BOARD)
    member = admit(units["cell"], directive, 1, "Trần Thị Bé Ba")
    upload = RosterImport.objects.create(file_name="ds.xlsx", size=4, content=b"PK..")
    upload.rows.create(
        sheet="members", number=2, key="r:2", errors=[["Số CCCD", "Sai"]], error_count=1
    )
    return {**units, "directive": directive, "member": member}


def post_data(response) -> dict:
    """What the browser would post back from a change page, unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            if value is True:
                value = "on"
            elif isinstance(value, datetime.date):
                value = value.isoformat()
            data[form.add_prefix(name)] = value
    return data


def test_every_model_of_the_apps_is_registered():
    for label in ("branches", "members", "reports"):
        for model in apps.get_app_config(label).get_models():
            if model.__name__.startswith("Historical"):
                continue  # shown on each object's history page (SimpleHistoryAdmin)
            assert admin.site.is_registered(model), model


def test_site_header_is_the_systems_name(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    # the office's name is a setting (OFFICE_NAME), read when the admin is loaded
    assert f"Quản lý đảng viên · {settings.OFFICE_NAME}" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_changelist_answers(admin_client, data, model):
    response = admin_client.get(url(model, "changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count > 0


@pytest.mark.django_db
@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_change_page_answers(admin_client, data, model):
    obj = model.objects.first()

    response = admin_client.get(url(model, "change", obj.pk))

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("model", NO_ADD_MODELS, ids=lambda m: m.__name__)
def test_add_page_is_refused_for_history_and_derived_rows(admin_client, model):
    assert admin_client.get(url(model, "add")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("model", NO_DELETE_MODELS, ids=lambda m: m.__name__)
def test_delete_page_is_refused_for_history_and_derived_rows(admin_client, data, model):
    obj = model.objects.first()

    assert admin_client.get(url(model, "delete", obj.pk)).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Role, Directive], ids=lambda m: m.__name__)
def test_add_page_answers_for_plain_records(admin_client, model):
    assert admin_client.get(url(model, "add")).status_code == 200


# --- units ------------------------------------------------------------------------------------


def test_adding_a_unit_goes_through_the_service(admin_client, units):
    response = admin_client.post(
        url(Unit, "add"),
        {
            "code": "long-thanh-3",
            "name": "Chi bộ khu vực Long Thạnh 3",
            "kind": K.CELL,
            "founded_on": "01/07/2025",
            "parent": units["ward"].pk,
        },
    )

    assert response.status_code == 302
    unit = Unit.objects.get(code="long-thanh-3")
    ancestors = UnitAncestry.objects.filter(unit=unit).values_list("ancestor_id", flat=True)
    assert set(ancestors) == {unit.pk, units["ward"].pk, units["district"].pk}
    link = UnitParent.objects.get(unit=unit)
    assert (link.parent, link.valid_from, link.valid_to) == (units["ward"], D(2025, 7, 1), None)
    assert response.url == url(Unit, "changelist")


def test_adding_a_root_unit_writes_its_own_closure_row(admin_client, db):
    response = admin_client.post(
        url(Unit, "add"),
        {
            "code": "can-tho",
            "name": "Đảng bộ thành phố Cần Thơ",
            "kind": K.ABOVE_GRASSROOTS,
            "founded_on": "01/07/2025",
        },
    )

    assert response.status_code == 302
    unit = Unit.objects.get(code="can-tho")
    assert list(UnitAncestry.objects.filter(unit=unit).values_list("ancestor_id", flat=True)) == [
        unit.pk
    ]
    assert not UnitParent.objects.filter(unit=unit).exists()


def test_adding_a_unit_under_a_cell_is_a_form_error(admin_client, units):
    response = admin_client.post(
        url(Unit, "add"),
        {
            "code": "to-dang",
            "name": "Tổ đảng",
            "kind": K.CELL,
            "founded_on": "01/07/2025",
            "parent": units["cell"].pk,
        },
    )

    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert not Unit.objects.filter(code="to-dang").exists()


def test_adding_a_unit_under_a_parent_not_yet_founded_is_a_form_error(admin_client, units):
    response = admin_client.post(
        url(Unit, "add"),
        {
            "code": "chi-bo-cu",
            "name": "Chi bộ cũ",
            "kind": K.CELL,
            "founded_on": "01/01/2000",
            "parent": units["ward"].pk,
        },
    )

    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert not Unit.objects.filter(code="chi-bo-cu").exists()


def test_editing_a_unit_changes_only_its_name(admin_client, units):
    cell = units["cell"]
    page = admin_client.get(url(Unit, "change", cell.pk))
    data = post_data(page)
    data.update(name="Chi bộ khu vực Long Thạnh 2 (mới)", code="doi-ma", kind=K.GRASSROOTS_CELL)

    response = admin_client.post(url(Unit, "change", cell.pk), data)

    assert response.status_code == 302
    cell.refresh_from_db()
    assert (cell.name, cell.code, cell.kind) == (
        "Chi bộ khu vực Long Thạnh 2 (mới)",
        "long-thanh-2",
        K.CELL,
    )
    assert UnitParent.objects.filter(unit=cell).count() == 1


def test_unit_change_page_shows_parent_links_read_only(admin_client, units):
    response = admin_client.get(url(Unit, "change", units["cell"].pk))

    (inline,) = response.context["inline_admin_formsets"]
    assert inline.formset.model is UnitParent
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission
    assert units["ward"].name in response.content.decode()


def test_unit_list_shows_the_parent_on_today(admin_client, units):
    ward_2 = unit_create(
        code="phuong-thuan-hung",
        name="Đảng bộ phường Thuận Hưng",
        kind=K.GRASSROOTS_COMMITTEE,
        founded_on=D(2004, 1, 1),
        parent=units["district"],
    )
    unit_move(unit=units["cell"], new_parent=ward_2, on=D(2025, 7, 1))

    def parents():
        response = admin_client.get(url(Unit, "changelist"))
        return {u.code: u.current_parent_name for u in response.context["cl"].result_list}

    with time_machine.travel(D(2025, 6, 30), tick=False):
        before = parents()
    with time_machine.travel(D(2025, 7, 1), tick=False):
        after = parents()

    assert before["long-thanh-2"] == units["ward"].name
    assert after["long-thanh-2"] == ward_2.name
    assert after["thot-not"] is None


# --- members and events -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "term", ["tran thi be ba", "TRẦN THỊ", "be ba", "000000000001", "TĐ000001"]
)
def test_member_search_folds_accents_and_matches_numbers(admin_client, data, term):
    admit(data["cell"], data["directive"], 2, "Đỗ Văn Đức")

    response = admin_client.get(url(Member, "changelist"), {"q": term})

    assert [m.full_name for m in response.context["cl"].result_list] == ["Trần Thị Bé Ba"]


def test_member_search_does_not_match_part_of_a_number(admin_client, data):
    response = admin_client.get(url(Member, "changelist"), {"q": "00000001"})

    assert list(response.context["cl"].result_list) == []


def test_editing_a_member_keeps_the_state_from_the_events(admin_client, data):
    member = data["member"]
    page = admin_client.get(url(Member, "change", member.pk))
    data_ = post_data(page)
    data_.update(full_name="Trần  Thị Bé   Tư", status=Status.OFFICIAL, unit="", admitted_on="")

    response = admin_client.post(url(Member, "change", member.pk), data_)

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.full_name == "Trần Thị Bé Tư"
    assert member.name_folded == "tran thi be tu"
    assert (member.status, member.unit, member.admitted_on) == (
        Status.PROBATIONARY,
        data["cell"],
        D(2021, 3, 1),
    )
    assert member.derived_state() == member.state


def test_member_change_page_shows_events_read_only(admin_client, data):
    response = admin_client.get(url(Member, "change", data["member"].pk))

    (inline,) = response.context["inline_admin_formsets"]
    assert inline.formset.model is Event
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission
    assert "1-QĐ/ĐU" in response.content.decode()


def test_editing_an_event_corrects_only_its_texts(admin_client, data):
    event = data["member"].events.get()
    page = admin_client.get(url(Event, "change", event.pk))
    data_ = post_data(page)
    data_.update(
        decision_no="01-QĐ/ĐU",
        notes="Sửa số quyết định ghi nhầm.",
        kind=Event.Kind.RECOGNITION,
        effective_date="2020-01-01",
    )

    response = admin_client.post(url(Event, "change", event.pk), data_)

    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.decision_no, event.notes) == ("01-QĐ/ĐU", "Sửa số quyết định ghi nhầm.")
    assert (event.kind, event.effective_date) == (Event.Kind.ADMISSION, D(2021, 3, 1))


def test_clearing_an_events_decision_number_is_a_form_error(admin_client, data):
    event = data["member"].events.get()
    page = admin_client.get(url(Event, "change", event.pk))
    data_ = post_data(page)
    data_["decision_no"] = ""

    response = admin_client.post(url(Event, "change", event.pk), data_)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    event.refresh_from_db()
    assert event.decision_no == "1-QĐ/ĐU"


# --- query counts -----------------------------------------------------------------------------


def changelist_queries(client, model) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(model, "changelist"))
    assert response.status_code == 200
    return len(queries)


def test_member_changelist_query_count_does_not_grow(admin_client, units, directive):
    for n in range(3):
        admit(units["cell"], directive, n)
    changelist_queries(admin_client, Member)  # warm up
    with_3 = changelist_queries(admin_client, Member)
    for n in range(3, 30):
        admit(units["cell"], directive, n)

    with_30 = changelist_queries(admin_client, Member)

    assert with_3 == with_30 == MEMBER_CHANGELIST_QUERIES


@pytest.mark.parametrize(
    "model", [Event, Membership, UnitAncestry, UnitParent, Unit], ids=lambda m: m.__name__
)
def test_changelist_query_count_does_not_grow(admin_client, units, directive, model):
    for n in range(3):
        admit(units["cell"], directive, n)
    unit_create(
        code="cell-0", name="Chi bộ 0", kind=K.CELL, founded_on=D(2004, 1, 1), parent=units["ward"]
    )
    changelist_queries(admin_client, model)  # warm up
    few = changelist_queries(admin_client, model)
    for n in range(3, 30):
        admit(units["cell"], directive, n)
        unit_create(
            code=f"cell-{n}",
            name=f"Chi bộ {n}",
            kind=K.CELL,
            founded_on=D(2004, 1, 1),
            parent=units["ward"],
        )

    assert changelist_queries(admin_client, model) == few


@pytest.mark.parametrize("model", [UnitAncestry, Membership], ids=lambda m: m.__name__)
def test_derived_rows_show_dates_as_staff_write_them(admin_client, data, model):
    obj = model.objects.first()

    response = admin_client.get(url(model, "change", obj.pk))

    shown = re.findall(r'<div class="readonly">(.*?)</div>', response.content.decode())
    dates = [value for value in shown if re.fullmatch(r"[\d/-]*\d[\d/-]*", value)]
    assert dates
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", value) for value in dates), dates


def test_the_admin_is_for_superusers_only_even_staff_with_every_permission(client, cast):
    staff = cast.users.board
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(Permission.objects.all())
    client.force_login(staff)
    response = client.get(reverse("admin:members_member_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
