"""The log of bulk and sensitive reads (``BulkRead``, issue 30), for the offices.

An office (an editing role: a grassroots office, the board) sees the reads of the units in its
scope; the superuser sees every read, the admin's included. Readers (cell secretaries,
leaders) get 403, as on the other pages of the offices."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from branches.access import may_edit_anything
from branches.models import Unit

from ..models import BulkRead

PAGE_SIZE = 50


@login_required
@require_safe
def bulk_read_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not may_edit_anything(user):
        raise PermissionDenied
    reads = BulkRead.objects.select_related("user", "unit")
    if not user.is_superuser:
        reads = reads.filter(unit__in=Unit.objects.visible_to(user))
    page = Paginator(reads, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "members/reads.html", {"page": page})
