"""Issue 30, item 4: no URL answers a server error, whatever its query string.

Every URL pattern of the site (the admin's lists too, for the superuser) is opened with the
objects of the cast (tests/cast.py) and a fixed list of hostile query values (huge, negative,
non-numeric, unicode, very long, NUL, repeated keys) on every parameter any page reads."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.contrib import admin
from django.urls import URLResolver, get_resolver, reverse

# Every parameter a page reads (members list filters, report periods, records, imports, …).
KEYS = [
    "page",
    "q",
    "match",
    "sort",
    "unit",
    "status",
    "gender",
    "ethnicity",
    "religion",
    "show",
    "current",
    "from",
    "to",
    "year",
    "quarter",
    "period",
    "kind",
    "directive",
    "figure",
    "of",
    "next",
    "o",
    "p",
    "e",
    "all",
]
HOSTILE = [
    "184467440737095518",
    "9223372036854775808",
    "-1",
    "0",
    "1e308",
    "NaN",
    "abc",
    "ﾟ∀ﾟ🙂 Nguyễn",
    "9" * 5000,
    "x" * 10_000,
    "\x00",
    "' OR 1=1--",
    "31/02/2024",
    "01/01/99999",
    "[]",
]


def _patterns(resolver=None, prefix="", namespace=None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith("admin/"):
                continue  # the admin's pages are listed from its registry below
            yield from _patterns(pattern, prefix + str(pattern.pattern), pattern.namespace)
        elif pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern


def _urls(cast) -> list[str]:
    member = cast.members.b
    unit = cast.tree.cell_b
    urls = []
    for name, pattern in _patterns():
        keys = set(pattern.pattern.converters)
        if name in {"logout", "set_language"}:
            continue  # POST only, and logging out would end the crawl
        kwargs = {}
        for key in keys:
            kwargs[key] = {
                "pk": member.pk,
                "event_pk": member.events.first().pk,
                "code": unit.code,
                "number": 1,
            }[key]
        urls.append(reverse(name, kwargs=kwargs))
    return urls


def _admin_urls() -> list[str]:
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]


def _queries() -> list[str]:
    found = ["&".join(f"{key}={quote(value)}" for key in KEYS) for value in HOSTILE]
    found.append("page=1&page=abc&page=-5&q=a&q=" + quote("\u202e"))  # repeated keys
    found.append("page=" + quote("184467440737095518") + "&q=nguyen")  # the issue's own
    return found


def _server_errors(client, urls) -> list[tuple[str, int]]:
    bad = []
    for url in urls:
        for query in _queries():
            try:
                status = client.get(f"{url}?{query}").status_code
            except Exception as error:  # an exception is a 500 in production
                bad.append((f"{url}?{query[:80]}", repr(error)[:200]))
                continue
            if status >= 500:
                bad.append((f"{url}?{query[:80]}", status))
    return bad


@pytest.mark.parametrize("role", ["board", "office", "secretary"])
def test_no_page_answers_a_server_error_to_hostile_query_strings(client, cast, role):
    client.raise_request_exception = True
    client.force_login(getattr(cast.users, role))
    bad = _server_errors(client, _urls(cast))
    assert not bad, "\n".join(map(str, bad))


def test_no_admin_list_answers_a_server_error_to_hostile_query_strings(client, cast):
    client.raise_request_exception = True
    client.force_login(cast.users.admin)
    bad = _server_errors(client, _admin_urls())
    assert not bad, "\n".join(map(str, bad))


def test_the_issues_page_number_gives_a_page_not_a_server_error(client, cast):
    client.force_login(cast.users.board)
    response = client.get(
        reverse("members:member_list"), {"q": "nguyen", "page": "184467440737095518"}
    )
    assert response.status_code in (200, 404)
