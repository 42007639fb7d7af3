"""The roster upload's form, and the form that cancels a mistaken event (issue 25)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class RosterUploadForm(forms.Form):
    """A roster workbook to check; its contents are judged by ``members.roster``."""

    file = forms.FileField(
        label=_("Tệp Excel (.xlsx)"),
        help_text=_("Theo mẫu nhập liệu; tối đa 20 MB, 100.000 dòng mỗi trang."),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self):
        from .. import roster

        upload = self.cleaned_data["file"]
        if upload.size > roster.MAX_BYTES:
            raise ValidationError(
                _("Tệp quá lớn (%(size)s MB); giới hạn là %(limit)s MB.")
                % {
                    "size": f"{upload.size / 1024 / 1024:.1f}".replace(".", ","),
                    "limit": roster.MAX_BYTES // (1024 * 1024),
                }
            )
        return upload


# --- putting an event right (issue 25) --------------------------------------------------------


class CancelEventForm(forms.Form):
    """Cancel a mistaken event: why, and the decision that annuls it where there is one."""

    reason = forms.CharField(
        label=_("Lý do hủy"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Ví dụ: ghi nhầm người; đảng viên vẫn còn sống."),
    )
    decision = forms.CharField(
        label=_("Quyết định hủy bỏ (nếu có)"),
        max_length=200,
        required=False,
        help_text=_("Số và ngày của quyết định hủy bỏ, nếu quy định yêu cầu."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def grouped(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [("", list(self.visible_fields()))]
