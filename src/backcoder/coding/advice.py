"""What a result advises beyond its codes, all derived from the path so that the rule file
only states the open question a query asks: physician queries, the documentation
checklist, the more specific codes the record could support, red-flag warnings, and the
sources of each decision in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from backcoder.coding.result import ChecklistItem, Hint, Query
from backcoder.coding.sequencing import in_reporting_order
from backcoder.engine.answers import Answer, Source
from backcoder.engine.walk import Engine, PathStep, Pending, Refusal
from backcoder.errors import BackcoderError
from backcoder.icd.tabular import Tabular, fiscal_year
from backcoder.language.knowledge import Knowledge
from backcoder.language.model import NOT_DOCUMENTED, AskNode, Citation, OutcomeQuery, RuleSet

QUERY_CLOSING_OPTIONS = ("Other (please specify)", "Clinically undetermined")
NOTE_LABELS = {"excludes1": "Excludes1", "excludes2": "Excludes2", "inclusion": "Inclusion term"}


def cite_text(tabular: Tabular, citation: Citation, release: str) -> str:
    """A citation in words; a tabular note is quoted from the tabular itself, and a
    guideline section names the guidelines of the release's fiscal year."""
    if citation.guideline is not None:
        year = fiscal_year(release)
        return f"ICD-10-CM Official Guidelines FY{year}, section {citation.guideline}"
    assert citation.tabular is not None and citation.note is not None
    info = tabular.info(citation.tabular)
    if info is None:
        return f"Tabular {citation.tabular}"
    if citation.note == "title":
        return f"Tabular {info.code}: {info.title}"
    if citation.note == "seventh_character":
        table = "; ".join(f"{key} {value}" for key, value in info.seventh.items())
        return f"Tabular {info.code}, 7th characters: {table}"
    notes = getattr(info, citation.note)
    quoted = [note for note in notes if citation.text is None or citation.text in note]
    return f"Tabular {info.code}, {NOTE_LABELS[citation.note]}: {'; '.join(quoted)}"


def undocumented(step: PathStep) -> bool:
    """Answered `not_documented` from the record (a default is not asked, so not queried)."""
    return NOT_DOCUMENTED in step.answer.values and step.answer.source is not Source.default


def physician_queries(
    rules: RuleSet,
    path: Sequence[PathStep],
    raised: Sequence[OutcomeQuery] = (),
    hints: Sequence[Hint] = (),
) -> tuple[Query, ...]:
    """A compliant query for every `not_documented` answer, and for each detail an outcome
    says its code cannot carry (`raised`): the documented facts, one open question, every
    clinically reasonable option plus "other" and "clinically undetermined".

    One query a detail: an outcome's query about a question already answered
    `not_documented` words that query (it knows the site: "C7 or T1") rather than asking
    twice. The options are the values the tree accepts where it asked the question (a
    lumbar fracture's vertebra is L1 to L5), as the walker offers them; a value the tree
    refuses at the documented site (`hints`' ruled_out: sacroiliitis for neck pain, a disc
    for the coccyx) is not a clinically reasonable option either, so it is not offered."""
    asked_at = {step.question: step.node for step in path}
    wording = {extra.about: extra.text for extra in raised}
    ruled_out = {hint.question: hint.ruled_out for hint in hints}
    queries = []
    for position, step in enumerate(path):
        if not undocumented(step):
            continue
        queries.append(
            Query(
                question=step.question,
                indicators=documented_facts(rules, path[:position]),
                query=wording.pop(step.question, None)
                or rules.questions[step.question].query
                or "",
                options=_options(rules, step.question, step.node, ruled_out),
            )
        )
    for extra in raised:
        if extra.about not in wording:
            continue  # it worded the query of a `not_documented` answer above
        queries.append(
            Query(
                question=extra.about,
                indicators=documented_facts(rules, path),
                query=extra.text,
                options=_options(rules, extra.about, asked_at.get(extra.about), ruled_out),
            )
        )
    return tuple(queries)


def _options(
    rules: RuleSet,
    question_id: str,
    node: str | None,
    ruled_out: Mapping[str, frozenset[str]],
) -> tuple[str, ...]:
    """A query's options: the question's documented values that the node asking it accepts
    (all of them where it restricts none, or where no node on the path asked it), less
    those the tree refuses at the documented site."""
    question = rules.questions[question_id]
    asking = rules.nodes.get(node) if node is not None else None
    offered = asking.only if isinstance(asking, AskNode) else None
    impossible = ruled_out.get(question_id, frozenset())
    labels = [
        choice.label
        for key, choice in question.choices.items()
        if key != NOT_DOCUMENTED and (offered is None or key in offered) and key not in impossible
    ]
    return (*labels, *QUERY_CLOSING_OPTIONS)


def documented_facts(rules: RuleSet, path: Iterable[PathStep]) -> tuple[str, ...]:
    facts = []
    for step in path:
        question = rules.questions[step.question]
        labels = [question.choices[v].label for v in step.answer.values if v != NOT_DOCUMENTED]
        if labels and step.answer.source is not Source.default:
            facts.append(f"{question.text} {', '.join(labels)}")
    return tuple(facts)


def documentation_checklist(
    rules: RuleSet, knowledge: Knowledge | None, path: Iterable[PathStep]
) -> tuple[ChecklistItem, ...]:
    """What the note should document, for each detail that was not documented."""
    items = []
    for step in path:
        if not undocumented(step):
            continue
        entry = knowledge.questions.get(step.question) if knowledge else None
        question = rules.questions[step.question]
        items.append(
            ChecklistItem(
                question=step.question,
                section=entry.section if entry else None,
                document=entry.document if entry else question.text,
            )
        )
    return tuple(items)


def more_specific(engine: Engine, path: Sequence[PathStep]) -> tuple[Hint, ...]:
    """For each `not_documented` answer, the codes each documented value would reach with
    the other answers of the path (so a result depends only on its path and `unused`)."""
    on_path = {step.question: step.answer for step in path}
    hints = []
    for step in path:
        if not undocumented(step):
            continue
        reach: dict[str, tuple[str, ...] | str] = {}
        ruled_out: set[str] = set()
        for value in engine.rules.questions[step.question].choices:
            if value == NOT_DOCUMENTED:
                continue
            reach[value], at_site = _codes_if(engine, on_path, step.question, value)
            if at_site:
                ruled_out.add(value)
        hints.append(Hint(step.question, reach, ruled_out=frozenset(ruled_out)))
    return tuple(hints)


def _codes_if(
    engine: Engine, answers: Mapping[str, Answer], question: str, value: str
) -> tuple[tuple[str, ...] | str, bool]:
    """What the value would reach, and whether the tree refuses it for the site itself (a
    refusal naming both the question and the site question), not for another answer."""
    changed = dict(answers)
    changed[question] = Answer((value,), Source.prompt)
    try:
        outcome = engine.run(changed, use_defaults=True)
    except Refusal as refusal:
        site = engine.rules.site
        at_site = site is not None and {question, site} <= set(refusal.naming)
        return "not reachable with the other answers", at_site
    except BackcoderError:
        return "not reachable with the other answers", False
    if isinstance(outcome, Pending):
        return f"needs {outcome.question} too", False
    return tuple(reported.code for reported in in_reporting_order(outcome.walk.codes)), False


def red_flag_warnings(rules: RuleSet, path: Iterable[PathStep]) -> tuple[str, ...]:
    warnings = []
    for step in path:
        for value in step.answer.values:
            warning = rules.questions[step.question].choices[value].warning
            if warning:
                warnings.append(warning)
    return tuple(warnings)
