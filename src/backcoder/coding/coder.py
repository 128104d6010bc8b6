"""Coding one problem: the walk run over merged answers, and its typed result built.

Shared by `code`, the walker and `batch`, so all give the same result and the same messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from backcoder import __version__
from backcoder.coding import advice
from backcoder.coding.bundle import RuleBundle
from backcoder.coding.records import Record, split_flags
from backcoder.coding.result import (
    CodeLine,
    PathEntry,
    ProblemResult,
    Reason,
    Result,
    Role,
    RulesRef,
)
from backcoder.coding.sequencing import in_reporting_order
from backcoder.engine.answers import (
    Answer,
    Source,
    choices_text,
    parse_answers,
    parse_assignment,
    parse_repeatable,
)
from backcoder.engine.walk import Engine, Finished, Pending, ReportedCode
from backcoder.errors import BackcoderError, MissingAnswer

if TYPE_CHECKING:
    from backcoder.coding.encounter import Assembler


class Coder:
    """A rule bundle ready to code records: the engine planned once."""

    def __init__(self, bundle: RuleBundle) -> None:
        self.bundle = bundle
        self.rules = bundle.rules
        self.engine = Engine(bundle.rules)

    @cached_property
    def assembler(self) -> Assembler:
        """Assembles encounters (built on first use: one-problem records never need it)."""
        from backcoder.coding.encounter import Assembler

        return Assembler(self.rules, self.bundle.tabular)

    def gather(
        self,
        flags: Iterable[str],
        file_answers: Mapping[str, Any] | None,
        note: Record | None = None,
    ) -> Record:
        """The record a command codes: an answers file's (a flat record or one with
        `problems`) under the `-a` flags, shared (`ID=VALUE`) and per problem (`N.ID=VALUE`);
        a clinical note's record, when given, under both."""
        from backcoder.coding.records import merge_records, parse_record

        shared, per_problem = split_flags(parse_assignment(flag) for flag in flags)
        file = parse_record(self.rules, file_answers, Source.file) if file_answers else None
        flagged = {}
        for number, raw in per_problem.items():
            try:
                flagged[number] = self.parse_flags(raw, f"-a {number}.")
            except BackcoderError as exc:
                raise type(exc)(f"problem {number}: {exc}") from None
        flagged_shared = Record(self.parse_flags(shared), None)
        return merge_records(file, flagged_shared, flagged, note, self.rules.visit)

    def code_record(
        self, record: Record, *, missing_hint: str = "pass -a {question}=VALUE"
    ) -> Result:
        """A one-problem record's result, or an encounter's. `missing_hint` tells how to give
        a missing answer; in an encounter it may name the problem (`{number}`)."""
        if record.problems is None:
            return self.code(record.shared, missing_hint=missing_hint.replace("{number}.", ""))
        from backcoder.coding.encounter import code_encounter

        hint = missing_hint.replace("-a {question}", "-a {number}.{question}")
        return code_encounter(self, record.shared, record.problems, hint)

    def parse_flags(self, raw: Mapping[str, list[str]], given_as: str = "-a ") -> dict[str, Answer]:
        """`-a` answers, each id possibly given more than once (see `parse_repeatable`)."""
        return parse_repeatable(self.rules, raw, Source.flag, given_as)

    def parse(self, raw: Mapping[str, Any], source: Source) -> dict[str, Answer]:
        return parse_answers(self.rules, raw, source)

    def code(
        self, answers: Mapping[str, Answer], *, missing_hint: str = "pass -a {question}=VALUE"
    ) -> ProblemResult:
        """The result for an answer set (defaults fill the rest), or MissingAnswer."""
        return self.result(answers, self.finish(answers, missing_hint=missing_hint))

    def finish(self, answers: Mapping[str, Answer], *, missing_hint: str) -> Finished:
        """The finished walk for an answer set (defaults fill the rest), or MissingAnswer."""
        outcome = self.engine.run(answers, use_defaults=True)
        if isinstance(outcome, Pending):
            raise self.missing(outcome, missing_hint)
        return outcome

    def result(self, answers: Mapping[str, Answer], finished: Finished) -> ProblemResult:
        rules, walk = self.rules, finished.walk
        ordered = in_reporting_order(walk.codes)
        asked = {step.question for step in walk.path}
        sites = walk.taken[rules.site].values if rules.site in walk.taken else ()
        hints = advice.more_specific(self.engine, walk.path)
        return ProblemResult(
            codes=tuple(self._code_line(reported, n, sites) for n, reported in enumerate(ordered)),
            path=tuple(PathEntry(step.question, step.answer) for step in walk.path),
            rationale=self._rationale(ordered, finished),
            queries=advice.physician_queries(rules, walk.path, walk.queried, hints),
            checklist=advice.documentation_checklist(rules, self.bundle.knowledge, walk.path),
            more_specific=hints,
            warnings=advice.red_flag_warnings(rules, walk.path),
            unused={key: answer for key, answer in answers.items() if key not in asked},
            answers={
                step.question: step.answer
                for step in walk.path
                if step.answer.source is not Source.default
            },
            rules=RulesRef(rules.name, rules.version, rules.icd10cm),
            backcoder=__version__,
        )

    def _code_line(self, reported: ReportedCode, position: int, sites: tuple[str, ...]) -> CodeLine:
        """A code as the result lists it; a code that follows a condition coded outside the
        tree (G89.3 after the neoplasm) is additional even when it is the only code here.
        Its sites are the region it was reported for, or the problem's regions."""
        first = position == 0 and not reported.spec.follows
        site = self.rules.site
        return CodeLine(
            code=reported.code,
            description=self.title(reported.code),
            role=Role.first_listed if first else Role.additional,
            kind=reported.spec.kind,
            follows=reported.spec.follows,
            sequence=reported.spec.sequence,
            sites=tuple(value for question, value in reported.scope if question == site) or sites,
        )

    def _rationale(self, ordered: list[ReportedCode], finished: Finished) -> tuple[Reason, ...]:
        cite = self.cite
        reasons = [
            Reason(reported.code, reported.spec.why, tuple(cite(c) for c in reported.spec.cite))
            for reported in ordered
        ]
        reasons += [
            Reason(None, note.text, tuple(cite(c) for c in note.cite))
            for _, note in finished.walk.notes
        ]
        return tuple(reasons)

    def cite(self, citation: Any) -> str:
        return advice.cite_text(self.bundle.tabular, citation, self.rules.icd10cm)

    def title(self, code: str) -> str:
        info = self.bundle.tabular.info(code)
        if info is None:
            raise BackcoderError(f"{code} is not an ICD-10-CM code: run `backcoder rules check`")
        return info.title

    def missing(self, pending: Pending, hint: str) -> MissingAnswer:
        question = self.rules.questions[pending.question]
        return MissingAnswer(
            f"missing answer for {pending.question} ({question.text.rstrip(':')}): "
            f"{choices_text(pending.question, question, pending.allowed)}; "
            + hint.format(question=pending.question)
        )
