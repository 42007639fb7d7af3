"""Numbers read from a query string: a page number or an id, never a server error.

``int("9" * 5000)`` raises (Python's digit limit), and a number past 64 bits overflows the
database's OFFSET or integer: both were a 500 from a hand-typed URL (issue 30)."""

from __future__ import annotations

# The largest integer a query parameter may name: PostgreSQL's and SQLite's 64-bit integer,
# divided so that an OFFSET of (page - 1) x page size stays within it for any page size.
PARAM_INT_MAX = 2**31 - 1


def int_param(value, *, default: int | None = None, low: int = 1, high: int = PARAM_INT_MAX):
    """``value`` (a raw GET value) as an int within ``low``..``high`` (clamped), else
    ``default`` when it is no whole number at all."""
    if isinstance(value, bool) or value is None:
        return default
    written = str(value).strip()
    negative = written.startswith("-")
    digits = written[1:] if negative else written
    if not (digits.isascii() and digits.isdigit()):
        return default
    if len(digits) > 18:  # past any page or id, and past int()'s digit limit: clamped
        return low if negative else high
    return max(low, min(high, int(written)))
