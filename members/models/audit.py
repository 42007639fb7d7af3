"""The audit of who read which record (the history of changes is simple_history's)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordView(models.Model):
    """Who opened whose record, and when: party membership is sensitive personal data."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người xem"), on_delete=models.PROTECT
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="views"
    )
    viewed_at = models.DateTimeField(_("lúc"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("lượt xem hồ sơ")
        verbose_name_plural = _("lượt xem hồ sơ")
        ordering = ["-viewed_at"]
        indexes = [
            # The latest views of one record (member page, audit).
            models.Index(fields=["member", "-viewed_at"], name="recordview_member_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.member_id} · {self.viewed_at:%d/%m/%Y %H:%M}"


class BulkReadKind(models.TextChoices):
    ROSTER_EXPORT = "roster_export", _("xuất danh sách đảng viên")
    REPORT_PDF = "report_pdf", _("báo cáo (PDF)")
    REPORT_XLSX = "report_xlsx", _("báo cáo (Excel)")
    OFFICIAL_FORM = "official_form", _("biểu mẫu chính thức")
    FIGURE_RECORDS = "figure_records", _("danh sách sau một số liệu")
    IMPORT_PREVIEW = "import_preview", _("xem trước tệp nhập")
    ADMIN = "admin", _("trang quản trị")
    LIST_PRINT = "list_print", _("in danh sách đảng viên")
    LIST_XLSX = "list_xlsx", _("danh sách đảng viên (Excel)")


class BulkRead(models.Model):
    """A bulk or sensitive read (issue 30): who read what, over which unit, how many records,
    when. Written by ``members.services.read_log.log_bulk_read`` from each export, report file,
    official form, list of the records behind a figure, printed or downloaded member list, import
    preview and (by the middleware)
    the superuser's admin pages; kept as long as ``RecordView`` (no purge: both are the audit)."""

    Kind = BulkReadKind

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người đọc"),
        on_delete=models.PROTECT,
        related_name="bulk_reads",
    )
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    unit = models.ForeignKey(
        "branches.Unit",
        verbose_name=_("đơn vị"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    what = models.CharField(_("nội dung"), max_length=300, blank=True)
    records = models.PositiveIntegerField(_("số hồ sơ"), null=True, blank=True)
    read_at = models.DateTimeField(_("lúc"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("lượt đọc hàng loạt")
        verbose_name_plural = _("lượt đọc hàng loạt")
        ordering = ["-read_at", "-pk"]
        indexes = [models.Index(fields=["unit", "-read_at"], name="bulkread_unit_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=BulkReadKind.values),
                name="bulkread_kind_known",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind} · {self.read_at:%d/%m/%Y %H:%M}"
