"""The API's bearer tokens, read as a reader's role on the token's unit."""

from __future__ import annotations

from ninja.security import HttpBearer

from .models import ApiToken


class TokenReader:
    """Stands for the token wherever the app asks for a user: not a superuser, with one role
    on the token's unit that edits nothing (``Role.objects.unit_ids_of`` reads the role units
    kept on the user object). So ``Unit.objects.visible_to``, ``get_unit`` and
    ``Member.objects.visible_to`` scope a token exactly as they scope a reader."""

    is_authenticated = True
    is_anonymous = False
    is_superuser = False
    is_staff = False
    pk = None

    def __init__(self, token: ApiToken):
        self.token = token
        self._role_units_cache = [(token.unit_id, None)]


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        found = ApiToken.objects.for_key(token)
        if found is None:
            return None
        request.api_token = found
        return TokenReader(found)
