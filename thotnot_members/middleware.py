import contextvars
import datetime
import logging
import re
import time
import uuid

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.functional import SimpleLazyObject, empty


class VietnameseFirstLocaleMiddleware(LocaleMiddleware):
    """Vietnamese unless the user chose English with the switch (the language cookie).

    The browser's Accept-Language is not consulted: office machines often run English-language
    browsers, and the staff still work in Vietnamese.
    """

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


# --- Request IDs and the access log (issue 29, "logs and errors") -------------------------

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
access_logger = logging.getLogger("thotnot.access")


def current_request_id() -> str:
    """The ID of the request being served in this thread ("-" outside a request)."""
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Gives every log record ``request_id``, so one format serves the app's lines and the
    access log's, and a server error's traceback names the request the user quotes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class LocalTimeFormatter(logging.Formatter):
    """Times as ISO 8601 with the offset (2026-12-08T11:05:09.123+0700): the app's lines and
    gunicorn's read the same, whatever time zone the server keeps."""

    def formatTime(self, record, datefmt=None):
        moment = datetime.datetime.fromtimestamp(record.created).astimezone()
        return (
            moment.strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{moment.microsecond // 1000:03d}"
            + (moment.strftime("%z"))
        )


class RequestIdMiddleware:
    """Gives each request an ID (the proxy's ``X-Request-ID`` when it sent a sane one: nginx's
    ``$request_id``, so its log and ours join), returns it in the ``X-Request-ID`` header,
    shows it on the server error page (templates/500.html) and writes one access-log line per
    request: method, path (never the query string, which may hold a searched name), status,
    milliseconds, user id. Outermost but for SecurityMiddleware, so every response has it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get("X-Request-ID", "")
        request_id = sent if _VALID_ID.fullmatch(sent) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            if settings.ACCESS_LOG:
                access_logger.info(
                    "%s %s %s %dms user=%s",
                    request.method,
                    request.path,
                    response.status_code,
                    (time.monotonic() - started) * 1000,
                    _user_id(request),
                )
            return response
        finally:
            _request_id.reset(token)


def _user_id(request) -> str:
    """The signed-in user's id, if the request already looked the user up (the log line costs
    no query of its own), else "-"."""
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    return str(user.pk) if user is not None and user.is_authenticated else "-"
