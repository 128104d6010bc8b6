"""The clinical case tables, through both `code` and `batch`: exact codes, in order.

tests/cases/clinical_cases.yaml was written independently from the coding rules and the
tabular; tests/cases/tree_decisions.yaml records the choices the tree makes where the
digest is silent. Each case names the rule it checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backcoder.files.reading import load_answers_file
from tests.conftest import CASES, flags

TABLES = ["clinical_cases.yaml", "tree_decisions.yaml", "conditions_fractures.yaml"]


def _load_cases() -> list[dict[str, Any]]:
    import yaml

    from backcoder.files.reading import _text_yes_no_loader

    cases = []
    for table in TABLES:
        text = (CASES / table).read_text(encoding="utf-8")
        cases += yaml.load(text, Loader=_text_yes_no_loader())  # noqa: S506 (safe loader)
    return cases


CASES_TABLE = _load_cases()


def test_the_tables_are_large_and_name_their_rules() -> None:
    assert len(CASES_TABLE) >= 50
    assert len({case["id"] for case in CASES_TABLE}) == len(CASES_TABLE)
    assert all(case["rule"].strip() for case in CASES_TABLE)


@pytest.mark.parametrize("case", CASES_TABLE, ids=[case["id"] for case in CASES_TABLE])
def test_case_through_code(cli: Any, case: dict[str, Any]) -> None:
    result = cli("code", "--no-input", "--json", *flags(case["answers"]))
    assert result.exit_code == 0, result.stderr
    output = json.loads(result.stdout)
    assert [code["code"] for code in output["codes"]] == case["codes"], case["rule"]
    if "queries" in case:
        assert sorted(q["question"] for q in output["queries"]) == sorted(case["queries"])
    for fragment in case.get("warnings", []):
        assert any(fragment in warning for warning in output["warnings"])
    for fragment in case.get("notes", []):
        assert any(fragment in entry["reason"] for entry in output["rationale"])


def test_every_case_through_batch(cli: Any, tmp_path: Path) -> None:
    lines = [json.dumps({"_id": case["id"], **case["answers"]}) for case in CASES_TABLE]
    source = tmp_path / "cases.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("batch", str(source))
    assert result.exit_code == 0, result.stderr
    results = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(results) == len(CASES_TABLE)
    for number, (case, output) in enumerate(zip(CASES_TABLE, results, strict=True), start=1):
        assert output["_id"] == case["id"] and output["line"] == number
        assert [code["code"] for code in output["codes"]] == case["codes"], case["id"]


def test_a_saved_case_replays_from_its_result(cli: Any, tmp_path: Path) -> None:
    case = CASES_TABLE[0]
    first = cli("code", "--no-input", "--json", *flags(case["answers"]))
    saved = tmp_path / "result.json"
    saved.write_text(first.stdout, encoding="utf-8")
    assert load_answers_file(saved)["trauma"] == case["answers"]["trauma"]
    again = cli("code", "--no-input", "--json", "--answers", str(saved))
    assert json.loads(again.stdout)["codes"] == json.loads(first.stdout)["codes"]
