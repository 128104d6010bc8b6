"""A corpus of notes under tests/cases: the notes, what each must read as, and the ways the
corpus tests run them through the public commands (`code --note`, one `batch`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CASES = Path(__file__).resolve().parent.parent / "cases"


@dataclass(frozen=True)
class Corpus:
    """A folder of `NAME.txt` notes and its `expected.yaml`: an entry per note, and under
    `doubtful` and `misread` the notes not asserted (or asserted to fail), each with why."""

    folder: Path
    expected: dict[str, dict[str, Any]]
    doubtful: dict[str, str] = field(default_factory=dict)
    misread: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, name: str) -> Corpus:
        folder = CASES / name
        entries = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
        doubtful = entries.pop("doubtful", None) or {}
        misread = entries.pop("misread", None) or {}
        return cls(folder, entries, doubtful, misread)

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.txt"

    def text(self, name: str) -> str:
        return self.path(name).read_text(encoding="utf-8")

    def batch(self, cli: Any, names: list[str]) -> list[dict[str, Any]]:
        """The notes as one `batch` (a `note` line each): its results, in the notes' order."""
        lines = [json.dumps({"_id": name, "note": self.text(name)}) for name in names]
        result = cli("batch", "-", input="\n".join(lines) + "\n")
        assert result.exit_code == 0, result.stderr
        out = [json.loads(line) for line in result.stdout.splitlines()]
        assert [line["_id"] for line in out] == names
        return out


def coded(cli: Any, *args: str, input: str | bytes | None = None) -> dict[str, Any]:
    """`code --no-input --json ARGS`, which must succeed: its result."""
    result = cli("code", "--no-input", "--json", *args, input=input)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def codes(data: dict[str, Any]) -> list[str]:
    return [code["code"] for code in data["codes"]]
