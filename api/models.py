"""Tokens of the read-only API (issue 30) and the log of their calls.

A token belongs to one unit and reads exactly what a reader's role on that unit reads (the
unit's subtree, its history included: ``api.auth.TokenReader``); the roster only if
``may_read_roster``. Only the SHA-256 of the key is stored; the key is shown once, when the
token is made (``ApiToken.issue``). A revoked token is refused from ``revoked_at`` on.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Unit

KEY_PREFIX = "tn_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def live(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)

    def for_key(self, key: str) -> ApiToken | None:
        return self.live().select_related("unit").filter(key_hash=hash_key(key)).first()


class ApiToken(models.Model):
    name = models.CharField(_("tên"), max_length=200)
    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="api_tokens"
    )
    may_read_roster = models.BooleanField(_("được đọc danh sách đảng viên"), default=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(_("đầu khóa"), max_length=12, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tạo"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("khóa API")
        verbose_name_plural = _("khóa API")

    def __str__(self) -> str:
        return f"{self.name} · {self.unit} · {self.key_hint}…"

    @classmethod
    def issue(cls, *, name: str, unit: Unit, created_by, may_read_roster: bool = False):
        """A new token and its key (shown once: only its hash is kept)."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            name=name,
            unit=unit,
            may_read_roster=may_read_roster,
            key_hash=hash_key(key),
            key_hint=key[:8],
            created_by=created_by,
        )
        return token, key

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class ApiCall(models.Model):
    """One call of the API: which token, what it asked for, what it got."""

    token = models.ForeignKey(
        ApiToken, verbose_name=_("khóa API"), on_delete=models.PROTECT, related_name="calls"
    )
    at = models.DateTimeField(_("lúc"), default=timezone.now)
    path = models.CharField(_("đường dẫn"), max_length=500)
    unit_code = models.CharField(_("đơn vị"), max_length=50, blank=True)
    status = models.PositiveSmallIntegerField(_("mã trả về"))
    records = models.PositiveIntegerField(_("số bản ghi"), default=0)

    class Meta:
        verbose_name = _("lượt gọi API")
        verbose_name_plural = _("lượt gọi API")
        indexes = [models.Index(fields=["token", "at"], name="apicall_token_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} · {self.path} · {self.status}"
