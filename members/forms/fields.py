"""The form fields the entry forms share: days, codes, cells, directives."""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Unit
from branches.widgets import CellPicker
from common.dates import dmy

from ..models import Directive

# Dates outside these years are typing mistakes ("5/6/23" reads as the year 23).
EARLIEST_DAY = datetime.date(1900, 1, 1)
LATEST_DAY = datetime.date(2099, 12, 31)

DECISION_FIELDS = ("decision_no", "decision_date", "issuing_body", "directive", "notes")


# --- fields -------------------------------------------------------------------------------


class DayField(forms.DateField):
    """A day typed dd/mm/yyyy (the settings' DATE_INPUT_FORMATS), with a four-digit year."""

    default_error_messages = {
        "invalid": _("Ngày không đúng. Hãy ghi ngày/tháng/năm, ví dụ 05/06/2023."),
        "out_of_range": _("Hãy ghi năm đủ 4 chữ số, từ 1900 đến 2099 (ví dụ 05/06/2023)."),
        "future": _(
            "“%(field)s” là %(day)s, sau hôm nay (%(today)s): chưa ghi được việc chưa xảy ra."
        ),
    }

    def __init__(self, *, may_be_later: bool = False, **kwargs):
        # ``may_be_later``: a day planned ahead (a temporary transfer's term), not a fact.
        self.may_be_later = may_be_later
        kwargs.setdefault(
            "widget",
            forms.DateInput(
                format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "autocomplete": "off"}
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value.strip() if isinstance(value, str) else value)

    def validate(self, value):
        super().validate(value)
        if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        today = timezone.localdate()
        if value is not None and value > today and not self.may_be_later:
            # Nothing recorded here happens later than today (a decision may be recorded on
            # the day it is signed): a later day is a typing mistake, named by its label.
            raise ValidationError(
                self.error_messages["future"],
                code="future",
                params={"field": field_label(self.label), "day": dmy(value), "today": dmy(today)},
            )


def field_label(label) -> str:
    """A field's label as the form shows it, without the format hint in brackets."""
    return str(label or "").split(" (")[0]


class SpacelessField(forms.CharField):
    """Digits typed in groups ("0920 8500 1234"): the spaces are dropped before any check."""

    def to_python(self, value):
        return "".join(super().to_python(value).split())

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)  # the spaces typed may make it longer
        return attrs


class CellChoiceField(forms.ModelChoiceField):
    """A cell, by name; the form narrows the queryset to the user's cells."""

    default_error_messages = {
        "invalid_choice": _("Hãy chọn một chi bộ trong danh sách."),
    }

    widget = CellPicker  # grouped by the unit above, in Vietnamese order, narrowed by typing

    def __init__(self, **kwargs):
        kwargs.setdefault("empty_label", _("— Chọn chi bộ —"))
        super().__init__(queryset=Unit.objects.none(), **kwargs)

    def label_from_instance(self, obj: Unit) -> str:
        return obj.name


class DirectiveChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Directive) -> str:
        title = obj.title if len(obj.title) <= 70 else obj.title[:70].rsplit(" ", 1)[0] + "…"
        return f"{obj.code} — {title}"


def cells_to_enter(user, today: datetime.date):
    """Cells where ``user`` may put a member on the roll: theirs to edit, existing today."""
    return Unit.objects.editable_by(user).holding_members().existing_on(today)


def cells_to_move_to(user, today: datetime.date):
    """Cells a member may be transferred to: any cell the user can see that exists today."""
    return Unit.objects.visible_to(user).holding_members().existing_on(today)
