"""The Python API: `from backcoder import code`, the README's example run as it is."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import backcoder
from backcoder.coding.result import ProblemResult
from backcoder.errors import AnswerError, BackcoderError, MissingAnswer, RuleFileError
from tests.conftest import ROOT, flags
from tests.test_cases import CASES_TABLE
from tests.test_cli_rules import TINY, write_rules


def _readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert found, "the README's Python API section has no python example"
    return found.group(1)


def test_the_readme_example_runs(tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(_readme_example(), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "('G89.29', 'Other chronic pain', 'first-listed')" in result.stdout
    assert (
        "region: 'lumbr' is not one of" in result.stdout and "did you mean lumbar" in result.stdout
    )


def test_importing_backcoder_loads_nothing_else() -> None:
    script = (
        "import sys, backcoder\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('backcoder.'))\n"
        "assert loaded == [], loaded\n"
        "assert 'yaml' not in sys.modules and 'pydantic' not in sys.modules\n"
        "from backcoder import code\n"
        "assert callable(code)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("case", CASES_TABLE[::10], ids=[case["id"] for case in CASES_TABLE[::10]])
def test_the_api_codes_like_the_command_line(cli: Any, case: dict[str, Any]) -> None:
    result = backcoder.code(case["answers"])
    assert isinstance(result, ProblemResult)
    assert result.code_list == case["codes"]
    printed = json.loads(cli("code", "--no-input", "--json", *flags(case["answers"])).stdout)
    as_json = backcoder.result_json(result)
    assert as_json["codes"] == printed["codes"]
    assert as_json["rationale"] == printed["rationale"]


@pytest.mark.parametrize(
    ("answers", "error"),
    [
        ({"trauma": "maybe"}, AnswerError),
        ({"trama": "no"}, AnswerError),
        ({"trauma": "no", "region": ["lumbar", ["x"]]}, AnswerError),
        ({"trauma": "no"}, MissingAnswer),
    ],
)
def test_bad_input_raises_the_command_lines_message(
    cli: Any, answers: dict[str, Any], error: type[BackcoderError]
) -> None:
    with pytest.raises(error) as raised:
        backcoder.code(answers)
    message = str(raised.value)
    assert "\n" not in message
    if all(isinstance(value, str) for value in answers.values()):
        printed = cli("code", "--no-input", *flags(answers)).stderr
        if error is MissingAnswer:
            found = re.search(r"; add (\w+) to the answers$", message)
            assert found, message
            message = message[: found.start()] + f"; pass -a {found.group(1)}=VALUE"
        assert printed == f"backcoder: {message}\n"


def test_answers_that_are_not_a_mapping() -> None:
    with pytest.raises(
        AnswerError, match="answers are a mapping of question id to value, not a list"
    ):
        backcoder.code([("trauma", "no")])  # type: ignore[arg-type]


def test_ids_beginning_with_underscore_are_ignored() -> None:
    answers = {"_id": 7, "trauma": "no", "attribution": "psychological"}
    assert backcoder.code(answers).code_list == ["F45.41"]


def test_another_rule_file_and_a_changed_one(tmp_path: Path) -> None:
    path = write_rules(tmp_path, TINY)
    assert backcoder.code({"site": "neck"}, rules=path).code_list == ["M54.2"]
    changed = {**TINY, "nodes": {**TINY["nodes"], "neck": TINY["nodes"]["mid"]}}
    write_rules(tmp_path, changed)
    assert backcoder.code({"site": "neck"}, rules=str(path)).code_list == ["M54.6"]
    with pytest.raises(RuleFileError, match="no such file"):
        backcoder.code({"site": "neck"}, rules=tmp_path / "nowhere.yaml")


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        backcoder.nothing_here  # noqa: B018


def test_a_record_with_problems_gives_an_encounter() -> None:
    from backcoder.coding.result import EncounterResult

    record = {
        "trauma": "no",
        "attribution": "none",
        "pain_course": "acute",
        "problems": [
            {"region": "cervical", "nerve": "none"},
            {"region": "thoracic", "nerve": "none"},
        ],
    }
    result = backcoder.code(record)
    assert isinstance(result, EncounterResult)
    assert result.code_list == ["M54.2", "M54.6"]
    assert backcoder.result_json(result)["problems"][1]["codes"][0]["code"] == "M54.6"
    with pytest.raises(AnswerError, match="problem 2: region: 'lumbr' is not one of"):
        backcoder.code({**record, "problems": [{"region": "cervical"}, {"region": "lumbr"}]})
