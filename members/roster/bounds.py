"""What an uploaded workbook unpacks to, checked before openpyxl reads it.

An .xlsx is a zip of XML parts: a 94 KB file can hold a row of 20 million empty cells or a
1 GB string, and openpyxl builds each row (and every shared string) in memory. So the file is
judged by what it unpacks to, in two passes that never hold more than a chunk of XML:

1. ``check_archive``: the zip's directory only (``infolist``): every part's uncompressed size,
   their total, the compression ratio of the large parts, and macros (``vbaProject.bin``).
2. ``check_sheets``: each sheet and the shared strings streamed through expat, 1 MiB at a
   time: the declared dimension, the cells in a row, the rows in a sheet, the characters in a
   cell or a shared string.

Each limit is a setting (``ROSTER_UPLOAD_*``, thotnot_members/settings.py); each refusal is a
Vietnamese message naming the part and the limit. Reading after these checks (read-only,
streamed) keeps memory bounded by the largest row and the shared strings, both capped here.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.utils import column_index_from_string

CHUNK = 1 << 20
_MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    unpacked_max: int  # bytes, all parts together
    part_max: int  # bytes, one part
    ratio_max: int  # uncompressed / compressed, for parts over 1 MiB
    columns_max: int  # cells in a row; the last column of the dimension
    rows_max: int  # rows in a sheet (their numbers, blank ones included)
    cell_chars_max: int  # characters in one cell or one shared string

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            unpacked_max=settings.ROSTER_UPLOAD_UNPACKED_MAX,
            part_max=settings.ROSTER_UPLOAD_PART_MAX,
            ratio_max=settings.ROSTER_UPLOAD_RATIO_MAX,
            columns_max=settings.ROSTER_UPLOAD_COLUMNS_MAX,
            rows_max=settings.ROSTER_UPLOAD_ROWS_MAX,
            cell_chars_max=settings.ROSTER_UPLOAD_CELL_CHARS_MAX,
        )


class Refused(Exception):
    """The workbook is refused; ``str()`` is the message for the user."""


def _mb(size: int) -> str:
    return f"{size / _MIB:.1f}".replace(".", ",")


def _n(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def check_archive(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse by the zip's directory alone: macros, parts too large or too compressed."""
    total = 0
    for info in archive.infolist():
        name = info.filename.lower()
        if name.endswith("vbaproject.bin") or (name.endswith(".bin") and "vba" in name):
            raise Refused(
                _("Tệp có macro (.xlsm): hãy lưu lại dạng .xlsx không có macro rồi tải lại.")
            )
        total += info.file_size
        if info.file_size > limits.part_max:
            raise Refused(
                _("Phần “%(part)s” của tệp giải nén ra %(size)s MB; giới hạn là %(limit)s MB.")
                % {
                    "part": info.filename,
                    "size": _mb(info.file_size),
                    "limit": _mb(limits.part_max),
                }
            )
        if info.file_size > _MIB and info.file_size > limits.ratio_max * max(info.compress_size, 1):
            raise Refused(
                _(
                    "Phần “%(part)s” của tệp nén quá mức (%(ratio)s lần; giới hạn %(limit)s lần):"
                    " tệp có thể chứa hàng triệu ô trống. Hãy sao chép dữ liệu sang tệp mới."
                )
                % {
                    "part": info.filename,
                    "ratio": _n(info.file_size // max(info.compress_size, 1)),
                    "limit": _n(limits.ratio_max),
                }
            )
    if total > limits.unpacked_max:
        raise Refused(
            _("Tệp giải nén ra %(size)s MB; giới hạn là %(limit)s MB.")
            % {"size": _mb(total), "limit": _mb(limits.unpacked_max)}
        )
    for info in archive.infolist():
        small = info.file_size < _MIB
        if (
            info.filename == "[Content_Types].xml"
            and small
            and b"macroEnabled" in archive.read(info)
        ):
            raise Refused(
                _("Tệp có macro (.xlsm): hãy lưu lại dạng .xlsx không có macro rồi tải lại.")
            )


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


def _cell_ref(ref: str) -> tuple[int, int] | None:
    m = _REF.match(ref or "")
    if not m:
        return None
    return column_index_from_string(m.group(1).upper()), int(m.group(2))


class _Scan:
    """One XML part streamed through expat; refuses as soon as a limit is passed."""

    def __init__(self, part: str, limits: Limits):
        self.part = part
        self.limits = limits
        self.cells_in_row = 0
        self.rows = 0
        self.text_chars = 0  # of the current cell or shared string
        self.in_text = 0
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.chars

    def feed(self, stream) -> None:
        while chunk := stream.read(CHUNK):
            self.parser.Parse(chunk, False)
        self.parser.Parse(b"", True)

    def start(self, name: str, attrs: dict) -> None:
        tag = name.rpartition(":")[2]
        if tag == "c":
            self.cells_in_row += 1
            if self.cells_in_row > self.limits.columns_max:
                raise Refused(
                    _("%(part)s: dòng %(row)s có quá %(limit)s ô; hãy xoá các cột thừa.")
                    % {
                        "part": self.part,
                        "row": _n(self.rows),
                        "limit": _n(self.limits.columns_max),
                    }
                )
            self.text_chars = 0
        elif tag == "row":
            self.rows += 1
            self.cells_in_row = 0
            number = attrs.get("r")
            if number and number.isdigit() and int(number) > self.limits.rows_max:
                self._too_many_rows()
            if self.rows > self.limits.rows_max:
                self._too_many_rows()
        elif tag == "si":
            self.text_chars = 0
        elif tag in ("v", "t"):
            self.in_text += 1
        elif tag == "dimension":
            self.dimension(attrs.get("ref", ""))

    def end(self, name: str) -> None:
        if name.rpartition(":")[2] in ("v", "t"):
            self.in_text -= 1

    def chars(self, data: str) -> None:
        if self.in_text:
            self.text_chars += len(data)
            if self.text_chars > self.limits.cell_chars_max:
                raise Refused(
                    _("%(part)s: một ô có quá %(limit)s ký tự.")
                    % {"part": self.part, "limit": _n(self.limits.cell_chars_max)}
                )

    def dimension(self, ref: str) -> None:
        last = _cell_ref(ref.rpartition(":")[2])
        if last is None:
            return
        columns, rows = last
        if columns > self.limits.columns_max or rows > self.limits.rows_max:
            raise Refused(
                _(
                    "%(part)s: vùng dữ liệu khai báo “%(ref)s” quá lớn (giới hạn %(columns)s cột,"
                    " %(rows)s dòng); hãy xoá các dòng, cột thừa."
                )
                % {
                    "part": self.part,
                    "ref": ref,
                    "columns": _n(self.limits.columns_max),
                    "rows": _n(self.limits.rows_max),
                }
            )

    def _too_many_rows(self):
        raise Refused(
            _("%(part)s: trang tính có quá %(limit)s dòng; hãy chia nhỏ tệp.")
            % {"part": self.part, "limit": _n(self.limits.rows_max)}
        )


def check_sheets(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Stream every worksheet and the shared strings; refuse at the first limit passed."""
    for info in archive.infolist():
        name = info.filename
        if not name.endswith(".xml"):
            continue
        if not (name.startswith("xl/worksheets/") or name.endswith("sharedStrings.xml")):
            continue
        scan = _Scan(name, limits)
        try:
            with archive.open(info) as stream:
                scan.feed(stream)
        except expat.ExpatError:
            raise Refused(_("Tệp bị hỏng: không đọc được trang tính.")) from None


def check(data: bytes, limits: Limits | None = None) -> None:
    """Refuse ``data`` (a zip) whose parts unpack past the limits; ``Refused`` says why."""
    limits = limits or Limits.from_settings()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        raise Refused(_("Tệp không phải tệp Excel .xlsx.")) from None
    with archive:
        check_archive(archive, limits)
        try:
            check_sheets(archive, limits)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError):
            raise Refused(_("Tệp bị hỏng hoặc không phải tệp Excel .xlsx.")) from None
