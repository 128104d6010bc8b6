"""The encounter case table, three ways through the public interface: exact codes, in order.

tests/cases/encounters.yaml was written from the guidelines, the encounter contract and the
tabular, not from backcoder's output. Every case runs as an `--answers` file, as `-a` flags
(shared `-a ID=VALUE`, per problem `-a N.ID=VALUE`) and as a line of one `batch` run over the
whole table. A case that needs a question the vocabulary does not have yet is skipped until
`backcoder questions --json` lists it, so the table runs fully once that question lands.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from backcoder.cli import app
from tests.conftest import CASES

Case = dict[str, Any]


def _load_table() -> dict[str, list[Case]]:
    import yaml

    from backcoder.files.reading import _text_yes_no_loader

    text = (CASES / "encounters.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=_text_yes_no_loader())  # noqa: S506 (safe loader)


TABLE = _load_table()
ENCOUNTERS: list[Case] = TABLE["encounters"]
ERRORS: list[Case] = TABLE["errors"]
ERRORS_WITH_RECORDS = [case for case in ERRORS if "record" in case]


def _vocabulary() -> frozenset[str]:
    """The question ids of the shipped vocabulary, as a scripting user reads them."""
    result = CliRunner().invoke(app, ["questions", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return frozenset(question["id"] for question in json.loads(result.stdout))


VOCABULARY = _vocabulary()


def ready(case: Case) -> bool:
    return set(case.get("needs", [])) <= VOCABULARY


def skip_unready(case: Case) -> None:
    missing = sorted(set(case.get("needs", [])) - VOCABULARY)
    if missing:
        pytest.skip(f"needs {', '.join(missing)}, not yet in the vocabulary")


def cases_as_params(cases: list[Case]) -> list[Any]:
    """Each case a parameter; a disputed case is expected to fail (strictly: once backcoder
    gives the expected codes, the test fails until the dispute is removed from the table)."""
    return [
        pytest.param(
            case,
            id=case["id"],
            marks=[pytest.mark.xfail(strict=True, reason=case["disputed"])]
            if "disputed" in case
            else [],
        )
        for case in cases
    ]


def text(value: Any) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)


def record_flags(record: dict[str, Any]) -> list[str]:
    """A record as `-a` flags: shared answers as ID=VALUE, problem N's as N.ID=VALUE."""
    out: list[str] = []
    for key, value in record.items():
        if key != "problems":
            out += ["-a", f"{key}={text(value)}"]
    for number, problem in enumerate(record["problems"], 1):
        for key, value in problem.items():
            out += ["-a", f"{number}.{key}={text(value)}"]
    return out


def flaggable(record: dict[str, Any]) -> bool:
    """Whether the record can be written as flags at all (a list of objects, at least one)."""
    problems = record.get("problems")
    return (
        isinstance(problems, list)
        and bool(problems)
        and all(isinstance(problem, dict) and problem for problem in problems)
    )


def codes(output: dict[str, Any]) -> list[str]:
    return [line["code"] for line in output["codes"]]


def check(output: dict[str, Any], case: Case) -> None:
    """Everything the case states about the encounter's result."""
    where = f"{case['id']}: {case['why']}"
    assert codes(output) == case["codes"], where
    for code, problems in case.get("problems_of", {}).items():
        line = next(line for line in output["codes"] if line["code"] == code)
        assert line["problems"] == problems, f"{code} problems; {where}"
    if "rationale_has" in case:
        entries = [
            " ".join([entry["code"] or "", entry["reason"], *entry["sources"]])
            for entry in output["rationale"]
        ]
        assert any(all(phrase in entry for phrase in case["rationale_has"]) for entry in entries), (
            f"no rationale entry with all of {case['rationale_has']}; {where}"
        )
    reported = {line["code"]: line["problems"] for line in output["codes"]}
    for entry in output["rationale"]:
        if entry["code"] is not None:
            assert set(entry["problems"]) <= set(reported[entry["code"]]), (
                f"{entry['code']}: a reason names problems it did not come from; {where}"
            )
    for number, questions in case.get("queries", {}).items():
        asked = sorted(q["question"] for q in output["queries"] if q["problem"] == number)
        assert asked == sorted(questions), f"queries of problem {number}; {where}"
    for phrase in case.get("warnings_has", []):
        assert any(phrase in warning for warning in output["warnings"]), where


@pytest.fixture
def answers_file(tmp_path: Path) -> Callable[[dict[str, Any]], str]:
    def write(record: dict[str, Any]) -> str:
        path = tmp_path / "record.json"
        path.write_text(json.dumps(record), encoding="utf-8")
        return str(path)

    return write


# ------------------------------------------------------------------ the table itself


def test_the_table_is_large_and_cites_its_rules() -> None:
    ids = [case["id"] for case in ENCOUNTERS + ERRORS]
    assert len(ids) == len(set(ids))
    assert len(ENCOUNTERS) >= 45
    assert sum(1 for case in ENCOUNTERS if case.get("needs")) >= 8
    assert all(case["why"].strip() and case["codes"] for case in ENCOUNTERS)
    assert all(len(case["record"]["problems"]) >= 1 for case in ENCOUNTERS)
    assert all(case["error_has"] for case in ERRORS)


# ------------------------------------------------------------------ coded cases


@pytest.mark.parametrize("case", cases_as_params(ENCOUNTERS))
def test_case_through_an_answers_file(
    cli: Any, answers_file: Callable[[dict[str, Any]], str], case: Case
) -> None:
    skip_unready(case)
    result = cli("code", "--no-input", "--json", "--answers", answers_file(case["record"]))
    assert result.exit_code == 0, result.stderr
    check(json.loads(result.stdout), case)


@pytest.mark.parametrize("case", cases_as_params(ENCOUNTERS))
def test_case_through_flags(cli: Any, case: Case) -> None:
    skip_unready(case)
    result = cli("code", "--no-input", "--json", *record_flags(case["record"]))
    assert result.exit_code == 0, result.stderr
    check(json.loads(result.stdout), case)


ONE_PROBLEM = [case for case in ENCOUNTERS if len(case["record"]["problems"]) == 1]


@pytest.mark.parametrize("case", ONE_PROBLEM, ids=[case["id"] for case in ONE_PROBLEM])
def test_a_one_problem_record_codes_like_the_flat_record(
    cli: Any, answers_file: Callable[[dict[str, Any]], str], case: Case
) -> None:
    skip_unready(case)
    record = case["record"]
    flat = {**{k: v for k, v in record.items() if k != "problems"}, **record["problems"][0]}
    as_problem = json.loads(
        cli("code", "--no-input", "--json", "--answers", answers_file(record)).stdout
    )
    as_flat = json.loads(
        cli("code", "--no-input", "--json", "--answers", answers_file(flat)).stdout
    )
    fields = ("code", "description", "role", "kind")
    assert [[line[f] for f in fields] for line in as_problem["codes"]] == [
        [line[f] for f in fields] for line in as_flat["codes"]
    ]
    assert codes(as_flat) == case["codes"], case["why"]


def test_every_case_through_one_batch(cli: Any, tmp_path: Path) -> None:
    """One batch over the ready cases and the error records: a result per line, in order;
    coded lines give the case's codes (disputed cases do not, until decided), error lines an
    `error` naming what was wrong."""
    cases = [case for case in ENCOUNTERS + ERRORS_WITH_RECORDS if ready(case)]
    source = tmp_path / "encounters.jsonl"
    lines = [json.dumps({"_id": case["id"], **case["record"]}) for case in cases]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("batch", str(source))
    assert result.exit_code == (1 if any("error_has" in case for case in cases) else 0)
    results = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(results) == len(cases)
    failed: list[str] = []
    for number, (case, output) in enumerate(zip(cases, results, strict=True), start=1):
        assert output["_id"] == case["id"] and output["line"] == number
        if "error_has" in case:
            assert "codes" not in output, case["id"]
            for phrase in case["error_has"]:
                assert phrase in output["error"], f"{case['id']}: {output['error']}"
        else:
            assert "error" not in output, f"{case['id']}: {output.get('error')}"
            try:
                check(output, case)
            except AssertionError:
                failed.append(case["id"])
    assert failed == [case["id"] for case in cases if "disputed" in case]


# ------------------------------------------------------------------ bad input


def assert_one_line_error(result: Any, case: Case) -> None:
    assert result.exit_code == 2, f"{case['id']}: {result.stdout}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for phrase in case["error_has"]:
        assert phrase in lines[0], f"{case['id']}: {lines[0]}"


@pytest.mark.parametrize("case", ERRORS_WITH_RECORDS, ids=[c["id"] for c in ERRORS_WITH_RECORDS])
def test_bad_record_in_an_answers_file(
    cli: Any, answers_file: Callable[[dict[str, Any]], str], case: Case
) -> None:
    skip_unready(case)
    result = cli("code", "--no-input", "--json", "--answers", answers_file(case["record"]))
    assert_one_line_error(result, case)


FLAG_ERRORS = [case for case in ERRORS if "flags" in case or flaggable(case.get("record", {}))]


@pytest.mark.parametrize("case", FLAG_ERRORS, ids=[c["id"] for c in FLAG_ERRORS])
def test_bad_record_as_flags(cli: Any, case: Case) -> None:
    skip_unready(case)
    if "flags" in case:
        args = [part for flag in case["flags"] for part in ("-a", flag)]
    else:
        args = record_flags(case["record"])
    result = cli("code", "--no-input", "--json", *args)
    assert_one_line_error(result, case)
