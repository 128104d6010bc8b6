"""`backcoder rules`: check a rule file, build its fast form, print its JSON Schema."""

from __future__ import annotations

import json
import shlex
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from backcoder.cli.common import environment, exits_cleanly, guard_outputs, plural, rules_inputs
from backcoder.errors import BackcoderError
from backcoder.language.model import RuleSet, rules_json_schema

if TYPE_CHECKING:
    from backcoder.language.graph import Defect

app = typer.Typer(
    help="Check and build rule files.",
    no_args_is_help=True,
    epilog="Example: backcoder rules check",
)

PathArgument = Annotated[
    Path | None,
    typer.Argument(
        help="Rule file (default: the shipped back-pain rules).", dir_okay=False, show_default=False
    ),
]


class RulesNotSound(BackcoderError):
    """`rules check` found problems; each was printed on its own line."""


@app.command("check", epilog="\b\nExample:\n  backcoder rules check mini.yaml --json")
@exits_cleanly
def check(
    path: PathArgument = None,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json", help="Print {path, ok, built, problems: [{node, reason}]} on standard output."
        ),
    ] = False,
) -> None:
    """Prove the rule file sound: references, cycles, reachability, codes, Excludes1."""
    from backcoder.files.bundle import (
        has_current_build,
        parse_knowledge,
        parse_rules,
        shipped_rules_path,
    )
    from backcoder.icd.tabular import OfficialTabular
    from backcoder.proof.check import check as check_rules

    env = environment()
    shipped = path is None
    path = path or shipped_rules_path()
    guard_outputs(rules_inputs(path))
    rules = parse_rules(path)
    problems = check_rules(rules, OfficialTabular(), parse_knowledge(path))
    note_problems = _check_notes(path, rules)
    tree_current, notes_current = has_current_build(path), _notes_build_current(path)
    current = tree_current and notes_current
    if json_output:
        report = {
            "path": str(path),
            "ok": not (problems or note_problems),
            "built": current,
            "problems": [{"node": p.node, "reason": p.reason} for p in problems]
            + [{"node": "notes", "reason": line} for line in note_problems],
        }
        env.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        for problem in problems:
            print(problem.line(str(path)), file=env.stderr)
        for line in note_problems:
            print(line, file=env.stderr)
    if problems or note_problems:
        count = len(problems) + len(note_problems)
        raise RulesNotSound(f"{path}: {plural(count, 'problem')} found")
    if json_output:
        return
    build_command = "backcoder rules build" + ("" if shipped else f" {shlex.quote(str(path))}")
    stale = f"; its built form is missing or stale: run `{build_command}`"
    print(f"{path}: ok{'' if tree_current else stale}", file=env.stdout)
    notes = _notes_beside(path)
    if notes.is_file():
        # the build the rule file's line asks for writes both built forms
        notes_stale = tree_current and not notes_current
        print(f"{notes}: ok{stale if notes_stale else ''}", file=env.stdout)


def _check_notes(path: Path, rules: RuleSet) -> list[str]:
    """The problems of the note-reading rules beside the rule file (`NAME.notes.yaml`), when
    there are any: every pattern names a real question and value, every value a note can
    settle has patterns. Checking them never loads the NLP library."""
    from backcoder.files.notes import check_notes_file

    notes = _notes_beside(path)
    return check_notes_file(notes, rules) if notes.is_file() else []


def _notes_build_current(path: Path) -> bool:
    """Whether the note-reading rules beside the rule file, if any, have a current built
    form (`rules build` writes both)."""
    from backcoder.files.notes import has_current_notes_build

    notes = _notes_beside(path)
    return not notes.is_file() or has_current_notes_build(notes)


def _notes_beside(path: Path) -> Path:
    from backcoder.notes.vocabulary import notes_path_beside

    return notes_path_beside(path)


@app.command("build", epilog="\b\nExample:\n  backcoder rules build mini.yaml")
@exits_cleanly
def build(path: PathArgument = None) -> None:
    """Check the rule file, then write NAME.built.json beside it for fast start-up (and
    NAME.notes.built.json beside its note-reading rules, when it has them)."""
    from backcoder.files.bundle import built_path, knowledge_path, shipped_rules_path
    from backcoder.files.notes import notes_built_path
    from backcoder.files.writing import write_whole

    env = environment()
    path = path or shipped_rules_path()
    target = built_path(path)
    notes = _notes_beside(path)
    notes_target = notes_built_path(notes)
    sources = [(str(source), source) for source in (path, knowledge_path(path), notes)]
    guard_outputs(sources, [(str(target), target), (str(notes_target), notes_target)])
    document, problems = built_form(path)
    for problem in problems:
        print(problem.line(str(path)), file=env.stderr)
    if document is None:
        raise RulesNotSound(f"{path}: not built: {plural(len(problems), 'problem')} found")
    notes_document, note_problems = notes_built_form(path)
    for line in note_problems:
        print(line, file=env.stderr)
    if note_problems:
        raise RulesNotSound(f"{notes}: not built: {plural(len(note_problems), 'problem')} found")
    write_whole(target, json.dumps(document, indent=1) + "\n", named=False)
    count = len(document["derived"]["codes"])
    print(f"{target}: {count} codes, {len(document['codes'])} tabular entries", file=env.stdout)
    if notes_document is not None:
        write_whole(notes_target, json.dumps(notes_document, indent=1) + "\n", named=False)
        print(f"{notes_target}: built", file=env.stdout)


def notes_built_form(path: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """The built form of the note-reading rules beside the rule file `path` (None when it has
    none), or their problems against its tree, one line each."""
    from backcoder.files.bundle import parse_rules
    from backcoder.files.notes import notes_built_document

    notes = _notes_beside(path)
    if not notes.is_file():
        return None, []
    return notes_built_document(notes, parse_rules(path))


def built_form(path: Path) -> tuple[dict[str, Any] | None, list[Defect]]:
    """The built form of a sound rule file, or the defects that make it unsound: one
    function for the command and the test that keeps the committed built form honest."""
    from backcoder.files.bundle import built_document, parse_knowledge, parse_rules
    from backcoder.icd.tabular import OfficialTabular
    from backcoder.proof.build import prove

    rules, knowledge, tabular = parse_rules(path), parse_knowledge(path), OfficialTabular()
    proven, defects = prove(rules, tabular, knowledge)
    if proven is None:
        return None, defects
    document = built_document(path, rules, proven.codes, proven.derived, knowledge, tabular.release)
    return document, []


class GraphFormat(StrEnum):
    mermaid = "mermaid"
    dot = "dot"


@app.command("graph")
@exits_cleanly
def graph(
    path: PathArgument = None,
    form: Annotated[
        GraphFormat,
        typer.Option("--format", help="mermaid (Markdown code hosts render it) or dot (Graphviz)."),
    ] = GraphFormat.mermaid,
) -> None:
    """Draw the tree: questions, answers on the arrows, codes at the leaves.

    Example: backcoder rules graph --format dot | dot -Tsvg > tree.svg
    """
    from backcoder.files.tree_graph import dot, mermaid

    guard_outputs(rules_inputs(path))
    rules = _rules_only(path)
    environment().stdout.write(mermaid(rules) if form is GraphFormat.mermaid else dot(rules))


def _rules_only(path: Path | None) -> RuleSet:
    """The rules from the built form when it is current, else from the file; never the
    tabular, which drawing does not need and which takes seconds to read."""
    from backcoder.files.bundle import (
        has_current_build,
        load_bundle,
        parse_rules,
        refuse_unrunnable,
        shipped_rules_path,
    )

    path = path or shipped_rules_path()
    if has_current_build(path):
        return load_bundle(path).rules
    rules = parse_rules(path)
    refuse_unrunnable(path, rules)
    return rules


@app.command(
    "schema", epilog="\b\nExample:\n  backcoder rules schema --result > result.schema.json"
)
@exits_cleanly
def schema(
    result: Annotated[
        bool,
        typer.Option("--result", help="The schema of a coding result instead of a rule file."),
    ] = False,
    notes: Annotated[
        bool,
        typer.Option("--notes", help="The schema of note-reading rule files (NAME.notes.yaml)."),
    ] = False,
) -> None:
    """Print the JSON Schema of rule files (committed as rules/rule-file.schema.json), with
    --result of a result (docs/result.schema.json), with --notes of note-reading rule files
    (rules/notes-file.schema.json)."""
    if result and notes:
        raise BackcoderError("--result and --notes ask for different schemas: give one of them")
    if notes:
        from backcoder.notes.model import notes_schema_text

        text = notes_schema_text()
    else:
        text = result_schema_text() if result else schema_text()
    environment().stdout.write(text)


def schema_text() -> str:
    return json.dumps(rules_json_schema(), indent=2) + "\n"


def result_schema_text() -> str:
    from backcoder.files.json_writer import result_schema

    return json.dumps(result_schema(), indent=2) + "\n"
