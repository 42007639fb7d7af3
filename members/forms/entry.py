"""The member record's form and one form per event kind, on the fields of ``fields``."""

from __future__ import annotations

import datetime
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.textcheck import add_text_validators

from ..models import Directive, Event, Member, TemporaryPurpose
from ..rules import RECORD_FIELDS, citizen_id_problem, removal_reasons
from ..services import Decision
from .fields import (
    DECISION_FIELDS,
    CellChoiceField,
    DayField,
    DirectiveChoiceField,
    SpacelessField,
    cells_to_enter,
    cells_to_move_to,
)

# --- the parts every event form shares ---------------------------------------------------------


class EntryForm(forms.Form):
    """Base of the event forms: the decision (number, date, issuing body, directive, notes),
    cells limited to the user's scope, and the fieldsets the template draws.

    Takes ``user`` (whose cells to offer) and ``today`` (for which cells exist) as keywords.
    """

    # (legend, field names); fields not listed are drawn in a last, untitled group.
    fieldsets: tuple[tuple[str, tuple[str, ...]], ...] = ()
    decision_required = True
    # Which cells each cell field offers: "enter" (cells_to_enter) or "move" (cells_to_move_to).
    cell_scopes: dict[str, str] = {}

    decision_no = forms.CharField(
        label=_("Số quyết định"),
        max_length=50,
        help_text=_("Ghi như trên quyết định, ví dụ 125-QĐ/ĐU."),
    )
    decision_date = DayField(
        label=_("Ngày quyết định (dd/mm/yyyy)"),
        help_text=_("Ngày ký quyết định, ví dụ 05/06/2023."),
    )
    issuing_body = forms.CharField(
        label=_("Cơ quan ra quyết định"),
        max_length=200,
        required=False,
        help_text=_("Ví dụ: Đảng ủy phường Thốt Nốt."),
    )
    directive = DirectiveChoiceField(
        label=_("Thực hiện theo"),
        queryset=Directive.objects.all(),
        required=False,
        empty_label=_("— Không theo chỉ thị nào —"),
        help_text=_("Chỉ thị, hướng dẫn mà việc này thực hiện theo (nếu có)."),
    )
    notes = forms.CharField(
        label=_("Ghi chú"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # A one-time token (issue 30): the same form posted twice records once.
    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        add_text_validators(self)
        self.user = user
        self.today = today or timezone.localdate()
        if not self.is_bound:
            self.fields["form_token"].initial = uuid.uuid4()
        if not self.decision_required:
            self.fields["decision_no"].required = False
            self.fields["decision_date"].required = False
        scopes = {"enter": cells_to_enter, "move": cells_to_move_to}
        for name, scope in self.cell_scopes.items():
            self.fields[name].queryset = scopes[scope](user, self.today)

    def decision(self) -> Decision:
        data = self.cleaned_data
        return Decision(
            number=data.get("decision_no") or "",
            date=data.get("decision_date"),
            issuing_body=data.get("issuing_body") or "",
            directive=data.get("directive"),
            notes=data.get("notes") or "",
        )

    def grouped(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The visible fields by fieldset, for ``members/_form.html``."""
        listed: set[str] = set()
        groups = []
        for legend, names in self.fieldsets:
            present = [name for name in names if name in self.fields]
            listed.update(present)
            groups.append((legend, [self[name] for name in present]))
        rest = [f for f in self.visible_fields() if f.name not in listed]
        if rest:
            groups.append(("", rest))
        return groups


DECISION_FIELDSET = (_("Quyết định"), DECISION_FIELDS)


# --- the member record -----------------------------------------------------------------------


class MemberRecordForm(forms.ModelForm):
    """The record's own fields. Uniqueness of the citizen ID and party card number is a database
    constraint; the checks here only put its refusal next to the field, in plain words."""

    date_of_birth = DayField(
        label=_("Ngày sinh (dd/mm/yyyy)"),
        help_text=_("Ví dụ 17/05/1985."),
    )

    class Meta:
        model = Member
        fields = RECORD_FIELDS
        field_classes = {"citizen_id": SpacelessField}
        help_texts = {
            "full_name": _("Ghi đầy đủ, có dấu, như trên căn cước công dân."),
            "hometown": _("Quê quán như trong lý lịch."),
            "residence": _("Nơi ở hiện nay."),
            "occupation": _("Ví dụ: giáo viên, nông dân, công an xã."),
            "occupation_group": _("Nhóm nghề dùng cho báo cáo thống kê."),
            "general_education": _("Trình độ học phổ thông cao nhất."),
            "citizen_id": _("12 chữ số; gõ cách cũng được, dấu cách sẽ được bỏ đi."),
            "party_card_no": _("Để trống nếu chưa có thẻ đảng viên."),
            "personal_history_no": _("Để trống nếu chưa có."),
            "youth_union_member": _("Đánh dấu nếu là đoàn viên lúc được kết nạp vào Đảng."),
        }

    def clean_citizen_id(self) -> str:
        value = self.cleaned_data["citizen_id"]
        if value and (problem := citizen_id_problem(value)):
            raise ValidationError(problem, code="structure")
        if value and self._taken("citizen_id", value):
            raise ValidationError(
                _("Số CCCD %(value)s đã có trong hồ sơ của một đảng viên khác."),
                code="unique",
                params={"value": value},
            )
        return value

    def clean_party_card_no(self) -> str:
        value = self.cleaned_data["party_card_no"].strip()
        if value and self._taken("party_card_no", value):
            raise ValidationError(
                _("Số thẻ đảng viên %(value)s đã có trong hồ sơ của một đảng viên khác."),
                code="unique",
                params={"value": value},
            )
        return value

    def _taken(self, field: str, value: str) -> bool:
        others = Member.objects.filter(**{field: value})
        if self.instance.pk is not None:
            others = others.exclude(pk=self.instance.pk)
        return others.exists()


RECORD_FIELDSET = (_("Hồ sơ đảng viên"), RECORD_FIELDS)


class MemberEditForm(MemberRecordForm):
    """The record's fields, and the ``version`` the form was loaded with (optimistic locking:
    the view refuses the save if the record has moved on since)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    fieldsets = (RECORD_FIELDSET,)
    grouped = EntryForm.grouped

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        add_text_validators(self)
        if not self.is_bound:
            self.fields["version"].initial = self.instance.version


# --- one form per event kind ----------------------------------------------------------------


class MemberAdmitForm(EntryForm, MemberRecordForm):
    """A new person's record, and their admission (kết nạp)."""

    unit = CellChoiceField(
        label=_("Chi bộ kết nạp"),
        help_text=_("Chi bộ mà người này sinh hoạt sau khi được kết nạp."),
    )
    decision_date = DayField(
        label=_("Ngày quyết định kết nạp (dd/mm/yyyy)"),
        help_text=_("Tuổi đảng tính từ ngày này."),
    )
    ceremony_date = DayField(
        label=_("Ngày lễ kết nạp (dd/mm/yyyy)"),
        help_text=_("Không trước ngày quyết định. Thời gian dự bị 12 tháng tính từ ngày này."),
    )
    sponsors = forms.CharField(
        label=_("Người giới thiệu"),
        max_length=300,
        required=False,
        help_text=_("Họ tên hai đảng viên chính thức giới thiệu, cách nhau bằng dấu phẩy."),
    )

    cell_scopes = {"unit": "enter"}
    fieldsets = (
        RECORD_FIELDSET,
        (_("Kết nạp"), ("unit", "ceremony_date", "sponsors", *DECISION_FIELDS)),
    )


class MemberTransferInForm(EntryForm, MemberRecordForm):
    """A member arriving from a party organization outside this system: a new record."""

    admitted_on = DayField(
        label=_("Ngày vào Đảng (dd/mm/yyyy)"),
        help_text=_("Ngày quyết định kết nạp, theo hồ sơ chuyển đến."),
    )
    recognized_on = DayField(
        label=_("Ngày chính thức (dd/mm/yyyy)"),
        required=False,
        help_text=_("Để trống nếu người này còn là đảng viên dự bị."),
    )
    probationary = forms.BooleanField(
        label=_("Đang là đảng viên dự bị"),
        required=False,
        help_text=_("Đánh dấu nếu chưa được công nhận chính thức."),
    )
    origin = forms.CharField(
        label=_("Chuyển từ đâu đến"),
        max_length=200,
        help_text=_("Tên đảng bộ, chi bộ nơi chuyển đi, ví dụ: Đảng bộ phường An Hòa, TP Huế."),
    )
    unit = CellChoiceField(
        label=_("Chi bộ tiếp nhận"),
        help_text=_("Chi bộ mà đảng viên về sinh hoạt."),
    )
    effective_date = DayField(
        label=_("Ngày chuyển đến (dd/mm/yyyy)"),
        help_text=_("Ngày đảng viên bắt đầu sinh hoạt ở chi bộ tiếp nhận."),
    )

    cell_scopes = {"unit": "enter"}
    fieldsets = (
        RECORD_FIELDSET,
        (_("Đảng tịch"), ("admitted_on", "recognized_on", "probationary")),
        (_("Chuyển đến"), ("origin", "unit", "effective_date", *DECISION_FIELDS)),
    )

    class Meta(MemberRecordForm.Meta):
        fields = (*RECORD_FIELDS, "admitted_on", "recognized_on")

    def clean(self):
        # Said here in plain words; the database constraint behind it would name itself only.
        data = super().clean()
        admitted, recognized = data.get("admitted_on"), data.get("recognized_on")
        if admitted and recognized and recognized < admitted:
            self.add_error("recognized_on", _("Ngày chính thức không được trước ngày vào Đảng."))
        return data


class RecognizeForm(EntryForm):
    effective_date = DayField(
        label=_("Chính thức từ ngày (dd/mm/yyyy)"),
        help_text=_(
            "Ngày hết 12 tháng dự bị: đảng viên đủ điều kiện là chính thức từ ngày này, "
            "dù chi bộ họp hay cấp ủy quyết định muộn hơn."
        ),
    )
    resolution_date = DayField(
        label=_("Ngày nghị quyết của chi bộ (dd/mm/yyyy)"),
        required=False,
        help_text=_("Chi bộ xét trong 30 ngày làm việc sau khi hết 12 tháng dự bị."),
    )
    fieldsets = (
        (_("Công nhận chính thức"), ("effective_date", "resolution_date", *DECISION_FIELDS)),
    )

    def __init__(self, *args, probation_end: datetime.date | None = None, **kwargs):
        # Both dates pre-filled: official from the end of probation, decided today.
        super().__init__(*args, **kwargs)
        if probation_end is not None:
            today = timezone.localdate()
            self.initial.setdefault("effective_date", probation_end)
            self.initial.setdefault("decision_date", max(today, probation_end))


class TransferForm(EntryForm):
    """Official transfer within the system or out of it, or a temporary transfer."""

    WITHIN = "within"
    OUT = "out"
    TEMPORARY = "temporary"

    mode = forms.ChoiceField(
        label=_("Hình thức chuyển"),
        widget=forms.RadioSelect,
        choices=[
            (WITHIN, _("Chuyển chính thức đến một chi bộ trong hệ thống")),
            (OUT, _("Chuyển chính thức ra ngoài hệ thống (đảng bộ khác, tỉnh khác…)")),
            (TEMPORARY, _("Chuyển sinh hoạt tạm thời (vẫn ở trong danh sách chi bộ hiện nay)")),
        ],
        initial=WITHIN,
    )
    to_unit = CellChoiceField(
        label=_("Chi bộ chuyển đến"),
        required=False,
        help_text=_("Chọn khi chuyển đến một chi bộ trong hệ thống (cả chuyển tạm thời)."),
    )
    destination = forms.CharField(
        label=_("Nơi chuyển đến ngoài hệ thống"),
        max_length=200,
        required=False,
        help_text=_("Ghi khi chuyển ra ngoài hệ thống, ví dụ: Đảng ủy xã Tân Lộc, TP Cần Thơ."),
    )
    effective_date = DayField(
        label=_("Ngày chuyển (dd/mm/yyyy)"),
        help_text=_("Ngày đảng viên bắt đầu sinh hoạt ở nơi mới."),
    )
    # R17: a temporary transfer's purpose and term.
    purpose = forms.ChoiceField(
        label=_("Mục đích chuyển tạm thời"),
        choices=[(v, label) for v, label in TemporaryPurpose.choices if v],
        initial=TemporaryPurpose.WORK,
        required=False,
        help_text=_("Thay đổi nơi cư trú, làm việc: 3 đến dưới 12 tháng; đi học: 3 đến 24 tháng."),
    )
    term_end = DayField(
        may_be_later=True,
        label=_("Thời hạn đến ngày (dd/mm/yyyy)"),
        required=False,
        help_text=_("Chỉ ghi khi chuyển sinh hoạt tạm thời."),
    )

    directive = None  # no directive is carried out by this kind of event (issue 25)
    cell_scopes = {"to_unit": "move"}
    fieldsets = (
        (
            _("Chuyển đi đâu"),
            ("mode", "to_unit", "destination", "effective_date", "purpose", "term_end"),
        ),
        DECISION_FIELDSET,
    )

    def clean(self):
        # Which of the two destination fields the chosen way of transfer reads.
        data = super().clean()
        mode = data.get("mode")
        if mode == self.WITHIN:
            data["destination"] = ""
            if data.get("to_unit") is None and "to_unit" not in self.errors:
                self.add_error("to_unit", _("Hãy chọn chi bộ chuyển đến."))
        elif mode == self.OUT:
            data["to_unit"] = None
        elif data.get("term_end") is None and "term_end" not in self.errors:
            self.add_error("term_end", _("Cần ghi thời hạn chuyển sinh hoạt tạm thời."))
        return data


class RemoveForm(EntryForm):
    """Struck off, discharged or expelled ("đưa ra khỏi Đảng")."""

    kind = forms.ChoiceField(
        label=_("Hình thức"),
        widget=forms.RadioSelect,
        choices=[(kind.value, kind.label) for kind in Event.REMOVAL_KINDS],
        help_text=_("Khai trừ chỉ áp dụng với đảng viên chính thức."),
    )
    # The reasons grouped by the kind they go with (rules.REMOVAL_REASONS, R10-R13).
    reason = forms.ChoiceField(
        label=_("Lý do"),
        choices=[("", _("— Chọn lý do —"))]
        + [
            (kind.label, [(r, Event.Reason(r).label) for r in removal_reasons(kind)])
            for kind in Event.REMOVAL_KINDS
        ],
        help_text=_("Mỗi hình thức có lý do riêng: chọn lý do trong nhóm của hình thức đã chọn."),
    )
    standards_kept = forms.BooleanField(
        label=_("Đảng viên không vi phạm tư cách đảng viên"),
        required=False,
        help_text=_(
            "Chỉ khi cho ra khỏi Đảng: theo đơn của chính đảng viên, và chỉ khi đảng viên "
            "không vi phạm tư cách (người vi phạm thì xem xét kỷ luật trước)."
        ),
    )
    effective_date = DayField(
        label=_("Ngày có hiệu lực (dd/mm/yyyy)"),
        help_text=_("Thường là ngày quyết định."),
    )
    fieldsets = (
        (_("Đưa ra khỏi Đảng"), ("kind", "reason", "standards_kept", "effective_date")),
        DECISION_FIELDSET,
    )


class DeathForm(EntryForm):
    decision_required = False

    directive = None  # no directive is carried out by this kind of event (issue 25)
    effective_date = DayField(label=_("Ngày từ trần (dd/mm/yyyy)"))
    fieldsets = (
        (_("Từ trần"), ("effective_date",)),
        (_("Thông báo, quyết định (nếu có)"), DECISION_FIELDS),
    )


class ExemptForm(EntryForm):
    directive = None  # no directive is carried out by this kind of event (issue 25)
    effective_date = DayField(
        label=_("Miễn sinh hoạt từ ngày (dd/mm/yyyy)"),
        help_text=_("Đảng viên được miễn sinh hoạt vẫn là đảng viên."),
    )
    # R16: old (men over 60, women over 55, checked from the record), and these two.
    poor_health = forms.BooleanField(label=_("Sức khỏe yếu"), required=False)
    on_request = forms.BooleanField(label=_("Có đơn đề nghị của đảng viên"), required=False)
    fieldsets = (
        (
            _("Miễn sinh hoạt đảng"),
            ("effective_date", "poor_health", "on_request", *DECISION_FIELDS),
        ),
    )


class RestoreForm(EntryForm):
    unit = CellChoiceField(
        label=_("Chi bộ sinh hoạt"),
        help_text=_("Chi bộ mà đảng viên về sinh hoạt sau khi được phục hồi."),
    )
    effective_date = DayField(label=_("Ngày phục hồi đảng tịch (dd/mm/yyyy)"))

    cell_scopes = {"unit": "enter"}
    fieldsets = ((_("Phục hồi đảng tịch"), ("unit", "effective_date", *DECISION_FIELDS)),)


class ReadmitForm(EntryForm):
    unit = CellChoiceField(label=_("Chi bộ kết nạp lại"))
    decision_date = DayField(
        label=_("Ngày quyết định kết nạp lại (dd/mm/yyyy)"),
        help_text=_(
            "Tuổi đảng vẫn tính từ lần kết nạp đầu tiên, trừ thời gian ở ngoài Đảng; "
            "dự bị 12 tháng tính từ lễ kết nạp lại."
        ),
    )
    ceremony_date = DayField(
        label=_("Ngày lễ kết nạp lại (dd/mm/yyyy)"),
        help_text=_("Không trước ngày quyết định."),
    )
    sponsors = forms.CharField(
        label=_("Người giới thiệu"),
        max_length=300,
        required=False,
        help_text=_("Họ tên hai đảng viên chính thức giới thiệu, cách nhau bằng dấu phẩy."),
    )

    consent_no = forms.CharField(
        label=_("Số văn bản đồng ý của Ban Thường vụ Tỉnh ủy (Thành ủy)"),
        max_length=50,
        required=False,
        help_text=_("Kết nạp lại phải có văn bản đồng ý của ban thường vụ tỉnh ủy, thành ủy."),
    )
    consent_date = DayField(label=_("Ngày văn bản đồng ý (dd/mm/yyyy)"), required=False)
    record_cleared_on = DayField(
        label=_("Ngày được xóa án tích (dd/mm/yyyy)"),
        required=False,
        help_text=_("Chỉ với người bị kết án về tội ít nghiêm trọng: 60 tháng tính từ ngày này."),
    )

    cell_scopes = {"unit": "enter"}
    fieldsets = (
        (_("Kết nạp lại"), ("unit", "ceremony_date", "sponsors", *DECISION_FIELDS)),
        (_("Văn bản đồng ý của tỉnh"), ("consent_no", "consent_date", "record_cleared_on")),
    )

    def consent(self) -> Decision:
        data = self.cleaned_data
        return Decision(number=data.get("consent_no", ""), date=data.get("consent_date"))
