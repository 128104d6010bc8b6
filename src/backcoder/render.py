"""Showing a result in the terminal: codes first, then why, the path, queries and flags."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def show_result(console: Console, result: dict[str, Any]) -> None:
    for warning in result["warnings"]:
        console.print(f"[bold red]! {warning}[/]")
    _codes(console, result["codes"])
    _rationale(console, result["rationale"])
    _path(console, result["path"])
    _queries(console, result["queries"])
    _more_specific(console, result["more_specific"])
    if result["unused"]:
        unused = ", ".join(f"{key}={_text(value)}" for key, value in result["unused"].items())
        console.print(f"\n[dim]Not needed by this path (unused): {unused}[/]")
    rules = result["rules"]
    console.print(
        f"\n[dim]Rules {rules['name']} {rules['version']}, "
        f"checked against ICD-10-CM {rules['icd10cm']}.[/]"
    )


def _text(value: Any) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)


def _codes(console: Console, codes: list[dict[str, Any]]) -> None:
    table = Table(title="Codes, in reporting order", title_justify="left", show_edge=False)
    table.add_column("#", justify="right")
    table.add_column("Code", style="bold")
    table.add_column("Official title")
    table.add_column("Role")
    for number, code in enumerate(codes, start=1):
        table.add_row(str(number), code["code"], code["description"], code["role"])
    console.print()
    console.print(table)


def _rationale(console: Console, rationale: list[dict[str, Any]]) -> None:
    console.print("\n[bold]Why[/]")
    for entry in rationale:
        label = entry["code"] or "note"
        console.print(f"  [bold]{label}[/]: {entry['reason']}")
        for source in entry["sources"]:
            console.print(f"    [dim]source: {source}[/]")


def _path(console: Console, path: list[dict[str, Any]]) -> None:
    console.print("\n[bold]Path[/]")
    for step in path:
        console.print(f"  {step['question']} = {_text(step['answer'])}  [dim]({step['source']})[/]")


def _queries(console: Console, queries: list[dict[str, Any]]) -> None:
    if not queries:
        return
    console.print("\n[bold]Physician queries[/]")
    for query in queries:
        console.print(f"  [bold]{query['question']}[/]: {query['query']}")
        if query["indicators"]:
            console.print(f"    Documented: {'; '.join(query['indicators'])}")
        console.print(f"    Options: {' / '.join(query['options'])}")


def _more_specific(console: Console, hints: list[dict[str, Any]]) -> None:
    if not hints:
        return
    console.print("\n[bold]More specific codes this record could support[/]")
    for hint in hints:
        reach = "; ".join(
            f"{value} -> {_text(codes)}" for value, codes in hint["would_reach"].items()
        )
        console.print(f"  documenting {hint['question']}: {reach}")
