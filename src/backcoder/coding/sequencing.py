"""Reporting order: which code is listed first, and in what order the rest follow.

Within one problem the tree marks each code `first` (G89 at a pain-management encounter,
guideline I.C.6.b.1), `main` or `last`, and codes of the same rank keep the order the tree
reported them. The encounter's order across problems builds on this.
"""

from __future__ import annotations

from collections.abc import Iterable

from backcoder.engine.walk import ReportedCode
from backcoder.language.model import Sequence

RANK = {Sequence.first: 0, Sequence.main: 1, Sequence.last: 2}


def in_reporting_order(codes: Iterable[ReportedCode]) -> list[ReportedCode]:
    """First-sequenced codes, then the rest in the order the tree reported them."""
    return sorted(codes, key=lambda reported: RANK[reported.spec.sequence])
