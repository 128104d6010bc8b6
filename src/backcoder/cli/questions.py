"""`backcoder questions`: the answer vocabulary, so scripts can discover it."""

from __future__ import annotations

import json
from typing import Any

from backcoder.cli.common import (
    Format,
    FormatOption,
    JsonOption,
    RulesOption,
    environment,
    exits_cleanly,
    guard_outputs,
    output_format,
    rules_inputs,
)
from backcoder.files.bundle import load_bundle
from backcoder.language.model import RuleSet


@exits_cleanly
def questions(
    json_output: JsonOption = False, form: FormatOption = None, rules: RulesOption = None
) -> None:
    """List every question id, its choices and when the tree asks it; --format fhir writes
    them as an HL7 FHIR R4 Questionnaire."""
    env = environment()
    guard_outputs(rules_inputs(rules))
    chosen = output_format(form, json_output)
    bundle = load_bundle(rules)
    if chosen is Format.fhir:
        from backcoder.fhir.questionnaire import questionnaire_json

        env.stdout.write(questionnaire_json(bundle.rules, bundle.asked_when))
        return
    listing = vocabulary(bundle.rules, bundle.asked_when)
    if chosen is Format.json:
        env.stdout.write(json.dumps(listing, indent=2) + "\n")
        return
    from rich.markup import escape

    from backcoder.cli.render import say

    console = env.console()
    for entry in listing:
        several = " (several allowed)" if entry["multiple"] else ""
        default = f"; default {','.join(entry['default'])}" if entry["default"] else ""
        console.print(f"[bold]{entry['id']}[/]{several}: {escape(entry['text'])}")
        say(console, 2, escape(f"asked when: {entry['asked_when']}{default}"))
        say(console, 2, f"values: {', '.join(choice['id'] for choice in entry['choices'])}")


def vocabulary(rules: RuleSet, asked_when: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "id": question_id,
            "text": question.text,
            "multiple": question.multiple,
            "default": question.default,
            "asked_when": asked_when.get(question_id, "never"),
            "choices": [
                {"id": value, "label": choice.label} for value, choice in question.choices.items()
            ],
        }
        for question_id, question in rules.questions.items()
    ]
