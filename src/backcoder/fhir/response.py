"""A QuestionnaireResponse to backcoder's Questionnaire, read as answers.

Each answered item is a question (`linkId`), each `valueCoding.code` a value; several
answers to one item are a multi-select answer. The answers then go through the same
validation as any answers file, so a wrong value gets the same message as a wrong flag.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn

from backcoder.coding.records import PROBLEMS
from backcoder.engine.answers import abridged, question_for
from backcoder.fhir import FhirError, answer_system, require_fhir, rules_url
from backcoder.language.model import RuleSet

if TYPE_CHECKING:
    from fhir.resources.R4B.questionnaireresponse import (
        QuestionnaireResponseItem,
        QuestionnaireResponseItemAnswer,
    )

RESPONSE = "QuestionnaireResponse"
STATUSES = ("in-progress", "completed", "amended", "entered-in-error", "stopped")
"""R4's required value set for QuestionnaireResponse.status (the models check the type only)."""


def response_answers(data: dict[str, Any], rules: RuleSet, where: str) -> dict[str, Any]:
    """The answers a QuestionnaireResponse of this rule set's Questionnaire gives, as raw
    values (text, or a list for several), keyed by question id; `where` names the file."""
    kind = data.get("resourceType")
    if not isinstance(kind, str) or not kind.isprintable():
        raise FhirError(
            f"{where}: resourceType {abridged(json.dumps(kind))} names no FHIR resource: answers "
            "come as a QuestionnaireResponse to the Questionnaire of `backcoder questions "
            "--format fhir`"
        )
    if kind != RESPONSE:
        raise FhirError(
            f"{where}: a FHIR {abridged(kind)}, not a QuestionnaireResponse: answers come as a "
            "QuestionnaireResponse to the Questionnaire of `backcoder questions --format fhir`"
        )
    require_fhir()
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
    from pydantic import ValidationError

    try:
        response = QuestionnaireResponse.model_validate(data)
    except ValidationError as exc:
        raise FhirError(
            f"{where}: not a valid FHIR R4 QuestionnaireResponse ({_first(exc)})"
        ) from None
    expected = rules_url(rules.name)
    named = (response.questionnaire or "").partition("|")[0]
    if named != expected:
        answered = f"to {named}" if named else "naming no questionnaire"
        raise FhirError(
            f"{where}: a response {answered}, not to {expected} (the rule set {rules.name}): "
            "fill in the Questionnaire of `backcoder questions --format fhir`"
        )
    if response.status not in STATUSES:
        raise FhirError(
            f"{where}: status {response.status!r} is not a QuestionnaireResponse status "
            f"({', '.join(STATUSES)})"
        )
    if response.status == "entered-in-error":
        raise FhirError(f"{where}: the response is marked entered-in-error")
    answers: dict[str, Any] = {}
    for item in _answered_items(response.item or []):
        link = item.linkId
        if link not in rules.questions:
            _unknown(rules, link, where)
        values = [_value(rules, link, answer, where) for answer in item.answer or []]
        if link in answers:
            raise FhirError(f"{where}: item {link} is answered twice; answer it once")
        answers[link] = values[0] if len(values) == 1 else values
    return answers


def _unknown(rules: RuleSet, link: str, where: str) -> NoReturn:
    """Refuse an item that is no question, before its answers are looked at (the unknown id
    says more than its answer's type). Keys an answers file reads as more than a question
    (a record's `problems`, its `_id`) get their own line: the answers file's would speak of
    a record, which a response is not."""
    if link == PROBLEMS or link.startswith("_") or not link.isprintable():
        raise FhirError(
            f"{where}: item {abridged(json.dumps(link))} is not a question of the "
            "Questionnaire: each item's linkId is a question id (`backcoder questions` "
            "lists them)"
        )
    question_for(rules, link)  # the unknown question's line, with a did-you-mean
    raise AssertionError(f"{link} is a question")


def _answered_items(items: list[QuestionnaireResponseItem]) -> Iterator[QuestionnaireResponseItem]:
    """Every item with an answer, however the form nested it (groups, or items under an
    answer)."""
    for item in items:
        if item.answer:
            yield item
            for answer in item.answer:
                yield from _answered_items(answer.item or [])
        yield from _answered_items(item.item or [])


def _value(
    rules: RuleSet, link_id: str, answer: QuestionnaireResponseItemAnswer, where: str
) -> str:
    coding = answer.valueCoding
    system = answer_system(rules.name, link_id)
    if coding is None or not coding.code:
        raise FhirError(
            f"{where}: item {link_id}: the answer is not a coding; answer with valueCoding "
            f"(system {system}, code one of the question's values)"
        )
    if coding.system is not None and coding.system != system:
        raise FhirError(
            f"{where}: item {link_id}: the coding's system is {coding.system}, not {system}"
        )
    return coding.code


def _first(exc: Any) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "(top)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {error['msg']}{more}"
