"""An encounter: a visit with several back problems, each coded on its own, then assembled.

Each problem walks the tree alone (its region, trauma, nerve, cause and vertebra are its
own); shared answers fill what a problem does not say. The encounter's codes are assembled
from the problems' typed results by the guidelines:

- a pain symptom is not reported beside a definitive diagnosis or injury of another problem
  that explains it at the same site (I.B.5; the rule file's `explains` table);
- an Excludes1 pair across problems is resolved, never reported silently: both codes when
  the rule file allows the pair for unrelated conditions at different sites (I.A.12.a),
  else the more specific code, the one the other code's note points to;
- each code once, with the problems it came from; G89 at a pain-management encounter first
  (I.C.6.b.1), then the problems in the order listed.

The conventions come from `icd.conventions` and the order from `coding.sequencing`, the same
functions `rules check` and the audit use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from backcoder import __version__
from backcoder.coding.result import (
    CodeLine,
    EncounterResult,
    ProblemResult,
    Reason,
    Role,
)
from backcoder.engine.answers import Answer
from backcoder.errors import BackcoderError
from backcoder.icd.conventions import Excludes1Notes, is_sequela
from backcoder.icd.tabular import Tabular, fiscal_year
from backcoder.language.model import (
    NOT_DOCUMENTED,
    SPECIFICITY,
    Explanation,
    Kind,
    RuleSet,
    matching_values,
)
from backcoder.language.model import Sequence as Sequencing

if TYPE_CHECKING:
    from backcoder.coding.coder import Coder

UNKNOWN_SITES = frozenset({NOT_DOCUMENTED})
DEFINITIVE = frozenset({Kind.diagnosis, Kind.injury})


class Occurrence(NamedTuple):
    """A code as one problem reported it."""

    line: CodeLine
    problem: int
    position: int


def code_encounter(
    coder: Coder,
    shared: Mapping[str, Answer],
    own: Sequence[Mapping[str, Answer]],
    missing_hint: str = "pass -a {number}.{question}=VALUE",
) -> EncounterResult:
    """Each problem coded with the shared answers under its own, then the encounter."""
    results = tuple(
        code_problem(coder, shared, answers, number, missing_hint)
        for number, answers in enumerate(own, 1)
    )
    return coder.assembler.assemble(shared, results)


def code_problem(
    coder: Coder,
    shared: Mapping[str, Answer],
    answers: Mapping[str, Answer],
    number: int,
    missing_hint: str = "pass -a {number}.{question}=VALUE",
) -> ProblemResult:
    """One problem's result; its `unused` lists only its own answers (shared ones that no
    problem needs are the encounter's)."""
    hint = missing_hint.replace("{number}", str(number))
    try:
        result = coder.code({**shared, **answers}, missing_hint=hint)
    except BackcoderError as exc:
        raise in_problem(exc, number) from None
    return result._replace(unused={k: a for k, a in result.unused.items() if k in answers})


def in_problem(error: BackcoderError, number: int) -> BackcoderError:
    """The same error, its message naming the problem: `problem 2: ...`."""
    return type(error)(f"problem {number}: {error}")


PairDecision = tuple[str, int | None, str, tuple[str, ...]] | None
"""How two codes of different problems stand: (`explains` or `excludes1`, the index of the
one left out or None to keep both, the reason's text with {0} and {1} for the problems,
sources); None when nothing stands between them."""


class Assembler:
    """Assembles the encounters of one rule set. What it works out for a pair of codes (at
    their sites) holds for every encounter, so it is remembered: a batch of visits asks
    about the same pairs again and again. Plain data only: it pickles with the engine."""

    def __init__(self, rules: RuleSet, tabular: Tabular) -> None:
        self.rules = rules
        self.tabular = tabular
        self.notes = Excludes1Notes(tabular)
        self.guideline = f"ICD-10-CM Official Guidelines FY{fiscal_year(rules.icd10cm)}, section"
        self._pairs: dict[tuple[str, tuple[str, ...], str, tuple[str, ...]], PairDecision] = {}

    def assemble(
        self, shared: Mapping[str, Answer], results: Sequence[ProblemResult]
    ) -> EncounterResult:
        codes, rationale = self.codes(results)
        asked = {step.question for result in results for step in result.path}
        return EncounterResult(
            codes=codes,
            rationale=rationale,
            queries=_tagged(results, "queries"),
            checklist=_tagged(results, "checklist"),
            more_specific=_tagged(results, "more_specific"),
            warnings=tuple(dict.fromkeys(w for result in results for w in result.warnings)),
            problems=tuple(results),
            unused={key: answer for key, answer in shared.items() if key not in asked},
            shared=dict(shared),
            rules=results[0].rules,
            backcoder=__version__,
        )

    def codes(
        self, results: Sequence[ProblemResult]
    ) -> tuple[tuple[CodeLine, ...], tuple[Reason, ...]]:
        """The encounter's codes in reporting order, and why: each code's reasons, then the
        decisions across problems."""
        occurrences = [
            Occurrence(line, number, position)
            for number, result in enumerate(results, 1)
            for position, line in enumerate(result.codes)
        ]
        kept, decisions = self.decide(occurrences)
        leading = {n for n, result in enumerate(results, 1) if self.leads(result)}
        codes = merged_codes(kept, leading)
        return codes, _rationale(codes, results) + decisions + _sequencing(codes, self.guideline)

    def leads(self, result: ProblemResult) -> bool:
        """Whether the problem's first-sequenced codes lead the encounter (`leads_when`)."""
        wanted = self.rules.leads_when
        if not wanted:
            return False
        answers = {step.question: step.answer.values for step in result.path}
        return all(
            not matching_values(value).isdisjoint(answers.get(key, ()))
            for key, value in wanted.items()
        )

    def decide(self, occurrences: list[Occurrence]) -> tuple[list[Occurrence], tuple[Reason, ...]]:
        """The occurrences left once every pair of codes of different problems is settled:
        first the symptoms another problem's diagnosis explains at the same site (I.B.5),
        then the Excludes1 pairs (I.A.12.a); and the reason for each decision."""
        dropped: set[int] = set()
        reasons: list[Reason] = []
        for kind in ("explains", "excludes1"):
            for i, first in enumerate(occurrences):
                for j in range(i + 1, len(occurrences)):
                    second = occurrences[j]
                    if i in dropped or j in dropped or first.problem == second.problem:
                        continue
                    decision = self.pair(first.line, second.line)
                    if decision is None or decision[0] != kind:
                        continue
                    _, loser, text, sources = decision
                    problems = (first.problem, second.problem)
                    reasons.append(Reason(None, text.format(*problems), sources, problems))
                    if loser is not None:
                        dropped.add(i if loser == 0 else j)
        kept = [o for n, o in enumerate(occurrences) if n not in dropped]
        return kept, tuple(reasons)

    def pair(self, first: CodeLine, second: CodeLine) -> PairDecision:
        key = (first.code, first.sites, second.code, second.sites)
        try:
            return self._pairs[key]
        except KeyError:
            decision = self._pairs[key] = self._decide_pair(first, second)
            return decision

    def _decide_pair(self, first: CodeLine, second: CodeLine) -> PairDecision:
        if first.code == second.code:
            return None
        for symptom, cause, loser in ((first, second, 0), (second, first, 1)):
            entry = self._explaining(symptom, cause)
            if entry is not None:
                at = "{0}" if loser == 0 else "{1}"
                by = "{1}" if loser == 0 else "{0}"
                text = (
                    f"{symptom.code} ({symptom.description}) of problem {at} is not reported: "
                    f"{cause.code} of problem {by} explains it at the same site. {entry.why}"
                )
                return "explains", loser, text, (f"{self.guideline} I.B.5",)
        return self._excludes1(first, second)

    def _explaining(self, symptom: CodeLine, cause: CodeLine) -> Explanation | None:
        if symptom.kind is not Kind.symptom or cause.kind not in DEFINITIVE:
            return None
        if is_sequela(self.tabular, cause.code) or not same_site(symptom, cause):
            return None
        return self.rules.explanation(symptom.code, cause.code)

    def _excludes1(self, first: CodeLine, second: CodeLine) -> PairDecision:
        """Both codes when they stand at different documented sites: unrelated conditions
        (I.A.12.a; a G89 code is not bound to a site, so it never qualifies); both beside a
        sequela, whose residual is coded with it (I.C.19.a); else the less specific gives
        way."""
        a, b = first.code, second.code
        note_a, note_b = self.notes.note(a, b), self.notes.note(b, a)
        if note_a is None and note_b is None:
            return None
        note = note_a or note_b
        if not same_site(first, second) and Kind.pain not in (first.kind, second.kind):
            why = self.rules.excludes1_exception(a, b) or (
                "the conditions are at different documented sites, so they are unrelated"
            )
            text = f"{a} and {b} are both reported despite {note}: {why}"
            return "excludes1", None, text, (f"{self.guideline} I.A.12.a",)
        sequela = next((c for c in (first, second) if is_sequela(self.tabular, c.code)), None)
        if sequela is not None:
            text = (
                f"{a} and {b} are both reported despite {note}: {sequela.code} is a sequela, "
                "and its residual condition is coded beside it"
            )
            return "excludes1", None, text, (f"{self.guideline} I.C.19.a",)
        loser = more_general(first, second, note_a, note_b)
        gone, kept = (first, second) if loser == 0 else (second, first)
        at, by = ("{0}", "{1}") if loser == 0 else ("{1}", "{0}")
        note = (note_a if loser == 0 else note_b) or note
        text = (
            f"{gone.code} of problem {at} is not reported: {note}. The more specific "
            f"{kept.code} of problem {by} is kept."
        )
        return "excludes1", loser, text, (f"{self.guideline} I.A.12.a", f"Tabular {note}")


def _tagged(results: Sequence[ProblemResult], field: str) -> tuple[Any, ...]:
    """A field of every problem, each item naming its problem."""
    return tuple(
        item._replace(problem=number)
        for number, result in enumerate(results, 1)
        for item in getattr(result, field)
    )


def same_site(first: CodeLine, second: CodeLine) -> bool:
    """Two codes meet at a site unless both sites are documented and differ."""
    one, other = set(first.sites) - UNKNOWN_SITES, set(second.sites) - UNKNOWN_SITES
    return not one or not other or bool(one & other)


def more_general(first: CodeLine, second: CodeLine, note_a: str | None, note_b: str | None) -> int:
    """Which of an Excludes1 pair gives way (0 or 1): the less specific kind of code;
    between codes of one kind, the one whose note names the other (M54.5 excludes lumbago
    with sciatica, M54.4-, which includes it); when each names the other, the second."""
    rank_a, rank_b = SPECIFICITY[first.kind], SPECIFICITY[second.kind]
    if rank_a != rank_b:
        return 0 if rank_a < rank_b else 1
    if (note_a is None) != (note_b is None):
        return 0 if note_a is not None else 1
    return 1


# ------------------------------------------------------------------ order


def merged_codes(occurrences: list[Occurrence], leading: set[int]) -> tuple[CodeLine, ...]:
    """Each code once, listing every problem it came from, in reporting order: a leading
    problem's first-sequenced codes (G89 at a pain-management encounter), then the problems
    as listed, each in its own order, then the codes sequenced last (G89 as additional)."""

    def tier(occurrence: Occurrence) -> int:
        sequence = occurrence.line.sequence
        if sequence is Sequencing.first:
            return 0 if occurrence.problem in leading else 1
        return 2 if sequence is Sequencing.last else 1

    ordered = sorted(occurrences, key=lambda o: (tier(o), o.problem, o.position))
    problems: dict[str, list[int]] = {}
    first_seen: dict[str, CodeLine] = {}
    for occurrence in ordered:
        code = occurrence.line.code
        first_seen.setdefault(code, occurrence.line)
        found = problems.setdefault(code, [])
        if occurrence.problem not in found:
            found.append(occurrence.problem)
    lines = []
    for position, (code, line) in enumerate(first_seen.items()):
        first = position == 0 and not line.follows
        lines.append(
            line._replace(
                role=Role.first_listed if first else Role.additional,
                problems=tuple(problems[code]),
            )
        )
    return tuple(lines)


def _rationale(codes: tuple[CodeLine, ...], results: Sequence[ProblemResult]) -> tuple[Reason, ...]:
    """Each reported code's reasons, once per distinct reason, naming the problems it holds
    for; then the problems' decisions that add no code."""
    reported = {line.code for line in codes}
    by_text: dict[tuple[str | None, str], list[int]] = {}
    sources: dict[tuple[str | None, str], tuple[str, ...]] = {}
    for number, result in enumerate(results, 1):
        for reason in result.rationale:
            if reason.code is not None and reason.code not in reported:
                continue
            key = (reason.code, reason.reason)
            by_text.setdefault(key, []).append(number)
            sources.setdefault(key, reason.sources)
    order = {line.code: n for n, line in enumerate(codes)}
    keys = sorted(by_text, key=lambda key: (key[0] is None, order.get(key[0] or "", 0)))
    return tuple(
        Reason(code, text, sources[(code, text)], tuple(by_text[(code, text)]))
        for code, text in keys
    )


def _sequencing(codes: tuple[CodeLine, ...], guideline: str) -> tuple[Reason, ...]:
    """Why the first-listed code is not the first problem's, when it is not."""
    if not codes or 1 in codes[0].problems or codes[0].sequence is not Sequencing.first:
        return ()
    first = codes[0]
    text = (
        f"{first.code} is listed first although it comes from problem "
        f"{first.problems[0]}: the tree sequences it first (pain management, G89 first)."
    )
    return (Reason(None, text, (f"{guideline} I.C.6.b.1",), first.problems),)
