"""An encounter: a visit with several back problems, each coded on its own, then assembled.

Each problem walks the tree alone (its region, trauma, nerve, cause and vertebra are its
own); shared answers fill what a problem does not say. The encounter's codes are assembled
from the problems' typed results by the guidelines:

- a pain symptom is not reported beside a definitive diagnosis or injury of another problem
  that explains it at the same site (I.B.5; the rule file's `explains` table);
- a code is not reported beside the combination code of another problem that identifies
  the same condition fully (I.B.9; the rule file's `combinations`);
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
REMEMBERED = 32768
"""Plans remembered before starting afresh (and four times as many pairs of problems' code
lines, which are small): memory stays flat over any number of visits."""
NOTHING_BETWEEN: tuple[tuple[Any, ...], tuple[Any, ...]] = ((), ())
KINDS = ("explains", "combination", "excludes1", "residual")
"""The decisions between two problems' codes, in the order they are settled."""
RESIDUAL = KINDS.index("residual")
"""A symptom that is the residual of another problem's sequela: both stay, the residual
listed before the injury code with S (I.C.19.a); its `loser` slot names the residual."""


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
    return coder.assembler.assemble(shared, results, own)


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
    assembler's own numbering), and its shape: what of it the order of an encounter's codes
    and reasons depends on. A batch keeps it with the problem's path."""

    lines: tuple[int, ...]
    """Its code lines, in its own reporting order."""
    lines_number: int
    """Its tuple of code lines, numbered: pairs of problems are remembered by these."""
    codes: tuple[str, ...]
    """The code of each line."""
    reasons: tuple[int, ...]
    """Its reasons, in its own order."""
    groups: tuple[int, ...]
    """Each reason's code and text, numbered: reasons of one group merge across problems."""
    leads: bool
    """Whether its codes sequenced first lead the encounter (`leads_when`)."""
    shape: int
    """Its shape, numbered (see `Assembler._shape`)."""
    code_set: frozenset[str]
    group_set: frozenset[int]
    foreign: bool
    """Whether a reason is for a code the problem does not report (another may)."""


class Plan(NamedTuple):
    """An encounter's codes and reasons as references into its problems (0-based index,
    position), the same for every encounter of the same shape (see `Assembler.plan`)."""

    codes: tuple[tuple[int, int, tuple[int, ...]], ...]
    """(problem, position of the code line, problems it came from) in reporting order; the
    first is first-listed unless its line follows another code."""
    reasons: tuple[tuple[int, int, tuple[int, ...]], ...]
    """(problem, index of the reason, problems it holds for): each reported code's reasons
    in the codes' order, then the decisions of the problems that add no code."""
    decisions: tuple[tuple[int, int, int], ...]
    """(problem, later problem, index in what stands between them) in the order settled."""
    silenced: tuple[tuple[int, int], ...]
    """(problem, position) of the G89 codes left out because every site code they were
    reported beside gave way to another problem's definitive diagnosis (I.C.6.b.1)."""
    sequencing: bool
    """Whether the rationale says why the first-listed code is not the first problem's."""


Between = tuple[
    tuple[tuple[int, int, int, int | None], ...], tuple[tuple[str, tuple[str, ...]], ...]
]
"""What stands between two problems' code lines: for each pair of lines with a decision,
(kind's rank, position in the first, position in the second, loser), and its (text, sources)."""


class Assembler:
    """Assembles the encounters of one rule set.

    What it works out for a pair of code lines (at their sites) holds for every encounter,
    and so does the plan it makes for an encounter's shape (the problems' shapes and what
    their codes share or settle between them): both are remembered, so a batch of visits
    that no two are alike still assembles each from a few look-ups. Plain data only: it
    pickles with the engine.
    """

    def __init__(self, rules: RuleSet, tabular: Tabular) -> None:
        self.rules = rules
        self.tabular = tabular
        self.notes = Excludes1Notes(tabular)
        self.guideline = f"ICD-10-CM Official Guidelines FY{fiscal_year(rules.icd10cm)}, section"
        self._line_ids: dict[CodeLine, int] = {}
        self._lines: list[CodeLine] = []
        self._reason_ids: dict[Reason, int] = {}
        self._reasons: list[Reason] = []
        self._reason_groups: dict[tuple[str | None, str], int] = {}
        self._shapes: dict[tuple[Any, ...], int] = {}
        self._pairs: dict[tuple[int, int], PairDecision] = {}
        self._line_tuples: dict[tuple[int, ...], int] = {}
        self._meet: dict[tuple[int, int], Between] = {}
        self._plans: dict[Any, Plan] = {}

    def assemble(
        self,
        shared: Mapping[str, Answer],
        results: Sequence[ProblemResult],
        own: Sequence[Mapping[str, Answer]],
    ) -> EncounterResult:
        """The encounter of `results`, each problem walked with `shared` under its `own`
        answers. A shared answer is unused when no problem took it: its path did not ask the
        question, or the problem gave its own answer there (so the shared one was set aside)."""
        codes, rationale = self.codes(results)
        asked = {
            step.question
            for result, answers in zip(results, own, strict=True)
            for step in result.path
            if step.question not in answers
        }
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
        problems = [self.problem(result) for result in results]
        plan = self.plan(problems)
        return self.code_lines(plan, problems), self.rationale(plan, problems)

    # ------------------------------------------------------------ numbering

    def problem(self, result: ProblemResult) -> Problem:
        """The problem in the assembler's numbering."""
        lines = tuple(self._line(line) for line in result.codes)
        codes = tuple(line.code for line in result.codes)
        numbered = [self._reason(reason) for reason in result.rationale]
        groups = tuple(group for group, _ in numbered)
        leads = self.leads(result)
        return Problem(
            lines=lines,
            lines_number=self._line_tuples.setdefault(lines, len(self._line_tuples)),
            codes=codes,
            reasons=tuple(reason for _, reason in numbered),
            groups=groups,
            leads=leads,
            shape=self._shape(result, leads, codes, groups),
            code_set=frozenset(codes),
            group_set=frozenset(groups),
            foreign=any(r.code is not None and r.code not in codes for r in result.rationale),
        )

    def _shape(
        self, result: ProblemResult, leads: bool, codes: tuple[str, ...], groups: tuple[int, ...]
    ) -> int:
        """What of a problem its encounter's plan depends on, numbered: whether it leads,
        each line's tier and whether it follows another code, which of its codes and
        reasons repeat one before, and which of its codes each reason is for. A line's kind
        counts too: whether a G89 code outlives its site codes depends on it."""
        key = (
            leads,
            tuple((line.sequence, bool(line.follows), line.kind) for line in result.codes),
            tuple(codes.index(code) for code in codes),
            tuple(groups.index(group) for group in groups),
            tuple(
                -1 if r.code is None else codes.index(r.code) if r.code in codes else r.code
                for r in result.rationale
            ),
        )
        number = self._shapes.get(key)
        if number is None:
            number = self._shapes[key] = len(self._shapes)
        return number

    def _line(self, line: CodeLine) -> int:
        key = line._replace(role=Role.additional, problems=())
        number = self._line_ids.get(key)
        if number is None:
            number = self._line_ids[key] = len(self._lines)
            self._lines.append(key)
        return number

    def _reason(self, reason: Reason) -> tuple[int, int]:
        """(the reason's code and text, numbered; the reason, numbered): one problem's
        reason merges with another's of the same code and text."""
        number = self._reason_ids.get(reason)
        if number is None:
            number = self._reason_ids[reason] = len(self._reasons)
            self._reasons.append(reason)
        text = (reason.code, reason.reason)
        group = self._reason_groups.get(text)
        if group is None:
            group = self._reason_groups[text] = len(self._reason_groups)
        return group, number

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

    # ------------------------------------------------------------ plans

    def plan(self, problems: Sequence[Problem]) -> Plan:
        """The plan of an encounter of these problems, made once per shape."""
        key = self.shape_of(problems)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= REMEMBERED:
                self._plans.clear()
            plan = self._plans[key] = self.make_plan(problems)
        return plan

    def shape_of(self, problems: Sequence[Problem]) -> Any:
        """What an encounter's plan depends on: each problem's shape and, for each pair of
        problems, what stands between their codes and which codes and reasons they share.
        A problem with a reason for a code it does not report makes the key its codes."""
        if len(problems) == 1:
            return problems[0].shape
        shapes = tuple(problem.shape for problem in problems)
        if any(problem.foreign for problem in problems):
            return (shapes, tuple((p.lines, p.reasons) for p in problems))
        between = []
        for i, first in enumerate(problems):
            for second in problems[i + 1 :]:
                meet = self.between(first, second)[0]
                codes = (
                    ()
                    if first.code_set.isdisjoint(second.code_set)
                    else _same(first.codes, second.codes)
                )
                groups = (
                    ()
                    if first.group_set.isdisjoint(second.group_set)
                    else _same(first.groups, second.groups)
                )
                between.append((meet, codes, groups))
        return shapes, tuple(between)

    def make_plan(self, problems: Sequence[Problem]) -> Plan:
        """The pairs of codes across problems settled, each code once with its problems in
        reporting order, each reported code's reasons, and the decisions' reasons."""
        dropped, decisions, beaten_by, residuals = self.decide(problems)
        silenced = self.silenced(problems, dropped, beaten_by)
        codes = self._merged(problems, dropped | frozenset(silenced), residuals)
        reasons = self._reasons_for(problems, codes)
        sequencing = (
            bool(codes)
            and 1 not in codes[0][2]
            and (self._lines[problems[codes[0][0]].lines[codes[0][1]]].sequence is Sequencing.first)
        )
        return Plan(codes, reasons, decisions, silenced, sequencing)

    def decide(
        self, problems: Sequence[Problem]
    ) -> tuple[
        frozenset[tuple[int, int]],
        tuple[tuple[int, int, int], ...],
        dict[tuple[int, int], tuple[int, int]],
        tuple[tuple[tuple[int, int], tuple[int, int]], ...],
    ]:
        """The occurrences, (problem, position), left out once every pair of codes of
        different problems is settled: first the symptoms another problem's diagnosis
        explains at the same site (I.B.5), then the codes a combination code of another
        problem identifies (I.B.9), then the Excludes1 pairs (I.A.12.a), each in the
        order the codes are listed; each decision taken; the occurrence each one left out
        gave way to; and (residual, sequela) for each symptom that is the residual of
        another problem's sequela. A code left out settles nothing further."""
        settling = []
        for i in range(len(problems) - 1):
            for j in range(i + 1, len(problems)):
                meet = self.between(problems[i], problems[j])[0]
                for index, (rank, at_i, at_j, loser) in enumerate(meet):
                    settling.append((rank, i, at_i, j, at_j, loser, index))
        settling.sort()
        dropped: set[tuple[int, int]] = set()
        beaten_by: dict[tuple[int, int], tuple[int, int]] = {}
        residuals = []
        taken = []
        for rank, first, at_first, second, at_second, loser, index in settling:
            one, other = (first, at_first), (second, at_second)
            if one in dropped or other in dropped:
                continue
            taken.append((first, second, index))
            if loser is None:
                continue
            named, other_one = (one, other) if loser == 0 else (other, one)
            if rank == RESIDUAL:
                residuals.append((named, other_one))
            else:
                dropped.add(named)
                beaten_by[named] = other_one
        return frozenset(dropped), tuple(taken), beaten_by, tuple(residuals)

    def silenced(
        self,
        problems: Sequence[Problem],
        dropped: frozenset[tuple[int, int]],
        beaten_by: dict[tuple[int, int], tuple[int, int]],
    ) -> tuple[tuple[int, int], ...]:
        """The G89 codes a problem reported beside its site codes (additional, sequenced
        last) that go once every one of those site codes gave way to a definitive
        diagnosis or injury of another problem: G89 is not assigned when the underlying
        definitive diagnosis is known, unless the encounter is for pain management
        (I.C.6.b.1), where the problem leads and its G89 code is first, not last."""
        lines = self._lines

        def kind(occurrence: tuple[int, int]) -> Kind:
            index, at = occurrence
            return lines[problems[index].lines[at]].kind

        out: list[tuple[int, int]] = []
        for index, problem in enumerate(problems):
            if problem.leads:
                continue
            found = [lines[line] for line in problem.lines]
            symptoms = [(index, at) for at, line in enumerate(found) if line.kind is Kind.symptom]
            if not symptoms or any(
                s not in dropped or kind(beaten_by[s]) not in DEFINITIVE for s in symptoms
            ):
                continue
            out += [
                (index, at)
                for at, line in enumerate(found)
                if line.kind is Kind.pain
                and line.sequence is Sequencing.last
                and not line.follows
                and (index, at) not in dropped
            ]
        return tuple(out)

    def between(self, first: Problem, second: Problem) -> Between:
        """What stands between two problems' code lines, remembered per pair of them."""
        key = (first.lines_number, second.lines_number)
        found = self._meet.get(key)
        if found is None:
            shape, words = [], []
            for at_first, one in enumerate(first.lines):
                for at_second, other in enumerate(second.lines):
                    decision = self.pair(one, other)
                    if decision is not None:
                        kind, loser, text, sources = decision
                        shape.append((KINDS.index(kind), at_first, at_second, loser))
                        words.append((text, sources))
            if len(self._meet) >= 4 * REMEMBERED:
                self._meet.clear()
            found = (tuple(shape), tuple(words)) if shape else NOTHING_BETWEEN
            self._meet[key] = found
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
        self,
        problems: Sequence[Problem],
        dropped: frozenset[tuple[int, int]],
        residuals: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = (),
    ) -> tuple[tuple[int, int, tuple[int, ...]], ...]:
        """Each code once, listing every problem it came from (in the order listed), in
        reporting order: a leading problem's first-sequenced codes (G89 at a
        pain-management encounter), then the problems as listed, each in its own order,
        then the codes sequenced last (G89 as additional). A symptom that is the residual
        of another problem's sequela comes just before the sequela's injury code when that
        is listed earlier (I.C.19.a)."""
        lines = self._lines

        def tier(index: int, position: int) -> int:
            sequence = lines[problems[index].lines[position]].sequence
            if sequence is Sequencing.first:
                return 0 if problems[index].leads else 1
            return 2 if sequence is Sequencing.last else 1

        occurrences = [
            (index, position)
            for _, index, position in sorted(
                (tier(index, position), index, position)
                for index, problem in enumerate(problems)
                for position in range(len(problem.lines))
                if (index, position) not in dropped
            )
        ]
        for residual, sequela in residuals:
            if occurrences.index(residual) > occurrences.index(sequela):
                occurrences.remove(residual)
                occurrences.insert(occurrences.index(sequela), residual)
        found: dict[str, tuple[int, int, list[int]]] = {}
        for index, position in occurrences:
            code = problems[index].codes[position]
            seen = found.get(code)
            if seen is None:
                found[code] = (index, position, [index + 1])
            elif index + 1 not in seen[2]:
                seen[2].append(index + 1)
        return tuple(
            (index, position, tuple(sorted(numbers))) for index, position, numbers in found.values()
        )

    def _reasons_for(
        self, problems: Sequence[Problem], codes: tuple[tuple[int, int, tuple[int, ...]], ...]
    ) -> tuple[tuple[int, int, tuple[int, ...]], ...]:
        """Each reported code's reasons in the codes' order, once per distinct reason,
        naming the problems it holds for (those whose occurrence of the code is reported);
        then the problems' decisions that add no code."""
        reasons = self._reasons
        order = [problems[index].codes[position] for index, position, _ in codes]
        reported = {problems[index].codes[position]: numbers for index, position, numbers in codes}
        found: dict[int, tuple[int, int, list[int]]] = {}
        for code in [*order, None]:
            for index, problem in enumerate(problems):
                for at, reason in enumerate(problem.reasons):
                    if reasons[reason].code != code:
                        continue
                    if code is not None and index + 1 not in reported[code]:
                        continue  # its occurrence of the code was left out
                    group = problem.groups[at]
                    seen = found.get(group)
                    if seen is None:
                        found[group] = (index, at, [index + 1])
                    else:
                        seen[2].append(index + 1)
        return tuple((index, at, tuple(numbers)) for index, at, numbers in found.values())

    # ------------------------------------------------------------ typed result

    def code_lines(self, plan: Plan, problems: Sequence[Problem]) -> tuple[CodeLine, ...]:
        return tuple(
            self.code_line(problems[index].lines[position], numbers, n == 0)
            for n, (index, position, numbers) in enumerate(plan.codes)
        )

    def code_line(self, line: int, problems: tuple[int, ...], first: bool) -> CodeLine:
        """A reported code: first-listed when it comes first, unless it follows another."""
        found = self._lines[line]
        role = Role.first_listed if first and not found.follows else Role.additional
        return found._replace(role=role, problems=problems)

    def rationale(self, plan: Plan, problems: Sequence[Problem]) -> tuple[Reason, ...]:
        """The plan's reasons, then its decisions' and why the first-listed code leads."""
        reasons = tuple(
            self.reason(problems[index].reasons[at], numbers) for index, at, numbers in plan.reasons
        )
        return reasons + self.settled(plan, problems)

    def settled(self, plan: Plan, problems: Sequence[Problem]) -> tuple[Reason, ...]:
        """The reasons of the plan's decisions and of the G89 codes they silenced, then why
        the first-listed code leads."""
        reasons = [self.decision(problems, *taken) for taken in plan.decisions]
        reasons += [
            self.silence(problems[index].lines[at], index + 1) for index, at in plan.silenced
        ]
        if plan.sequencing:
            index, position, numbers = plan.codes[0]
            reasons.append(self.sequencing(problems[index].lines[position], numbers))
        return tuple(reasons)

    def reason(self, reason: int, problems: tuple[int, ...]) -> Reason:
        return self._reasons[reason]._replace(problems=problems)

    def decision(self, problems: Sequence[Problem], first: int, second: int, index: int) -> Reason:
        """A decision between two problems' codes, naming them."""
        text, sources = self.between(problems[first], problems[second])[1][index]
        numbers = (first + 1, second + 1)
        return Reason(None, text.format(*numbers), sources, numbers)

    def silence(self, line: int, number: int) -> Reason:
        """Why a problem's G89 code is not reported although its problem gave it."""
        code = self._lines[line].code
        text = (
            f"{code} of problem {number} is not reported: every site code it was reported "
            "beside gave way to a definitive diagnosis or injury of another problem, and "
            "the encounter is not for pain management: no G89 code when the underlying "
            "definitive diagnosis is known."
        )
        return Reason(None, text, (f"{self.guideline} I.C.6.b.1",), (number,))

    def sequencing(self, line: int, problems: tuple[int, ...]) -> Reason:
        """Why the first-listed code is not the first problem's."""
        code = self._lines[line].code
        text = (
            f"{code} is listed first although it comes from problem "
            f"{problems[0]}: the tree sequences it first (pain management, G89 first)."
        )
        return Reason(None, text, (f"{self.guideline} I.C.6.b.1",), problems)

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
        for part, whole, loser in ((first, second, 0), (second, first, 1)):
            combination = self.rules.combination(part.code, whole.code)
            if combination is not None:
                at, by = ("{0}", "{1}") if loser == 0 else ("{1}", "{0}")
                text = (
                    f"{part.code} ({part.description}) of problem {at} is not reported: the "
                    f"combination code {whole.code} of problem {by} identifies the condition "
                    f"fully. {combination.why}"
                )
                return "combination", loser, text, (f"{self.guideline} I.B.9",)
        for symptom, sequela, at in ((first, second, 0), (second, first, 1)):
            if self._residual(symptom, sequela):
                return (
                    "residual",
                    at,
                    self._residual_text(symptom, sequela, at),
                    (f"{self.guideline} I.C.19.a",),
                )
        return self._excludes1(first, second)

    def _residual(self, symptom: CodeLine, sequela: CodeLine) -> bool:
        """Whether a symptom is the residual of a sequela at its site: the injury, were it
        current, would explain it (I.B.5); as a sequela it explains nothing, and the
        residual condition is coded beside it, first (I.C.19.a). Where the tabular
        excludes the pair, only when the rule file allows it for a sequela (M54.5 beside
        S39.012S), as on one problem's path and in the audit."""
        return (
            symptom.kind is Kind.symptom
            and sequela.kind in DEFINITIVE
            and is_sequela(self.tabular, sequela.code)
            and same_site(self.rules, symptom, sequela)
            and self.rules.explanation(symptom.code, sequela.code) is not None
            and (
                self.notes.conflict(symptom.code, sequela.code) is None
                or self.rules.excludes1_exception(symptom.code, sequela.code) is not None
            )
        )

    def _residual_text(self, symptom: CodeLine, sequela: CodeLine, at: int) -> str:
        mine, theirs = ("{0}", "{1}") if at == 0 else ("{1}", "{0}")
        note = self.notes.conflict(symptom.code, sequela.code)
        despite = f" despite {note}" if note else ""
        return (
            f"{symptom.code} ({symptom.description}) of problem {mine} is the residual of the "
            f"sequela {sequela.code} of problem {theirs}: both are reported{despite}, the "
            "residual condition listed before the injury code with 7th character S."
        )

    def _explaining(self, symptom: CodeLine, cause: CodeLine) -> Explanation | None:
        if symptom.kind is not Kind.symptom or cause.kind not in DEFINITIVE:
            return None
        if is_sequela(self.tabular, cause.code) or not same_site(self.rules, symptom, cause):
            return None
        return self.rules.explanation(symptom.code, cause.code)

    def _excludes1(self, first: CodeLine, second: CodeLine) -> PairDecision:
        """Both codes when the rule file allows the pair between problems documented apart
        (I.A.12.a: psychogenic pain and a pain not so attributed); both when they stand at
        different documented sites: unrelated conditions (I.A.12.a; a G89 code is not bound
        to a site, so it never qualifies); else the less specific gives way, also beside a
        sequela of the same site, whose residual is related to it."""
        a, b = first.code, second.code
        note_a, note_b = self.notes.note(a, b), self.notes.note(b, a)
        if note_a is None and note_b is None:
            return None
        note = note_a or note_b
        apart = self.rules.apart_exception(a, b)
        if apart is not None:
            text = f"{a} and {b} are both reported despite {note}: {apart}"
            return "excludes1", None, text, (f"{self.guideline} I.A.12.a",)
        if not same_site(self.rules, first, second) and Kind.pain not in (first.kind, second.kind):
            why = self.rules.excludes1_exception(a, b) or (
                "the conditions are at different documented sites, so they are unrelated"
            )
            text = f"{a} and {b} are both reported despite {note}: {why}"
            return "excludes1", None, text, (f"{self.guideline} I.A.12.a",)
        loser = more_general(first, second, note_a, note_b)
        gone, kept = (first, second) if loser == 0 else (second, first)
        at, by = ("{0}", "{1}") if loser == 0 else ("{1}", "{0}")
        note = (note_a if loser == 0 else note_b) or note
        text = (
            f"{gone.code} of problem {at} is not reported: {note}. The more specific "
            f"{kept.code} of problem {by} is kept."
        )
        sources = (f"{self.guideline} I.A.12.a", f"Tabular {note}")
        if is_sequela(self.tabular, kept.code):
            text += (
                f" {kept.code} is a sequela, but the rule file allows no residual of it "
                "beside this code, so the Excludes1 holds."
            )
            sources += (f"{self.guideline} I.C.19.a",)
        return "excludes1", loser, text, sources


def _tagged(results: Sequence[ProblemResult], field: str) -> tuple[Any, ...]:
    """A field of every problem, each item naming its problem."""
    return tuple(
        item._replace(problem=number)
        for number, result in enumerate(results, 1)
        for item in getattr(result, field)
    )


def same_site(rules: RuleSet, first: CodeLine, second: CodeLine) -> bool:
    """Two codes meet at a site unless both sites are documented and differ; regions the
    rule file groups as one site (`site_groups`: the lumbar and the lumbosacral region)
    are the same site, and a junction meets its neighbours (`junctions`: the
    thoracolumbar region meets the thoracic and the lumbar)."""
    one = [site for site in first.sites if site not in UNKNOWN_SITES]
    other = [site for site in second.sites if site not in UNKNOWN_SITES]
    return not one or not other or any(rules.sites_meet(a, b) for a in one for b in other)


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


def _same(first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[tuple[int, int], ...]:
    """The (index, index) pairs at which two problems' codes or reasons are the same."""
    return tuple(
        (i, j) for i, one in enumerate(first) for j, other in enumerate(second) if one == other
    )
