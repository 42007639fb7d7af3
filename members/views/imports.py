"""Importing rosters in the browser: upload, see what the file would do, decide, confirm.

The work itself is ``members.roster``'s, run in the background (``members.tasks``): the upload
page stores the file and queues its check; the import's page shows the progress, then the
preview (rows to create, update, leave unchanged, events, likely duplicates, every error with
sheet, row and column), the user decides each likely duplicate and confirms; the commit is
queued and written all or nothing. Board and grassroots-office staff only, each seeing their
own uploads; what a file may touch is limited to their units by the check itself.

The export of a unit is the workbook itself for a small unit; a large one is prepared in the
background (``members.roster.exporting``) and downloaded from its own page by whoever asked.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from branches.access import get_unit
from branches.models import Unit, UnitParent
from common.dates import dmy

from .. import roster, tasks
from ..access import get_roster_export, get_roster_import
from ..forms import RosterUploadForm
from ..models import BulkRead, RosterExport, RosterImport, RosterImportRow
from ..roster import mapping
from ..roster.columns import COLUMNS, EventAction, decode, from_json
from ..roster.columns import header as column_header
from ..roster.reading import sniff
from ..services.read_log import log_bulk_read
from .steps import require_editor

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Row = RosterImportRow
Status = RosterImport.Status
MEMBERS, EVENTS = Row.Sheet.MEMBERS, Row.Sheet.EVENTS
DUPLICATE = Q(sheet=MEMBERS, action__in=[Row.Action.CREATE, Row.Action.SKIP]) & ~Q(duplicate_of="")

# The preview's lists: key -> (label, the summary's count, which rows).
LISTS = {
    "errors": (gettext_lazy("Lỗi"), "error_rows", Q(error_count__gt=0)),
    "duplicates": (gettext_lazy("Nghi trùng"), "duplicates", DUPLICATE),
    "create": (gettext_lazy("Thêm mới"), "create", Q(sheet=MEMBERS, action=Row.Action.CREATE)),
    "update": (gettext_lazy("Cập nhật"), "update", Q(sheet=MEMBERS, action=Row.Action.UPDATE)),
    "unchanged": (
        gettext_lazy("Không đổi"),
        "unchanged",
        Q(sheet=MEMBERS, action=Row.Action.UNCHANGED),
    ),
    "new_events": (
        gettext_lazy("Sự kiện mới"),
        "new_events",
        Q(sheet=EVENTS, action=Row.Action.NEW_EVENT),
    ),
    "known_events": (
        gettext_lazy("Sự kiện đã có"),
        "known_events",
        Q(sheet=EVENTS, action=Row.Action.KNOWN_EVENT),
    ),
    "skip": (gettext_lazy("Bỏ qua"), "skip", Q(action=Row.Action.SKIP)),
}


def _queue(task, job: RosterImport | RosterExport) -> None:
    """Enqueue once this request's writes are committed (the worker must see them)."""
    transaction.on_commit(lambda: task.enqueue(job.pk))


@login_required
@require_http_methods(["GET", "POST"])
def roster_import_list(request: HttpRequest) -> HttpResponse:
    """Upload a roster (the check is queued at once), and the user's latest uploads."""
    require_editor(request.user)
    posted = request.method == "POST"
    form = RosterUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        data = b"".join(upload.chunks())
        with transaction.atomic():
            ri = roster.create_import(data, file_name=upload.name, user=request.user)
            if _needs_mapping(data):
                return redirect("members:roster_import_map", pk=ri.pk)
            _queue(tasks.check_roster_import, ri)
        return redirect(ri)
    imports = (
        RosterImport.objects.filter(created_by=request.user)
        .defer("content")
        .order_by("-created_at", "-pk")[:20]
    )
    imports = list(imports)
    return render(
        request,
        "members/imports/import_list.html",
        {"form": form, "imports": imports, "interrupted": roster.interrupted(imports)},
    )


@login_required
@require_safe
def roster_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Where an import stands; once checked, its rows list by list, 50 a page."""
    require_editor(request.user)
    ri = get_roster_import(request.user, pk)
    summary = ri.summary or {}
    show = request.GET.get("show")
    if show not in LISTS:
        show = next(
            (
                key
                for key, count in (
                    ("errors", "error_rows"),
                    ("duplicates", "undecided"),
                    ("create", "create"),
                    ("update", "update"),
                    ("new_events", "new_events"),
                )
                if summary.get(count)
            ),
            "unchanged",
        )
    interrupted = roster.is_interrupted(ri)
    page = None
    if not ri.is_busy and ri.status not in (Status.DISCARDED, Status.FAILED):
        rows = ri.rows.filter(LISTS[show][2]).select_related("member").order_by("sheet", "number")
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        _for_display(page.object_list)
        log_bulk_read(
            user=request.user,
            kind=BulkRead.Kind.IMPORT_PREVIEW,
            what=f"{ri.file_name} · {show} · {page.number}",
            records=len(page.object_list),
        )
    tabs = [
        {"key": key, "label": label, "count": summary.get(count, 0), "current": key == show}
        for key, (label, count, _rows) in LISTS.items()
        if summary.get(count) or key == show
    ]
    return render(
        request,
        "members/imports/import_detail.html",
        {
            "ri": ri,
            "summary": summary,
            "show": show,
            "tabs": tabs,
            "page": page,
            "decisions": Row.Decision.choices[1:],
            "sheet_titles": {MEMBERS: roster.MEMBERS_SHEET, EVENTS: roster.EVENTS_SHEET},
            "may_confirm": ri.status == Status.READY and not summary.get("undecided"),
            "busy": ri.is_busy and not interrupted,
            "interrupted": interrupted,
            "may_recheck": interrupted or ri.status in RosterImport.SETTLED_STATUSES,
            "may_discard": interrupted or ri.status in RosterImport.SETTLED_STATUSES,
        },
    )


def _for_display(rows) -> None:
    """What the preview shows of each staged row, in the interface's language and dates."""
    titles = {MEMBERS: roster.MEMBERS_SHEET, EVENTS: roster.EVENTS_SHEET}
    columns = {c.key: c for c in roster.MEMBER_COLUMNS}
    actions = dict(EventAction.choices)
    for row in rows:
        values = decode(row.sheet, row.values)
        row.sheet_title = titles[row.sheet]
        row.where = _("trang %(sheet)s, dòng %(row)s") % {
            "sheet": row.sheet_title,
            "row": row.number,
        }
        row.name = values.get("full_name", "")
        row.ident = values.get("citizen_id") or values.get("party_card_no", "")
        row.unit_code = values.get("unit_code", "")
        row.decision_no = values.get("decision_no", "")
        row.date_of_birth = values.get("date_of_birth")
        row.effective_date = values.get("effective_date")
        row.action_label = actions.get(values.get("action"), "")
        row.changes_shown = [
            (columns[key].header, _shown(columns[key], old), _shown(columns[key], new))
            for key, (old, new) in row.changes.items()
        ]


def _shown(column, value) -> str:
    if value in (None, ""):
        return ""
    value = from_json(column, value)
    if column.kind == "code":
        return str(column.choices(value).label)
    if column.kind == "bool":
        return _("Có") if value else _("Không")
    if column.kind == "date":
        return dmy(value)
    return str(value)


def _refresh_summary(ri: RosterImport) -> None:
    ri.summary = roster.summarize(ri)
    RosterImport.objects.filter(pk=ri.pk).update(summary=ri.summary)


@login_required
@require_POST
def roster_import_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the user's decision on likely duplicates: these rows, or all still undecided."""
    require_editor(request.user)
    ri = get_roster_import(request.user, pk)
    if ri.status != Status.READY:
        messages.error(request, _("Chỉ chọn được khi tệp đã kiểm tra xong và chưa nhập."))
        return redirect(ri)
    allowed = {value for value, _label in Row.Decision.choices[1:]}
    duplicates = ri.rows.filter(DUPLICATE)
    everyone = request.POST.get("all")
    with transaction.atomic():
        if everyone in allowed:
            duplicates.filter(decision="").update(decision=everyone)
        else:
            chosen: dict[str, list[int]] = {value: [] for value in allowed}
            for key, value in request.POST.items():
                if key.startswith("row-") and key[4:].isdigit() and value in allowed:
                    chosen[value].append(int(key[4:]))
            for value, ids in chosen.items():
                if ids:
                    duplicates.filter(pk__in=ids).update(decision=value)
        # A skipped row is not created; the plan says so at the commit, and the lists now.
        duplicates.filter(decision=Row.Decision.SKIP).update(action=Row.Action.SKIP)
        duplicates.filter(decision=Row.Decision.CREATE).update(action=Row.Action.CREATE)
        _refresh_summary(ri)
    messages.success(request, _("Đã lưu lựa chọn."))
    return redirect(f"{ri.get_absolute_url()}?show=duplicates")


@login_required
@require_POST
def roster_import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue the commit, once: a second click finds the import no longer READY."""
    require_editor(request.user)
    ri = get_roster_import(request.user, pk)
    if (ri.summary or {}).get("undecided"):
        messages.error(request, _("Còn dòng nghi trùng chưa chọn cách xử lý."))
        return redirect(f"{ri.get_absolute_url()}?show=duplicates")
    with transaction.atomic():
        started = RosterImport.objects.filter(pk=ri.pk, status=Status.READY).update(
            status=Status.COMMITTING, taken_at=None
        )
        if started:
            _queue(tasks.commit_roster_import, ri)
    if not started:
        messages.error(request, _("Tệp này không còn chờ xác nhận."))
    return redirect(ri)


def _settled_or_interrupted(ri: RosterImport):
    """``ri`` (as a queryset, to update it only if it still is) when no worker is at it: its
    check or commit is over, or the worker that took it up is gone."""
    still = Q(status__in=RosterImport.SETTLED_STATUSES)
    if roster.is_interrupted(ri):  # and no worker has taken it up again since
        still |= Q(status=ri.status, taken_at=ri.taken_at)
    return RosterImport.objects.filter(still, pk=ri.pk)


@login_required
@require_POST
def roster_import_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    """Check the same file again (after the database changed, or the check failed)."""
    require_editor(request.user)
    ri = get_roster_import(request.user, pk)
    with transaction.atomic():
        queued = _settled_or_interrupted(ri).update(
            status=Status.UPLOADED, rows_done=0, taken_at=None
        )
        if queued:
            _queue(tasks.check_roster_import, ri)
    return redirect(ri)


@login_required
@require_POST
def roster_import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """Drop an import that will not be committed: its file and rows are deleted."""
    require_editor(request.user)
    ri = get_roster_import(request.user, pk)
    with transaction.atomic():
        dropped = _settled_or_interrupted(ri).update(
            status=Status.DISCARDED, content=b"", summary={}, taken_at=None
        )
        if dropped:
            ri.rows.all().delete()
    if dropped:
        messages.success(request, _("Đã hủy tệp “%(name)s”.") % {"name": ri.file_name})
    return redirect("members:roster_import_list")


def _xlsx(workbook: bytes | Iterator[bytes], name: str) -> HttpResponse:
    """A workbook to download as ``name``: its bytes, or its parts streamed one by one."""
    if isinstance(workbook, bytes):
        response = HttpResponse(workbook, content_type=XLSX)
    else:
        response = StreamingHttpResponse(workbook, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_safe
def roster_template(request: HttpRequest) -> HttpResponse:
    require_editor(request.user)
    out = io.BytesIO()
    roster.template_workbook(units=_template_units(request.user)).save(out)
    return _xlsx(out.getvalue(), "mau-nhap-danh-sach-dang-vien.xlsx")


def _template_units(user) -> list[tuple[str, str, str]]:
    """The open cells the user may import into, by name, each with the unit above it today:
    two queries."""
    cells = list(
        Unit.objects.editable_by(user)
        .filter(kind__in=Unit.MEMBER_KINDS, dissolved_on__isnull=True)
        .order_by("name", "code")
        .values_list("pk", "code", "name")
    )
    above = dict(
        UnitParent.objects.filter(
            unit_id__in=[pk for pk, _c, _n in cells], valid_to__isnull=True
        ).values_list("unit_id", "parent__name")
    )
    return [(code, name, above.get(pk, "")) for pk, code, name in cells]


@login_required
@require_safe
def roster_export(request: HttpRequest, code: str) -> HttpResponse:
    """The records kept in a unit's subtree (within the user's scope), in the import's shape:
    the workbook itself when they are at most ``ROSTER_EXPORT_INLINE_MAX``; else a page that
    offers to prepare it in the background (this page writes nothing)."""
    require_editor(request.user)
    unit = get_unit(request.user, code)
    current_only = bool(request.GET.get("current"))
    members = roster.export_members(unit=unit, user=request.user, current_only=current_only)
    if roster.fits_inline(members):
        out = io.BytesIO()
        count = roster.write_export(members, out)
        log_bulk_read(user=request.user, kind=BulkRead.Kind.ROSTER_EXPORT, unit=unit, records=count)
        return _xlsx(out.getvalue(), roster.export_file_name(unit, timezone.localdate()))
    return _large_export_page(request, unit, current_only, roster.fits_a_workbook(members))


def _large_export_page(request, unit, current_only: bool, fits: bool, status: int = 200):
    """The export page of a unit over the inline limit: the button that prepares the file,
    or (``fits`` false) why there is none; the user's recent exports of the unit."""
    recent = list(
        RosterExport.objects.filter(
            created_by=request.user,
            unit=unit,
            current_only=current_only,
            created_at__gte=timezone.now() - RosterExport.KEPT_FOR,
        )[:5]
    )
    context = {
        "unit": unit,
        "current_only": current_only,
        "limit": settings.ROSTER_EXPORT_INLINE_MAX,
        "fits": fits,
        "sheet_rows": roster.exporting.SHEET_ROWS - 1,
        "recent": recent,
        "interrupted": roster.exports_interrupted(recent),
        "kept_days": RosterExport.KEPT_FOR.days,
    }
    return render(request, "members/exports/export_large.html", context, status=status)


@login_required
@require_POST
def roster_export_request(request: HttpRequest, code: str) -> HttpResponse:
    """Prepare a unit's export in the background (the export page's button for a large unit);
    the user is sent to the export's page, which shows when it is ready. A unit too large for
    one workbook gets the export page again, saying so (status 400), and nothing is queued."""
    require_editor(request.user)
    unit = get_unit(request.user, code)
    current_only = bool(request.POST.get("current"))
    members = roster.export_members(unit=unit, user=request.user, current_only=current_only)
    if not roster.fits_a_workbook(members):
        return _large_export_page(request, unit, current_only, fits=False, status=400)
    with transaction.atomic():
        export = roster.request_export(unit=unit, user=request.user, current_only=current_only)
        _queue(tasks.build_roster_export, export)
    return redirect(export)


@login_required
@require_safe
def roster_export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Where a background export stands; once ready, its download link."""
    require_editor(request.user)
    export = get_roster_export(request.user, pk)
    interrupted = roster.is_export_interrupted(export)
    return render(
        request,
        "members/exports/export_detail.html",
        {"export": export, "interrupted": interrupted, "busy": export.is_busy and not interrupted},
    )


@login_required
@require_safe
def roster_export_file(request: HttpRequest, pk: int) -> HttpResponse:
    """A ready export's workbook, as the inline export would have sent it."""
    require_editor(request.user)
    export = get_roster_export(request.user, pk)
    if export.status != RosterExport.Status.READY:
        raise Http404
    log_bulk_read(
        user=request.user,
        kind=BulkRead.Kind.ROSTER_EXPORT,
        unit=export.unit,
        what=export.file_name,
    )
    # Streamed a part at a time: a province's file is 61 MB.
    response = _xlsx(roster.export_parts(export), export.file_name)
    response["Content-Length"] = export.size
    return response


# --- workbooks of other shapes: the mapping page (issue 29, roster/mapping.py) ------------------


def _needs_mapping(data: bytes) -> bool:
    """A readable workbook whose headers are not the template's; a file that cannot be read
    goes to the check, which says why."""
    if sniff(data, max_bytes=roster.MAX_BYTES):
        return False
    try:
        return not mapping.is_template_shaped(mapping.survey(data))
    except Exception:  # a corrupt file: the check reports it
        return False


def _column_choices(sheet: str) -> list[tuple[str, str]]:
    return [("", _("— bỏ qua cột này —"))] + [
        (c.key, c.header) for c in COLUMNS[sheet] if c.imported
    ]


@login_required
@require_http_methods(["GET", "POST"])
def roster_import_map(request: HttpRequest, pk: int) -> HttpResponse:
    """Which of the file's columns is which of ours, then what its coded values mean; then the
    check is queued as for the template."""
    require_editor(request.user)
    ri = get_roster_import(request.user, pk)
    if ri.status != Status.UPLOADED:
        return redirect(ri)
    office = mapping.office_of(request.user)
    step = request.POST.get("step") or request.GET.get("step") or "columns"
    if step == "values":
        return _map_values(request, ri, office)
    surveys = mapping.survey(bytes(ri.content))
    chosen = mapping.guess(surveys, office)
    problems = []
    if request.method == "POST":
        allowed = {s.sheet: {k for k, _l in _column_choices(s.sheet)} for s in surveys}
        for s in surveys:
            for index, header in enumerate(s.headers):
                if header:
                    value = request.POST.get(f"{s.sheet}-{index}", "")
                    chosen[s.sheet][header] = value if value in allowed[s.sheet] else ""
        for s in surveys:
            keys = [k for k in chosen[s.sheet].values() if k]
            for key in {k for k in keys if keys.count(k) > 1}:
                problems.append(
                    _("%(sheet)s: nhiều cột cùng là “%(column)s”.")
                    % {"sheet": s.title, "column": column_header(s.sheet, key)}
                )
            if s.sheet == MEMBERS or any(keys):
                for key in mapping.missing_required(s.sheet, chosen[s.sheet]):
                    problems.append(
                        _("%(sheet)s: chưa chọn cột “%(column)s”.")
                        % {"sheet": s.title, "column": column_header(s.sheet, key)}
                    )
        if not problems:
            mapping.save_columns(ri=ri, chosen=chosen, office=office)
            if mapping.unknown_values(ri, office):
                return redirect(reverse("members:roster_import_map", args=[ri.pk]) + "?step=values")
            with transaction.atomic():
                _queue(tasks.check_roster_import, ri)
            return redirect(ri)
    sheets = [
        {
            "survey": s,
            "choices": _column_choices(s.sheet),
            "rows": [
                {
                    "name": f"{s.sheet}-{index}",
                    "header": header,
                    "chosen": chosen[s.sheet].get(header, ""),
                    "samples": s.samples.get(header, []),
                }
                for index, header in enumerate(s.headers)
                if header
            ],
        }
        for s in surveys
    ]
    return render(
        request,
        "members/imports/import_map.html",
        {"ri": ri, "sheets": sheets, "problems": problems},
    )


def _map_values(request, ri: RosterImport, office) -> HttpResponse:
    unknown = mapping.unknown_values(ri, office)
    columns = {c.key: c for sheet in COLUMNS.values() for c in sheet}
    if request.method == "POST":
        chosen: dict[str, dict[str, str]] = {}
        for key, values in unknown.items():
            allowed = set(columns[key].choices.values)
            for index, written in enumerate(values):
                value = request.POST.get(f"{key}-{index}", "")
                if value in allowed and value:
                    chosen.setdefault(key, {})[written] = value
        mapping.save_values(chosen=chosen, office=office)
        with transaction.atomic():
            _queue(tasks.check_roster_import, ri)
        return redirect(ri)
    groups = [
        {
            "header": columns[key].header,
            "choices": [("", _("— chưa rõ: báo lỗi ở dòng —"))]
            + [(v, str(label)) for v, label in columns[key].choices.choices if v],
            "rows": [{"name": f"{key}-{i}", "written": w} for i, w in enumerate(values)],
        }
        for key, values in unknown.items()
    ]
    return render(request, "members/imports/import_map_values.html", {"ri": ri, "groups": groups})
