"""Shared fixtures: the shipped rules, a coder over them, and a CLI runner."""

from __future__ import annotations

import compileall
import json
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer.main
import typer.testing
from typer.testing import CliRunner

from backcoder.cli import app
from backcoder.coding.bundle import RuleBundle
from backcoder.coding.coder import Coder
from backcoder.files.bundle import load_bundle

# A terminal delivers Ctrl-C to a program that does not ignore it. A test run started as a
# background job inherits SIGINT ignored, and the programs the terminal tests spawn would
# inherit that too: restore the default, as a user's shell has it.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# The tests expect what a pipe without COLUMNS gets: whole lines, tables 100 wide. pytest
# imports GNU readline, which exports COLUMNS=80 and LINES=24 into the process environment,
# and pytest-xdist's workers inherit that from the controller (a shell may export them too):
# a width that would change what the in-process commands draw. Tests that want a width or a
# terminal set one themselves. readline sets them below os.environ, where os.environ.pop
# does not reach but the programs the tests start would inherit them: unset them there too.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)
    os.unsetenv(_name)

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"


def pytest_configure(config: pytest.Config) -> None:
    """Compile the package once, before any worker starts: hundreds of tests start the
    installed `backcoder`, and where PYTHONDONTWRITEBYTECODE is set (as on CI machines) an
    editable install's every start compiled the whole package again (a tenth of the suite's
    time). Only stale files are compiled, so a warm checkout pays nothing."""
    if not hasattr(config, "workerinput"):
        compileall.compile_dir(ROOT / "src" / "backcoder", quiet=1)


@pytest.fixture(scope="session")
def bundle() -> RuleBundle:
    return load_bundle()


@pytest.fixture(scope="session")
def coder(bundle: RuleBundle) -> Coder:
    return Coder(bundle)


@pytest.fixture(scope="session")
def app_command() -> Any:
    """The click command typer makes of `app`, made once, as the program makes it once a run.

    typer's test runner makes it again on every invocation, reading every command's signature
    (about 17 ms); over the suite's thousand in-process runs that is a quarter of a minute."""
    return typer.main.get_command(app)


@pytest.fixture
def cli(app_command: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Run `backcoder ARGS` in-process; returns click's Result (stdout, stderr, exit_code)."""
    made_by_typer = typer.testing._get_command
    monkeypatch.setattr(
        typer.testing,
        "_get_command",
        lambda typer_app: app_command if typer_app is app else made_by_typer(typer_app),
    )
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
