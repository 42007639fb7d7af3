"""Reading pages: the home page, the member list and a member's record. GET only.

Every page reads through the scoping helpers (``visible_to``, ``get_member``); nothing here
decides who sees what. Opening a record writes a ``RecordView`` row, for every role.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Collate
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from branches.models import Role
from reports.figures import unit_figures

from .. import rules
from ..access import get_member, may_edit_member
from ..filters import MATCH_ANYWHERE, MATCH_START, MemberFilter
from ..models import ACTIVE_STATUSES, Event, Member, RecordView, Status
from ..selectors import probationers_due

PAGE_SIZE = 50
# The member list counts at most this many matches: counting a whole province's or country's
# members on every page would cost more than the page (the list says "more than 10,000").
COUNT_CAP = 10_000
RECENT_EVENTS = 10
RECENT_VIEWS = 20
DUE_SHOWN = 50


# --- home --------------------------------------------------------------------------------


@login_required
@require_safe
def home(request):
    """The user's units with this year's figures, probations due, and the latest events."""
    today = timezone.localdate()
    year_start = datetime.date(today.year, 1, 1)
    roles = Role.objects.read_for(request.user)
    units = []
    for role in roles:
        unit = role.unit
        # A dissolved unit has no members now; its page keeps its figures for past periods.
        figures = unit_figures(unit, year_start, today) if unit.exists_on(today) else None
        units.append({"role": role, "unit": unit, "figures": figures})
    due = probationers_due(request.user, today)
    recent = list(
        Event.objects.visible_to(request.user)
        .select_related("member", "unit")
        .order_by("-effective_date", "-pk")[:RECENT_EVENTS]
    )
    return render(
        request,
        "home.html",
        {
            "today": today,
            "year_start": year_start,
            "units": units,
            "is_superuser": request.user.is_superuser,
            "due": due[:DUE_SHOWN],
            "due_count": len(due),
            "due_overdue": sum(1 for m in due if m.overdue),
            "recent": recent,
        },
    )


# --- member list -------------------------------------------------------------------------


class CappedPaginator(Paginator):
    """A paginator that counts at most ``cap`` rows (``capped`` tells whether there are more):
    the pages reach the first ``cap`` rows; a reader narrows the filter for the rest.

    ``rows``, when set: makes a page's rows from the queryset of its slice of ``object_list``
    (a deferred join: the list orders and slices the ids alone, which its indexes can give
    without reading a row, and reads only the page's rows in full)."""

    rows: Callable[[QuerySet], list] | None = None

    def __init__(self, object_list, per_page, cap: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        # One query, which stops after cap + 1 rows (in no order: ordering would make the
        # database find the first cap + 1 in order, walking an index through a province).
        return self.object_list.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap

    def _get_page(self, object_list, number, paginator):
        if self.rows is not None:
            object_list = self.rows(object_list)
        return super()._get_page(object_list, number, paginator)

    def sorted_matches_page(
        self, matches: QuerySet, number, *, descending: bool, sort_all: bool
    ) -> Page | None:
        """A search's page in name order and the count of its matches, from one reading of
        them: the matches (``sort_all``: all of them, as a search anywhere in the name is
        sorted however many match; otherwise the first cap + 1, in no order, as ``_counted``
        reads them) counted and sorted (``Bytewise``), the page sliced from them. The count
        is kept; the page is returned when it is right: when the sorted matches hold it (all
        the matches, or no more than the cap of them) and its number is one of the list's.
        Otherwise None: the list reads its page as before, with the count already known.

        One query instead of two: the count and the sorted page each read every match (a
        province's 67,000 "nguyen thi" index entries to keep its 2,500; for a search anywhere,
        43,000 rows read to check their names), and this reads them once.
        """
        try:
            number = int(number)
        except (TypeError, ValueError):
            number = 1  # as get_page does
        if number < 1 or matches.query.is_empty():
            return None  # get_page's answer (the last page; no match) needs no shortcut
        first = matches.order_by().values(pk_=F("pk"), key_=F("name_sort_key"))
        if not sort_all:
            first = first[: self.cap + 1]
        compiler = first.query.get_compiler(using=first.db)
        sql, params = compiler.as_sql()
        key, _params = compiler.compile(Bytewise(RawSQL('"key_"', ())))
        order = "DESC" if descending else "ASC"
        # Django's ORM has no common table expression; the parts are its own compiled SQL.
        # Read twice, the matches are materialized once (PostgreSQL materializes a CTE that is
        # read more than once): counted, and sorted for the page (a top-N sort). A window
        # count instead makes the database carry all the sorted matches to the page's end
        # (nationwide "sen", 43,000 matches: 180 ms against 125).
        with connections[first.db].cursor() as cursor:
            cursor.execute(
                f'WITH "matches" AS ({sql}) '
                f'SELECT "pk_", (SELECT COUNT(*) FROM "matches") FROM "matches" '
                f'ORDER BY {key} {order}, "pk_" {order} LIMIT %s OFFSET %s',
                (*params, self.per_page, (number - 1) * self.per_page),
            )
            found = cursor.fetchall()
        if not found:
            if number > 1:
                return None  # past the last page: get_page counts and shows the last
            self._counted = 0
            return Page([], number, self)
        self._counted = min(found[0][1], self.cap + 1)
        if (self.capped and not sort_all) or number > self.num_pages:
            return None  # only some matches were sorted, or past the pages of the cap's rows
        # The page stops at the cap's last row, as the paginator's own slice does.
        ids = [pk for pk, _total in found][: self.count - (number - 1) * self.per_page]
        return Page(self.rows(ids) if self.rows is not None else ids, number, self)


class Bytewise(Collate):
    """A text compared byte by byte (collation "C" on PostgreSQL, BINARY on SQLite): for the
    name's sort key, which holds only digits, "!" and spaces, the same order as the column's
    own collation, compared faster, and served by no index (``_ordering``)."""

    def __init__(self, expression):
        super().__init__(expression, "C")

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, collation="BINARY", **extra_context)


# GET ``sort`` values and the columns they order by; "-" in front for descending.
SORTS = {
    "name": ("name_sort_key",),
    "dob": ("date_of_birth",),
    "admitted": ("admitted_on",),
    "unit": ("record_unit__name", "name_sort_key"),
}
DEFAULT_SORT = "name"
# The list's columns in order, with the sort key of those that sort.
COLUMNS = [
    ("name", gettext_lazy("Họ và tên")),
    (None, gettext_lazy("Giới tính")),
    ("dob", gettext_lazy("Ngày sinh")),
    ("unit", gettext_lazy("Chi bộ")),
    (None, gettext_lazy("Trạng thái")),
    ("admitted", gettext_lazy("Ngày vào Đảng")),
    (None, gettext_lazy("Ngày chính thức")),
]


def _ordering(sort: str, *, sort_matches: bool = False) -> tuple[str, list]:
    """The whitelisted sort key and its ORDER BY; an unknown key gives the default.

    ``sort_matches``: order the name by an expression that no index serves (``Bytewise``), so
    that the database sorts the matches of a search, read with their sort keys from the name
    indexes alone, instead of walking the name-order index until a page of them turns up.
    The list is in given-name order: the matches of a search anywhere in the name (mostly a
    given name, "sen") sit together late in that index, which PostgreSQL would otherwise walk
    (4 million rows read for 50 shown, 6 s; sorting its 43,000 matches: 0.2 s); those of a
    search from the start (a family name) are spread through it, and walking it until 50 of a
    province's 2,500 "nguyen thi" turn up took 0.1-0.3 s (sorting them: 30 ms).
    """
    descending = sort.startswith("-")
    key = sort[1:] if descending else sort
    if key not in SORTS:
        key, descending = DEFAULT_SORT, False
    fields = [Bytewise(f) if sort_matches and f == "name_sort_key" else F(f) for f in SORTS[key]]
    ordered = [f.desc() if descending else f.asc() for f in fields]
    return ("-" if descending else "") + key, [*ordered, "-pk" if descending else "pk"]


def _sorts_matches(searching: str | None, paginator: CappedPaginator) -> bool:
    """Whether the list sorts a search's matches (``_ordering``): always for a search anywhere
    in the name; from the start, unless there are more than the cap. So many matches of a
    prefix ("nguyen" nationwide: 2 million) are dense in the name order, where the walk finds
    a page at once and sorting them all would take seconds."""
    if searching == MATCH_ANYWHERE:
        return True
    return searching == MATCH_START and not paginator.capped


def _rows_in(order_by: list) -> Callable[[object], list[Member]]:
    """A page's members, with their cells, from its ids (a subquery or a list)."""
    return lambda ids: list(
        Member.objects.filter(pk__in=ids).select_related("record_unit").order_by(*order_by)
    )


@login_required
@require_safe
def member_list(request):
    members = Member.objects.visible_to(request.user)
    filterset = MemberFilter(request.GET or None, queryset=members, request=request)
    if filterset.is_bound and not filterset.is_valid():
        members = members.none()  # a wrong filter shows its error, never a wider list
    elif filterset.is_bound:
        members = filterset.qs
    paginator = CappedPaginator(members.values("pk"), PAGE_SIZE, COUNT_CAP)
    asked = request.GET.get("sort", DEFAULT_SORT)
    page = None
    if filterset.searching and _ordering(asked)[0].lstrip("-") == "name":
        # A search in name order (the list's own): its matches counted and sorted at once.
        sort, order_by = _ordering(asked, sort_matches=True)
        paginator.rows = _rows_in(order_by)
        page = paginator.sorted_matches_page(
            members,
            request.GET.get("page"),
            descending=sort.startswith("-"),
            sort_all=filterset.searching == MATCH_ANYWHERE,
        )
    if page is None:
        # Counted first: the order is chosen once the matches are counted (``_sorts_matches``).
        sort_matches = _sorts_matches(filterset.searching, paginator)
        sort, order_by = _ordering(asked, sort_matches=sort_matches)
        if filterset.searching == MATCH_START and not sort_matches and sort == "name":
            # A prefix over the cap is walked in name order: from its names' floor.
            members = members.from_floor_of_prefix(filterset.form.cleaned_data["q"])
        paginator.object_list = members.order_by(*order_by).values("pk")
        paginator.rows = _rows_in(order_by)
        page = paginator.get_page(request.GET.get("page"))
    columns = []
    for key, label in COLUMNS:
        current = key is not None and sort.lstrip("-") == key
        descending = current and sort.startswith("-")
        columns.append(
            {
                "label": label,
                "sort": None if key is None else (key if not current or descending else f"-{key}"),
                "current": current,
                "descending": descending,
            }
        )
    return render(
        request,
        "members/member_list.html",
        {
            "filter": filterset,
            "form": filterset.form,
            "page": page,
            "sort": sort,
            "columns": columns,
        },
    )


# --- a member's record -------------------------------------------------------------------

# Fields that say nothing to a reader of the audit trail.
AUDIT_SKIPPED = {
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "name_folded",
    "name_sort_key",
}


def _display(field, value) -> str:
    """A field's value as the record shows it: choices by label, dates dd/mm/yyyy, yes/no."""
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _record(member: Member) -> list[tuple[str, str]]:
    meta = Member._meta
    return [
        (
            str(meta.get_field(name).verbose_name),
            _display(meta.get_field(name), getattr(member, name)),
        )
        for name in rules.RECORD_FIELDS
    ]


@dataclasses.dataclass(frozen=True)
class _Change:
    field: str
    old: object
    new: object


def _changes(rows, model) -> list[dict]:
    """Consecutive history rows of one object, diffed in Python: who changed what, when.

    ``rows`` are in chronological order; a row without a predecessor is the creation.
    ``diff_against`` compares only the fields a form may edit, so the fields the services
    keep (status, cells) are compared here as well: they are what an audit most needs.
    """
    skipped = AUDIT_SKIPPED | {"id", "member"}
    tracked = [f for f in model._meta.fields if f.name not in skipped]
    kept = [f for f in tracked if not f.editable]
    entries = []
    previous = None
    for row in rows:
        if previous is None or row.history_type != "~":
            changes = []
        else:
            delta = row.diff_against(previous, excluded_fields=skipped)
            changes = [
                _Change(c.field, c.old, c.new) for c in delta.changes if c.field not in skipped
            ] + [
                _Change(f.name, getattr(previous, f.attname), getattr(row, f.attname))
                for f in kept
                if getattr(previous, f.attname) != getattr(row, f.attname)
            ]
            if not changes:
                previous = row
                continue  # saved again without a change
        previous = row
        entries.append({"row": row, "changes": changes})
    return entries


def _audit(member: Member, events: list[Event]) -> list[dict]:
    """The member's and their events' history, newest first: two queries, plus one for the
    names of the units and one for the directives that some change refers to, if any."""
    member_rows = list(
        member.history.select_related("history_user").order_by("history_date", "history_id")
    )
    event_rows = defaultdict(list)
    for row in (
        Event.history.filter(member_id=member.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        event_rows[row.id].append(row)

    entries = []
    for entry in _changes(member_rows, Member):
        entry["model"], entry["subject"] = Member, _("Hồ sơ")
        entries.append(entry)
    for rows in event_rows.values():
        for entry in _changes(rows, Event):
            entry["model"] = Event
            entry["subject"] = _("Sự kiện: %(kind)s") % {"kind": Event.Kind(rows[-1].kind).label}
            entries.append(entry)

    # Foreign keys are shown by name, fetched once for all the changes.
    wanted = defaultdict(set)
    for entry in entries:
        for change in entry["changes"]:
            field = entry["model"]._meta.get_field(change.field)
            if field.is_relation:
                wanted[field.related_model].update(v for v in (change.old, change.new) if v)
    names = {}
    for model, pks in wanted.items():
        names.update({(model, obj.pk): str(obj) for obj in model.objects.filter(pk__in=pks)})
    for entry in entries:
        lines = []
        for change in entry["changes"]:
            field = entry["model"]._meta.get_field(change.field)
            if field.is_relation:
                old, new = (
                    names.get((field.related_model, v), "—") if v else "—"
                    for v in (change.old, change.new)
                )
            else:
                old, new = _display(field, change.old), _display(field, change.new)
            lines.append({"field": str(field.verbose_name), "old": old, "new": new})
        entry["lines"] = lines
    entries.sort(key=lambda e: (e["row"].history_date, e["row"].history_id), reverse=True)
    return entries


def _probation_ends(member: Member, events: list[Event]) -> datetime.date | None:
    """``services.probation_ends`` from the events already loaded (no query)."""
    admissions = [e for e in events if e.kind in Event.ADMISSION_KINDS]
    return rules.probation_end(rules.probation_start(admissions, member.admitted_on))


@login_required
@require_safe
def member_detail(request, pk: int):
    member = get_member(request.user, pk)
    RecordView.objects.create(user=request.user, member=member)
    events = list(
        member.events.select_related("unit", "other_unit", "directive").order_by(
            "effective_date", "pk"
        )
    )
    may_edit = may_edit_member(request.user, member)
    context = {
        "member": member,
        "record": _record(member),
        "events": events,
        "may_edit": may_edit,
        "is_active": member.status in ACTIVE_STATUSES,
        "is_probationary": member.status == Status.PROBATIONARY,
        "is_removed": member.status == Status.REMOVED,
        "probation_ends": (
            _probation_ends(member, events) if member.status == Status.PROBATIONARY else None
        ),
        "today": timezone.localdate(),
    }
    if may_edit:
        context["audit"] = _audit(member, events)
        context["views"] = list(member.views.select_related("user")[:RECENT_VIEWS])
    return render(request, "members/member_detail.html", context)
