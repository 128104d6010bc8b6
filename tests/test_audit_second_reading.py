"""A second reading of the audit contract, as a payer's auditor runs `backcoder audit`.

The claim table (cases/audit_second_reading.yaml) is checked by the very check that runs
audit_claims.yaml, and every finding is also held to what an auditor reads: one line, a
source, and suggestions that can be reported on the claim's date. The command's input forms,
summary and exit statuses are exercised through the command itself."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from backcoder.audit.core import Auditor
from tests.conftest import CASES
from tests.test_audit import auditor  # noqa: F401  (the shared module-scoped fixture)
from tests.test_audit import test_claim as check_claim

CLAIMS = yaml.safe_load((CASES / "audit_second_reading.yaml").read_text(encoding="utf-8"))
REPORTABLE_RULES = {"invalid-code", "not-billable", "not-valid-on-date", "missing-seventh"}
"""The rules by which a code cannot be reported that day: no suggestion may draw one."""


@pytest.mark.parametrize("case", CLAIMS, ids=[case["id"] for case in CLAIMS])
def test_claim(auditor: Auditor, case: dict[str, Any]) -> None:  # noqa: F811
    check_claim(auditor, case)


CODE = re.compile(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?")
"""A code as the audit writes one (a suggestion may instead be one sentence)."""


def _suggested_codes(finding: dict[str, Any]) -> list[str]:
    suggest = finding["suggest"]
    items = suggest if isinstance(suggest, list) else [suggest]
    return [item for item in items if CODE.fullmatch(item)]


@pytest.mark.parametrize("case", CLAIMS, ids=[case["id"] for case in CLAIMS])
def test_findings_read_as_one_line_and_suggest_reportable_codes(
    auditor: Auditor,  # noqa: F811
    case: dict[str, Any],
) -> None:
    """An auditor pastes a message into a report: it is one line, it has its source, and a
    code it proposes is one that can be reported on that date of service."""
    claim = case["claim"]
    result = auditor.audit(claim)
    for finding in result["findings"]:
        for key in ("message", "source"):
            text = finding[key]
            assert text.strip() and text == text.strip(), (key, finding)
            assert "\n" not in text and "\r" not in text, (key, finding)
        assert finding["code"] in finding["message"], finding
        assert isinstance(finding["suggest"], (list, str)), finding
        for code in _suggested_codes(finding):
            day = (
                {"date_of_service": claim["date_of_service"]} if "date_of_service" in claim else {}
            )
            alone = auditor.audit({**day, "codes": [code]})
            bad = [f["rule"] for f in alone["findings"] if f["rule"] in REPORTABLE_RULES]
            assert not bad, (finding["code"], code, bad)


# ------------------------------------------------------------------ the command


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_csv_by_suffix_with_dx_columns_and_spaces_dates_and_underscore_columns(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    """A payer's extract: dx columns, a `_` claim number, one row without a date."""
    path = tmp_path / "extract.csv"
    path.write_text(
        "_claim,_payer,date_of_service,dx1,dx2,dx3\n"
        "100,ACME,2025-06-01,m5450,S33.5XXA,\n"
        "101,ACME,,M54.5,,\n"
        "102,ACME,2021-06-01,M545,G8929,\n",
        encoding="utf-8",
    )
    result = cli("audit", str(path))
    assert result.exit_code == 1
    out = _lines(result.stdout)
    assert [(line["line"], line["_claim"], line["_payer"]) for line in out] == [
        (2, "100", "ACME"),
        (3, "101", "ACME"),
        (4, "102", "ACME"),
    ]
    assert [c["code"] for c in out[0]["codes"]] == ["M54.50", "S33.5XXA"]
    assert out[0]["codes"][0]["given"] == "m5450"
    assert [f["rule"] for f in out[0]["findings"]] == ["symptom-with-definitive"]
    assert [f["rule"] for f in out[1]["findings"]] == ["not-valid-on-date"]
    assert "no date of service" in out[1]["release"]
    assert "no date of service" in out[1]["findings"][0]["message"]
    assert out[2]["findings"] == [] and out[2]["release"].startswith("FY2021")


@pytest.mark.parametrize("separator", [" ", ";", " ; "])
def test_csv_codes_column_from_a_file_named_otherwise_with_format(
    cli: Callable[..., Any], tmp_path: Path, separator: str
) -> None:
    path = tmp_path / "extract.txt"
    codes = separator.join(["G89.29", "M54.50"])
    path.write_text(f"_id,codes,date_of_service\nA,{codes},2025-06-01\n", encoding="utf-8")
    out = _lines(cli("audit", str(path), "--format", "csv").stdout)
    assert [c["code"] for c in out[0]["codes"]] == ["G89.29", "M54.50"]
    assert sorted(f["rule"] for f in out[0]["findings"]) == ["g89-sequencing", "unspecified"]


def test_release_named_for_each_claim(cli: Callable[..., Any]) -> None:
    """Each claim says which shipped release judged it, or the two around a gap."""
    days = ["2021-06-01", "2024-01-15", "2025-06-01", "2026-05-01", "2023-05-01"]
    text = "".join(json.dumps({"date_of_service": d, "codes": ["M54.2"]}) + "\n" for d in days)
    out = _lines(cli("audit", "-", input=text).stdout)
    releases = [line["release"] for line in out]
    assert releases[0].startswith("FY2021")
    assert releases[1].startswith("FY2024")
    assert releases[2] == "FY2025 ICD-10-CM, April 1, 2025 update"
    assert releases[3].startswith("FY2026") and "April 1, 2026" in releases[3]
    assert releases[4].startswith("between ")
    assert all(line["codes"][0]["title"] == "Cervicalgia" for line in out)


def test_stdin_to_output_file_with_summary_and_exit_statuses(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    """Summary on standard error and as JSON: claims read, claims with errors, by rule; a
    bad line is its own result line (counted, not dropped) and makes the exit 1."""
    lines = [
        json.dumps({"_id": "a", "date_of_service": "2025-06-01", "codes": ["M54.51"]}),
        json.dumps({"_id": "b", "date_of_service": "2025-06-01", "codes": ["M54.50", "M54.2"]}),
        json.dumps({"_id": "c", "date_of_service": "2025-06-01", "codes": ["M54.1", "M54.1"]}),
        '{"_id": "d", "codes": ["M54.2"]',
        json.dumps({"_id": "e", "codes": ["S33.5"]}),
    ]
    out, summary = tmp_path / "audited.jsonl", tmp_path / "summary.json"
    result = cli("audit", "-", "-o", str(out), "--summary", str(summary), input="\n".join(lines))
    assert result.exit_code == 1 and result.stdout == ""
    rows = _lines(out.read_text(encoding="utf-8"))
    assert [row["line"] for row in rows] == [1, 2, 3, 4, 5]
    assert [row.get("_id") for row in rows] == ["a", "b", "c", None, "e"]
    assert "error" in rows[3] and "findings" not in rows[3]
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["claims"] == 5
    assert data["claims_with_errors"] == 2
    assert data["lines_with_error"] == 1
    assert data["by_rule"] == {
        "unspecified": 1,
        "not-billable": 1,  # M54.1 written twice is judged once; the duplicate says the rest
        "duplicate": 1,
        "missing-seventh": 1,
    }
    assert data["by_severity"] == {"error": 2, "warning": 1, "info": 1}
    assert "5 claims, 2 with errors, 1 lines with `error`" in result.stderr
    for rule, count in data["by_rule"].items():
        assert f"{rule} {count}" in result.stderr


def test_exit_0_with_warnings_only(cli: Callable[..., Any]) -> None:
    claim = {"date_of_service": "2025-06-01", "codes": ["G89.29", "M54.50", "M54.50"]}
    result = cli("audit", "-", input=json.dumps(claim) + "\n")
    assert result.exit_code == 0
    (line,) = _lines(result.stdout)
    assert {f["severity"] for f in line["findings"]} == {"warning", "info"}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("_id,codes,dx1\nA,M54.50,M54.2\n", "codes"),
        ("_id,date_of_service\nA,2025-06-01\n", "codes"),
        ("_id,diagnosis\nA,M54.50\n", "diagnosis"),
    ],
    ids=["codes-and-dx", "no-codes-column", "unknown-column"],
)
def test_exit_2_for_a_csv_that_cannot_be_read(
    cli: Callable[..., Any], tmp_path: Path, text: str, words: str
) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(text, encoding="utf-8")
    result = cli("audit", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    (message,) = result.stderr.strip().splitlines()
    assert words in message and "Traceback" not in result.stderr


def test_a_note_on_the_claim_is_coded_and_names_the_specific_code(
    cli: Callable[..., Any],
) -> None:
    """With a note that documents a cervical disc displacement, neck pain on the claim is
    less specific than the record (I.B.18) and the finding names the code."""
    pytest.importorskip("medspacy")
    note = (
        "Assessment: neck pain due to cervical disc herniation at C5-C6 without radiculopathy. "
        "No injury. Pain for 2 weeks."
    )
    claim = {"_id": "n", "date_of_service": "2025-06-01", "codes": ["M54.9"], "note": note}
    result = cli("audit", "-", input=json.dumps(claim) + "\n")
    (line,) = _lines(result.stdout)
    assert "error" not in line, line
    assert line["record_codes"] == ["M50.222"], line
    (finding,) = [f for f in line["findings"] if f["rule"] == "unspecified"]
    assert finding["severity"] == "warning"
    assert finding["suggest"] == ["M50.222"]


# ------------------------------------------------------------------ the Dask recipe


def test_parquet_with_the_csv_columns_audits_as_the_command_does(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    """The recipe reads Parquet with the CSV's columns: dx1, dx2, ... (in their number's
    order, gaps skipped), dates as dates, answers as a JSON object in text. Each row's
    result is what the command writes for the same claim in JSON Lines."""
    pd = pytest.importorskip("pandas")
    pytest.importorskip("dask.dataframe")
    import datetime

    from backcoder.audit.dask import audit_folder

    answers = json.dumps(
        {
            "trauma": "no",
            "attribution": "none",
            "nerve": "none",
            "region": "lumbar",
            "lumbar_cause": "vertebrogenic",
            "pain_course": "acute",
        }
    )
    claims: list[dict[str, Any]] = [
        {"_id": "p1", "date_of_service": "2025-06-01", "codes": ["M54.50", "S33.5XXA"]},
        {"_id": "p2", "date_of_service": "2021-06-01", "codes": ["M54.5"]},
        {"_id": "p3", "codes": ["M54.5"]},
        {"_id": "p4", "date_of_service": "2025-06-01", "codes": ["M54.50"], "answers": answers},
        {"_id": "p5", "date_of_service": "2025-06-01", "codes": ["M54.2"], "answers": "{"},
    ]
    source = tmp_path / "claims"
    source.mkdir()
    frame = pd.DataFrame(
        {
            "_id": [c["_id"] for c in claims],
            "date_of_service": [
                datetime.date.fromisoformat(c["date_of_service"])
                if "date_of_service" in c
                else None
                for c in claims
            ],
            "dx2": [c["codes"][1] if len(c["codes"]) > 1 else None for c in claims],
            "dx1": [c["codes"][0] for c in claims],
            "dx3": [" "] * len(claims),
            "answers": [c.get("answers") for c in claims],
        }
    )
    frame.to_parquet(source / "part0.parquet")
    audit_folder(source, tmp_path / "out")
    got = (tmp_path / "out" / "part-00000.jsonl").read_text(encoding="utf-8").splitlines()
    lines = [json.dumps(c) for c in claims[:3]]
    lines.append(json.dumps({**claims[3], "answers": json.loads(answers)}))
    single = cli("audit", "-", input="\n".join(lines) + "\n").stdout.splitlines()
    assert got[:4] == single
    assert [f["rule"] for f in json.loads(got[3])["findings"]] == ["unspecified"]
    assert "answers cell is not a JSON object" in json.loads(got[4])["error"]


def test_parquet_with_a_column_no_claim_has_is_refused(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("dask.dataframe")
    from backcoder.audit.dask import audit_folder
    from backcoder.errors import BackcoderError

    source = tmp_path / "claims"
    source.mkdir()
    pd.DataFrame({"patient": ["P1"], "dx1": ["M54.50"]}).to_parquet(source / "a.parquet")
    with pytest.raises(BackcoderError, match="unknown CSV column 'patient'"):
        audit_folder(source, tmp_path / "out")
