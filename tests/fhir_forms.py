"""What a FHIR form filler does with backcoder's Questionnaire, written from the R4
specification rather than from backcoder: which items `enableWhen` enables, and the
QuestionnaireResponse a coder's answers make."""

from __future__ import annotations

from typing import Any


def _references(item: dict[str, Any]) -> set[str]:
    return {condition["question"] for condition in item.get("enableWhen", [])}


def in_dependency_order(questionnaire: dict[str, Any]) -> list[dict[str, Any]]:
    """The items, each after the items its enableWhen names."""
    items = {item["linkId"]: item for item in questionnaire["item"]}
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()
    while len(ordered) < len(items):
        ready = [
            item
            for link, item in items.items()
            if link not in placed and _references(item) <= placed
        ]
        assert ready, "enableWhen references form a cycle"
        for item in ready:
            ordered.append(item)
            placed.add(item["linkId"])
    return ordered


def _holds(condition: dict[str, Any], answers: list[str]) -> bool:
    """R4 Questionnaire.item.enableWhen.operator, for coded answers: `=` holds when any
    answer equals, `!=` when none does, `exists` when there is an answer (or none, for
    false)."""
    operator = condition["operator"]
    if operator == "exists":
        return bool(answers) == condition["answerBoolean"]
    code = condition["answerCoding"]["code"]
    if operator == "=":
        return code in answers
    if operator == "!=":
        return code not in answers
    raise AssertionError(f"operator {operator} not expected for coded answers")


def enabled(ordered: list[dict[str, Any]], answers: dict[str, list[str]]) -> set[str]:
    """The items a form shows for these answers; a disabled item counts as unanswered."""
    shown: set[str] = set()
    for item in ordered:
        conditions = item.get("enableWhen")
        if conditions:
            visible = lambda q: answers.get(q, []) if q in shown else []  # noqa: E731
            results = [_holds(c, visible(c["question"])) for c in conditions]
            behaviour = item.get("enableBehavior")
            if len(results) > 1:
                assert behaviour in ("any", "all"), "que-12: several enableWhen need a behaviour"
            ok = any(results) if behaviour == "any" else all(results)
            if not ok:
                continue
        shown.add(item["linkId"])
    return shown


def as_lists(answers: dict[str, Any]) -> dict[str, list[str]]:
    return {
        key: [part.strip() for part in value.split(",")] if isinstance(value, str) else list(value)
        for key, value in answers.items()
    }


def initial_selections(questionnaire: dict[str, Any]) -> dict[str, list[str]]:
    """What the form shows selected before anyone answers: the `initialSelected` options."""
    found = {}
    for item in questionnaire["item"]:
        chosen = [
            o["valueCoding"]["code"] for o in item["answerOption"] if o.get("initialSelected")
        ]
        if chosen:
            found[item["linkId"]] = chosen
    return found


def filled_response(questionnaire: dict[str, Any], answers: dict[str, list[str]]) -> Any:
    """The QuestionnaireResponse a form gives for these answers, the initial selections
    left where the answers say nothing: only enabled items are answered, each answer the
    Questionnaire's own option coding; built and validated by the FHIR models."""
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    answers = {**initial_selections(questionnaire), **answers}
    shown = enabled(in_dependency_order(questionnaire), answers)
    items = []
    for item in questionnaire["item"]:
        link = item["linkId"]
        if link not in shown or link not in answers:
            continue
        options = {option["valueCoding"]["code"]: option for option in item["answerOption"]}
        items.append(
            {
                "linkId": link,
                "text": item["text"],
                "answer": [
                    {"valueCoding": options[value]["valueCoding"]} for value in answers[link]
                ],
            }
        )
    return QuestionnaireResponse.model_validate(
        {
            "resourceType": "QuestionnaireResponse",
            "questionnaire": f"{questionnaire['url']}|{questionnaire['version']}",
            "status": "completed",
            "item": items,
        }
    )
