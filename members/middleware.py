"""Personal data is never cached, and the superuser's admin reads are logged (issue 30).

Every response to a signed-in user carries ``Cache-Control: private, no-store``: every page
behind the sign-in shows members' data (names, units, party standing) or leads to it, and a
shared or browser cache must keep none of it. The admin's list and change pages, opened by the
superuser (the only one whose scope is everything), each leave a ``BulkRead`` row.
"""

from __future__ import annotations

from django.utils.cache import patch_cache_control

from .models import BulkRead
from .services.read_log import log_bulk_read


class PersonalDataMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True, no_cache=True)
            response.headers.pop("Expires", None)
            self._log_admin(request, response, user)
        return response

    @staticmethod
    def _log_admin(request, response, user) -> None:
        match = request.resolver_match
        if (
            match is None
            or match.namespace != "admin"
            or request.method != "GET"
            or response.status_code != 200
            or not (match.url_name or "").endswith(("_changelist", "_change"))
        ):
            return
        records = 1
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            records = changelist.result_count
        log_bulk_read(
            user=user, kind=BulkRead.Kind.ADMIN, what=request.get_full_path(), records=records
        )
