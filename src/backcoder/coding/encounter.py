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
from typing import TYPE_CHECKING, NamedTuple

from backcoder import __version__
from backcoder.coding.result import (
    CodeLine,
    EncounterResult,
    ProblemResult,
    Reason,
    Role,
)
from backcoder.coding.sequencing import RANK
from backcoder.engine.answers import Answer
from backcoder.errors import BackcoderError
from backcoder.icd.conventions import Excludes1Notes, is_sequela
from backcoder.icd.tabular import Tabular, fiscal_year
from backcoder.language.model import NOT_DOCUMENTED, SPECIFICITY, Kind, RuleSet
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
    coder: Coder, shared: Mapping[str, Answer], own: Sequence[Mapping[str, Answer]]
) -> EncounterResult:
    """Each problem coded with the shared answers under its own, then the encounter."""
    results = tuple(
        code_problem(coder, shared, answers, number) for number, answers in enumerate(own, 1)
    )
    return assemble(coder.rules, coder.bundle.tabular, shared, results)


def code_problem(
    coder: Coder, shared: Mapping[str, Answer], answers: Mapping[str, Answer], number: int
) -> ProblemResult:
    """One problem's result; its `unused` lists only its own answers (shared ones that no
    problem needs are the encounter's)."""
    try:
        result = coder.code({**shared, **answers})
    except BackcoderError as exc:
        raise in_problem(exc, number) from None
    return result._replace(unused={k: a for k, a in result.unused.items() if k in answers})


def in_problem(error: BackcoderError, number: int) -> BackcoderError:
    """The same error, its message naming the problem: `problem 2: ...`."""
    return type(error)(f"problem {number}: {error}")


def assemble(
    rules: RuleSet,
    tabular: Tabular,
    shared: Mapping[str, Answer],
    results: Sequence[ProblemResult],
    notes: Excludes1Notes | None = None,
) -> EncounterResult:
    """The encounter from its problems' results; `notes` lets a batch read each code's
    Excludes1 notes once for all its records."""
    occurrences = [
        Occurrence(line, number, position)
        for number, result in enumerate(results, 1)
        for position, line in enumerate(result.codes)
    ]
    guideline = f"ICD-10-CM Official Guidelines FY{fiscal_year(rules.icd10cm)}, section"
    kept, explained = apply_explains(rules, tabular, occurrences, guideline)
    kept, resolved = resolve_excludes1(rules, notes or Excludes1Notes(tabular), kept, guideline)
    codes = merged_codes(kept)
    asked = {step.question for result in results for step in result.path}
    return EncounterResult(
        codes=codes,
        rationale=_rationale(codes, results) + explained + resolved + _sequencing(codes, guideline),
        queries=tuple(
            query._replace(problem=n) for n, r in enumerate(results, 1) for query in r.queries
        ),
        checklist=tuple(
            item._replace(problem=n) for n, r in enumerate(results, 1) for item in r.checklist
        ),
        more_specific=tuple(
            hint._replace(problem=n) for n, r in enumerate(results, 1) for hint in r.more_specific
        ),
        warnings=tuple(dict.fromkeys(w for result in results for w in result.warnings)),
        problems=tuple(results),
        unused={key: answer for key, answer in shared.items() if key not in asked},
        shared=dict(shared),
        rules=results[0].rules,
        backcoder=__version__,
    )


# ------------------------------------------------------------------ I.B.5


def same_site(first: CodeLine, second: CodeLine) -> bool:
    """Two codes meet at a site unless both sites are documented and differ."""
    one, other = set(first.sites) - UNKNOWN_SITES, set(second.sites) - UNKNOWN_SITES
    return not one or not other or bool(one & other)


def apply_explains(
    rules: RuleSet, tabular: Tabular, occurrences: list[Occurrence], guideline: str
) -> tuple[list[Occurrence], tuple[Reason, ...]]:
    """Occurrences without the symptoms another problem's diagnosis explains at the same
    site, and a reason for each symptom left out."""
    kept: list[Occurrence] = []
    reasons: list[Reason] = []
    for occurrence in occurrences:
        cause = _explaining(rules, tabular, occurrence, occurrences)
        if cause is None:
            kept.append(occurrence)
            continue
        entry = rules.explanation(occurrence.line.code, cause.line.code)
        assert entry is not None
        reasons.append(
            Reason(
                code=None,
                reason=(
                    f"{occurrence.line.code} ({occurrence.line.description}) of problem "
                    f"{occurrence.problem} is not reported: {cause.line.code} of problem "
                    f"{cause.problem} explains it at the same site. {entry.why}"
                ),
                sources=(f"{guideline} I.B.5",),
                problems=(occurrence.problem, cause.problem),
            )
        )
    return kept, tuple(reasons)


def _explaining(
    rules: RuleSet, tabular: Tabular, symptom: Occurrence, occurrences: list[Occurrence]
) -> Occurrence | None:
    if symptom.line.kind is not Kind.symptom:
        return None
    for other in occurrences:
        if (
            other.problem != symptom.problem
            and other.line.kind in DEFINITIVE
            and not is_sequela(tabular, other.line.code)
            and same_site(symptom.line, other.line)
            and rules.explanation(symptom.line.code, other.line.code) is not None
        ):
            return other
    return None


# ------------------------------------------------------------------ Excludes1


def resolve_excludes1(
    rules: RuleSet, notes: Excludes1Notes, occurrences: list[Occurrence], guideline: str
) -> tuple[list[Occurrence], tuple[Reason, ...]]:
    """Occurrences with every Excludes1 pair across problems resolved, and why each was."""
    dropped: set[int] = set()
    reasons: list[Reason] = []
    for i, first in enumerate(occurrences):
        for j in range(i + 1, len(occurrences)):
            second = occurrences[j]
            if i in dropped or j in dropped or first.problem == second.problem:
                continue
            if first.line.code == second.line.code:
                continue
            outcome = resolve_pair(rules, notes, first, second, guideline)
            if outcome is None:
                continue
            loser, reason = outcome
            reasons.append(reason)
            if loser is not None:
                dropped.add(i if loser is first else j)
    kept = [occurrence for n, occurrence in enumerate(occurrences) if n not in dropped]
    return kept, tuple(reasons)


def resolve_pair(
    rules: RuleSet, notes: Excludes1Notes, first: Occurrence, second: Occurrence, guideline: str
) -> tuple[Occurrence | None, Reason] | None:
    """None when no Excludes1 note forbids the pair; else the occurrence to leave out (None
    to keep both) and the reason, naming the rule applied."""
    a, b = first.line.code, second.line.code
    note_a, note_b = notes.note(a, b), notes.note(b, a)
    if note_a is None and note_b is None:
        return None
    problems = (first.problem, second.problem)
    exception = rules.excludes1_exception(a, b)
    if exception is not None and not same_site(first.line, second.line):
        text = f"{a} and {b} are both reported despite {note_a or note_b}: {exception}"
        return None, Reason(None, text, (f"{guideline} I.A.12.a",), problems)
    loser = more_general(first, second, note_a, note_b)
    winner = second if loser is first else first
    note = (note_a if loser is first else note_b) or note_a or note_b
    text = (
        f"{loser.line.code} of problem {loser.problem} is not reported: {note}. The more "
        f"specific {winner.line.code} of problem {winner.problem} is kept."
    )
    return loser, Reason(None, text, (f"{guideline} I.A.12.a", f"Tabular {note}"), problems)


def more_general(
    first: Occurrence, second: Occurrence, note_a: str | None, note_b: str | None
) -> Occurrence:
    """Which of an Excludes1 pair gives way: the less specific kind of code; between codes
    of one kind, the one whose note names the other (M54.5 excludes lumbago with sciatica,
    M54.4-, which includes it); when each names the other, the one listed later."""
    rank_a, rank_b = SPECIFICITY[first.line.kind], SPECIFICITY[second.line.kind]
    if rank_a != rank_b:
        return first if rank_a < rank_b else second
    if (note_a is None) != (note_b is None):
        return first if note_a is not None else second
    return second


# ------------------------------------------------------------------ order


def merged_codes(occurrences: list[Occurrence]) -> tuple[CodeLine, ...]:
    """Each code once, listing every problem it came from, in reporting order: the tree's
    sequence rank (G89 first at a pain-management encounter), then the problems as listed."""
    ordered = sorted(occurrences, key=lambda o: (RANK[o.line.sequence], o.problem, o.position))
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
