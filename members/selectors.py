"""Reads of members that a page needs in one query (writes live in ``members.services``)."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable

from django.core.paginator import Page
from django.db.models import F

from branches.models import Unit

from . import rules
from .filters import ACTIVE, MATCH_ANYWHERE, MATCH_START, MemberFilter
from .models import Member, Status
from .search import Bytewise, CappedPaginator


def _with_probation_ends(member: Member) -> Member:
    """``member`` (annotated by ``with_probation_start``) given ``probation_ends``."""
    member.probation_ends = rules.probation_end(member.probation_start)
    return member


def probationers_due(user, today: datetime.date, within_days: int = 30) -> list[Member]:
    """Probationary members in ``user``'s scope whose probation has ended or ends within
    ``within_days`` days, soonest first.

    The end of probation is ``rules.probation_end``, from the start that
    ``Member.objects.with_probation_start()`` puts in the same query as the list. Each member
    gets ``probation_ends`` (a date) and ``overdue`` (the end is already past).
    """
    limit = today + datetime.timedelta(days=within_days)
    candidates = (
        Member.objects.visible_to(user)
        .filter(status=Status.PROBATIONARY)
        .with_probation_start()
        .filter(probation_start__lte=rules.latest_probation_start(limit))
        .select_related("unit")
    )
    due = []
    for member in map(_with_probation_ends, candidates):
        if member.probation_ends <= limit:
            member.overdue = member.probation_ends < today
            due.append(member)
    due.sort(key=lambda m: (m.probation_ends, m.name_sort_key, m.pk))
    return due


RECOGNITION_ORDER = {"overdue": 0, "due": 1, "waiting": 2}


def recognition_list(user, today: datetime.date) -> list[Member]:
    """Probationary members in ``user``'s editable scope, with ``probation_ends``
    (``rules.probation_end``), ``deadline`` (``rules.recognition_deadline``) and
    ``recognition`` (overdue, due, waiting), those past the deadline first. One query."""
    members = list(
        map(
            _with_probation_ends,
            Member.objects.editable_by(user)
            .filter(status=Status.PROBATIONARY)
            .with_probation_start()
            .select_related("unit"),
        )
    )
    for member in members:
        ends = member.probation_ends
        member.deadline = rules.recognition_deadline(ends) if ends else None
        if ends is None or ends > today:
            member.recognition = "waiting"
        elif member.deadline < today:
            member.recognition = "overdue"
        else:
            member.recognition = "due"
    members.sort(
        key=lambda m: (
            RECOGNITION_ORDER[m.recognition],
            m.probation_ends or datetime.date.max,
            m.name_sort_key,
            m.pk,
        )
    )
    return members


# --- the member list ---------------------------------------------------------------------

PAGE_SIZE = 50
# The member list counts at most this many matches: counting a whole province's or country's
# members on every page would cost more than the page (the list says "more than 10,000").
COUNT_CAP = 10_000

# GET ``sort`` values and the columns they order by; "-" in front for descending.
SORTS = {
    "name": ("name_sort_key",),
    "dob": ("date_of_birth",),
    "admitted": ("admitted_on",),
    "unit": ("record_unit__name", "name_sort_key"),
}
DEFAULT_SORT = "name"


def _ordering(sort: str, *, sort_matches: bool = False) -> tuple[str, list]:
    """The whitelisted sort key and its ORDER BY; an unknown key gives the default.

    ``sort_matches``: order the name by an expression that no index serves (``Bytewise``), so
    that the database sorts the matches of a search, read with their sort keys from the name
    indexes alone, instead of walking the name-order index until a page of them turns up:
    the list is in given-name order, through which a search's matches are spread or sit
    late (``docs/decisions/0004-name-dictionary.md``).
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
    prefix are dense in the name order, where the walk finds a page at once and sorting them
    all would not."""
    if searching == MATCH_ANYWHERE:
        return True
    return searching == MATCH_START and not paginator.capped


def _rows_in(order_by: list) -> Callable[[object], list[Member]]:
    """A page's members, with their cells, from its ids (a subquery or a list)."""
    return lambda ids: list(
        Member.objects.filter(pk__in=ids).select_related("record_unit").order_by(*order_by)
    )


@dataclasses.dataclass(frozen=True)
class MemberListPage:
    """A page of the member list: the filters as asked, the page's members (with their
    record's cell) and the sort in force ("-" in front for descending)."""

    filter: MemberFilter
    page: Page
    sort: str


def list_filters(query):
    """The member list's filters as asked, opening on the members on the roll today: a
    request that names no status asks for ``ACTIVE`` ("Tất cả" sends an empty status)."""
    data = query.copy()
    data.setdefault("status", ACTIVE)
    return data


def member_list_page(request) -> MemberListPage:
    """The page of members in the user's scope that the request's filters, sort and page
    number ask for. A search's matches are counted and sorted in one query where they can be
    (``CappedPaginator.sorted_matches_page``), else counted, then paged."""
    members = Member.objects.visible_to(request.user)
    filterset = MemberFilter(list_filters(request.GET), queryset=members, request=request)
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
    return MemberListPage(filter=filterset, page=page, sort=sort)


# A list taken away (printed, to Excel) holds every filtered row, up to the list's count cap.
TAKEAWAY_MAX = COUNT_CAP


@dataclasses.dataclass(frozen=True)
class TakeawayList:
    """Every member the list's filters select, in name order, with what was asked."""

    filter: MemberFilter
    members: list[Member]
    more: bool  # over TAKEAWAY_MAX: the list stops there
    asked: list[tuple[str, str]]  # (filter's label, the value chosen), for the heading


def member_list_takeaway(request) -> TakeawayList:
    """The member list as its filters ask, every row (``TAKEAWAY_MAX`` at most), in the
    user's scope, each with its record's cell: two queries and the filter's own."""
    members = Member.objects.visible_to(request.user)
    filterset = MemberFilter(list_filters(request.GET), queryset=members, request=request)
    if not filterset.is_valid():
        return TakeawayList(filter=filterset, members=[], more=False, asked=[])
    rows = list(filterset.qs.select_related("record_unit").vietnamese_order()[: TAKEAWAY_MAX + 1])
    asked = []
    form = filterset.form
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if name == "match" or value in (None, ""):
            continue
        if isinstance(value, Unit):
            shown = value.name
        elif name != "q" and getattr(field, "choices", None):
            shown = str(dict(field.choices).get(value, value))
        else:
            shown = str(value)
        asked.append((str(field.label), shown))
    return TakeawayList(
        filter=filterset, members=rows[:TAKEAWAY_MAX], more=len(rows) > TAKEAWAY_MAX, asked=asked
    )
