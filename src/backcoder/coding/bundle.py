"""A rule bundle: what a run codes with, however it was loaded."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from backcoder.icd.tabular import Tabular
from backcoder.language.compiled import Derived
from backcoder.language.knowledge import Knowledge
from backcoder.language.model import RuleSet


@dataclass
class RuleBundle:
    """A rule set, the tabular knowledge that goes with it, and what its paths show."""

    rules: RuleSet
    tabular: Tabular
    path: Path
    stored_derived: Derived | None = None
    knowledge: Knowledge | None = None

    @cached_property
    def derived(self) -> Derived:
        """Stored by `rules build`; derived from every path when the rule file has no
        current built form (slower, and only `explain`, `compare` and `questions` need it)."""
        if self.stored_derived is not None:
            return self.stored_derived
        from backcoder.proof.derive import derive

        return derive(self.rules)

    @property
    def asked_when(self) -> dict[str, str]:
        return self.derived.asked_when
