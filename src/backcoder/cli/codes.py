"""`backcoder explain`, `compare` and `template`: code knowledge at the prompt."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from backcoder.cli.common import (
    JsonOption,
    RulesOption,
    environment,
    exits_cleanly,
    guard_outputs,
    rules_inputs,
)

CodeArgument = Annotated[
    str, typer.Argument(metavar="CODE", help="An ICD-10-CM code: M54.50, m5450, S39.012A.")
]


def _codebook(rules: Any) -> Any:
    from backcoder.coding.codebook import CodeBook
    from backcoder.files.bundle import load_bundle

    guard_outputs(rules_inputs(rules))
    return CodeBook(load_bundle(rules))


def _show(data: dict[str, Any], json_output: bool, render: Any, writer: Any) -> None:
    """JSON on standard output for scripts, or the rendering for people."""
    env = environment()
    if json_output:
        env.stdout.write(json.dumps(writer(data), indent=2, ensure_ascii=False) + "\n")
    else:
        render(env.console(), data)


@exits_cleanly
def explain(code: CodeArgument, json_output: JsonOption = False, rules: RulesOption = None) -> None:
    """What a code means, when to use it, how the tree reaches it, what the note must say."""
    from backcoder.cli.render import show_explanation
    from backcoder.files.json_writer import explanation_json

    _show(_codebook(rules).explain(code), json_output, show_explanation, explanation_json)


@exits_cleanly
def compare(
    codes: Annotated[list[str], typer.Argument(metavar="CODE CODE...", help="Two or more codes.")],
    json_output: JsonOption = False,
    rules: RulesOption = None,
) -> None:
    """Side by side: when to use each code, what separates them, the question that decides."""
    from backcoder.cli.render import show_comparison
    from backcoder.errors import CodeLookupError

    if len(codes) < 2:
        raise CodeLookupError(
            "compare takes two or more codes (e.g. backcoder compare M54.9 M54.50)"
        )
    from backcoder.files.json_writer import comparison_json

    _show(_codebook(rules).compare(codes), json_output, show_comparison, comparison_json)


@exits_cleanly
def template(code: CodeArgument, rules: RulesOption = None) -> None:
    """A plain-text documentation template for the provider's note that supports the code."""
    environment().stdout.write(_codebook(rules).template(code))
