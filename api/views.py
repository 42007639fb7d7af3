"""The read-only JSON API (django-ninja; OpenAPI schema at /api/v1/openapi.json).

Every call carries ``Authorization: Bearer <key>`` of an ``ApiToken``; the token reads what a
reader's role on its unit reads (404 for a unit outside it, as for a user), the roster only if
the token allows it (403 otherwise); a revoked or unknown key gets 401. Each call leaves an
``ApiCall`` row, refused ones included. The figures come from the same builders as the report
pages (``reports.unit_report``, ``reports.official_forms``), read as the pages read them
(``report_reads()``), so the numbers are the page's.
"""

from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError

from branches.access import get_unit
from branches.models import UnitAncestry
from members.models import Directive, Member
from reports import official_forms
from reports.forms import ReportPeriodForm
from reports.tables import Row, Table
from reports.unit_report import build_unit_report
from thotnot_members.replica import report_reads

from .auth import TokenAuth
from .models import ApiCall, ApiToken, hash_key

# No interactive docs page: Swagger's would load its script from outside (and the CSP forbids
# it); the schema itself is served.
api = NinjaAPI(
    title="Thốt Nốt — hồ sơ đảng viên",
    version="1",
    description="Read-only: report figures, official forms 1 and 2, and the roster.",
    auth=TokenAuth(),
    docs_url=None,
    urls_namespace="api",
)

ROSTER_FIELDS = (
    "id",
    "full_name",
    "gender",
    "date_of_birth",
    "status",
    "admitted_on",
    "recognized_on",
    "party_card_no",
)


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    _log(request, 401, code="", records=0)
    return api.create_response(request, {"detail": "Unauthorized"}, status=401)


def _log(request, status: int, *, code: str, records: int) -> None:
    token = getattr(request, "api_token", None)
    if token is None:  # an unknown or revoked key: logged against the revoked token if any
        header = request.headers.get("Authorization", "")
        key = header.split(" ", 1)[1].strip() if " " in header else ""
        token = ApiToken.objects.filter(key_hash=hash_key(key)).first() if key else None
    if token is None:
        return
    ApiCall.objects.create(
        token=token,
        at=timezone.now(),
        path=request.get_full_path()[:500],
        unit_code=code[:50],
        status=status,
        records=records,
    )


def logged(view):
    """Log the call with its status and how many records it returned."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, code: str, *args, **kwargs):
        try:
            result, records = view(request, code, *args, **kwargs)
        except Http404:
            _log(request, 404, code=code, records=0)
            raise HttpError(404, "Not Found") from None
        except PermissionDenied:
            _log(request, 403, code=code, records=0)
            raise HttpError(403, "Forbidden") from None
        except HttpError as error:
            _log(request, error.status_code, code=code, records=0)
            raise
        _log(request, 200, code=code, records=records)
        return result

    return wrapper


def _period(request, *, with_directive: bool):
    directives = list(Directive.objects.order_by("-issued_on", "code")) if with_directive else []
    form = ReportPeriodForm(request.GET, directives=directives, with_directive=with_directive)
    if not form.is_valid():
        raise HttpError(400, form.errors.as_json())
    return form.period(timezone.localdate())


def _row(row: Row) -> dict:
    return {
        "code": row.code,
        "label": str(row.label),
        "level": row.level,
        "unit": row.unit_code or None,
        "values": [cell.value for cell in row.cells],
    }


def table_json(table: Table) -> dict:
    return {
        "key": table.key,
        "title": str(table.title),
        "columns": [str(column.label) for column in table.columns],
        "rows": [_row(row) for row in table.rows],
        "total": _row(table.total) if table.total is not None else None,
        "notes": [str(note) for note in table.notes],
    }


def _period_json(period) -> dict:
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "directive": period.directive.code if period.directive else None,
    }


@api.get("/units/{code}/report", summary="The Directive 28 report of a unit for a period")
@logged
def unit_report(request, code: str):
    unit = get_unit(request.auth, code)
    period = _period(request, with_directive=True)
    with report_reads():
        report = build_unit_report(unit, period.start, period.end, period.directive)
        body = {
            "unit": {"code": unit.code, "name": unit.name},
            "period": _period_json(period),
            "key_figures": {name: cell.value for name, _label, cell in report.key_figures()},
            "tables": [table_json(t) for t in report.tables()],
        }
    return body, 0


@api.get("/units/{code}/forms/{number}", summary="Official form 1 or 2 of a unit for a period")
@logged
def official_form(request, code: str, number: int):
    unit = get_unit(request.auth, code)
    builder = {1: official_forms.form1, 2: official_forms.form2}.get(number)
    if builder is None:
        raise Http404
    period = _period(request, with_directive=False)
    with report_reads():
        form = builder(unit, period.start, period.end)
        body = {
            "unit": {"code": unit.code, "name": unit.name},
            "period": _period_json(period),
            "form": number,
            "title": str(form.title),
            "table": table_json(form.table),
        }
    return body, 0


@api.get("/units/{code}/members", summary="The members whose file the unit's subtree keeps")
@logged
def roster(request, code: str):
    unit = get_unit(request.auth, code)
    if not request.api_token.may_read_roster:
        raise PermissionDenied
    members = (
        Member.objects.visible_to(request.auth)
        .filter(record_unit_id__in=UnitAncestry.objects.filter(ancestor=unit).values("unit_id"))
        .select_related("unit", "record_unit")
        .order_by("name_sort_key", "pk")
    )
    rows = [
        {
            **{field: _plain(getattr(member, field)) for field in ROSTER_FIELDS},
            "unit": member.unit.code if member.unit else None,
            "record_unit": member.record_unit.code,
        }
        for member in members
    ]
    return {"unit": unit.code, "count": len(rows), "members": rows}, len(rows)


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
