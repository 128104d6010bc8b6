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
KINDS = ("explains", "excludes1")
"""The decisions between two problems' codes, in the order they are settled."""


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


class Problem(NamedTuple):
    """A problem as the assembler sees it: its code lines and reasons as small integers (the
    assembler's own numbering), so that a visit's codes are worked out with dictionary
    look-ups. A batch of visits assembles thousands of combinations it has never seen."""

    lines: tuple[int, ...]
    """Its code lines, in its own reporting order."""
    leads: bool
    """Whether its codes sequenced first lead the encounter (`leads_when`)."""
    first: tuple[tuple[int, int], ...]
    """(position, line) of the lines sequenced first; `main` and `last` likewise."""
    main: tuple[tuple[int, int], ...]
    first_and_main: tuple[tuple[int, int], ...]
    last: tuple[tuple[int, int], ...]
    reasons: tuple[int, ...]


class Assembly(NamedTuple):
    """An encounter's codes and rationale in the assembler's numbering; `code_lines` and
    `rationale` turn them into the typed result."""

    codes: tuple[tuple[int, tuple[int, ...]], ...]
    """(line, problems it came from) in reporting order; the first is first-listed unless
    its line follows another code."""
    reasons: tuple[tuple[int, tuple[int, ...]], ...]
    """(reason, problems it holds for), each code's in the codes' order, then the rest."""
    decisions: tuple[Reason, ...]
    """The decisions across problems, then why the first-listed code leads, if it must say."""


class Assembler:
    """Assembles the encounters of one rule set. What it works out for a pair of code lines
    (at their sites) holds for every encounter, so it is remembered, as is whether two
    problems' lines meet at all: a batch of visits asks about the same pairs again and
    again. Plain data only: it pickles with the engine."""

    def __init__(self, rules: RuleSet, tabular: Tabular) -> None:
        self.rules = rules
        self.tabular = tabular
        self.notes = Excludes1Notes(tabular)
        self.guideline = f"ICD-10-CM Official Guidelines FY{fiscal_year(rules.icd10cm)}, section"
        self._line_ids: dict[CodeLine, int] = {}
        self._lines: list[CodeLine] = []
        self._reason_ids: dict[Reason, int] = {}
        self._reasons: list[Reason] = []
        self._reason_groups: list[tuple[str | None, str]] = []
        self._pairs: dict[tuple[int, int], PairDecision] = {}
        self._meet: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[Any, ...]] = {}

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
        assembly = self.assembly([self.problem(result) for result in results])
        return self.code_lines(assembly), self.rationale(assembly)

    # ------------------------------------------------------------ numbering

    def problem(self, result: ProblemResult) -> Problem:
        """The problem in the assembler's numbering (a batch keeps it with its path)."""
        lines = tuple(self._line(line) for line in result.codes)
        tiers: dict[Sequencing, list[tuple[int, int]]] = {tier: [] for tier in Sequencing}
        for position, (line, code) in enumerate(zip(lines, result.codes, strict=True)):
            tiers[code.sequence].append((position, line))
        return Problem(
            lines=lines,
            leads=self.leads(result),
            first=tuple(tiers[Sequencing.first]),
            main=tuple(tiers[Sequencing.main]),
            first_and_main=tuple(sorted(tiers[Sequencing.first] + tiers[Sequencing.main])),
            last=tuple(tiers[Sequencing.last]),
            reasons=tuple(self._reason(reason) for reason in result.rationale),
        )

    def _line(self, line: CodeLine) -> int:
        key = line._replace(role=Role.additional, problems=())
        number = self._line_ids.get(key)
        if number is None:
            number = self._line_ids[key] = len(self._lines)
            self._lines.append(key)
        return number

    def _reason(self, reason: Reason) -> int:
        number = self._reason_ids.get(reason)
        if number is None:
            number = self._reason_ids[reason] = len(self._reasons)
            self._reasons.append(reason)
            self._reason_groups.append((reason.code, reason.reason))
        return number

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

    # ------------------------------------------------------------ assembly

    def assembly(self, problems: Sequence[Problem]) -> Assembly:
        """The encounter of these problems: the pairs of codes across problems settled,
        each code once with its problems in reporting order, and the reasons."""
        dropped: frozenset[tuple[int, int]] = frozenset()
        decisions: tuple[Reason, ...] = ()
        if len(problems) > 1:
            dropped, decisions = self.decide(problems)
        codes = self._merged(problems, dropped)
        return Assembly(
            codes, self._reasons_for(problems, codes), decisions + self._sequencing(codes)
        )

    def decide(
        self, problems: Sequence[Problem]
    ) -> tuple[frozenset[tuple[int, int]], tuple[Reason, ...]]:
        """The occurrences, (problem, position), left out once every pair of codes of
        different problems is settled: first the symptoms another problem's diagnosis
        explains at the same site (I.B.5), then the Excludes1 pairs (I.A.12.a), each in the
        order the codes are listed; and the reason for each decision. A code left out
        settles nothing further."""
        settling = []
        for i in range(len(problems) - 1):
            for j in range(i + 1, len(problems)):
                for rank, at_i, at_j, loser, text, sources in self._between(
                    problems[i].lines, problems[j].lines
                ):
                    settling.append((rank, i + 1, at_i, j + 1, at_j, loser, text, sources))
        if not settling:
            return frozenset(), ()
        settling.sort(key=lambda item: item[:5])
        dropped: set[tuple[int, int]] = set()
        reasons: list[Reason] = []
        for _, first, at_first, second, at_second, loser, text, sources in settling:
            one, other = (first, at_first), (second, at_second)
            if one in dropped or other in dropped:
                continue
            reasons.append(Reason(None, text.format(first, second), sources, (first, second)))
            if loser is not None:
                dropped.add(one if loser == 0 else other)
        return frozenset(dropped), tuple(reasons)

    def _between(self, first: tuple[int, ...], second: tuple[int, ...]) -> tuple[Any, ...]:
        """What stands between two problems' code lines: (kind's rank, position in the
        first, position in the second, loser, text, sources) for each pair that has a
        decision; remembered per pair of problems' lines."""
        key = (first, second)
        found = self._meet.get(key)
        if found is None:
            found = []
            for at_first, one in enumerate(first):
                for at_second, other in enumerate(second):
                    decision = self.pair(one, other)
                    if decision is not None:
                        kind, loser, text, sources = decision
                        rank = KINDS.index(kind)
                        found.append((rank, at_first, at_second, loser, text, sources))
            found = self._meet[key] = tuple(found)
        return found

    def pair(self, first: int, second: int) -> PairDecision:
        """How two code lines (by number) of different problems stand."""
        key = (first, second)
        try:
            return self._pairs[key]
        except KeyError:
            lines = self._lines
            decision = self._pairs[key] = self._decide_pair(lines[first], lines[second])
            return decision

    def _merged(
        self, problems: Sequence[Problem], dropped: frozenset[tuple[int, int]]
    ) -> tuple[tuple[int, tuple[int, ...]], ...]:
        """Each code once, listing every problem it came from, in reporting order: a leading
        problem's first-sequenced codes (G89 at a pain-management encounter), then the
        problems as listed, each in its own order, then the codes sequenced last (G89 as
        additional)."""
        ordered: list[tuple[int, int, int]] = []
        for number, problem in enumerate(problems, 1):
            if problem.leads:
                ordered += [(number, position, line) for position, line in problem.first]
        for number, problem in enumerate(problems, 1):
            body = problem.main if problem.leads else problem.first_and_main
            ordered += [(number, position, line) for position, line in body]
        for number, problem in enumerate(problems, 1):
            ordered += [(number, position, line) for position, line in problem.last]
        lines = self._lines
        found: dict[str, tuple[int, list[int]]] = {}
        for number, position, line in ordered:
            if dropped and (number, position) in dropped:
                continue
            code = lines[line].code
            seen = found.get(code)
            if seen is None:
                found[code] = (line, [number])
            elif number not in seen[1]:
                seen[1].append(number)
        return tuple((line, tuple(numbers)) for line, numbers in found.values())

    def _reasons_for(
        self, problems: Sequence[Problem], codes: tuple[tuple[int, tuple[int, ...]], ...]
    ) -> tuple[tuple[int, tuple[int, ...]], ...]:
        """Each reported code's reasons, once per distinct reason, naming the problems it
        holds for; then the problems' decisions that add no code."""
        lines, groups = self._lines, self._reason_groups
        order = {lines[line].code: n for n, (line, _) in enumerate(codes)}
        found: dict[tuple[str | None, str], tuple[int, list[int]]] = {}
        for number, problem in enumerate(problems, 1):
            for reason in problem.reasons:
                group = groups[reason]
                code = group[0]
                if code is not None and code not in order:
                    continue
                seen = found.get(group)
                if seen is None:
                    found[group] = (reason, [number])
                else:
                    seen[1].append(number)
        keys = sorted(found, key=lambda key: (key[0] is None, order.get(key[0] or "", 0)))
        return tuple((found[key][0], tuple(found[key][1])) for key in keys)

    def _sequencing(self, codes: tuple[tuple[int, tuple[int, ...]], ...]) -> tuple[Reason, ...]:
        """Why the first-listed code is not the first problem's, when it is not."""
        if not codes or 1 in codes[0][1]:
            return ()
        line = self._lines[codes[0][0]]
        if line.sequence is not Sequencing.first:
            return ()
        numbers = codes[0][1]
        text = (
            f"{line.code} is listed first although it comes from problem "
            f"{numbers[0]}: the tree sequences it first (pain management, G89 first)."
        )
        return (Reason(None, text, (f"{self.guideline} I.C.6.b.1",), numbers),)

    # ------------------------------------------------------------ typed result

    def code_lines(self, assembly: Assembly) -> tuple[CodeLine, ...]:
        return tuple(
            self.code_line(line, numbers, position == 0)
            for position, (line, numbers) in enumerate(assembly.codes)
        )

    def code_line(self, line: int, problems: tuple[int, ...], first: bool) -> CodeLine:
        """A reported code: first-listed when it comes first, unless it follows another."""
        found = self._lines[line]
        role = Role.first_listed if first and not found.follows else Role.additional
        return found._replace(role=role, problems=problems)

    def rationale(self, assembly: Assembly) -> tuple[Reason, ...]:
        return (
            tuple(self.reason(reason, numbers) for reason, numbers in assembly.reasons)
            + assembly.decisions
        )

    def reason(self, reason: int, problems: tuple[int, ...]) -> Reason:
        return self._reasons[reason]._replace(problems=problems)

    # ------------------------------------------------------------ pairs of codes

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
