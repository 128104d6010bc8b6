"""`backcoder audit`: the claim table, the command's input forms and exit statuses, and that
any line gives a result line or an `error` line."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backcoder.audit.core import SEVERITY, Auditor, Rule
from backcoder.audit.stream import AuditStream
from tests.conftest import CASES

CLAIMS = yaml.safe_load((CASES / "audit_claims.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor()


def _expected(text: str) -> tuple[str, str, str]:
    rule, code, *severity = text.split()
    return rule, code, severity[0] if severity else SEVERITY[Rule(rule)].value


def test_the_table_covers_every_rule_both_sides_of_each_split_and_clean_claims() -> None:
    rules = {_expected(text)[0] for case in CLAIMS for text in case["findings"]}
    assert rules == {rule.value for rule in Rule}
    dates = {case["claim"].get("date_of_service") for case in CLAIMS}
    for before, after in (("2021-09-30", "2021-10-01"), ("2024-09-30", "2024-10-01")):
        assert before in dates and after in dates
    assert len(CLAIMS) >= 60
    assert sum(1 for case in CLAIMS if not case["findings"]) >= 10


@pytest.mark.parametrize("case", CLAIMS, ids=[case["id"] for case in CLAIMS])
def test_claim(auditor: Auditor, case: dict[str, Any]) -> None:
    result = auditor.audit(case["claim"])
    got = sorted((f["rule"], f["code"], f["severity"]) for f in result["findings"])
    assert got == sorted(_expected(text) for text in case["findings"]), case["why"]
    for code, codes in case.get("suggest", {}).items():
        suggested = [f["suggest"] for f in result["findings"] if f["code"] == code]
        assert codes in suggested, (code, suggested)
    for item in result["findings"]:
        assert item["message"] and item["source"], item
        assert set(item) == {"code", "rule", "severity", "message", "source", "suggest"}


def test_result_names_codes_titles_and_the_release(auditor: Auditor) -> None:
    result = auditor.audit({"_id": "c1", "date_of_service": "2025-06-01", "codes": ["m5451"]})
    assert result["_id"] == "c1"
    assert result["release"] == "FY2025 ICD-10-CM, April 1, 2025 update"
    assert result["codes"] == [
        {
            "code": "M54.51",
            "title": "Vertebrogenic low back pain",
            "given": "m5451",
            "judged_by": ["fy2025-apr"],
        }
    ]


def test_titles_are_those_of_the_release_in_force_on_the_date(auditor: Auditor) -> None:
    """A code deleted since (S30.1XXA, gone in FY2026) keeps its title on a date it was
    valid; a title reworded since reads as it did then."""

    def titles(day: str, codes: list[str]) -> list[str | None]:
        result = auditor.audit({"date_of_service": day, "codes": codes})
        return [entry["title"] for entry in result["codes"]]

    assert titles("2025-07-01", ["S30.1XXA"]) == ["Contusion of abdominal wall, initial encounter"]
    assert titles("2024-01-15", ["M61.129"]) == ["Myositis ossificans progressiva, unspecified arm"]
    assert titles("2026-05-01", ["M61.129"]) == [
        "Myositis ossificans progressiva, unspecified upper arm"
    ]
    assert titles("2021-05-01", ["M54.5", "M54.50"]) == [
        "Low back pain",
        "Low back pain, unspecified",
    ]


def test_without_a_date_the_finding_says_the_newest_release_judged(auditor: Auditor) -> None:
    result = auditor.audit({"codes": ["M54.5"]})
    assert "no date of service" in result["release"]
    assert "no date of service" in result["findings"][0]["message"]


@pytest.mark.parametrize(
    ("claim", "words"),
    [
        ({"codes": ["M54.52"]}, "the nearest real codes in the current release"),
        (
            {"codes": ["M54.52"], "date_of_service": "2025-06-01"},
            "the nearest real codes on the date of service",
        ),
    ],
)
def test_an_invalid_codes_suggestions_say_which_day_they_hold_for(
    auditor: Auditor, claim: dict[str, Any], words: str
) -> None:
    """Without a date of service the suggestions are the current release's, and say so."""
    (found,) = auditor.audit(claim)["findings"]
    assert found["rule"] == "invalid-code" and words in found["message"]


def test_sources_quote_the_tabular(auditor: Auditor) -> None:
    result = auditor.audit({"date_of_service": "2025-06-01", "codes": ["M54.50", "S39.012A"]})
    assert "M54.5 Excludes1: low back strain (S39.012)" in result["findings"][0]["source"]
    seventh = auditor.audit({"date_of_service": "2025-06-01", "codes": ["S39.012"]})
    assert "7th characters: A initial encounter" in seventh["findings"][0]["source"]


def test_not_valid_on_date_cites_the_addenda(auditor: Auditor) -> None:
    result = auditor.audit({"date_of_service": "2024-12-01", "codes": ["M51.36"]})
    assert "FY2025 Addenda" in result["findings"][0]["source"]


def test_the_auditor_pickles_as_its_rule_file(auditor: Auditor) -> None:
    claim = {"date_of_service": "2025-06-01", "codes": ["M54.50", "S33.5XXA"]}
    copy = pickle.loads(pickle.dumps(auditor))
    assert len(pickle.dumps(auditor)) < 500
    assert copy.audit(claim) == auditor.audit(claim)


# ------------------------------------------------------------------ the command


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def _write(path: Path, claims: list[Any]) -> Path:
    path.write_text("".join(json.dumps(c) + "\n" for c in claims), encoding="utf-8")
    return path


def test_exit_0_when_no_claim_has_an_error(cli: Callable[..., Any], tmp_path: Path) -> None:
    source = _write(tmp_path / "c.jsonl", [{"_id": "a", "codes": ["M54.50"]}])
    result = cli("audit", str(source))
    assert result.exit_code == 0
    assert _lines(result.stdout)[0]["line"] == 1
    assert "audit: 1 claims, 0 with errors" in result.stderr


def test_exit_1_when_a_claim_has_an_error(cli: Callable[..., Any], tmp_path: Path) -> None:
    claims = [{"_id": "a", "codes": ["M54.50"]}, {"_id": "b", "codes": ["M54.52"]}]
    summary = tmp_path / "summary.json"
    result = cli("audit", str(_write(tmp_path / "c.jsonl", claims)), "--summary", str(summary))
    assert result.exit_code == 1
    data = json.loads(summary.read_text())
    assert data["claims"] == 2 and data["claims_with_errors"] == 1
    assert data["by_rule"] == {"invalid-code": 1, "unspecified": 1}
    assert "invalid-code 1" in result.stderr


def test_exit_1_and_an_error_line_for_a_bad_line(cli: Callable[..., Any]) -> None:
    lines = "\n".join(
        [
            '{"_id": "a", "codes": ["M54.51"]}',
            "not json",
            '{"_id": "c", "codes": ["M54.51"], "date_of_service": "03/01/2025"}',
            '{"_id": "d", "codes": []}',
            '{"_id": "e", "codes": ["M54.51"], "payer": "x"}',
            '{"_id": "f", "codes": [5451]}',
            '{"_id": "g", "codes": ["M54.51"], "answers": {"trauma": "maybe"}}',
            "[1, 2]",
            '{"_id": "i", "codes": ["M54.51"]}',
        ]
    )
    result = cli("audit", "-", input=lines + "\n")
    assert result.exit_code == 1
    out = _lines(result.stdout)
    assert [line["line"] for line in out] == list(range(1, 10))
    assert [("error" in line) for line in out] == [False] + [True] * 7 + [False]
    assert "YYYY-MM-DD" in out[2]["error"] and out[2]["_id"] == "c"
    assert "codes" in out[3]["error"]
    assert "unknown key 'payer'" in out[4]["error"]
    assert "trauma" in out[6]["error"]


def test_exit_2_when_the_input_cannot_be_read(cli: Callable[..., Any], tmp_path: Path) -> None:
    result = cli("audit", str(tmp_path / "missing.jsonl"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr
    bad_csv = tmp_path / "claims.csv"
    bad_csv.write_text("patient,dx1\nP1,M54.50\n", encoding="utf-8")
    result = cli("audit", str(bad_csv))
    assert result.exit_code == 2
    assert "unknown CSV column 'patient'" in result.stderr


def test_output_and_summary_files(cli: Callable[..., Any], tmp_path: Path) -> None:
    source = _write(tmp_path / "c.jsonl", [{"codes": ["M54.51"]}] * 3)
    out, summary = tmp_path / "out.jsonl", tmp_path / "s.json"
    result = cli("audit", str(source), "-o", str(out), "--summary", str(summary))
    assert result.exit_code == 0 and result.stdout == ""
    assert len(_lines(out.read_text())) == 3
    assert json.loads(summary.read_text())["claims"] == 3
    same = cli("audit", str(source), "-o", str(source))
    assert same.exit_code == 2 and "is the same file as the input" in same.stderr


def test_underscore_keys_are_kept_in_order(cli: Callable[..., Any]) -> None:
    claims = [{"_id": n, "_batch": {"a": [1]}, "codes": ["M54.2"]} for n in range(5)]
    result = cli("audit", "-", input="".join(json.dumps(c) + "\n" for c in claims))
    out = _lines(result.stdout)
    assert [(line["_id"], line["_batch"]) for line in out] == [(n, {"a": [1]}) for n in range(5)]


@pytest.mark.parametrize(
    "text",
    [
        "_id,codes,date_of_service\nA1,M54.50 S33.5XXA,2025-06-01\n",
        "_id,codes,date_of_service\nA1,M54.50;S33.5XXA,2025-06-01\n",
        "_id,codes,date_of_service\nA1,m5450 ; s335xxa,2025-06-01\n",
        "_id,dx1,dx2,dx3,date_of_service\nA1,M54.50,S33.5XXA,,2025-06-01\n",
        "\ufeff_id,dx2,dx1,date_of_service\nA1,S33.5XXA,M54.50,2025-06-01\n",
        '_id,codes,date_of_service\nA1,"M54.50, S33.5XXA",2025-06-01\n',
        "_id,dx1,dx2,dx3,dx4,date_of_service\nA1,M5450,,s335xxa,,2025-06-01\n",
    ],
    ids=[
        "spaces",
        "semicolons",
        "undotted",
        "dx-columns",
        "bom-dx-out-of-order",
        "commas",
        "dx1-to-dx4-with-gaps",
    ],
)
def test_csv_forms(cli: Callable[..., Any], tmp_path: Path, text: str) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(text, encoding="utf-8")
    result = cli("audit", str(path))
    (line,) = _lines(result.stdout)
    assert line["_id"] == "A1" and line["line"] == 2
    assert [c["code"] for c in line["codes"]] == ["M54.50", "S33.5XXA"]
    assert [f["rule"] for f in line["findings"]] == ["symptom-with-definitive"]


def test_csv_from_standard_input_with_format(cli: Callable[..., Any]) -> None:
    text = "_claim,codes\nA,M54.52\nB,M54.51\n"
    result = cli("audit", "-", "--format", "csv", input=text)
    assert result.exit_code == 1
    assert [line["_claim"] for line in _lines(result.stdout)] == ["A", "B"]


def test_csv_row_with_wrong_cell_count_gives_an_error_line(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    path = tmp_path / "claims.csv"
    path.write_text("_id,codes\nA1,M54.51\nA2,M54.51,extra\nA3,M54.51\n", encoding="utf-8")
    out = _lines(cli("audit", str(path)).stdout)
    assert [("error" in line) for line in out] == [False, True, False]
    assert [line["line"] for line in out] == [2, 3, 4]


def test_a_claim_with_a_note_is_coded_from_it(cli: Callable[..., Any]) -> None:
    """The note supports a specific code, so the unspecified one is a warning naming it."""
    note = (
        "Assessment: chronic low back pain due to lumbar disc herniation at L4-5. "
        "Denies radiating pain. No injury."
    )
    claim = {"_id": "n1", "date_of_service": "2025-03-01", "codes": ["M54.50"], "note": note}
    result = cli("audit", "-", input=json.dumps(claim) + "\n")
    (line,) = _lines(result.stdout)
    assert result.exit_code == 0, line
    assert line["_id"] == "n1" and line["record_codes"][0] == "M51.26"
    (finding,) = [f for f in line["findings"] if f["rule"] == "unspecified"]
    assert finding["severity"] == "warning" and finding["suggest"] == ["M51.26"]


def test_claims_are_judged_the_same_on_the_fast_and_the_ordinary_path(auditor: Auditor) -> None:
    claims = [case["claim"] for case in CLAIMS if "answers" not in case["claim"]] * 2
    lines = [
        json.dumps({"_id": f"c{n}", "date_of_service": "2025-06-01", **claim}).encode() + b"\n"
        for n, claim in enumerate(claims)
    ]
    lines += [b'{"_id": "x", "date_of_service": "2025-13-01", "codes": ["M54.50"]}\n'] * 2
    fast = AuditStream(auditor)
    ordinary = AuditStream(auditor)
    ordinary._fast = lambda *args: None  # type: ignore[method-assign]
    assert list(fast.run(lines)) == list(ordinary.run(lines))
    assert fast.summary.as_json() == ordinary.summary.as_json()


# ------------------------------------------------------------------ any line


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
CODE_TEXT = st.one_of(
    st.sampled_from(["M54.50", "M5450", "S33.5XXA", "S335A", "M54.5", "G89.29", "I10", "M54"]),
    st.from_regex(r"[A-Z][0-9][0-9A-Z]{0,5}", fullmatch=True),
    st.text(max_size=9),
)
DATES = st.one_of(
    st.dates().map(lambda day: day.isoformat()), st.text(max_size=12), st.none(), st.integers()
)
CLAIM = st.fixed_dictionaries(
    {"codes": st.one_of(st.lists(CODE_TEXT, max_size=6), JSON_VALUES)},
    optional={
        "_id": JSON_VALUES,
        "date_of_service": DATES,
        "answers": st.one_of(
            st.dictionaries(st.sampled_from(["trauma", "region", "x"]), JSON_VALUES), JSON_VALUES
        ),
        "other": JSON_VALUES,
    },
)
LINE = st.one_of(
    CLAIM.map(lambda claim: json.dumps(claim).encode()),
    st.binary(max_size=40),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(LINE, min_size=1, max_size=6))
def test_any_line_gives_a_result_line_or_an_error_line(
    auditor: Auditor, lines: list[bytes]
) -> None:
    lines = [line.replace(b"\n", b" ").replace(b"\r", b" ") + b"\n" for line in lines]
    stream = AuditStream(auditor)
    out = [json.loads(line) for line in stream.run(lines)]
    assert [line["line"] for line in out] == list(range(1, len(lines) + 1))
    for line in out:
        assert ("error" in line) != ("findings" in line)
    assert stream.summary.claims == len(lines)


CELL = st.one_of(CODE_TEXT, st.text(max_size=10)).filter(lambda cell: not set(cell) & set('",\r\n'))
"""A cell that stays one cell of one row (quotes and line ends would make rows of their own)."""


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=1, max_size=5))
def test_any_csv_row_gives_a_result_line_or_an_error_line(
    auditor: Auditor, rows: list[list[str]]
) -> None:
    import io

    text = "_id,dx1,dx2,date_of_service\n" + "".join(",".join(row) + "\n" for row in rows)
    stream = AuditStream(auditor)
    out = [json.loads(line) for line in stream.run_csv(io.StringIO(text, newline=""))]
    assert [line["line"] for line in out] == list(range(2, len(rows) + 2))
    for line in out:
        assert ("error" in line) != ("findings" in line)


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('{"codes": ["M54.50"], "codes": ["M54.9"]}', "key 'codes' given twice"),
        ('{"codes": ["M54.50"], "answers": {"trauma": "no", "trauma": "yes"}}', "'trauma' given"),
        ('{"codes": ["M54.50"], "_x": ' + "[" * 80 + "]" * 80 + "}", "nested more than 64"),
        ('{"codes": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested more than 64"),
        ('{"codes": ["' + "M" * (1 << 20) + '"]}', "longer than 1,048,576 bytes"),
        ('{"codes": ["M54.50"]', "line 1 column 21"),  # the newline is not part of the line
        ("\xff", "not UTF-8 text"),
    ],
    ids=["codes-twice", "answer-twice", "deep-underscore", "very-deep", "long", "cut", "latin1"],
)
def test_a_line_that_is_no_claim_is_its_error_line(
    cli: Callable[..., Any], tmp_path: Path, line: str, words: str
) -> None:
    """Refused as the house's readers refuse it (a repeated key is never resolved silently
    to the last, which would audit half the claim), and the next claim is still audited."""
    source = tmp_path / "c.jsonl"
    source.write_bytes(line.encode("utf-8", "surrogateescape") + b'\n{"codes": ["M54.2"]}\n')
    if line == "\xff":
        source.write_bytes(b'\xff\n{"codes": ["M54.2"]}\n')
    result = cli("audit", str(source))
    assert result.exit_code == 1
    first, second = _lines(result.stdout)
    assert words in first["error"] and first["line"] == 1
    assert second["line"] == 2 and second["codes"][0]["code"] == "M54.2"


def test_a_line_refused_for_a_key_given_twice_keeps_its_record_id(
    cli: Callable[..., Any],
) -> None:
    """The line is still a JSON object: its `_` keys join the error line back to the claim,
    unless the id itself is what was given twice."""
    lines = [
        '{"_id": "x", "codes": ["M54.50"], "codes": ["M54.2"]}',
        '{"_id": "y", "_id": "z", "codes": ["M54.2"]}',
        '{"_id": "w", "_src": "ed", "date_of_service": "2025-01-01", '
        '"codes": ["M54.2"], "date_of_service": "2025-02-01"}',
    ]
    result = cli("audit", "-", input="\n".join(lines) + "\n")
    assert result.exit_code == 1
    first, second, third = _lines(result.stdout)
    assert first["_id"] == "x" and "key 'codes' given twice" in first["error"]
    assert "_id" not in second and "key '_id' given twice" in second["error"]
    assert (third["_id"], third["_src"]) == ("w", "ed") and "date_of_service" in third["error"]


def test_a_lone_surrogate_in_a_code_is_a_finding_not_a_crash(cli: Callable[..., Any]) -> None:
    lines = [
        '{"_id": "s", "codes": ["\\ud800"]}',
        '{"codes": "M54.50 \\udfff"}',
        '{"codes": ["M54.2"]}',
    ]
    result = cli("audit", "-", input="\n".join(lines) + "\n")
    assert result.exit_code == 1 and "internal error" not in result.stderr
    out = _lines(result.stdout)
    assert [line["line"] for line in out] == [1, 2, 3]
    assert out[0]["codes"][0]["code"] == "\ud800"  # the same escape back, valid JSON
    assert [f["rule"] for f in out[0]["findings"]] == ["invalid-code"]
    assert "\udfff" in [code["code"] for code in out[1]["codes"]]


def test_a_fault_on_one_claim_never_costs_the_others(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Auditor.audit_codes

    def failing(self: Auditor, codes: list[str], *args: Any) -> Any:
        if "M54.9" in codes:
            raise RuntimeError("a fault of the auditor's own")
        return real(self, codes, *args)

    monkeypatch.setattr(Auditor, "audit_codes", failing)
    claims = [{"codes": ["M54.50"]}, {"codes": ["M54.9"]}, {"codes": ["M54.2"]}]
    result = cli("audit", "-", input="".join(json.dumps(c) + "\n" for c in claims))
    out = _lines(result.stdout)
    assert [line["line"] for line in out] == [1, 2, 3] and result.exit_code == 1
    assert out[1]["error"].startswith("could not be audited (RuntimeError(")
    assert "findings" in out[0] and "findings" in out[2]
    csv_result = cli("audit", "-", "--format", "csv", input="codes\nM54.50\nM54.9\nM54.2\n")
    assert [line.get("error", "")[:19] for line in _lines(csv_result.stdout)] == [
        "",
        "could not be audite",
        "",
    ]


def test_a_csv_row_that_does_not_fit_the_header_says_what_would(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    path = tmp_path / "claims.csv"
    path.write_text("_id,codes\nc1,M54.50,M54.9\n\nc3\nc4,M54.2\n", encoding="utf-8")
    result = cli("audit", str(path))
    out = _lines(result.stdout)
    assert [line["line"] for line in out] == [2, 3, 4, 5] and result.exit_code == 1
    assert out[0]["error"] == (
        "the row has 3 cells but the header names 2 columns: one cell per column "
        "(quote a cell that holds a comma or a line break)"
    )
    assert out[1]["error"].startswith("empty row: each row is a claim")
    assert out[2]["error"].startswith("the row has 1 cell but the header names 2 columns")
    assert out[3]["_id"] == "c4" and "findings" in out[3]


@pytest.mark.parametrize("mark", ["\u0085", "\u2028", "\u2029"])
def test_a_code_holding_a_line_end_of_other_readers_stays_on_its_line(
    cli: Any, tmp_path: Path, mark: str
) -> None:
    source = tmp_path / "claims.jsonl"
    claims = [{"_id": f"a{mark}", "codes": [f"M54{mark}50"]}, {"_id": "b", "codes": ["M54.2"]}]
    source.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in claims))
    lines = cli("audit", str(source)).stdout.splitlines()
    assert [json.loads(line)["_id"] for line in lines] == [f"a{mark}", "b"]
