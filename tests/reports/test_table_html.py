"""The report tables' HTML (reports.renderers.html), shared by the page and the PDF."""

from __future__ import annotations

from html.parser import HTMLParser

from django.utils import translation

from reports.renderers.html import table_html
from reports.tables import Cell, Column, Row, Table, display


class Outline(HTMLParser):
    """The tags, attributes and text of a fragment, in order; fails on unbalanced tags."""

    def __init__(self):
        super().__init__()
        self.items: list[tuple] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.items.append((tag, dict(attrs)))
        self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open.pop() == tag, f"</{tag}> closes another tag"

    def handle_data(self, data):
        self.items.append(("text", data))


def outline(html: str) -> list[tuple]:
    parser = Outline()
    parser.feed(html)
    parser.close()
    assert parser.open == [], "unclosed tags"
    return parser.items


def sample(**options) -> Table:
    total = Row("Cộng", [Cell(3), Cell(1_234)], strong=True)
    return Table(
        key="children",
        title="Theo đơn vị <trực thuộc>",
        label_header="Đơn vị",
        columns=[Column("Kết nạp"), Column("Đầu kỳ")],
        rows=[
            Row("Chi bộ A & B", [Cell(3, url="/r/a?x=1&y=2"), Cell(0)], url="/u/a", code="1"),
            Row("trong đó: nữ", [Cell(None), Cell(12.5, kind="decimal")], level=1),
        ],
        total=total,
        notes=["Ghi chú <1>"],
        **options,
    )


def test_a_table_has_its_caption_headers_rows_and_notes_with_everything_escaped():
    with translation.override("vi"):
        html = table_html(sample(), links=False)
    items = outline(html)
    assert items[0] == ("table", {"class": "report-table", "id": "table-children"})
    texts = [value for tag, value in items if tag == "text"]
    assert texts == [
        "Theo đơn vị <trực thuộc>",  # the caption
        "Đơn vị",
        "Kết nạp",
        "Đầu kỳ",
        "Chi bộ A & B",
        "3",
        "0",
        "trong đó: nữ",
        "—",
        "12,5",
        "Cộng",
        "3",
        "1.234",
        "Ghi chú <1>",
    ]
    assert "&lt;trực thuộc&gt;" in html and "A &amp; B" in html and "&lt;1&gt;" in html
    rows = [attrs.get("class") for tag, attrs in items if tag == "tr"]
    assert rows == [None, "level-0", "level-1", "level-0 strong total"]
    assert not [tag for tag, _ in items if tag == "a"], "no links when links=False"


def test_links_go_on_the_figures_and_rows_that_have_a_url_only_when_asked():
    items = outline(table_html(sample(), links=True))
    links = [attrs["href"] for tag, attrs in items if tag == "a"]
    assert links == ["/u/a", "/r/a?x=1&y=2"]
    assert "/r/a?x=1&amp;y=2" in table_html(sample(), links=True)


def test_the_caption_can_be_left_out_and_form_tables_get_their_codes():
    with translation.override("en"):
        html = table_html(sample(with_codes=True, wide=True), links=False, caption=False)
    items = outline(html)
    assert items[0] == ("table", {"class": "report-table wide form", "id": "table-children"})
    assert "caption" not in [tag for tag, _ in items]
    codes = [tag for tag, attrs in items if tag != "text" and attrs.get("class") == "code"]
    assert codes == ["th", "td", "td", "td"]  # the header's TT, then one per row
    texts = [value for tag, value in items if tag == "text"]
    assert texts[:2] == ["No.", "Đơn vị"]  # "TT", translated
    assert texts[4:6] == ["1", "Chi bộ A & B"]  # the first row's code, then its label


def test_figures_print_in_the_active_language_whichever_printed_first():
    # display() keeps what it printed, per language: switching back and forth must not mix.
    for _round in range(2):
        with translation.override("vi"):
            assert [display(1234), display(12.5, "decimal"), display(7)] == ["1.234", "12,5", "7"]
        with translation.override("en"):
            assert [display(1234), display(12.5, "decimal"), display(7)] == ["1,234", "12.5", "7"]
    with translation.override("en"):
        assert display(2.0, "decimal") == "2.0" and display(2, "decimal") == "2.0"
        assert display(None) == "—" and display("x", "text") == "x"
