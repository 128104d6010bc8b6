"""The result of a finished walk, as the public JSON object of the shared spec.

Titles and cited notes come from the tabular knowledge of the bundle, never from the rule
file. Physician queries and the "more specific code" hints are derived here from the path,
so the rule file only states the open question a query asks.
"""

from __future__ import annotations

from typing import Any

from backcoder import __version__
from backcoder.engine.answers import Answer, Answers, Source
from backcoder.engine.walk import Engine, Finished, Pending, ReportedCode, in_reporting_order
from backcoder.errors import BackcoderError
from backcoder.icd.tabular import Tabular
from backcoder.language.model import NOT_DOCUMENTED, Citation, Knowledge, RuleSet

FIRST_LISTED = "first-listed"
ADDITIONAL = "additional"
QUERY_CLOSING_OPTIONS = ("Other (please specify)", "Clinically undetermined")


def build_result(
    engine: Engine,
    tabular: Tabular,
    answers: Answers,
    finished: Finished,
    knowledge: Knowledge | None = None,
) -> dict[str, Any]:
    rules = engine.rules
    walk = finished.walk
    ordered = in_reporting_order(walk)
    codes = [_code_entry(tabular, reported, position) for position, reported in enumerate(ordered)]
    rationale = [
        {
            "code": reported.code,
            "reason": reported.spec.why,
            "sources": [cite_text(tabular, citation) for citation in reported.spec.cite],
        }
        for reported in ordered
    ] + [
        {"code": None, "reason": note.text, "sources": [cite_text(tabular, c) for c in note.cite]}
        for _, note in walk.notes
    ]
    asked = {step.question for step in walk.path}
    return {
        "codes": codes,
        "path": [_path_entry(rules, step.question, step.answer) for step in walk.path],
        "rationale": rationale,
        "queries": physician_queries(rules, walk.path),
        "checklist": documentation_checklist(rules, knowledge, walk.path),
        "more_specific": more_specific(engine, walk.path),
        "warnings": red_flag_warnings(rules, walk.path),
        "unused": {key: answer.as_json() for key, answer in answers.items() if key not in asked},
        "answers": {
            step.question: step.answer.as_json()
            for step in walk.path
            if step.answer.source is not Source.default
        },
        "rules": {"name": rules.name, "version": rules.version, "icd10cm": rules.icd10cm},
        "backcoder": __version__,
    }


def _code_entry(tabular: Tabular, reported: ReportedCode, position: int) -> dict[str, Any]:
    """A code as the result lists it; a code that follows a condition coded outside the
    tree (G89.3 after the neoplasm) is additional even when it is the only code here."""
    entry = {
        "code": reported.code,
        "description": _title(tabular, reported.code),
        "role": FIRST_LISTED if position == 0 and not reported.spec.follows else ADDITIONAL,
        "kind": reported.spec.kind.value,
    }
    if reported.spec.follows:
        entry["follows"] = reported.spec.follows
    return entry


def _title(tabular: Tabular, code: str) -> str:
    info = tabular.info(code)
    if info is None:
        raise BackcoderError(f"{code} is not an ICD-10-CM code: run `backcoder rules check`")
    return info.title


def cite_text(tabular: Tabular, citation: Citation) -> str:
    """A citation in words; a tabular note is quoted from the tabular itself."""
    if citation.guideline is not None:
        return f"ICD-10-CM Official Guidelines FY2026, section {citation.guideline}"
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
    label = {"excludes1": "Excludes1", "excludes2": "Excludes2", "inclusion": "Inclusion term"}
    return f"Tabular {info.code}, {label[citation.note]}: {'; '.join(quoted)}"


def _path_entry(rules: RuleSet, question_id: str, answer: Answer) -> dict[str, Any]:
    return {
        "question": question_id,
        "answer": answer.as_json(),
        "source": answer.source.value,
    }


def physician_queries(rules: RuleSet, path: list[Any]) -> list[dict[str, Any]]:
    """A compliant query for every `not_documented` answer: the documented facts, one open
    question, every clinically reasonable option plus "other" and "clinically undetermined"."""
    queries = []
    for position, step in enumerate(path):
        if not _undocumented(step):
            continue
        question = rules.questions[step.question]
        options = [
            choice.label for key, choice in question.choices.items() if key != NOT_DOCUMENTED
        ]
        queries.append(
            {
                "question": step.question,
                "indicators": documented_facts(rules, path[:position]),
                "query": question.query,
                "options": options + list(QUERY_CLOSING_OPTIONS),
            }
        )
    return queries


def _undocumented(step: Any) -> bool:
    """Answered `not_documented` from the record (a default is not asked, so not queried)."""
    return NOT_DOCUMENTED in step.answer.values and step.answer.source is not Source.default


def documentation_checklist(
    rules: RuleSet, knowledge: Knowledge | None, path: list[Any]
) -> list[dict[str, Any]]:
    """What the note should document, for each detail that was not documented."""
    items = []
    for step in path:
        if not _undocumented(step):
            continue
        entry = knowledge.questions.get(step.question) if knowledge else None
        question = rules.questions[step.question]
        items.append(
            {
                "question": step.question,
                "section": entry.section if entry else None,
                "document": entry.document if entry else question.text,
            }
        )
    return items


def documented_facts(rules: RuleSet, path: list[Any]) -> list[str]:
    facts = []
    for step in path:
        question = rules.questions[step.question]
        labels = [question.choices[v].label for v in step.answer.values if v != NOT_DOCUMENTED]
        if labels and step.answer.source is not Source.default:
            facts.append(f"{question.text} {', '.join(labels)}")
    return facts


def more_specific(engine: Engine, path: list[Any]) -> list[dict[str, Any]]:
    """For each `not_documented` answer, the codes each documented value would reach with
    the other answers of the path (so a result depends only on its path and `unused`)."""
    on_path = {step.question: step.answer for step in path}
    hints = []
    for step in path:
        if not _undocumented(step):
            continue
        reach = {}
        for value in engine.rules.questions[step.question].choices:
            if value == NOT_DOCUMENTED:
                continue
            reach[value] = _codes_if(engine, on_path, step.question, value)
        hints.append({"question": step.question, "would_reach": reach})
    return hints


def _codes_if(engine: Engine, answers: Answers, question: str, value: str) -> list[str] | str:
    changed: dict[str, Answer] = dict(answers)
    changed[question] = Answer((value,), Source.prompt)
    try:
        outcome = engine.run(changed, use_defaults=True)
    except BackcoderError:
        return "not reachable with the other answers"
    if isinstance(outcome, Pending):
        return f"needs {outcome.question} too"
    return [reported.code for reported in in_reporting_order(outcome.walk)]


def red_flag_warnings(rules: RuleSet, path: list[Any]) -> list[str]:
    warnings = []
    for step in path:
        for value in step.answer.values:
            warning = rules.questions[step.question].choices[value].warning
            if warning:
                warnings.append(warning)
    return warnings
