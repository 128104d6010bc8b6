"""The rule tree as an HL7 FHIR R4 Questionnaire (Structured Data Capture profile).

One item per question, `linkId` the question id; the answer options are Codings whose code
is the answer value, in one code system per question named after the rule set; several
values are `repeats`; the question's help (and its choices' help) is a child display item
with the `help` item control; a default is the option marked `initialSelected`.

`enableWhen` (see `fhir.enabling`) comes from the facts `rules build` derives from every
path of the tree (the `asked when` of `backcoder questions`), or, for a question asked on
paths with nothing in common, from the routes into the nodes that ask it. Both are
necessary conditions, so the form never hides a question the tree needs; it may show one
the path then leaves unused. A question the tree answers by itself at some point (a node's
default, a quiet ask) may be left empty, and the conditions on it hold while it is empty.

What FHIR cannot carry here: the tree's `only` restrictions at one point (a thoracic
fracture takes T1-T12; the coding refuses other values with the usual message) and the
defaults of one point of the tree (fracture_cause: injury after an injury, none without
trauma; the G89 questions after an injury code; a quiet lumbar_cause): one item has one set
of initial selections, so these items start empty and the coding takes the default at
that point, as scripted runs do.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from backcoder.fhir import SDC_QUESTIONNAIRE, FhirError, answer_system, require_fhir, rules_url
from backcoder.fhir.enabling import all_of, any_of, either_route
from backcoder.language.model import AskNode, Question, RuleSet

if TYPE_CHECKING:
    from fhir.resources.R4B.questionnaire import Questionnaire

ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
UNCONDITIONAL = frozenset({"always", "never", "on the paths that need it"})
"""Descriptions of `asked when` that name no condition the form could test."""
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")

Conditions = dict[str, tuple[str, ...]]


def questionnaire(rules: RuleSet, asked_when: dict[str, str]) -> Questionnaire:
    """The Questionnaire of a rule set, validated by the FHIR models."""
    require_fhir()
    from fhir.resources.R4B.questionnaire import Questionnaire

    data: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "meta": {"profile": [SDC_QUESTIONNAIRE]},
        "url": rules_url(rules.name),
        "version": rules.version,
        "name": _computable_name(rules.name),
        "title": rules.title or rules.name,
        "status": "active",
        "subjectType": ["Patient"],
        "description": (
            f"The questions of the backcoder rule set {rules.name} {rules.version}, checked "
            f"against ICD-10-CM {rules.icd10cm}. Answer what the record documents; "
            "`backcoder code --answers` codes the response."
        ),
        "item": [
            _item(rules, question_id, asked_when.get(question_id, "never"))
            for question_id in rules.questions
        ],
    }
    if FHIR_ID.match(rules.name):
        data["id"] = rules.name
    return Questionnaire.model_validate(data)


def questionnaire_json(rules: RuleSet, asked_when: dict[str, str]) -> str:
    return to_json(questionnaire(rules, asked_when))


def to_json(resource: Any) -> str:
    """A resource as indented JSON, without empty elements."""
    return resource.model_dump_json(exclude_none=True, indent=2) + "\n"


def _computable_name(name: str) -> str:
    """FHIR's machine name: letters and digits, starting with a capital (`BackPain`)."""
    words = re.split(r"[^A-Za-z0-9]+", name)
    joined = "".join(word[:1].upper() + word[1:] for word in words if word)
    return joined if joined[:1].isalpha() else "Rules" + joined


def _item(rules: RuleSet, question_id: str, asked_when: str) -> dict[str, Any]:
    question = rules.questions[question_id]
    default = set(question.default or [])
    system = answer_system(rules.name, question_id)
    item: dict[str, Any] = {
        "linkId": question_id,
        "text": question.text,
        "type": "choice",
        "extension": [_control("check-box" if question.multiple else "radio-button")],
        "answerOption": [
            {
                "valueCoding": {"system": system, "code": value, "display": choice.label},
                **({"initialSelected": True} if value in default else {}),
            }
            for value, choice in question.choices.items()
        ],
    }
    if question.multiple:
        item["repeats"] = True
    if asked_when == "always" and not question.default:
        item["required"] = True
    conditions, behaviour = _enabling(rules, question_id, asked_when)
    if conditions:
        item["enableWhen"] = conditions
        if behaviour:
            item["enableBehavior"] = behaviour
    help_text = _help(question, _point_defaults(rules, question_id))
    if help_text:
        item["item"] = [
            {
                "linkId": f"{question_id}.help",
                "text": help_text,
                "type": "display",
                "extension": [_control("help")],
            }
        ]
    return item


def _enabling(
    rules: RuleSet, question_id: str, asked_when: str
) -> tuple[list[dict[str, Any]], str | None]:
    """The item's `enableWhen` and behaviour: the derived conjunction when there is one,
    else one earlier answer from each route into the question (see `fhir.enabling`)."""
    if asked_when == "on the paths that need it":
        either = either_route(rules, question_id)
        return any_of(rules, either) if either else ([], None)
    return all_of(rules, enable_conditions(rules, asked_when))


def _control(code: str) -> dict[str, Any]:
    coding = {"system": ITEM_CONTROL_SYSTEM, "code": code}
    return {"url": ITEM_CONTROL, "valueCodeableConcept": {"coding": [coding]}}


def _help(question: Question, point_defaults: list[str]) -> str:
    """The question's help, then each choice's, as the walker's `?` shows them, then what
    an empty answer is coded as where the tree has a default of its own for it."""
    lines = [question.help] if question.help else []
    lines += [
        f"{choice.label}: {choice.help}" for choice in question.choices.values() if choice.help
    ]
    if point_defaults:
        labels = " or ".join(question.choices[value].label for value in point_defaults)
        lines.append(
            f"Left empty where the tree takes a default of its own, it is coded as: {labels}."
        )
    return "\n".join(lines)


def _point_defaults(rules: RuleSet, question_id: str) -> list[str]:
    """The values the tree takes for a question at some point only (a node's default)."""
    found: list[str] = []
    for node in rules.nodes.values():
        if isinstance(node, AskNode) and node.ask == question_id and node.default:
            found += [value for value in node.default if value not in found]
    return found


def enable_conditions(rules: RuleSet, asked_when: str) -> Conditions:
    """The derived `asked when` text (`trauma=no|not_documented and attribution=none`) as
    the values each earlier question must have; empty when it names no condition."""
    if asked_when in UNCONDITIONAL:
        return {}
    conditions: Conditions = {}
    for part in asked_when.split(" and "):
        key, sep, values = part.partition("=")
        choices = rules.questions[key].choices if key in rules.questions else {}
        allowed = tuple(values.split("|"))
        if not sep or not choices or not set(allowed) <= set(choices):
            raise FhirError(f"cannot read the derived condition {asked_when!r} (at {part!r})")
        conditions[key] = allowed
    return conditions
