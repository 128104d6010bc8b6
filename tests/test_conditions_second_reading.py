"""A second reading of the definitive diagnoses behind back pain, through the public interface.

tests/cases/conditions_second_reading.yaml was written from the tabular, the guidelines and the
conditions contract before running backcoder. The grid runs every condition at every region,
for acute pain, chronic pain at another encounter and chronic pain at a pain-management
encounter, in one `batch`, and each condition and region once as `-a` flags; the encounters run as answers files, flags and one
batch (the encounter table's helpers); the refusals must be one line naming both answers; and a
query must not offer a condition the documented site rules out.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CASES, flags
from tests.test_encounters import (
    assert_one_line_error,
    check,
    record_flags,
)
from tests.vocabulary import PUBLIC_VOCABULARY

Case = dict[str, Any]


def _load() -> dict[str, Any]:
    import yaml

    from backcoder.files.reading import _text_yes_no_loader

    text = (CASES / "conditions_second_reading.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=_text_yes_no_loader())  # noqa: S506 (safe loader)


TABLE = _load()
VISITS = [
    ("acute", "other"),
    ("chronic", "other"),
    ("chronic", "pain_management"),
]


def _expected(codes: list[str], pain: bool, course: str, reason: str) -> list[str]:
    """The G89 rule of I.C.6.b.1 over a cell's own codes: none for acute back pain; beside a
    definitive diagnosis only at a pain-management encounter, first; beside a pain code
    after it, or first at a pain-management encounter."""
    if course == "acute":
        return codes
    if reason == "pain_management":
        return ["G89.29", *codes]
    return [*codes, "G89.29"] if pain else codes


def _grid() -> list[Case]:
    grid = TABLE["grid"]
    cells = []
    for condition, entry in grid["conditions"].items():
        for region, outcome in entry["regions"].items():
            outcome = {"codes": outcome} if isinstance(outcome, list) else outcome
            for course, reason in VISITS:
                answers = {
                    **grid["shared"],
                    **entry["with"],
                    "condition": condition,
                    "region": region,
                    "pain_course": course,
                    "reason": reason,
                }
                cell: Case = {
                    "id": f"{condition}-{region}-{course}-{reason}",
                    "rule": entry["rule"],
                    "answers": answers,
                }
                if "error" in outcome:
                    cell["error_has"] = outcome["error"]
                else:
                    pain = bool(entry.get("pain"))
                    cell["codes"] = _expected(outcome["codes"], pain, course, reason)
                    cell["queries"] = sorted(outcome.get("queries", []))
                cells.append(cell)
    return cells


GRID = _grid()


def test_the_grid_covers_every_condition_and_region() -> None:
    conditions = TABLE["grid"]["conditions"]
    assert set(conditions) >= set(PUBLIC_VOCABULARY["condition"])
    assert len(GRID) >= 200


# Every cell runs in the one batch below; through flags, each condition and region once, in
# the visit kind with the most to get right (G89 first at a pain-management encounter).
FLAG_CELLS = [cell for cell in GRID if cell["answers"]["reason"] == "pain_management"]


def _check_cell(output: dict[str, Any], cell: Case) -> None:
    assert [line["code"] for line in output["codes"]] == cell["codes"], cell["rule"]
    assert sorted(q["question"] for q in output["queries"]) == cell["queries"], cell["id"]
    if cell["codes"][0].startswith("G89"):
        assert output["codes"][0]["role"] == "first-listed"
        sources = [s for entry in output["rationale"] for s in entry["sources"]]
        assert any("I.C.6.b.1" in source for source in sources)


@pytest.mark.parametrize("cell", FLAG_CELLS, ids=[cell["id"] for cell in FLAG_CELLS])
def test_grid_cell_through_flags(cli: Any, cell: Case) -> None:
    result = cli("code", "--no-input", "--json", *flags(cell["answers"]))
    if "error_has" in cell:
        assert_one_line_error(result, cell)
        return
    assert result.exit_code == 0, result.stderr
    _check_cell(json.loads(result.stdout), cell)


def test_the_grid_through_one_batch(cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "grid.jsonl"
    lines = [json.dumps({"_id": cell["id"], **cell["answers"]}) for cell in GRID]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("batch", str(source))
    assert result.exit_code == 1  # the refused cells are error lines; the batch goes on
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(outputs) == len(GRID)
    for number, (cell, output) in enumerate(zip(GRID, outputs, strict=True), start=1):
        assert output["_id"] == cell["id"] and output["line"] == number
        if "error_has" in cell:
            assert all(phrase in output["error"] for phrase in cell["error_has"]), cell["id"]
        else:
            _check_cell(output, cell)


ENCOUNTERS: list[Case] = TABLE["encounters"]


@pytest.mark.parametrize("case", ENCOUNTERS, ids=[case["id"] for case in ENCOUNTERS])
def test_encounter_through_an_answers_file(cli: Any, tmp_path: Path, case: Case) -> None:
    record = tmp_path / "record.json"
    record.write_text(json.dumps(case["record"]), encoding="utf-8")
    result = cli("code", "--no-input", "--json", "--answers", str(record))
    assert result.exit_code == 0, result.stderr
    check(json.loads(result.stdout), case)


@pytest.mark.parametrize("case", ENCOUNTERS, ids=[case["id"] for case in ENCOUNTERS])
def test_encounter_through_flags(cli: Any, case: Case) -> None:
    result = cli("code", "--no-input", "--json", *record_flags(case["record"]))
    assert result.exit_code == 0, result.stderr
    check(json.loads(result.stdout), case)


def test_the_encounters_through_one_batch(cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "encounters.jsonl"
    lines = [json.dumps({"_id": case["id"], **case["record"]}) for case in ENCOUNTERS]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("batch", str(source))
    assert result.exit_code == 0, result.stderr
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    for case, output in zip(ENCOUNTERS, outputs, strict=True):
        assert output["_id"] == case["id"]
        check(output, case)


ERRORS: list[Case] = TABLE["errors"]


@pytest.mark.parametrize("case", ERRORS, ids=[case["id"] for case in ERRORS])
def test_answers_that_cannot_stand_together(cli: Any, case: Case) -> None:
    args = [part for flag in case["flags"] for part in ("-a", flag)]
    assert_one_line_error(cli("code", "--no-input", "--json", *args), case)


QUERY_OPTIONS: list[Case] = TABLE["query_options"]


def _names(options: str, phrase: str) -> bool:
    """The phrase as words of the options (Sacral, not the end of Lumbosacral)."""
    return re.search(rf"\b{re.escape(phrase)}\b", options, re.IGNORECASE) is not None


@pytest.mark.parametrize("case", QUERY_OPTIONS, ids=[case["id"] for case in QUERY_OPTIONS])
def test_a_query_offers_only_what_the_site_allows(cli: Any, case: Case) -> None:
    args = [part for flag in case["flags"] for part in ("-a", flag)]
    result = cli("code", "--no-input", "--json", *args)
    assert result.exit_code == 0, result.stderr
    query = next(
        q for q in json.loads(result.stdout)["queries"] if q["question"] == case["question"]
    )
    options = " | ".join(query["options"])
    for phrase in case["offers"]:
        assert _names(options, phrase), f"{case['id']}: {options}"
    for phrase in case["never"]:
        assert not _names(options, phrase), f"{case['id']}: {options}"
    assert query["options"][-2:] == ["Other (please specify)", "Clinically undetermined"]
