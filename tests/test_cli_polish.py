"""The command line as a new user meets it: help, version, examples, width, plurals,
colour, look-alike letters, `rules check` messages, the template of an unspecified code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from backcoder.cli.env import Environment
from tests.test_cli_rules import TINY

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["code", "batch", "audit", "questions", "explain", "compare", "template"]


def backcoder(*args: str, columns: str | None = None, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR")}
    if columns is not None:
        environ["COLUMNS"] = columns
    return subprocess.run(
        [sys.executable, "-m", "backcoder", *args],
        capture_output=True,
        text=True,
        env={**environ, **env},
        timeout=60,
    )


def test_bare_backcoder_shows_help_and_succeeds() -> None:
    result = backcoder()
    assert result.returncode == 0
    assert "Usage: backcoder" in result.stdout
    assert result.stderr == ""


def test_short_help_and_version() -> None:
    assert "Usage: backcoder" in backcoder("-h").stdout
    version = backcoder("-V")
    assert version.returncode == 0
    assert re.fullmatch(r"backcoder \d+\.\d+\.\d+\n", version.stdout)


@pytest.mark.parametrize("command", [*COMMANDS, "rules check", "rules build", "rules schema"])
def test_every_command_help_has_an_example(cli, command: str) -> None:
    result = cli(*command.split(), "--help")
    assert result.exit_code == 0
    example = result.stdout.split("Example:")[1].strip().splitlines()[0]
    assert example.startswith("backcoder ")


def test_piped_output_follows_columns_and_never_splits_a_flag() -> None:
    result = backcoder("compare", "M54.9", "M54.6", "M54.50", columns="60")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert all(len(line) <= 60 for line in lines), [line for line in lines if len(line) > 60]
    # Every `-a` is followed by a whole id=value on the same line; continued lines end in \
    assert re.findall(r"-a (\S+)", result.stdout)
    for pair in re.findall(r"-a (\S+)", result.stdout):
        assert re.fullmatch(r"\w+=\w+", pair), pair
    command = result.stdout.split("M54.50:\n")[1].split("\n\n")[0]
    joined = command.replace("\\\n", " ")
    assert "-a lumbar_cause=not_documented" in " ".join(joined.split())


@pytest.mark.parametrize("args", [["questions"], ["explain", "M54.50"]])
def test_questions_and_explain_wrap_at_columns(args: list[str]) -> None:
    narrow = backcoder(*args, columns="50").stdout.splitlines()
    assert all(len(line) <= 50 for line in narrow)
    wide = backcoder(*args).stdout.splitlines()  # piped, no COLUMNS: whole lines
    assert max(len(line) for line in wide) > 50


def test_empty_no_color_does_not_disable_colour(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "")
    assert Environment.from_process().no_color is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert Environment.from_process().no_color is True
    monkeypatch.delenv("NO_COLOR")
    assert Environment.from_process().no_color is False


def test_lookalike_letter_is_named(cli) -> None:
    result = cli("code", "--no-input", "-a", "trauma=no", "-a", "region=lumb\u0430r")
    assert result.exit_code == 2
    assert (
        "'lumb\u0430r' contains a non-ASCII look-alike of 'a' (U+0430): did you mean lumbar?"
        in result.stderr
    )


def test_lookalike_in_a_question_id(cli) -> None:
    result = cli("code", "--no-input", "-a", "tr\u0430uma=no")
    assert result.exit_code == 2
    assert "look-alike of 'a' (U+0430): did you mean trauma?" in result.stderr


def test_plurals_in_batch_summary(cli) -> None:
    line = {"trauma": "no", "nerve": "none", "region": "thoracic", "pain_course": "acute"}
    result = cli("batch", "-", input=json.dumps(line) + "\n")
    assert result.exit_code == 0
    assert "batch: 1 line coded" in result.stderr
    bad = cli("batch", "-", input='{"trauma": "x"}\n')
    assert "1 of 1 line had an error" in bad.stderr


def test_batch_quiet_prints_no_summary(cli) -> None:
    result = cli("batch", "-", "--quiet", input='{"trauma": "x"}\n')
    assert result.exit_code == 1
    assert result.stderr == ""
    assert json.loads(result.stdout)["error"]


def test_rules_check_names_the_build_command_for_that_file(cli, tmp_path: Path) -> None:
    """Any sound rule file but the shipped one, not built: a small one is proven at once."""
    rules = tmp_path / "rules"
    rules.mkdir()
    target = rules / "mine.yaml"
    target.write_text(yaml.safe_dump(TINY, sort_keys=False), encoding="utf-8")
    result = cli("rules", "check", str(target))
    assert result.exit_code == 0, result.stderr
    assert f"run `backcoder rules build {target}`" in result.stdout


def test_rules_check_json(cli) -> None:
    result = cli("rules", "check", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["problems"] == [] and report["built"] is True


def test_template_of_an_unspecified_code_does_not_invite_a_detail(cli) -> None:
    result = cli("template", "M54.50")
    assert result.exit_code == 0
    assert "NOT DOCUMENTED" not in result.stdout
    line = next(line for line in result.stdout.splitlines() if "Low back pain documented" in line)
    assert "not stated: M54.50 is the code when the note states none" in line
    assert "vertebrogenic -> M54.51" in line


def test_quick_start_makes_its_own_environment() -> None:
    """The Quick start works where the system Python refuses `pip install`: it makes a
    virtual environment and uses that environment's pip and backcoder."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start")[1].split("```sh")[1].split("```")[0].strip()
    assert quick.startswith("python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/")
    assert "pip install" not in quick.replace(".venv/bin/pip install", "")
