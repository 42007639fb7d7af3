"""Text a person could have typed: one check for the forms and the importer.

Refused: text made only of invisible characters (spaces, zero-width and format characters such
as the BOM or a right-to-left override, control characters), text holding control characters
other than tab and line breaks, bidirectional overrides (they make a name read differently from
what is stored), and invalid UTF-8 (decoded as U+FFFD, or lone surrogates).
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"}
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def text_problem(value: str) -> str | None:
    """A Vietnamese message if ``value`` is not text a person could have typed, else None."""
    if not value:
        return None
    if "\ufffd" in value or any(unicodedata.category(c) == "Cs" for c in value):
        return _("Văn bản chứa ký tự lỗi mã hoá (UTF-8 không hợp lệ).")
    if all(unicodedata.category(c) in _INVISIBLE for c in value):
        return _("Văn bản chỉ gồm ký tự ẩn hoặc ký tự điều khiển.")
    for c in value:
        if c in _BIDI_CONTROLS:
            return _("Văn bản chứa ký tự đổi chiều viết (U+%(code)04X).") % {"code": ord(c)}
        if unicodedata.category(c) == "Cc" and c not in _ALLOWED_CONTROLS:
            return _("Văn bản chứa ký tự điều khiển (U+%(code)04X).") % {"code": ord(c)}
    return None


def validate_text(value) -> None:
    """A Django validator: ``ValidationError`` with ``text_problem``'s message."""
    if isinstance(value, str) and (problem := text_problem(value)):
        raise ValidationError(problem, code="invisible_text")


def add_text_validators(form) -> None:
    """Give every text field of ``form`` (an instance) the check; call from ``__init__``."""
    from django import forms

    for field in form.fields.values():
        if isinstance(field, forms.CharField) and validate_text not in field.validators:
            field.validators.append(validate_text)
