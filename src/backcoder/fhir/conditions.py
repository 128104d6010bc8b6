"""A coding result as a FHIR R4 Bundle (type `collection`) of Condition resources.

One Condition per code, the entries in reporting order: the order of the entries is the
rank (FHIR R4's Condition has no rank element; Encounter.diagnosis.rank would need an
Encounter backcoder knows nothing of). Each Condition carries:

- `code`: the ICD-10-CM coding (system http://hl7.org/fhir/sid/icd-10-cm, the code, the
  official title as `display`);
- `category`: encounter-diagnosis, since the codes are those of one encounter's record;
- `evidence`: the path, each answer as a Coding of the Questionnaire's code systems (in an
  encounter, one evidence per problem the code came from);
- `note`: its place in the reporting order and role, why it was reported and the sources.
  The first Condition also carries the decisions that added no code and the red-flag
  notices.
- `subject`: required by FHIR; backcoder never sees who the patient is, so it is a
  reference by description only, for the receiving system to resolve.

Physician queries, the documentation checklist and the more specific codes stay in the
JSON result (`--format json`): FHIR has no resource for them that would not be invented.
A record that cannot be coded is a Bundle holding one OperationOutcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backcoder.coding.result import CodeLine, PathEntry, Reason, Result, problems_of
from backcoder.fhir import ICD10CM_SYSTEM, answer_system, require_fhir, rules_url
from backcoder.language.model import RuleSet

if TYPE_CHECKING:
    from fhir.resources.R4B.bundle import Bundle

CATEGORY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/condition-category",
            "code": "encounter-diagnosis",
            "display": "Encounter Diagnosis",
        }
    ]
}
SUBJECT = {"display": "The patient of the coded record (not identified by backcoder)"}


def result_bundle(result: Result, rules: RuleSet, record: str | None = None) -> Bundle:
    """The Bundle of a result (one problem's, or an encounter's); `record` (a batch line's
    `_id`) becomes its identifier."""
    require_fhir()
    from fhir.resources.R4B.bundle import Bundle

    paths = [
        {"code": [_answer_concept(rules, step) for step in problem.path]}
        for problem in problems_of(result)
    ]
    general = _general_notes(result)
    entries = [
        {
            "resource": _condition(
                line,
                position,
                result,
                [paths[number - 1] for number in line.problems or (1,)],
                general if position == 0 else [],
            )
        }
        for position, line in enumerate(result.codes)
    ]
    return Bundle.model_validate(_bundle(rules.name, record, entries))


def error_bundle(rules: RuleSet, message: str, record: str | None = None) -> Bundle:
    """The Bundle of a record that could not be coded: one OperationOutcome saying why."""
    require_fhir()
    from fhir.resources.R4B.bundle import Bundle

    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "invalid", "diagnostics": message}],
    }
    return Bundle.model_validate(_bundle(rules.name, record, [{"resource": outcome}]))


def _bundle(name: str, record: str | None, entries: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    if record is not None:
        data["identifier"] = {"system": record_system(name), "value": record}
    return data


def record_system(name: str) -> str:
    """The identifier system of a record's `_id` (the caller's own record ids)."""
    return f"{rules_url(name)}:record"


def _condition(
    line: CodeLine,
    position: int,
    result: Result,
    evidence: list[dict[str, Any]],
    general: list[dict[str, str]],
) -> dict[str, Any]:
    coding = {"system": ICD10CM_SYSTEM, "code": line.code, "display": line.description}
    reasons = [reason for reason in result.rationale if reason.code == line.code]
    return {
        "resourceType": "Condition",
        "category": [CATEGORY],
        "code": {"coding": [coding], "text": line.description},
        "subject": SUBJECT,
        "evidence": evidence,
        "note": [{"text": _order_text(line, position, len(result.codes))}]
        + [{"text": _reason_text(reason)} for reason in reasons]
        + general,
    }


def _order_text(line: CodeLine, position: int, count: int) -> str:
    follows = f", listed after {line.follows}" if line.follows else ""
    numbers = ", ".join(str(number) for number in line.problems)
    problems = f", for problem {numbers}" if len(line.problems) == 1 else ""
    problems = problems or (f", for problems {numbers}" if line.problems else "")
    return f"Reporting order: {position + 1} of {count}, {line.role.value}{follows}{problems}."


def _reason_text(reason: Reason) -> str:
    numbers = ", ".join(str(number) for number in reason.problems)
    which = f"Problem {numbers}: " if len(reason.problems) == 1 else ""
    which = which or (f"Problems {numbers}: " if reason.problems else "")
    sources = "; ".join(reason.sources)
    return which + (f"{reason.reason}\n\nSources: {sources}" if sources else reason.reason)


def _general_notes(result: Result) -> list[dict[str, str]]:
    notes = [
        {"text": "Decision: " + _reason_text(reason)}
        for reason in result.rationale
        if reason.code is None
    ]
    return notes + [{"text": warning} for warning in result.warnings]


def _answer_concept(rules: RuleSet, step: PathEntry) -> dict[str, Any]:
    question = rules.questions[step.question]
    system = answer_system(rules.name, step.question)
    codings = [
        {"system": system, "code": value, "display": question.choices[value].label}
        for value in step.answer.values
    ]
    labels = ", ".join(coding["display"] for coding in codings)
    return {"coding": codings, "text": f"{question.text.rstrip(':')}: {labels}"}
