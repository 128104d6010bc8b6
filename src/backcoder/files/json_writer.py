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
    Hint,
    PathEntry,
    ProblemResult,
    Query,
    Reason,
)
from backcoder.engine.answers import Answer

if TYPE_CHECKING:
    from backcoder.files.result_shape import (
        AnswerJSON,
        ChecklistJSON,
        CodeJSON,
        HintJSON,
        PathJSON,
        QueryJSON,
        ReasonJSON,
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
    return entry


def reason_json(reason: Reason) -> ReasonJSON:
    return {"code": reason.code, "reason": reason.reason, "sources": list(reason.sources)}


def query_json(query: Query) -> QueryJSON:
    return {
        "question": query.question,
        "indicators": list(query.indicators),
        "query": query.query,
        "options": list(query.options),
    }


def checklist_json(item: ChecklistItem) -> ChecklistJSON:
    return {"question": item.question, "section": item.section, "document": item.document}


def hint_json(hint: Hint) -> HintJSON:
    reach = {
        value: codes if isinstance(codes, str) else list(codes)
        for value, codes in hint.would_reach.items()
    }
    return {"question": hint.question, "would_reach": reach}


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
    data["rules"] = {
        "name": result.rules.name,
        "version": result.rules.version,
        "icd10cm": result.rules.icd10cm,
    }
    data["backcoder"] = result.backcoder
    return data


def explanation_json(explained: dict[str, Any]) -> dict[str, Any]:
    """`explain --json`: the code book's explanation, its hints written like a result's."""
    return {**explained, "more_specific": [hint_json(h) for h in explained["more_specific"]]}


def comparison_json(compared: dict[str, Any]) -> dict[str, Any]:
    return {**compared, "codes": [explanation_json(entry) for entry in compared["codes"]]}


def result_text(result: ProblemResult) -> str:
    """`code --json`: the result, indented, one object."""
    return json.dumps(result_json(result), indent=2, ensure_ascii=False) + "\n"


def result_schema() -> dict[str, Any]:
    """The JSON Schema of a result (committed as docs/result.schema.json)."""
    from pydantic import TypeAdapter

    from backcoder.files.result_shape import ResultJSON

    schema = TypeAdapter(ResultJSON).json_schema()
    schema["title"] = "backcoder result"
    return schema
