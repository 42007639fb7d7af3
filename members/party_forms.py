"""Forms of issue 24's records (R16-R18, R25): the end of an exemption or of a temporary
transfer, a party card, and the two steps of a transfer between offices."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from branches.models import Unit

from .forms import DECISION_FIELDSET, CellChoiceField, DayField, EntryForm
from .models import CardKind


class PeriodEndForm(forms.Form):
    """The day an exemption or a temporary transfer ends."""

    ended_on = DayField(label=_("Ngày trở lại sinh hoạt (dd/mm/yyyy)"))

    def __init__(self, *args, user=None, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)

    def grouped(self):
        return [("", [self["ended_on"]])]


class CardForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Hình thức"), widget=forms.RadioSelect, choices=CardKind.choices
    )
    number = forms.CharField(label=_("Số thẻ"), max_length=20)
    issued_on = DayField(label=_("Ngày phát thẻ (dd/mm/yyyy)"))
    decision_no = forms.CharField(label=_("Số quyết định"), max_length=50, required=False)
    notes = forms.CharField(
        label=_("Ghi chú"), max_length=2000, required=False, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args, user=None, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)

    def grouped(self):
        return [(_("Thẻ đảng viên"), list(self))]


class TransferSendForm(EntryForm):
    """R18, step one: the introduction to a cell of any office in this system."""

    to_unit = CellChoiceField(
        label=_("Chi bộ chuyển đến"),
        help_text=_("Mọi chi bộ trong hệ thống, kể cả của cấp ủy khác; cấp ủy đó ghi tiếp nhận."),
    )
    effective_date = DayField(
        label=_("Ngày giới thiệu chuyển đi (dd/mm/yyyy)"),
        help_text=_("Từ ngày này đảng viên ra khỏi danh sách chi bộ hiện nay."),
    )
    fieldsets = ((_("Chuyển đi đâu"), ("to_unit", "effective_date")), DECISION_FIELDSET)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].queryset = (
            Unit.objects.holding_members().existing_on(self.today).order_by("name")
        )


class TransferReceiveForm(EntryForm):
    """R18, step two: the receiving office records the arrival."""

    received_on = DayField(
        label=_("Ngày tiếp nhận (dd/mm/yyyy)"),
        help_text=_("Trong 30 ngày làm việc kể từ ngày giới thiệu."),
    )
    fieldsets = ((_("Tiếp nhận"), ("received_on",)), DECISION_FIELDSET)
