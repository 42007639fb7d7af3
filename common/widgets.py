"""Form widgets written out in Python where Django's templates cost a page too much."""

from __future__ import annotations

import html

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy


class FastSelect(forms.Select):
    """A <select> written out in Python, its options as plain strings escaped by
    ``html.escape`` as Django's ``escape`` does: Django's two template includes per option
    cost a long list of units much of its page (``docs/decisions/0005-hand-written-html.md``).
    The same markup (a test compares the two)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('<optgroup label="{}">', group_name))
            parts.extend(
                f'<option value="{_escaped(option["value"])}"'
                # (flatatt has a cost even for no attributes, most options' case)
                f"{flatatt(option['attrs']) if option['attrs'] else ''}>"
                f"{_escaped(option['label'])}</option>"
                for option in options
            )
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # every part escaped above


def _escaped(value) -> str:
    """``conditional_escape`` without its lazy-aware wrapper: safe text as it is, any other
    value escaped."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


class PickerSelect(FastSelect):
    """A ``FastSelect`` that ``static/js/picker.js`` narrows by typing (a long list of
    units); without the script it is the plain <select>."""

    def __init__(self, attrs=None, choices=()):
        hint = gettext_lazy("Gõ vài chữ để lọc danh sách")
        super().__init__(
            {"data-picker": "", "data-picker-placeholder": hint, **(attrs or {})}, choices
        )
