"""One-time tokens of the data-entry forms (issue 30, item 3): a form posted twice records once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FormSubmission(models.Model):
    """A form's one-time token, claimed in the same transaction as the write it made."""

    token = models.UUIDField(_("mã biểu mẫu"), unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("biểu mẫu đã lưu")
        verbose_name_plural = _("biểu mẫu đã lưu")

    def __str__(self) -> str:
        return str(self.token)
