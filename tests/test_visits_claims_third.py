"""Visits with two or three back problems, and the claims coded from them, through the commands.

tests/cases/visits_claims_third.yaml was written from the guidelines, the encounter, conditions
and audit contracts and the tabular before backcoder was run. Each visit is coded through
`code --answers FILE --no-input --json` and, all together, through one `batch`; each visit's
claims (the correct codes with the visit's record, and a code set a coder typically gets
wrong) are audited claim by claim, then all together through `audit` as JSON Lines, as CSV
with a `codes` column and as CSV with `dx1..dxN` columns, where the exit status and the
summary must follow from the findings the table expects.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backcoder.audit.core import Auditor
from tests.conftest import CASES
from tests.test_audit import auditor  # noqa: F401  (the shared module-scoped fixture)
from tests.test_encounters import check

Case = dict[str, Any]

SEVERITY = {
    "invalid-code": "error",
    "not-billable": "error",
    "not-valid-on-date": "error",
    "missing-seventh": "error",
    "excludes1": "error",
    "symptom-with-definitive": "warning",
    "combination-code": "warning",
    "g89-sequencing": "warning",
    "unspecified": "info",
    "less-specific": "warning",
    "duplicate": "warning",
    "not-judged": "info",
}
"""The audit contract's table: each rule's severity unless the case names another."""


def _load() -> list[Case]:
    import yaml

    from backcoder.files.reading import _text_yes_no_loader

    text = (CASES / "visits_claims_third.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=_text_yes_no_loader())["visits"]  # noqa: S506 (safe loader)


VISITS = _load()


def _claims() -> list[Case]:
    """Every claim of every visit as the audit reads it, with what it must find."""
    out = []
    for visit in VISITS:
        for claim in visit["claims"]:
            body: dict[str, Any] = {"_id": f"{visit['id']}/{claim['id']}"}
            if "date" in claim:
                body["date_of_service"] = claim["date"]
            body["codes"] = claim["codes"]
            if claim.get("answers"):
                body["answers"] = visit["record"]
            out.append({**claim, "visit": visit["id"], "claim": body})
    return out


CLAIMS = _claims()


def _expected(text: str) -> tuple[str, str, str]:
    rule, code, *severity = text.split()
    return rule, code, severity[0] if severity else SEVERITY[rule]


def _normalised(code: str) -> str:
    """A code as written on a claim, in the tabular's form (dot after the category)."""
    code = code.upper()
    return code if "." in code or len(code) == 3 else f"{code[:3]}.{code[3:]}"


def _check_claim(result: dict[str, Any], case: Case) -> None:
    where = f"{case['claim']['_id']}: {case.get('why', 'the correct codes')}"
    assert "error" not in result, f"{where}: {result.get('error')}"
    assert [c["code"] for c in result["codes"]] == [_normalised(c) for c in case["codes"]], where
    got = sorted((f["rule"], f["code"], f["severity"]) for f in result["findings"])
    assert got == sorted(_expected(text) for text in case["findings"]), where
    for code, codes in case.get("suggest", {}).items():
        suggested = [f["suggest"] for f in result["findings"] if f["code"] == code]
        assert codes in suggested, (where, code, suggested)


def test_the_table() -> None:
    """35 visits of two or three problems; each has its correct claim, clean of errors and
    warnings, and at least one miscoded claim."""
    assert len(VISITS) == 35
    assert len({visit["id"] for visit in VISITS}) == 35
    for visit in VISITS:
        assert 2 <= len(visit["record"]["problems"]) <= 3, visit["id"]
        correct = next(c for c in visit["claims"] if c["id"] == "correct")
        assert correct["codes"] == visit["codes"] and correct.get("answers"), visit["id"]
        assert all(_expected(t)[2] == "info" for t in correct["findings"]), visit["id"]
        assert len(visit["claims"]) >= 2, visit["id"]


# ------------------------------------------------------------------ the visits


@pytest.mark.parametrize("visit", VISITS, ids=[visit["id"] for visit in VISITS])
def test_visit_through_an_answers_file(cli: Any, tmp_path: Path, visit: Case) -> None:
    record = tmp_path / "record.json"
    record.write_text(json.dumps(visit["record"]), encoding="utf-8")
    result = cli("code", "--answers", str(record), "--no-input", "--json")
    assert result.exit_code == 0, result.stderr
    check(json.loads(result.stdout), visit)


def test_the_visits_through_one_batch(cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "visits.jsonl"
    lines = [json.dumps({"_id": visit["id"], **visit["record"]}) for visit in VISITS]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("batch", str(source))
    assert result.exit_code == 0, result.stderr
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(o["line"], o["_id"]) for o in outputs] == [
        (n, visit["id"]) for n, visit in enumerate(VISITS, 1)
    ]
    for visit, output in zip(VISITS, outputs, strict=True):
        check(output, visit)


# ------------------------------------------------------------------ the claims


@pytest.mark.parametrize("case", CLAIMS, ids=[case["claim"]["_id"] for case in CLAIMS])
def test_claim(auditor: Auditor, case: Case) -> None:  # noqa: F811
    _check_claim(auditor.audit(case["claim"]), case)


def _summary(cases: list[Case]) -> dict[str, Any]:
    """What the audit's summary must say of these claims, from their expected findings."""
    findings = [_expected(text) for case in cases for text in case["findings"]]
    return {
        "claims": len(cases),
        "claims_with_errors": sum(
            1 for case in cases if any(_expected(t)[2] == "error" for t in case["findings"])
        ),
        "lines_with_error": 0,
        "by_rule": dict(Counter(rule for rule, _, _ in findings)),
        "by_severity": {
            severity: sum(1 for _, _, found in findings if found == severity)
            for severity in ("error", "warning", "info")
        },
    }


def _run(
    cli: Callable[..., Any], source: Path, tmp_path: Path, *extra: str
) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    summary = tmp_path / "summary.json"
    result = cli("audit", str(source), "--summary", str(summary), *extra)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return result, lines, json.loads(summary.read_text(encoding="utf-8"))


def _assert_run(
    result: Any, lines: list[dict[str, Any]], data: dict[str, Any], cases: list[Case]
) -> None:
    """The exit status, each line's findings and the summary (as JSON and on standard
    error) follow from the findings the cases expect."""
    want = _summary(cases)
    assert result.exit_code == (1 if want["claims_with_errors"] else 0), result.stderr
    assert len(lines) == len(cases)
    for case, line in zip(cases, lines, strict=True):
        assert line["_id"] == case["claim"]["_id"]
        _check_claim(line, case)
    assert data == want
    assert f"{want['claims']} claims, {want['claims_with_errors']} with errors" in result.stderr
    for rule, count in want["by_rule"].items():
        assert f"{rule} {count}" in result.stderr


def test_every_claim_through_one_json_lines_audit(cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "claims.jsonl"
    source.write_text("".join(json.dumps(c["claim"]) + "\n" for c in CLAIMS), encoding="utf-8")
    result, lines, data = _run(cli, source, tmp_path)
    assert [line["line"] for line in lines] == list(range(1, len(CLAIMS) + 1))
    _assert_run(result, lines, data, CLAIMS)


def _csv(cases: list[Case], dx: bool) -> str:
    """The claims as a payer's extract: a `codes` column, or as many `dx` columns as the
    longest claim needs (shorter claims leave their trailing cells empty)."""
    width = max(len(case["codes"]) for case in cases)
    code_columns = [f"dx{n}" for n in range(1, width + 1)] if dx else ["codes"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["_id", "date_of_service", *code_columns, "answers"])
    for case in cases:
        claim = case["claim"]
        codes = claim["codes"]
        cells = [*codes, *[""] * (width - len(codes))] if dx else [" ".join(codes)]
        answers = json.dumps(claim["answers"]) if "answers" in claim else ""
        writer.writerow([claim["_id"], claim.get("date_of_service", ""), *cells, answers])
    return out.getvalue()


@pytest.mark.parametrize("dx", [False, True], ids=["codes-column", "dx-columns"])
def test_every_claim_through_one_csv_audit(cli: Any, tmp_path: Path, dx: bool) -> None:
    source = tmp_path / "claims.csv"
    source.write_text(_csv(CLAIMS, dx), encoding="utf-8")
    result, lines, data = _run(cli, source, tmp_path)
    assert [line["line"] for line in lines] == list(range(2, len(CLAIMS) + 2))
    _assert_run(result, lines, data, CLAIMS)
    undated = [line for line in lines if not line.get("date_of_service")]
    assert undated and all("no date of service" in line["release"] for line in undated)


def test_claims_with_warnings_only_exit_0(cli: Any, tmp_path: Path) -> None:
    clean = [c for c in CLAIMS if all(_expected(t)[2] != "error" for t in c["findings"])]
    assert any(c["findings"] for c in clean)
    source = tmp_path / "clean.csv"
    source.write_text(_csv(clean, dx=True), encoding="utf-8")
    result, lines, data = _run(cli, source, tmp_path, "--format", "csv")
    assert result.exit_code == 0
    _assert_run(result, lines, data, clean)


def test_a_csv_the_audit_cannot_read_exits_2(cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "claims.csv"
    source.write_text(_csv(CLAIMS[:2], dx=True).replace("dx2", "codes", 1), encoding="utf-8")
    result = cli("audit", str(source))
    assert result.exit_code == 2 and result.stdout == ""
    (message,) = result.stderr.strip().splitlines()
    assert "codes" in message and "Traceback" not in result.stderr
