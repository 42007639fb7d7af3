"""Every page a role may use is reachable by following links from its home page (issue 28):
a crawl with the test client, per role, GET only, within the site."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve

from tests.cast import cast  # noqa: F401 (fixture)
from tests.conftest import admit

HREF = re.compile(r'href="([^"#]+)"')
SKIPPED = ("/admin/", "/static/", "/i18n/", "/accounts/logout/", "/health/")

READER_PAGES = {
    "home",
    "branches:unit_tree",
    "branches:unit_detail",
    "members:member_list",
    "members:member_detail",
    "members:member_list_print",
    "members:member_list_xlsx",
    "report_index",
    "reports:unit_report",
    "reports:form1",
    "reports:form2",
    "reports:records",
    "password_change",
}
EDITOR_PAGES = READER_PAGES | {
    "members:member_admit",
    "members:member_transfer_in",
    "members:recognition_due",
    "members:member_recognize",
    "members:member_transfer",
    "members:member_remove",
    "members:member_death",
    "members:member_edit",
    "members:roster_import_list",
    "members:roster_template",
    "members:roster_export",
}


def crawl(client, limit: int = 400) -> set[str]:
    """The URL names reached from ``/`` (each path once, its first query string)."""
    seen_paths, reached = set(), set()
    queue = deque(["/"])
    while queue and len(seen_paths) < limit:
        url = queue.popleft()
        path = urlsplit(url).path
        if path in seen_paths or path.startswith(SKIPPED):
            continue
        seen_paths.add(path)
        try:
            match = resolve(path)
        except Resolver404:
            continue
        response = client.get(url)
        if response.status_code != 200:
            continue
        reached.add(match.view_name)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for href in HREF.findall(response.content.decode()):
            href = href.replace("&amp;", "&")
            if href.startswith("?"):
                href = path + href
            if href.startswith("/"):
                queue.append(href)
    return reached


@pytest.mark.parametrize(
    ("who", "pages"),
    [
        ("board", EDITOR_PAGES),
        ("office", EDITOR_PAGES),
        ("secretary", READER_PAGES),
        ("leader", READER_PAGES),
    ],
)
def test_every_page_of_a_role_is_reachable_from_its_home_page(client, cast, who, pages):  # noqa: F811
    # A probationer due for recognition, so that the recognition's link is there to follow.
    from tests.conftest import d

    admit(cast.tree.cell_b, d("2025-01-01"), full_name="Ngô Văn Dự")
    client.force_login(getattr(cast.users, who))
    reached = crawl(client)
    assert pages - reached == set()


def test_the_menu_shows_the_editing_jobs_only_to_editors(client, cast):  # noqa: F811
    client.force_login(cast.users.secretary)
    page = client.get("/").content.decode()
    nav = page.split('class="main-nav"')[1].split("</nav>")[0]
    assert "/reports/" in nav and "/members/" in nav
    assert "/members/new/" not in nav and "/members/recognitions/" not in nav
    client.force_login(cast.users.office)
    nav = client.get("/").content.decode().split('class="main-nav"')[1].split("</nav>")[0]
    for url in (
        "/members/new/",
        "/members/transfer-in/",
        "/members/recognitions/",
        "/members/imports/",
    ):
        assert url in nav


def test_the_header_search_finds_by_citizen_id_with_spaces(client, cast):  # noqa: F811
    from tests.conftest import d

    member = admit(
        cast.tree.cell_b, d("2020-01-01"), full_name="Hà Văn Số", citizen_id="092085001234"
    )
    client.force_login(cast.users.board)
    home = client.get("/").content.decode()
    assert 'class="header-search' in home and 'name="q"' in home
    response = client.get("/members/", {"q": "0920 8500 1234", "status": ""})
    assert [m.pk for m in response.context["page"].object_list] == [member.pk]


def test_every_page_has_breadcrumbs_from_home(client, cast):  # noqa: F811
    client.force_login(cast.users.board)
    for url in (
        "/members/",
        f"/members/{cast.members.b.pk}/",
        "/units/",
        f"/units/{cast.tree.gc.code}/",
        "/reports/",
        f"/reports/{cast.tree.gc.code}/",
        "/members/new/",
        "/members/imports/",
    ):
        page = client.get(url).content.decode()
        crumbs = page.split('class="breadcrumbs')[1].split("</nav>")[0]
        assert 'href="/"' in crumbs and 'aria-current="page"' in crumbs, url
