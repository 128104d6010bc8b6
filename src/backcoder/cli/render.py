"""Showing a result in the terminal: codes first, then why, the path, queries and flags."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

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


def say(console: Console, indent: int, markup: str) -> None:
    """A line indented by `indent`, its wrapped lines under its first (by words, so a code
    or a flag is never split); one unwrapped line where output is not wrapped at all."""
    if console.soft_wrap:
        console.print(" " * indent + markup)
        return
    from rich.text import Text

    for line in Text.from_markup(markup).wrap(console, max(console.width - indent, 20)):
        line.rstrip()
        console.print(Text(" " * indent) + line, soft_wrap=True)


def command(
    console: Console, indent: int, flags: str, start: str = "backcoder code --no-input"
) -> None:
    """A command line to paste: wrapped only between `-a ID=VALUE` flags, each line but the
    last ending in a backslash, so the pasted lines are still one command."""
    words = [start, *re.findall(r"-a \S+", flags)]
    if console.soft_wrap:
        console.print(" " * indent + " ".join(words), markup=False)
        return
    room = max(console.width - indent - 6, 20)
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= room:
            lines[-1] += " " + word
        else:
            lines.append(word)
    for number, line in enumerate(lines):
        more = " \\" if number < len(lines) - 1 else ""
        pad = indent if number == 0 else indent + 4
        console.print(" " * pad + line + more, markup=False, soft_wrap=True)


def show_any(console: Console, result: Result) -> None:
    if isinstance(result, EncounterResult):
        show_encounter(console, result)
    else:
        show_result(console, result)


def show_encounter(console: Console, result: EncounterResult) -> None:
    """The encounter's codes and why, then each problem's path, queries and hints."""
    for warning in result.warnings:
        console.print(f"[bold red]! {escape(warning)}[/]")
    _codes(console, result.codes, problems=True)
    _rationale(console, result.rationale)
    for number, problem in enumerate(result.problems, 1):
        console.print(f"\n[bold underline]Problem {number}[/]: {', '.join(problem.code_list)}")
        _path(console, problem.path, result.note, number)
        _queries(console, problem.queries)
        _checklist(console, problem.checklist)
        _more_specific(console, problem.more_specific)
        _unused(console, problem.unused)
    _unused(console, result.unused, "shared answers")
    _note(console, result.note)
    _rules_line(console, result.rules)


def show_result(console: Console, result: ProblemResult) -> None:
    for warning in result.warnings:
        console.print(f"[bold red]! {escape(warning)}[/]")
    _codes(console, result.codes)
    _rationale(console, result.rationale)
    _path(console, result.path, result.note)
    _queries(console, result.queries)
    _checklist(console, result.checklist)
    _more_specific(console, result.more_specific)
    _unused(console, result.unused)
    _note(console, result.note)
    _rules_line(console, result.rules)


def _unused(console: Console, unused: dict[str, Answer], what: str = "this path") -> None:
    if unused:
        listed = ", ".join(f"{key}={','.join(a.values)}" for key, a in unused.items())
        console.print(f"\n[dim]Not needed by {what} (unused): {escape(listed)}[/]")


def _rules_line(console: Console, rules: RulesRef) -> None:
    console.print(
        f"\n[dim]Rules {escape(rules.name)} {escape(rules.version)}, "
        f"checked against ICD-10-CM {rules.icd10cm}.[/]"
    )


def _text(value: Any) -> str:
    return ",".join(value) if isinstance(value, list | tuple) else str(value)


def _codes(console: Console, codes: Sequence[CodeLine], *, problems: bool = False) -> None:
    table = Table(title="Codes, in reporting order", title_justify="left", show_edge=False)
    table.add_column("#", justify="right")
    table.add_column("Code", style="bold", no_wrap=True)
    table.add_column("Official title")
    table.add_column("Role", no_wrap=True)
    if problems:
        table.add_column("Problems", no_wrap=True)
    for number, line in enumerate(codes, start=1):
        row = [str(number), escape(line.code), escape(line.description), line.role.value]
        if problems:
            row.append(", ".join(str(n) for n in line.problems))
        table.add_row(*row)
    console.print()
    console.print(table)


def _rationale(console: Console, rationale: Sequence[Reason]) -> None:
    console.print("\n[bold]Why[/]")
    for entry in rationale:
        where = (
            f" [dim](problem {', '.join(map(str, entry.problems))})[/]" if entry.problems else ""
        )
        say(console, 2, f"[bold]{entry.code or 'note'}[/]{where}: {escape(entry.reason)}")
        for source in entry.sources:
            say(console, 4, f"[dim]source: {escape(source)}[/]")


def _path(
    console: Console,
    path: Sequence[PathEntry],
    note: NoteFindings | None = None,
    problem: int = 1,
) -> None:
    """The questions asked and their answers; under each answer a note gave (or that
    overrode the note's), the words of the note that gave it."""
    console.print("\n[bold]Path[/]")
    for step in path:
        answer = step.answer
        over = answer.overrides
        instead = f", over {_text(over.values)} ({over.source.value})" if over else ""
        if answer.merged:
            instead += ", merged from " + " + ".join(_text(values) for values in answer.merged)
        console.print(
            f"  {step.question} = {escape(_text(answer.values))}  "
            f"[dim]({answer.source.value}{escape(instead)})[/]"
        )
        if note is not None and Source.note in (answer.source, over and over.source):
            _quotes(console, note, step.question, problem)


def _quotes(console: Console, note: NoteFindings, question: str, problem: int) -> None:
    """The evidence for one answer: the problem's own, else the visit's shared one; an answer
    with none is what the note's silence settled (not_documented, or the rules' reading)."""
    own = [e for e in note.evidence if e.id == question and e.problem == problem]
    found = own or [e for e in note.evidence if e.id == question and e.problem is None]
    for item in found:
        console.print(
            f'      [green]"{escape(item.quote)}"[/]  '
            f"[dim]{item.section}, characters {item.start}-{item.end}[/]"
        )
    if not found:
        console.print("      [dim](the note is silent on it)[/]")


def _note(console: Console, note: NoteFindings | None) -> None:
    """What the note said that was not taken, and the contradictions it resolved."""
    if note is None:
        return
    if note.set_aside:
        console.print("\n[bold]Seen in the note and set aside[/]")
        for item in note.set_aside:
            cue = f": {escape(item.cue)}" if item.cue else ""
            console.print(
                f'  {item.id}={item.value}  [yellow]"{escape(item.quote)}"[/]  '
                f"[dim]{item.reason}{cue} ({item.section}, characters {item.start}-{item.end})[/]"
            )
    if note.conflicts:
        console.print("\n[bold]Contradictions in the note[/]")
        for item in note.conflicts:
            where = f"problem {item.problem}: " if item.problem else ""
            console.print(
                f"  {where}{item.id}={item.value}, not {item.overridden} "
                f'[yellow]"{escape(item.quote)}"[/]: {escape(item.rule)}'
            )


def _queries(console: Console, queries: Sequence[Query]) -> None:
    if not queries:
        return
    console.print("\n[bold]Physician queries[/]")
    for query in queries:
        say(console, 2, f"[bold]{query.question}[/]: {escape(query.query)}")
        if query.indicators:
            say(console, 4, f"Documented: {escape('; '.join(query.indicators))}")
        say(console, 4, f"Options: {escape(' / '.join(query.options))}")


def _checklist(console: Console, checklist: Sequence[ChecklistItem]) -> None:
    if not checklist:
        return
    console.print("\n[bold]Documentation checklist[/]")
    for item in checklist:
        say(console, 2, f"[ ] {escape(item.document)}  [dim]({item.question})[/]")


def _more_specific(console: Console, hints: Sequence[Hint]) -> None:
    if not hints:
        return
    console.print("\n[bold]More specific codes this record could support[/]")
    for hint in hints:
        say(console, 2, f"documenting {hint.question}: {escape(reach_text(hint))}")


def reach_text(hint: Hint) -> str:
    return "; ".join(f"{value} -> {_text(codes)}" for value, codes in hint.would_reach.items())


# ---------------------------------------------------------------- explain, compare

NOTE_LABELS = {"inclusion": "Inclusion term", "excludes1": "Excludes1", "excludes2": "Excludes2"}


def show_explanation(console: Console, explained: dict[str, Any]) -> None:
    billable = "billable" if explained["billable"] else "not billable: a header"
    title = escape(explained["title"])
    console.print(f"[bold]{explained['code']}[/]  {title}  [dim]({billable})[/]")
    if explained["beneath"]:
        console.print("\n[bold]Codes beneath it[/]")
        for child in explained["beneath"]:
            say(console, 2, escape(f"{child['code']}  {child['title']}"))
    if explained["notes"]:
        console.print("\n[bold]Tabular notes[/]")
        for note in explained["notes"]:
            say(console, 2, escape(f"{NOTE_LABELS[note['kind']]} ({note['from']}): {note['text']}"))
    if explained["seventh_characters"]:
        table = "; ".join(f"{k} {v}" for k, v in explained["seventh_characters"].items())
        console.print(f"\n[bold]7th characters[/]\n  {escape(table)}")
    _knowledge(console, explained["knowledge"])
    _explained_paths(console, explained)


def _knowledge(console: Console, knowledge: dict[str, Any] | None) -> None:
    if knowledge:
        covers = escape(knowledge["covers"])
        console.print(f"\n[bold]When to use it[/] [dim](knowledge for {covers})[/]")
        say(console, 2, escape(knowledge["use_when"]))
        if knowledge["not_when"]:
            console.print("\n[bold]When not to[/]")
            for item in knowledge["not_when"]:
                say(console, 2, f"- {escape(item)}")
        console.print("\n[bold]Documentation that supports it[/]")
        for item in knowledge["documentation"]:
            say(console, 2, f"- {escape(item)}")
        if knowledge["audit_risk"]:
            console.print(f"\n[bold]Audit risk[/]\n  {escape(knowledge['audit_risk'])}")


def _explained_paths(console: Console, explained: dict[str, Any]) -> None:
    if not explained["in_tree"]:
        console.print("\n[dim]The shipped tree does not report this code.[/]")
        return
    console.print("\n[bold]Answers that lead to it[/]")
    for path in explained["paths"]:
        command(console, 2, path)
    for hint in explained["more_specific"]:
        say(console, 2, f"more specific by documenting {hint.question}: {escape(reach_text(hint))}")


def show_comparison(console: Console, compared: dict[str, Any]) -> None:
    codes = compared["codes"]
    table = Table(show_lines=True, title="Side by side", title_justify="left")
    table.add_column("")
    for entry in codes:
        table.add_column(entry["code"])
    table.add_row("Official title", *(escape(entry["title"]) for entry in codes))
    table.add_row("Billable", *("yes" if e["billable"] else "no (header)" for e in codes))
    knowledge = [entry["knowledge"] or {} for entry in codes]
    table.add_row("When to use", *(escape(k.get("use_when", "")) for k in knowledge))
    table.add_row(
        "Documentation", *(escape("\n".join(k.get("documentation", []))) for k in knowledge)
    )
    table.add_row("When not to", *(escape("\n".join(k.get("not_when", []))) for k in knowledge))
    console.print(table)
    console.print("\n[bold]Answers that lead to each[/]")
    for entry in codes:
        if entry["paths"]:
            say(console, 2, f"{entry['code']}:")
            command(console, 4, entry["paths"][0])
        else:
            say(console, 2, f"{entry['code']}: not in the tree")
    deciding = compared["deciding_question"]
    if deciding:
        answers = ", ".join(f"{code}: {value}" for code, value in deciding["answers"].items())
        question = f"{deciding['question']} ({deciding['text'].rstrip(':')})"
        console.print(f"\n[bold]Decided by[/] {escape(question)}: {escape(answers)}")
