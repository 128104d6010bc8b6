"""The built form of a rule set: rebuilding it without pydantic, and the derived facts it
stores.

The built form is the dump of a rule set that was validated and checked when `rules build`
wrote it, and it is used only while its source hash matches the rule file. Importing
pydantic to validate it again would cost more than the rest of a run, so the dataclasses
are constructed directly (their own consistency checks still run). A test proves the
result equals full validation of the same data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backcoder.language.knowledge import CodeKnowledge, Knowledge, QuestionKnowledge
from backcoder.language.model import (
    AllowedPair,
    AskNode,
    Choice,
    Citation,
    CodeSpec,
    Combination,
    DecideNode,
    DecideRow,
    EachNode,
    Explanation,
    Kind,
    LeftOut,
    Node,
    Note,
    OutcomeNode,
    OutcomeQuery,
    Question,
    RefuseNode,
    RuleSet,
    Sequence,
    Table,
    TablePart,
    TableRow,
    node_kind,
)


def construct_rules(data: dict[str, Any]) -> RuleSet:
    return RuleSet(
        **{
            **data,
            "questions": {key: _question(value) for key, value in data["questions"].items()},
            "tables": {key: _table(value) for key, value in data.get("tables", {}).items()},
            "nodes": {key: _node(value) for key, value in data["nodes"].items()},
            "explains": [
                Explanation(**{**entry, "cite": [Citation(**c) for c in entry["cite"]]})
                for entry in data.get("explains", [])
            ],
            "combinations": [
                Combination(
                    pairs=[tuple(pair) for pair in entry["pairs"]],
                    why=entry["why"],
                    cite=[Citation(**c) for c in entry["cite"]],
                )
                for entry in data.get("combinations", [])
            ],
            "excludes1_allowed": [
                AllowedPair(
                    codes=tuple(pair["codes"]),
                    why=pair["why"],
                    separate_problems=pair.get("separate_problems", False),
                )
                for pair in data.get("excludes1_allowed", [])
            ],
            "left_out": [LeftOut(**entry) for entry in data.get("left_out", [])],
        }
    )


def _question(data: dict[str, Any]) -> Question:
    choices = {key: Choice(**value) for key, value in data["choices"].items()}
    return Question(**{**data, "choices": choices})


def _table(data: dict[str, Any]) -> Table:
    rows = data.get("rows")
    if rows is None:
        return Table(**data)
    return Table(**{**data, "rows": [TableRow(**r) for r in rows]})


def _node(data: dict[str, Any]) -> Node:
    kind = node_kind(data)
    if kind == "ask":
        return AskNode(**data)
    if kind == "each":
        return EachNode(**data)
    if kind == "refuse":
        return RefuseNode(**data)
    if kind == "decide":
        rows = [DecideRow(**row) for row in data["decide"]]
        return DecideNode(**{**data, "decide": rows})
    note, query = data.get("note"), data.get("query")
    return OutcomeNode(
        **{
            **data,
            "report": [_code_spec(spec) for spec in data.get("report", [])],
            "note": _note(note) if note is not None else None,
            "query": OutcomeQuery(**query) if query is not None else None,
        }
    )


def _code_spec(data: dict[str, Any]) -> CodeSpec:
    compose = data.get("compose")
    parts = (
        [part if isinstance(part, str) else TablePart(**part) for part in compose]
        if compose is not None
        else None
    )
    return CodeSpec(
        **{
            **data,
            "compose": parts,
            "kind": Kind(data["kind"]),
            "sequence": Sequence(data.get("sequence", Sequence.main)),
            "cite": [Citation(**c) for c in data["cite"]],
        }
    )


def _note(data: dict[str, Any]) -> Note:
    return Note(text=data["text"], cite=[Citation(**c) for c in data["cite"]])


def construct_knowledge(data: dict[str, Any]) -> Knowledge:
    return Knowledge(
        codes={key: CodeKnowledge(**value) for key, value in data["codes"].items()},
        questions={key: QuestionKnowledge(**value) for key, value in data["questions"].items()},
    )


@dataclass
class Derived:
    """Facts derived from every path of a rule set (by the proof) and stored in the built
    form: the codes it can report, when each question is asked, the answers that lead to
    each code."""

    codes: list[str] = field(default_factory=list)
    asked_when: dict[str, str] = field(default_factory=dict)
    paths_to: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"codes": self.codes, "asked_when": self.asked_when, "paths_to": self.paths_to}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Derived:
        return cls(data["codes"], data["asked_when"], data["paths_to"])
