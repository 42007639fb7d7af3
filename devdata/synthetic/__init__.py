"""Synthetic party data at any scale: a whole tree and twenty years of history, fast.

``generate(members=N, seed=S)`` builds, deterministically for a seed (same seed, same rows, same
ids on an empty database):

- the tree: the centre, provinces (up to 34), commune and ward committees (above grassroots,
  ~16 grassroots organizations each), grassroots committees (with cells, sometimes grouped under
  intermediate committees) and grassroots cells, sized like the Party (5.6 million members,
  ~52,000 grassroots organizations, ~270,000 cells at N = 5,600,000), with the kinds' rules of
  ``Unit.CHILD_KINDS``; and some reorganization: a few grassroots organizations moved between
  communes, a few communes merged into a neighbour on 01/07/2025 (dissolved, their
  organizations moved), a few cells dissolved into a sibling (their members transferred first),
  a few units founded during the twenty years;
- N members on a roll at the end (``until``, 31/12/2025 by default), and about a tenth more
  who left (died, struck off, discharged, expelled, transferred out), with every kind of event:
  admissions since 1970 (age 18-60), recognitions 12 months after the ceremony, transfers
  between cells, temporary transfers, exemptions, re-admissions (once, 36 months after a
  removal that allows it), restorations, arrivals from outside; removals and admissions since
  2019 mostly under Directive 28-CT/TW.

It bypasses the event services for speed (bulk inserts; COPY on PostgreSQL), so it writes
exactly what they would: ``Event`` rows that satisfy every check constraint and every rule the
services check, the ``Membership`` periods they open and close, the cached ``Member.status``,
``unit``, ``record_unit``, ``admitted_on`` and ``recognized_on`` (``MemberState.after`` applied
to the same events), ``name_folded`` and ``name_sort_key`` from ``common.vntext``, the
``UnitParent`` links and the ``UnitAncestry`` closure computed by
``branches.services.compute_ancestry`` (the rows ``rebuild_ancestry`` writes) and the
``Unit.spans_tree`` flag (``branches.services.mark_spanning_root``). It writes no
django-simple-history rows (the synthetic records have no author and no past edits) and no
users. ``tests/members/test_synthetic.py`` checks all of that on small N.
"""

from __future__ import annotations

import datetime

from .generator import Counts, Generator
from .tree import UNTIL

__all__ = ["Counts", "Generator", "generate"]


def generate(*, members: int, seed: int, until: datetime.date = UNTIL, say=None) -> Counts:
    """Build the synthetic tree and history (see the module docstring); one transaction."""
    return Generator(members=members, seed=seed, until=until, say=say).run()
