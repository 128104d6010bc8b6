"""Shared fixtures: the shipped rules, a coder over them, and a CLI runner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from backcoder.cli import app
from backcoder.coding.bundle import RuleBundle
from backcoder.coding.coder import Coder
from backcoder.files.bundle import load_bundle

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"


@pytest.fixture(scope="session")
def bundle() -> RuleBundle:
    return load_bundle()


@pytest.fixture(scope="session")
def coder(bundle: RuleBundle) -> Coder:
    return Coder(bundle)


@pytest.fixture
def cli() -> Callable[..., Any]:
    """Run `backcoder ARGS` in-process; returns click's Result (stdout, stderr, exit_code)."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Any:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return invoke


def flags(answers: dict[str, Any]) -> list[str]:
    """Answers as `-a ID=VALUE` flags, lists comma-joined."""
    out: list[str] = []
    for key, value in answers.items():
        text = ",".join(value) if isinstance(value, list) else str(value)
        out += ["-a", f"{key}={text}"]
    return out


def codes_of(result_json: str) -> list[str]:
    return [code["code"] for code in json.loads(result_json)["codes"]]
