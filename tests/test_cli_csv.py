"""`backcoder batch` over CSV: a header of question ids in, one result row per row out."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

HEADER = "_id,trauma,attribution,nerve,region,lumbar_cause,pain_course\n"


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_in_csv_out_in_order_with_errors_as_rows(cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "visits.csv"
    source.write_text(
        HEADER
        # neck and low back pain, several regions in one cell: both codes (I.B.18)
        + 'r1,no,none,none,"cervical,lumbar",other,acute\n'
        # an empty cell is no answer: attribution takes its scripted default (none)
        + "r2,no,,none,thoracic,,acute\n"
        + "r3,maybe,,,,,\n"
        + "r4,no,none,none,lumbar,not_documented,acute\n",
        encoding="utf-8",
    )
    result = cli("batch", str(source))
    assert result.exit_code == 1
    assert "1 of 4 lines had an error" in result.stderr
    rows = rows_of(result.stdout)
    assert list(rows[0]) == ["line", "_id", "codes", "error"]
    assert [row["_id"] for row in rows] == ["r1", "r2", "r3", "r4"]
    assert [row["line"] for row in rows] == ["2", "3", "4", "5"]  # the header is line 1
    assert rows[0]["codes"] == "M54.2,M54.59"
    assert rows[1]["codes"] == "M54.6"
    assert rows[2]["codes"] == "" and "trauma: 'maybe' is not one of" in rows[2]["error"]
    assert rows[3]["codes"] == "M54.50" and rows[3]["error"] == ""


def test_line_is_where_a_row_begins(cli: Any) -> None:
    text = '_id,trauma,region\nr1,no,"lumbar,\ncervical"\nr2,no,thoracic\n'
    rows = rows_of(cli("batch", "-", "--format", "csv", input=text).stdout)
    assert [(row["_id"], row["line"]) for row in rows] == [("r1", "2"), ("r2", "4")]


def test_csv_in_json_lines_out_by_format(cli: Any) -> None:
    text = HEADER + "r1,no,none,none,thoracic,,acute\n"
    result = cli("batch", "-", "--format", "csv", input=text)
    assert rows_of(result.stdout)[0]["codes"] == "M54.6"
    as_json = cli("batch", "-", "--format", "jsonl", input=text)
    # standard input is JSON lines unless --format csv: the header is not JSON
    assert json.loads(as_json.stdout.splitlines()[0])["error"].startswith("not valid JSON")


def test_csv_file_to_json_lines(cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(HEADER + "r1,no,none,none,thoracic,,acute\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = cli("batch", str(source), "-o", str(out))
    assert result.exit_code == 0
    line = json.loads(out.read_text(encoding="utf-8"))
    assert line["_id"] == "r1" and line["line"] == 2
    assert [code["code"] for code in line["codes"]] == ["M54.6"]


def test_csv_output_by_suffix(cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(HEADER + "r1,no,none,none,thoracic,,acute\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert cli("batch", str(source), "-o", str(out)).exit_code == 0
    assert rows_of(out.read_text(encoding="utf-8"))[0]["codes"] == "M54.6"


def test_problems_columns_are_refused_per_row(cli: Any) -> None:
    text = "_id,trauma,1.region\nr1,no,lumbar\nr2,no,\n"
    result = cli("batch", "-", "--format", "csv", input=text)
    rows = rows_of(result.stdout)
    assert len(rows) == 2
    assert rows[0]["error"].startswith("column 1.region: a record with several problems")
    assert "1.region" not in rows[1]["error"]  # an empty cell is no answer


def test_bad_rows_each_get_an_error_row(cli: Any) -> None:
    text = HEADER + ",,,,,,\n" + "r2,no,none,none,thoracic,,acute,extra\n"
    result = cli("batch", "-", "--format", "csv", input=text)
    rows = rows_of(result.stdout)
    assert rows[0]["error"].startswith("empty row")
    assert rows[1]["error"].startswith("the row has 8 cells but the header names 7 columns")


def test_bad_header_is_refused(cli: Any) -> None:
    result = cli("batch", "-", "--format", "csv", input="trauma,trauma\nno,no\n")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "backcoder: CSV header: column trauma appears twice; name it once"
    )


def test_csv_results_need_csv_input(cli: Any) -> None:
    result = cli("batch", "-", "-o", "out.csv", input='{"trauma": "no"}\n')
    assert result.exit_code == 2
    assert "CSV results need CSV input" in result.stderr


def test_json_lines_read_as_csv_are_refused_not_taken_for_a_header(
    cli: Any, tmp_path: Path
) -> None:
    """A JSON line read as CSV was the header: no record, '0 lines coded', exit 0."""
    result = cli("batch", "-", "--format", "csv", input='{"trauma": "no"}\n')
    assert result.exit_code == 2 and result.stdout == ""
    assert "CSV header: the first row is JSON, not column names" in result.stderr
    claims = tmp_path / "claims.csv"
    claims.write_text('\ufeff{"codes": ["M54.50"]}\n', encoding="utf-8")
    audited = cli("audit", str(claims))
    assert audited.exit_code == 2
    assert audited.stderr == (
        "backcoder: the CSV header is JSON, not column names: read JSON lines with "
        "--format jsonl (the default for a file not named .csv)\n"
    )
