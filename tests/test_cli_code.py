"""`backcoder code` through the CLI: results, messages and exit statuses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

LOW_BACK = ["-a", "trauma=no", "-a", "attribution=none", "-a", "nerve=none", "-a", "region=lumbar"]
DONE = [*LOW_BACK, "-a", "lumbar_cause=not_documented", "-a", "pain_course=acute"]


def test_low_back_pain_not_further_documented_by_flags(cli: Any) -> None:
    result = cli("code", "--no-input", "--json", *DONE)
    assert result.exit_code == 0
    output = json.loads(result.stdout)
    assert output["codes"] == [
        {
            "code": "M54.50",
            "description": "Low back pain, unspecified",
            "role": "first-listed",
            "kind": "symptom",
        }
    ]
    assert [query["question"] for query in output["queries"]] == ["lumbar_cause"]
    query = output["queries"][0]
    assert query["options"][-2:] == ["Other (please specify)", "Clinically undetermined"]
    assert any("Lumbar" in fact for fact in query["indicators"])
    assert output["rules"] == {"name": "back-pain", "version": "1.0.0", "icd10cm": "2026-04-01"}
    sources = {step["question"]: step["source"] for step in output["path"]}
    assert sources["trauma"] == "flag" and sources["red_flags"] == "default"


def test_the_terminal_result_names_codes_reasons_and_queries(cli: Any) -> None:
    result = cli("code", "--no-input", *DONE)
    assert result.exit_code == 0
    for expected in (
        "M54.50",
        "Low back pain, unspecified",
        "first-listed",
        "Physician queries",
        "I.B.18",
    ):
        assert expected in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no escape codes


def test_no_color_in_a_terminal_console(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from backcoder.cli.env import Environment

    env = Environment(io.StringIO(), io.StringIO(), io.StringIO(), True, True, True, no_color=True)
    env.console().print("[bold red]x[/]")
    assert "\x1b[" not in env.stdout.getvalue()  # type: ignore[attr-defined]
    env.no_color = False
    env.console().print("[bold red]x[/]")
    assert "\x1b[" in env.stdout.getvalue()  # type: ignore[attr-defined]


def test_unused_answers_are_reported_not_refused(cli: Any) -> None:
    result = cli("code", "--no-input", "--json", *DONE, "-a", "injury=strain", "-a", "side=left")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["unused"] == {"injury": "strain", "side": "left"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-a", "regoin=lumbar"], "unknown question id 'regoin': did you mean region"),
        (
            ["-a", "trauma=maybe"],
            "trauma: 'maybe' is not one of yes, no, not_documented",
        ),
        (["-a", "trauma=yes,no"], "trauma takes one value"),
        (["-a", "region=lumbar,not_documented"], "region=not_documented cannot be combined"),
        (["-a", "trauma"], "-a takes ID=VALUE"),
        (["-a", "trauma=no"], "missing answer for nerve"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli: Any, args: list[str], message: str) -> None:
    result = cli("code", "--no-input", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_missing_answer_names_choices_and_flag(cli: Any) -> None:
    result = cli("code", "--no-input", *LOW_BACK)
    assert result.exit_code == 2
    assert (
        "lumbar_cause takes disc_displacement, disc_degeneration, vertebrogenic, other, not_documented"
        in result.stderr
    )
    assert "pass -a lumbar_cause=VALUE" in result.stderr


def test_standard_input_that_is_not_a_terminal_never_prompts(cli: Any) -> None:
    result = cli("code", *LOW_BACK, input="vertebrogenic\n")
    assert result.exit_code == 2
    assert "missing answer for lumbar_cause" in result.stderr


def test_answers_file_yaml_with_bare_yes_no(cli: Any, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "trauma: no\nattribution: none\nnerve: none\nregion: [cervical, thoracic]\npain_course: acute\n",
        encoding="utf-8",
    )
    result = cli("code", "--no-input", "--json", "--answers", str(answers))
    assert result.exit_code == 0, result.stderr
    assert [code["code"] for code in json.loads(result.stdout)["codes"]] == ["M54.2", "M54.6"]


def test_flags_win_over_the_answers_file(cli: Any, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(
        json.dumps(
            {
                "trauma": "no",
                "attribution": "none",
                "nerve": "none",
                "region": "cervical",
                "pain_course": "acute",
            }
        ),
        encoding="utf-8",
    )
    result = cli("code", "--no-input", "--json", "--answers", str(answers), "-a", "region=thoracic")
    path = {step["question"]: step for step in json.loads(result.stdout)["path"]}
    assert path["region"]["answer"] == "thoracic" and path["region"]["source"] == "flag"
    assert path["trauma"]["source"] == "file"


def test_save_writes_answers_that_replay(cli: Any, tmp_path: Path) -> None:
    saved = tmp_path / "saved.yaml"
    first = cli("code", "--no-input", "--json", "--save", str(saved), *DONE)
    assert "trauma: 'no'" in saved.read_text(encoding="utf-8")
    again = cli("code", "--no-input", "--json", "--answers", str(saved))
    assert json.loads(again.stdout)["codes"] == json.loads(first.stdout)["codes"]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("trauma: [no\n", "bad.yaml", "not valid YAML"),
        ('{"trauma": ', "bad.json", "not valid JSON"),
        ("- no\n", "list.yaml", "mapping of question id to value"),
        ("trauma: !!python/object/apply:os.system [echo]\n", "unsafe.yaml", "refused"),
    ],
)
def test_unreadable_answers_file_exit_2(
    cli: Any, tmp_path: Path, content: str, name: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = cli("code", "--no-input", "--answers", str(path))
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_answers_file_exit_2(cli: Any, tmp_path: Path) -> None:
    result = cli("code", "--no-input", "--answers", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2 and "no such file" in result.stderr


@pytest.mark.parametrize(
    ("piped", "codes"),
    [
        (
            '{"trauma": "no", "nerve": "none", "region": "cervical", "pain_course": "acute"}',
            ["M54.2"],
        ),
        (
            '\ufeff{"trauma": "no", "nerve": "none", "region": "thoracic", "pain_course": "acute"}',
            ["M54.6"],
        ),
        (
            "trauma: no\nnerve: none\nregion: [cervical, thoracic]\npain_course: acute\n",
            ["M54.2", "M54.6"],
        ),
        (
            '{"trauma": "no", "pain_course": "acute", "problems": [{"region": "cervical", '
            '"nerve": "none"}, '
            '{"region": "lumbar", "nerve": "radiculopathy", "cause": "disc"}]}',
            ["M54.2", "M51.16"],
        ),
    ],
)
def test_answers_from_standard_input(cli: Any, piped: str, codes: list[str]) -> None:
    """`--answers -` reads the answers piped in, JSON or YAML, as a file of either."""
    result = cli("code", "--no-input", "--json", "--answers", "-", input=piped)
    assert result.exit_code == 0, result.stderr
    assert [code["code"] for code in json.loads(result.stdout)["codes"]] == codes
    sources = {step["source"] for step in json.loads(result.stdout)["path"]}
    assert "file" in sources


@pytest.mark.parametrize(
    ("args", "piped", "message"),
    [
        (("--answers", "-", "--note", "-"), "LBP", "both read standard input"),
        (("--answers", "-"), "[1, 2]", "standard input: an answers file is a mapping"),
        (("--answers", "-"), '{"trauma": ', "standard input: not valid JSON"),
        (("--answers", "-"), '{"regoin": "lumbar"}', "did you mean region"),
    ],
)
def test_answers_from_standard_input_refused_in_one_line(
    cli: Any, args: tuple[str, ...], piped: str, message: str
) -> None:
    result = cli("code", "--no-input", *args, input=piped)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_rules_option_loads_another_rule_file(cli: Any, tmp_path: Path) -> None:
    rules = tmp_path / "tiny.yaml"
    rules.write_text(TINY_RULES, encoding="utf-8")
    result = cli("code", "--no-input", "--json", "--rules", str(rules), "-a", "site=neck")
    assert result.exit_code == 0, result.stderr
    output = json.loads(result.stdout)
    assert [code["code"] for code in output["codes"]] == ["M54.2"]
    assert output["codes"][0]["description"] == "Cervicalgia"
    assert output["rules"]["name"] == "tiny"


TINY_RULES = """
name: tiny
version: "0.1"
icd10cm: "2026-04-01"
start: site
questions:
  site:
    text: "Site:"
    choices:
      neck: {label: Neck}
      mid: {label: Mid back}
nodes:
  site:
    ask: site
    branches: {neck: neck, mid: mid}
  neck:
    report:
      - {code: M54.2, kind: symptom, why: Neck pain., cite: [{guideline: I.B.18}]}
  mid:
    report:
      - {code: M54.6, kind: symptom, why: Thoracic pain., cite: [{guideline: I.B.18}]}
"""


def test_version_and_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "backcoder", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.startswith("backcoder ")


def test_usage_errors_are_one_line_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "backcoder", "code", "--bogus"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "backcoder: No such option: --bogus (see backcoder code --help)"


def test_a_code_that_follows_an_outside_condition_is_additional(cli: Any) -> None:
    args = ["-a", "trauma=no", "-a", "attribution=neoplasm", "-a", "reason=other"]
    output = json.loads(cli("code", "--no-input", "--json", *args).stdout)
    assert output["codes"][0]["code"] == "G89.3"
    assert output["codes"][0]["role"] == "additional"
    assert "neoplasm" in output["codes"][0]["follows"]


def test_a_saved_walk_replays_to_the_same_result(cli: Any, tmp_path: Path) -> None:
    saved = tmp_path / "saved.yaml"
    args = [
        "-a",
        "trauma=yes",
        "-a",
        "injury=strain",
        "-a",
        "region=lumbar",
        "-a",
        "encounter=initial",
    ]
    first = json.loads(cli("code", "--no-input", "--json", "--save", str(saved), *args).stdout)
    assert "pain_course" not in saved.read_text(encoding="utf-8")  # defaults are not answers
    again = json.loads(cli("code", "--no-input", "--json", "--answers", str(saved)).stdout)
    for field in ("codes", "queries", "more_specific", "rationale"):
        assert again[field] == first[field]


def test_recursive_yaml_is_refused(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("region: &a [*a]\n", encoding="utf-8")
    result = cli("code", "--no-input", "--answers", str(path))
    assert result.exit_code == 2 and "aliases (*name) are not read" in result.stderr
    result = cli("rules", "check", str(path))  # rule files may use aliases, not this one
    assert result.exit_code == 2 and "recursive YAML" in result.stderr


def test_unsound_rule_files_are_refused_before_walking(cli: Any, tmp_path: Path) -> None:
    cyclic = TINY_RULES.replace("branches: {neck: neck, mid: mid}", "next: again") + (
        "  again:\n    ask: site\n    next: site\n"
    )
    path = tmp_path / "cycle.yaml"
    path.write_text(cyclic, encoding="utf-8")
    for args in (["code", "--no-input", "-a", "site=neck"], ["questions"]):
        result = cli(*args, "--rules", str(path))
        assert result.exit_code == 2
        assert "cycle: " in result.stderr and "backcoder rules check" in result.stderr


def test_a_closed_pipe_is_not_an_error() -> None:
    command = f"{sys.executable} -m backcoder explain S39.012A | head -1"
    result = subprocess.run(
        ["bash", "-c", command + "; exit ${PIPESTATUS[0]}"], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("S39.012A")
