"""common.textcheck: one check of typed text, for the forms and the importer."""

from __future__ import annotations

import pytest

from common.textcheck import text_problem
from members.rules import CITIZEN_ID_PROVINCE_CODES, citizen_id_problem


@pytest.mark.parametrize("value", ["Nguyễn Văn A", "12-QĐ/ĐU", "dòng một\ndòng hai", "Đ\tA"])
def test_typed_text_passes(value):
    assert text_problem(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "\ufeff",
        "\u200b\u200c",
        "\u202e",
        " \u00a0 ",
        "\x00",
        "\u0301",
        "A\ufffd",
        "A\ud800",
        "A\x1b[2J",
    ],
)
def test_invisible_control_or_broken_text_is_refused(value):
    assert text_problem(value) is not None


def test_the_province_codes_are_the_63_of_the_circular():
    assert len(CITIZEN_ID_PROVINCE_CODES) == 63
    assert {"001", "079", "092", "096"} <= CITIZEN_ID_PROVINCE_CODES
    assert "000" not in CITIZEN_ID_PROVINCE_CODES


@pytest.mark.parametrize(
    "cid", ["000000000000", "003185000001", "092485000001", "09218500000", "０92185000001"]
)
def test_citizen_ids_out_of_structure_are_refused(cid):
    assert citizen_id_problem(cid) is not None


@pytest.mark.parametrize("cid", ["092185000001", "001085123456", "079203000001"])
def test_citizen_ids_in_structure_pass(cid):
    assert citizen_id_problem(cid) is None


def _edit_form(member, **changes):
    from django.forms.models import model_to_dict

    from members.forms import MemberEditForm

    data = {k: v for k, v in model_to_dict(member).items() if v is not None}
    data["date_of_birth"] = member.date_of_birth.strftime("%d/%m/%Y")
    data["version"] = member.version
    data.update(changes)
    return MemberEditForm(data=data, instance=member)


@pytest.mark.parametrize("name", ["\ufeff\u202e", "\u200b", "Nguy\ufffdn"])
def test_the_record_form_refuses_invisible_or_broken_names(cast, name):
    form = _edit_form(cast.members.b, full_name=name)
    assert not form.is_valid()
    assert form.errors["full_name"][0].startswith("Văn bản ")


def test_the_record_form_refuses_a_citizen_id_of_zeros(cast):
    form = _edit_form(cast.members.b, citizen_id="000000000000")
    assert not form.is_valid()
    assert "không phải mã tỉnh" in form.errors["citizen_id"][0]


def test_the_record_form_still_saves_a_typed_record(cast):
    assert _edit_form(cast.members.b, full_name="Lê Văn Bình").is_valid()
