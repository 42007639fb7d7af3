"""Charts as inline SVG, built on the server (no JavaScript, no outside asset), so that the page,
its printout and the PDF show the same picture."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .figures import YearFlows
from .tables import display

ADMITTED_COLOUR = "#a50e0e"
REMOVED_COLOUR = "#6b6b6b"
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^k at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def year_chart_svg(
    years: Sequence[YearFlows], *, title: str, width: int = 640, height: int = 250
) -> SafeString:
    """Bars of admissions and removals for each year, with their values and a legend."""
    left, right, top, bottom = 44, 12, 34, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max((max(y.admitted, y.removed) for y in years), default=0)
    ceiling = _nice_ceiling(highest)
    admitted_label, removed_label = _("Kết nạp"), _("Đưa ra khỏi Đảng")

    def y_of(value: int) -> float:
        return top + plot_h - plot_h * value / ceiling

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="{FONT}" font-size="11" aria-labelledby="chart-title">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    # Grid lines and their values: 0, a half and the ceiling.
    for value in sorted({0, ceiling // 2, ceiling}):
        y = y_of(value)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="#cccccc" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555555">'
            f"{escape(display(value))}</text>"
        )
    # Legend.
    legend_x = left
    for colour, label in ((ADMITTED_COLOUR, admitted_label), (REMOVED_COLOUR, removed_label)):
        parts.append(
            f'<rect x="{legend_x}" y="8" width="12" height="12" fill="{colour}"/>'
            f'<text x="{legend_x + 17}" y="18.5">{escape(label)}</text>'
        )
        legend_x += 30 + 7 * len(label)
    # Bars: a group per year, two bars per group.
    if years:
        group_w = plot_w / len(years)
        bar_w = min(34.0, group_w * 0.34)
        for index, year in enumerate(years):
            centre = left + group_w * (index + 0.5)
            for offset, value, colour, label in (
                (-bar_w, year.admitted, ADMITTED_COLOUR, admitted_label),
                (0.0, year.removed, REMOVED_COLOUR, removed_label),
            ):
                x = centre + offset
                y = y_of(value)
                bar_h = top + plot_h - y
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" '
                    f'fill="{colour}"><title>{escape(label)} {year.year}: '
                    f"{escape(display(value))}</title></rect>"
                )
                parts.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">'
                    f"{escape(display(value))}</text>"
                )
            parts.append(
                f'<text x="{centre:.1f}" y="{height - 9}" text-anchor="middle" fill="#333333">'
                f"{year.year}</text>"
            )
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        f'stroke="#333333" stroke-width="1"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped
