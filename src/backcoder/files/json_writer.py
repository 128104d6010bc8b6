"""The one writer of results as JSON: the public object of the README's "The result".

The shapes it writes are typed in `files.result_shape`, from which the committed JSON
Schema of a result (docs/result.schema.json) is generated; they are imported here only for
type checking, since defining them costs every run start-up time.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from backcoder.coding.result import (
    ChecklistItem,
    CodeLine,
    EncounterResult,
    Hint,
    NoteFindings,
    PathEntry,
    ProblemResult,
    Query,
    Reason,
    Result,
    RulesRef,
)
from backcoder.engine.answers import Answer, Source

if TYPE_CHECKING:
    from backcoder.files.result_shape import (
        AnswerJSON,
        ChecklistJSON,
        CodeJSON,
        HintJSON,
        PathJSON,
        QueryJSON,
        ReasonJSON,
        RulesJSON,
    )


def answer_json(answer: Answer) -> AnswerJSON:
    return answer.as_json()


def answers_json(answers: dict[str, Answer]) -> dict[str, AnswerJSON]:
    return {key: answer.as_json() for key, answer in answers.items()}


def code_json(line: CodeLine) -> CodeJSON:
    entry: CodeJSON = {
        "code": line.code,
        "description": line.description,
        "role": line.role.value,
        "kind": line.kind.value,
    }
    if line.follows:
        entry["follows"] = line.follows
    if line.problems:
        entry["problems"] = list(line.problems)
    return entry


def path_json(step: PathEntry) -> PathJSON:
    answer = step.answer
    entry: PathJSON = {
        "question": step.question,
        "answer": answer.as_json(),
        "source": answer.source.value,
    }
    if answer.overrides is not None:
        below = answer.overrides
        entry["overrides"] = {"answer": below.as_json(), "source": below.source.value}
    if answer.merged is not None:
        entry["merged"] = [
            list(values) if len(values) != 1 else values[0] for values in answer.merged
        ]
    if step.problem is not None:
        entry["problem"] = step.problem
    return entry


def reason_json(reason: Reason) -> ReasonJSON:
    entry: ReasonJSON = {
        "code": reason.code,
        "reason": reason.reason,
        "sources": list(reason.sources),
    }
    if reason.problems:
        entry["problems"] = list(reason.problems)
    return entry


def query_json(query: Query) -> QueryJSON:
    entry: QueryJSON = {
        "question": query.question,
        "indicators": list(query.indicators),
        "query": query.query,
        "options": list(query.options),
    }
    if query.problem is not None:
        entry["problem"] = query.problem
    return entry


def checklist_json(item: ChecklistItem) -> ChecklistJSON:
    entry: ChecklistJSON = {
        "question": item.question,
        "section": item.section,
        "document": item.document,
    }
    if item.problem is not None:
        entry["problem"] = item.problem
    return entry


def hint_json(hint: Hint) -> HintJSON:
    reach = {
        value: codes if isinstance(codes, str) else list(codes)
        for value, codes in hint.would_reach.items()
    }
    entry: HintJSON = {"question": hint.question, "would_reach": reach}
    if hint.problem is not None:
        entry["problem"] = hint.problem
    return entry


def result_json(result: ProblemResult, *, unused: bool = True) -> dict[str, Any]:
    """The result object, keys in the documented order; without `unused` for batch, which
    appends each line's own."""
    data: dict[str, Any] = {
        "codes": [code_json(line) for line in result.codes],
        "path": [path_json(step) for step in result.path],
        "rationale": [reason_json(reason) for reason in result.rationale],
        "queries": [query_json(query) for query in result.queries],
        "checklist": [checklist_json(item) for item in result.checklist],
        "more_specific": [hint_json(hint) for hint in result.more_specific],
        "warnings": list(result.warnings),
    }
    if unused:
        data["unused"] = answers_json(result.unused)
    data["answers"] = answers_json(result.answers)
    data["rules"] = rules_json(result.rules)
    data["backcoder"] = result.backcoder
    if result.note is not None:
        data.update(note_json(result.note))
    return data


def note_json(findings: NoteFindings, *, set_aside: bool = True) -> dict[str, Any]:
    """What a clinical note gave the result: evidence, mentions set aside and conflicts."""
    data: dict[str, Any] = {"evidence": [item._asdict() for item in findings.evidence]}
    if set_aside:
        data["set_aside"] = [item._asdict() for item in findings.set_aside]
    data["conflicts"] = [item._asdict() for item in findings.conflicts]
    return data


def encounter_json(result: EncounterResult) -> dict[str, Any]:
    """An encounter: today's fields (so a reader of one problem's result reads it too), the
    encounter's codes, rationale and queries, and `problems`, one object per problem with
    its own codes, path, queries and unused answers.

    `path` lists every problem's questions, each entry naming its problem; `answers` is the
    record to replay (shared answers at the top, each problem's own under `problems`)."""
    data: dict[str, Any] = {
        "codes": [code_json(line) for line in result.codes],
        "path": [
            path_json(step._replace(problem=number))
            for number, problem in enumerate(result.problems, 1)
            for step in problem.path
        ],
        "rationale": [reason_json(reason) for reason in result.rationale],
        "queries": [query_json(query) for query in result.queries],
        "checklist": [checklist_json(item) for item in result.checklist],
        "more_specific": [hint_json(hint) for hint in result.more_specific],
        "warnings": list(result.warnings),
        "unused": answers_json(result.unused),
        "answers": replay_record(result),
        "rules": rules_json(result.rules),
        "backcoder": result.backcoder,
    }
    if result.note is not None:
        data.update(note_json(result.note))
    data["problems"] = [problem_json(problem) for problem in result.problems]
    return data


def problem_json(result: ProblemResult, *, unused: bool = True) -> dict[str, Any]:
    """One problem of an encounter, as the contract lists it."""
    data: dict[str, Any] = {
        "codes": [code_json(line) for line in result.codes],
        "path": [path_json(step) for step in result.path],
        "queries": [query_json(query) for query in result.queries],
    }
    if unused:
        data["unused"] = answers_json(result.unused)
    if result.note is not None:
        data.update(note_json(result.note, set_aside=False))
    return data


def rules_json(rules: RulesRef) -> RulesJSON:
    return {"name": rules.name, "version": rules.version, "icd10cm": rules.icd10cm}


def replay_record(result: EncounterResult) -> dict[str, Any]:
    """The record that codes the same encounter again: shared answers given (not defaults),
    then each problem's answers that differ from the shared ones."""
    shared = answers_json(
        {k: a for k, a in result.shared.items() if a.source is not Source.default}
    )
    own = [answers_json(problem.answers) for problem in result.problems]
    return replay(shared, own)


def replay(shared: dict[str, AnswerJSON], own: list[dict[str, AnswerJSON]]) -> dict[str, Any]:
    return {
        **shared,
        "problems": [{k: v for k, v in answers.items() if shared.get(k) != v} for answers in own],
    }


def replay_answers(result: Result) -> dict[str, Any]:
    """What `--save` writes: the answers that replay the same result with `--answers`."""
    if isinstance(result, EncounterResult):
        return replay_record(result)
    return answers_json(result.answers)


def any_json(result: Result) -> dict[str, Any]:
    if isinstance(result, EncounterResult):
        return encounter_json(result)
    return result_json(result)


def explanation_json(explained: dict[str, Any]) -> dict[str, Any]:
    """`explain --json`: the code book's explanation, its hints written like a result's."""
    return {**explained, "more_specific": [hint_json(h) for h in explained["more_specific"]]}


def comparison_json(compared: dict[str, Any]) -> dict[str, Any]:
    return {**compared, "codes": [explanation_json(entry) for entry in compared["codes"]]}


def result_text(result: Result) -> str:
    """`code --json`: the result (of one problem, or of an encounter), indented."""
    return json.dumps(any_json(result), indent=2, ensure_ascii=False) + "\n"


def result_schema() -> dict[str, Any]:
    """The JSON Schema of a result (committed as docs/result.schema.json)."""
    from pydantic import TypeAdapter

    from backcoder.files.result_shape import EncounterJSON, ResultJSON

    schema = TypeAdapter(ResultJSON | EncounterJSON).json_schema()
    schema["title"] = "backcoder result"
    return schema
