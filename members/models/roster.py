"""Where a roster import or export stands: the jobs' records (the workflow lives in
``members.roster``)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.models import Unit


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Chờ kiểm tra")
    CHECKING = "checking", _("Đang kiểm tra")
    INVALID = "invalid", _("Có lỗi, chưa nhập")
    READY = "ready", _("Đã kiểm tra, chờ xác nhận")
    COMMITTING = "committing", _("Đang ghi")
    DONE = "done", _("Đã nhập")
    DISCARDED = "discarded", _("Đã hủy")
    FAILED = "failed", _("Lỗi hệ thống")


class RosterImport(models.Model):
    """An uploaded roster workbook on its way in: checked first, written only when confirmed.

    The file itself is kept in the database (``content``), so that any app server or worker
    can read it, and its rows are staged in ``RosterImportRow`` (the preview pages them; the
    check and the commit stream them), so memory stays bounded whatever the file's size.
    The workflow lives in ``members.roster``; this model only records where an import stands.
    """

    Status = ImportStatus

    # Statuses in which a worker is (or is about to be) busy with the import.
    BUSY_STATUSES = (Status.UPLOADED, Status.CHECKING, Status.COMMITTING)
    # Statuses a worker sets when it takes the import up (with ``taken_at``).
    WORKING_STATUSES = (Status.CHECKING, Status.COMMITTING)
    # Statuses in which no worker is at the import: it may be checked again or discarded.
    SETTLED_STATUSES = (Status.INVALID, Status.FAILED, Status.READY)

    file_name = models.CharField(_("tên tệp"), max_length=255)
    size = models.PositiveIntegerField(_("dung lượng (byte)"))
    content = models.BinaryField(_("nội dung tệp"), editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tải lên"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True)
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=Status.choices, default=Status.UPLOADED
    )
    # The uploader's interface language: the check and the commit, which may run in a worker
    # anywhere, write the errors and the summary in it (they are stored as text).
    language = models.CharField(
        _("ngôn ngữ"), max_length=7, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # Problems with the file as a whole (not a workbook, no header row, …): list of strings.
    file_errors = models.JSONField(_("lỗi của tệp"), default=list, blank=True)
    # Counts by action and the number of errors, as of the last check or commit.
    summary = models.JSONField(_("tóm tắt"), default=dict, blank=True)
    # A workbook of another shape (issue 29): sheet -> {the file's header, folded -> column key,
    # or "" to leave it out}, chosen on the mapping page; empty for the template's own shape.
    column_map = models.JSONField(_("ghép cột"), default=dict, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # When a worker took the import up (set with CHECKING or COMMITTING, cleared when work is
    # queued): an import taken but no longer held by its worker was interrupted
    # (members.roster.locks).
    taken_at = models.DateTimeField(_("bắt đầu xử lý lúc"), null=True, blank=True)
    checked_at = models.DateTimeField(_("kiểm tra lúc"), null=True, blank=True)
    committed_at = models.DateTimeField(_("nhập lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("lần nhập danh sách")
        verbose_name_plural = _("lần nhập danh sách")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="rosterimport_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(committed_at__isnull=True) | Q(status="done"),
                name="rosterimport_committed_only_done",
            ),
        ]
        indexes = [
            # A user's latest imports (the import page).
            models.Index(fields=["created_by", "-created_at"], name="rosterimport_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%d/%m/%Y %H:%M})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("members:roster_import_detail", args=[self.pk])

    @property
    def is_busy(self) -> bool:
        return self.status in self.BUSY_STATUSES


class RosterImportRow(models.Model):
    """One data row of an uploaded workbook, parsed, and what the import will do with it."""

    class Sheet(models.TextChoices):
        MEMBERS = "members", _("Đảng viên")
        EVENTS = "events", _("Sự kiện")

    class Action(models.TextChoices):
        NONE = "", _("—")
        CREATE = "create", _("Thêm mới")
        UPDATE = "update", _("Cập nhật")
        UNCHANGED = "unchanged", _("Không đổi")
        SKIP = "skip", _("Bỏ qua")
        # Rows of the events sheet
        NEW_EVENT = "new_event", _("Sự kiện mới")
        KNOWN_EVENT = "known_event", _("Sự kiện đã có")

    class Decision(models.TextChoices):
        """What the user chose for a likely duplicate."""

        UNDECIDED = "", _("Chưa chọn")
        CREATE = "create", _("Người khác: tạo hồ sơ mới")
        SKIP = "skip", _("Cùng một người: bỏ qua dòng này")

    roster_import = models.ForeignKey(RosterImport, on_delete=models.CASCADE, related_name="rows")
    sheet = models.CharField(max_length=8, choices=Sheet.choices)
    number = models.PositiveIntegerField(_("dòng"))
    # The member a row is about, within the file: "c:<CCCD>", "p:<party card>" or "r:<row>".
    key = models.CharField(max_length=40)
    values = models.JSONField(default=dict)  # parsed cells by column key (dates as ISO text)
    action = models.CharField(max_length=12, choices=Action.choices, blank=True)
    member = models.ForeignKey(
        "members.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    member_version = models.PositiveIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)  # column key -> [old, new]
    # A likely duplicate: the earlier row of the file with the same person (found while
    # staging), and the message the preview shows (set by the plan, which also looks at the
    # members already recorded).
    duplicate_row = models.PositiveIntegerField(null=True, blank=True)
    duplicate_of = models.CharField(max_length=300, blank=True)
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    errors = models.JSONField(default=list, blank=True)  # [[column header, message], ...]
    error_count = models.PositiveIntegerField(default=0)  # len(errors), for filtering
    notes = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("dòng nhập danh sách")
        verbose_name_plural = _("dòng nhập danh sách")
        ordering = ["roster_import", "sheet", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["roster_import", "sheet", "number"], name="rosterimportrow_unique_row"
            ),
            models.CheckConstraint(
                condition=Q(sheet__in=["members", "events"]), name="rosterimportrow_sheet_valid"
            ),
        ]
        indexes = [
            # A member's rows of the events sheet, fetched a chunk of members at a time.
            models.Index(fields=["roster_import", "key"], name="rosterimportrow_key_idx"),
            # The preview's lists: rows with errors, by action.
            models.Index(
                fields=["roster_import", "error_count", "action"], name="rosterimportrow_list_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_sheet_display()}!{self.number}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Chờ chuẩn bị")
    BUILDING = "building", _("Đang chuẩn bị")
    READY = "ready", _("Sẵn sàng")
    FAILED = "failed", _("Lỗi")


class RosterExport(models.Model):
    """A unit's roster workbook prepared in the background, for a unit too large to export
    within a request (over ``settings.ROSTER_EXPORT_INLINE_MAX`` records: a province's
    196,000 take minutes, longer than a request may run).

    The workbook is kept in the database, in parts of at most 1 MiB (``RosterExportPart``), so
    that any worker can write it and any app server hand it out, neither holding the whole
    file in memory (a province's is 61 MB); only the person who asked for it may download
    it. Exports older than ``KEPT_FOR`` are deleted whenever anyone asks for a new one. The
    workflow lives in ``members.roster.exporting``; this model only records where an export
    stands.
    """

    Status = ExportStatus

    # Statuses in which a worker is (or is about to be) busy with the export. A worker that
    # dies leaves it BUILDING for good: its lock tells (``roster.exports_interrupted``), the
    # page says so, and the user asks again.
    BUSY_STATUSES = (Status.QUEUED, Status.BUILDING)
    KEPT_FOR = datetime.timedelta(days=7)

    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="+"
    )
    current_only = models.BooleanField(_("chỉ đảng viên hiện có"), default=False)
    # The export holds what this user may see (their scope when it is built), and only they
    # may download it: their exports go with them.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người yêu cầu"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("yêu cầu lúc"), auto_now_add=True)
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    started_at = models.DateTimeField(_("bắt đầu chuẩn bị lúc"), null=True, blank=True)
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)
    file_name = models.CharField(_("tên tệp"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"), null=True, blank=True)
    # What the user is told when the export failed (the details are in the worker's log).
    error = models.TextField(_("lỗi"), blank=True)

    class Meta:
        verbose_name = _("tệp xuất danh sách")
        verbose_name_plural = _("tệp xuất danh sách")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ExportStatus.values), name="rosterexport_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(size__isnull=True) | Q(status=ExportStatus.READY),
                name="rosterexport_size_only_ready",
            ),
        ]
        indexes = [
            # A user's exports by age: the old ones deleted at each new request, the unit's
            # latest on the export page.
            models.Index(fields=["created_by", "created_at"], name="rosterexport_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} ({self.created_at:%d/%m/%Y %H:%M})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("members:roster_export_detail", args=[self.pk])

    @property
    def is_busy(self) -> bool:
        return self.status in self.BUSY_STATUSES


class RosterExportPart(models.Model):
    """One part of a ready export's workbook: the file is the parts' data in ``number``
    order. Written with the export's READY in one transaction, deleted with the export."""

    export = models.ForeignKey(
        RosterExport, verbose_name=_("tệp xuất"), on_delete=models.CASCADE, related_name="parts"
    )
    number = models.PositiveIntegerField(_("phần số"))
    data = models.BinaryField(_("dữ liệu"))

    class Meta:
        verbose_name = _("phần của tệp xuất")
        verbose_name_plural = _("phần của tệp xuất")
        constraints = [
            models.UniqueConstraint(
                fields=["export", "number"], name="rosterexportpart_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.export_id}#{self.number}"


class RosterValueMapping(models.Model):
    """How an office writes a coded value ("Nam" as "1", "Kinh" as "01 - Kinh", a status as
    "CT"), or names a column: mapped once on the import's mapping page, offered again on the
    next upload. ``column`` is a column key, or ``HEADER`` for a header (its value: the key)."""

    HEADER = "__header__"

    office = models.ForeignKey(
        Unit,
        verbose_name=_("văn phòng"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="roster_value_mappings",
    )
    column = models.CharField(_("cột"), max_length=64)
    written = models.CharField(_("giá trị trong tệp (không dấu)"), max_length=200)
    value = models.CharField(_("giá trị"), max_length=64)

    class Meta:
        verbose_name = _("ghép giá trị khi nhập")
        verbose_name_plural = _("ghép giá trị khi nhập")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "column", "written"],
                name="rostervaluemapping_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.column}: {self.written} → {self.value}"
