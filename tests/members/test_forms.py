"""members.forms: what typed input the entry forms accept, tidy, and refuse (no service called)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from branches.services import unit_create, unit_dissolve
from members import forms, rules
from members.models import Event, Member
from tests.conftest import FOUNDED, d

pytestmark = pytest.mark.django_db


TODAY = d("2023-06-05")

DECISION = {
    "decision_no": "12-QĐ/ĐU",
    "decision_date": "05/06/2023",
    "issuing_body": "Đảng ủy phường Thốt Nốt",
    "directive": "",
    "notes": "",
}


def record(**overrides) -> dict:
    data = {
        "full_name": "Nguyễn Văn Mới",
        "gender": "male",
        "date_of_birth": "17/05/1990",
        "ethnicity": "01",
        "religion": "none",
        "occupation_group": "other",
        "general_education": "upper_secondary",
        "professional_level": "none",
        "academic_title": "none",
        "political_theory": "none",
        "citizen_id": "",
        "party_card_no": "",
    }
    data.update(overrides)
    return data


def admit_form(user, **overrides) -> forms.MemberAdmitForm:
    data = {
        **record(),
        **DECISION,
        "unit": "",
        "ceremony_date": "05/06/2023",
        "sponsors": "",
        **overrides,
    }
    return forms.MemberAdmitForm(data, user=user, today=TODAY)


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("05/06/2023", d("2023-06-05")),
        ("5/6/2023", d("2023-06-05")),
        ("  05/06/2023 ", d("2023-06-05")),
        ("05-06-2023", d("2023-06-05")),
        ("05.06.2023", d("2023-06-05")),
        ("2023-06-05", d("2023-06-05")),
        ("29/02/2024", d("2024-02-29")),
    ],
)
def test_day_field_reads_day_month_year(typed, expected):
    assert forms.DayField(label="x").clean(typed) == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("31/02/2023", "invalid"),
        ("29/02/2023", "invalid"),
        ("abc", "invalid"),
        ("06/13/2023", "invalid"),  # month first is not read
        ("", "required"),
        ("   ", "required"),
        ("5/6/23", "invalid"),
        ("05/06/0023", "out_of_range"),
        ("01/01/1899", "out_of_range"),
        ("01/01/2100", "out_of_range"),
    ],
)
def test_day_field_refuses_what_is_not_a_plausible_day(typed, code):
    field = forms.DayField(label="x")
    with pytest.raises(ValidationError) as info:
        field.clean(typed)
    assert info.value.code == code


def test_day_field_shows_dates_as_typed():
    html = forms.DayField(label="x").widget.render("day", d("2023-06-05"))
    assert 'value="05/06/2023"' in html
    assert 'placeholder="dd/mm/yyyy"' in html


# --- the record --------------------------------------------------------------------------------


def test_admit_form_valid_and_tidied(cast):
    form = admit_form(
        cast.users.board,
        unit=str(cast.tree.cell_a.pk),
        full_name="  Nguyễn   Văn   Mới ",
        citizen_id=" 0920 8500 1234 ",
        party_card_no=" 92.012345 ",
        decision_no="  12-QĐ/ĐU ",
    )
    assert form.is_valid(), form.errors
    member = form.save(commit=False)
    assert member.pk is None
    assert member.full_name == "Nguyễn Văn Mới"
    assert member.citizen_id == "092085001234"
    assert member.party_card_no == "92.012345"
    assert form.decision().number == "12-QĐ/ĐU"
    assert form.decision().date == d("2023-06-05")


@pytest.mark.parametrize(
    "typed", ["12345", "0920850012345", "09208500123X", "０９２０８５００１２３４"]
)
def test_citizen_id_must_be_twelve_digits(cast, typed):
    form = admit_form(cast.users.board, unit=str(cast.tree.cell_a.pk), citizen_id=typed)
    assert not form.is_valid()
    assert "12" in str(form.errors["citizen_id"])


def test_duplicate_citizen_id_and_party_card_are_errors_next_to_the_fields(cast):
    Member.objects.filter(pk=cast.members.b.pk).update(
        citizen_id="092085001234", party_card_no="92.012345"
    )
    form = admit_form(
        cast.users.board,
        unit=str(cast.tree.cell_a.pk),
        citizen_id="0920 8500 1234",
        party_card_no="92.012345",
    )
    assert not form.is_valid()
    assert "đã có" in str(form.errors["citizen_id"])
    assert "đã có" in str(form.errors["party_card_no"])
    assert "__all__" not in form.errors  # not the constraint's own, nameless message


def test_the_record_keeps_its_own_citizen_id_on_edit(cast):
    member = cast.members.b
    Member.objects.filter(pk=member.pk).update(citizen_id="092085001234")
    member.refresh_from_db()
    data = {**record(full_name=member.full_name, citizen_id="092085001234"), "version": "1"}
    form = forms.MemberEditForm(data, instance=member)
    assert form.is_valid(), form.errors


def test_required_record_fields(cast):
    form = admit_form(
        cast.users.board,
        unit=str(cast.tree.cell_a.pk),
        full_name="   ",
        gender="",
        date_of_birth="",
    )
    assert not form.is_valid()
    assert {"full_name", "gender", "date_of_birth"} <= set(form.errors)


def test_coded_fields_accept_only_their_codes(cast):
    form = admit_form(
        cast.users.board, unit=str(cast.tree.cell_a.pk), gender="robot", ethnicity="99"
    )
    assert not form.is_valid()
    assert {"gender", "ethnicity"} <= set(form.errors)


# --- cells offered -------------------------------------------------------------------------------


def test_cells_offered_are_the_users_editable_cells_existing_today(cast):
    gone = unit_create(
        code="cu", name="Chi bộ cũ", kind="cell", founded_on=FOUNDED, parent=cast.tree.gc
    )
    unit_dissolve(unit=gone, on=d("2020-01-01"))
    later = unit_create(
        code="moi", name="Chi bộ mới", kind="cell", founded_on=d("2024-01-01"), parent=cast.tree.gc
    )
    office = forms.MemberAdmitForm(user=cast.users.office, today=TODAY)
    board = forms.MemberAdmitForm(user=cast.users.board, today=TODAY)
    t = cast.tree
    assert set(office.fields["unit"].queryset) == {t.cell_a, t.cell_b}
    assert set(board.fields["unit"].queryset) == {t.cell_a, t.cell_b, t.gcell, cast.cell_o}
    assert gone not in board.fields["unit"].queryset
    assert later not in board.fields["unit"].queryset
    secretary = forms.MemberAdmitForm(user=cast.users.secretary, today=TODAY)
    assert not secretary.fields["unit"].queryset  # readers have nothing to choose


def test_a_leader_beside_the_board_has_no_cells_to_choose(cast):
    assert not forms.MemberAdmitForm(user=cast.users.leader, today=TODAY).fields["unit"].queryset


@pytest.mark.parametrize("typed", ["cell_o", "gc", "-1", "0", "abc", " ", "9" * 30, "1.5"])
def test_a_cell_outside_the_choices_is_a_form_error(cast, typed):
    units = {"cell_o": cast.cell_o.pk, "gc": cast.tree.gc.pk}
    form = admit_form(cast.users.office, unit=str(units.get(typed, typed)))
    assert not form.is_valid()
    assert "unit" in form.errors


def test_transfer_destinations_are_the_cells_the_user_can_see(cast):
    form = forms.TransferForm(user=cast.users.office, today=TODAY)
    assert set(form.fields["to_unit"].queryset) == {cast.tree.cell_a, cast.tree.cell_b}


# --- decisions ---------------------------------------------------------------------------------


def test_no_directive_is_preselected(cast):
    form = forms.RemoveForm(user=cast.users.board, today=TODAY)
    assert form.fields["directive"].initial is None
    assert form["directive"].value() is None


def test_exemption_death_and_transfer_offer_no_directive(cast):
    for form_class in (forms.ExemptForm, forms.DeathForm, forms.TransferForm):
        assert "directive" not in form_class(user=cast.users.board, today=TODAY).fields


def test_decision_builds_the_services_decision(cast):
    form = forms.RemoveForm(
        {
            **DECISION,
            "directive": str(cast.directive.pk),
            "notes": "ghi chú",
            "kind": "struck_off",
            "reason": "unpaid_dues",
            "effective_date": "05/06/2023",
        },
        user=cast.users.board,
    )
    assert form.is_valid(), form.errors
    decision = form.decision()
    assert decision.number == "12-QĐ/ĐU"
    assert decision.date == d("2023-06-05")
    assert decision.issuing_body == "Đảng ủy phường Thốt Nốt"
    assert decision.directive == cast.directive
    assert decision.notes == "ghi chú"


def test_decision_number_and_date_are_required_but_not_for_a_death(cast):
    exempt = forms.ExemptForm({"effective_date": "05/06/2023"}, user=cast.users.board)
    assert not exempt.is_valid()
    assert {"decision_no", "decision_date"} <= set(exempt.errors)
    death = forms.DeathForm({"effective_date": "05/06/2023"}, user=cast.users.board)
    assert death.is_valid(), death.errors
    assert death.decision().number == ""
    assert death.decision().date is None


def test_overlong_text_is_a_form_error(cast):
    form = forms.ExemptForm(
        {**DECISION, "decision_no": "1" * 51, "effective_date": "05/06/2023"},
        user=cast.users.board,
    )
    assert not form.is_valid()
    assert "decision_no" in form.errors


# --- one form per event kind ---------------------------------------------------------------------


def test_removal_offers_the_three_kinds_and_real_reasons(cast):
    form = forms.RemoveForm(user=cast.users.board)
    kinds = [value for value, _ in form.fields["kind"].choices]
    assert kinds == [Event.Kind.STRUCK_OFF, Event.Kind.DISCHARGED, Event.Kind.EXPELLED]
    prompt, *groups = form.fields["reason"].choices
    assert prompt[0] == ""  # the "choose" prompt, refused if left
    # The reasons grouped by the kind they belong to (R10-R13); "other" is no ground.
    offered = {label: {value for value, _ in options} for label, options in groups}
    assert offered == {
        Event.Kind(kind).label: set(reasons) for kind, reasons in rules.REMOVAL_REASONS.items()
    }
    empty = forms.RemoveForm(
        {**DECISION, "kind": "struck_off", "reason": "", "effective_date": "05/06/2023"},
        user=cast.users.board,
    )
    assert not empty.is_valid()
    assert "reason" in empty.errors


def test_transfer_within_needs_a_cell_out_of_the_system_ignores_it(cast):
    base = {**DECISION, "effective_date": "05/06/2023"}
    within = forms.TransferForm(
        {**base, "mode": "within", "destination": "x"}, user=cast.users.board
    )
    assert not within.is_valid()
    assert "to_unit" in within.errors
    out = forms.TransferForm(
        {**base, "mode": "out", "to_unit": str(cast.tree.cell_a.pk), "destination": "Huế"},
        user=cast.users.board,
    )
    assert out.is_valid(), out.errors
    assert out.cleaned_data["to_unit"] is None
    bad_mode = forms.TransferForm({**base, "mode": "sideways"}, user=cast.users.board)
    assert not bad_mode.is_valid()
    assert "mode" in bad_mode.errors


def test_transfer_in_recognized_before_admitted_is_an_error_next_to_the_field(cast):
    data = {
        **record(),
        **DECISION,
        "admitted_on": "01/01/2015",
        "recognized_on": "01/01/2014",
        "origin": "Đảng bộ phường An Hòa",
        "unit": str(cast.tree.cell_a.pk),
        "effective_date": "05/06/2023",
    }
    form = forms.MemberTransferInForm(data, user=cast.users.board, today=TODAY)
    assert not form.is_valid()
    assert "recognized_on" in form.errors
    assert "__all__" not in form.errors


def test_edit_form_carries_the_version_hidden(cast):
    member = cast.members.b
    form = forms.MemberEditForm(instance=member)
    assert form["version"].value() == member.version
    assert form["version"].is_hidden
    assert "status" not in form.fields
    assert "unit" not in form.fields


def test_every_field_has_a_vietnamese_label_and_every_date_says_its_format(cast):
    all_forms = [
        forms.MemberAdmitForm(user=cast.users.board),
        forms.MemberTransferInForm(user=cast.users.board),
        forms.MemberEditForm(instance=cast.members.b),
        forms.RecognizeForm(user=cast.users.board),
        forms.TransferForm(user=cast.users.board),
        forms.RemoveForm(user=cast.users.board),
        forms.DeathForm(user=cast.users.board),
        forms.ExemptForm(user=cast.users.board),
        forms.RestoreForm(user=cast.users.board),
        forms.ReadmitForm(user=cast.users.board),
    ]
    for form in all_forms:
        grouped = [bf.name for _, fields in form.grouped() for bf in fields]
        assert sorted(grouped) == sorted(f.name for f in form.visible_fields())
        for name, field in form.fields.items():
            assert field.label or field.widget.is_hidden, (type(form).__name__, name)
            if isinstance(field, forms.DayField):
                assert "(dd/mm/yyyy)" in str(field.label), (type(form).__name__, name)
