"""A hostile user and a hostile file against every command the README documents.

Each case says what the contracts promise, written before the command was run: bad input
gets one line on standard error naming what was wrong (and what would be right) and exit 2;
a batch or audit line that cannot be coded is that line's `error` (nothing dropped, exit 1);
anything else exits 0; never a traceback. The table runs in-process through the CLI runner,
over files made once for the module; the walker and a terminal's Ctrl-C run on a pty.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pexpect
import pytest

LOW_BACK = {
    "trauma": "no",
    "attribution": "none",
    "nerve": "none",
    "region": "lumbar",
    "lumbar_cause": "other",
    "pain_course": "acute",
}
LINE = json.dumps(LOW_BACK)
# Everything but region, as -a flags.
BUT_REGION = [
    "-a", "trauma=no", "-a", "attribution=none", "-a", "nerve=none",
    "-a", "lumbar_cause=other", "-a", "pain_course=acute",
]  # fmt: skip
CSV_HEAD = "trauma,nerve,region,lumbar_cause,pain_course,attribution\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile files, each made once."""
    d = tmp_path_factory.mktemp("hostile")
    text: dict[str, str] = {
        "empty.json": "",
        "blank.yaml": "\n\n  \n\n",
        "nonl.yaml": "\n".join(f"{k}: {v}" for k, v in LOW_BACK.items()),
        "crlf.yaml": "".join(f"{k}: {v}\r\n" for k, v in LOW_BACK.items()),
        "deep.json": "[" * 5000 + "]" * 5000,
        "array.json": "[1, 2]",
        "string.json": '"lumbar"',
        "number.json": "42",
        "null.json": "null",
        "dup.json": '{"trauma": "no", "trauma": "yes"}',
        "problems_text.json": json.dumps({"problems": "lumbar"}),
        "problems_empty.json": json.dumps({"problems": []}),
        "problems_numbers.json": json.dumps({"problems": [1, "x", None]}),
        "problems_101.json": json.dumps({"pain_course": "acute", "problems": [LOW_BACK] * 101}),
        "b_blank.jsonl": "\n\n   \n",
        "b_crlf.jsonl": f"{LINE}\r\n{LINE}\r\n",
        "b_nonl.jsonl": f"{LINE}\n{LINE}",
        "b_kinds.jsonl": '[1]\n"s"\n3\nnull\n' + "[" * 5000 + "]" * 5000 + f"\n{LINE}\n",
        "b_values.jsonl": "\n".join(
            [
                '{"_id": NaN, "trauma": "no"}',
                '{"_id": 1e999, "trauma": "no"}',
                '{"_id": "\\ud800", ' + LINE[1:],
                '{"region": {"a": 1}}',
                '{"problems": [{"problems": []}]}',
                '{"_id": ' + "9" * 5000 + "}",
            ]
        )
        + "\n",
        "c_ragged.csv": CSV_HEAD
        + "no,none,lumbar,other,acute,none,EXTRA\nno,none\n\nno,none,lumbar,other,acute,none\n",
        "c_quoted.csv": "_id," + CSV_HEAD + '"a\nb",no,none,"cervical,\nlumbar",other,acute,none\n'
        "r2,no,none,lumbar,other,acute,none\n",
        "c_blank_header.csv": "\n" + CSV_HEAD + "no,none,lumbar,other,acute,none\n",
        "c_only_blank.csv": "\n\n",
        "c_header_line.csv": "line,trauma\n1,no\n",
        "a_dates.jsonl": "\n".join(
            json.dumps({"date_of_service": day, "codes": ["M54.50"]})
            for day in ["2025-02-30", "25/03/2025", "1990-01-01", "2040-01-01"]
        )
        + "\n",
        "a_ragged.csv": '_id,codes,date_of_service\na,M54.50,2025-01-01,EXTRA\nb\nc,"M54.50\nM54.2",'
        "2025-01-01\n",
        "a_header_only.csv": "codes\n",
        "note_empty.txt": "",
        "rules_empty.yaml": "",
        "rules_list.yaml": "- 1\n- 2\n",
    }
    for name, content in text.items():
        (d / name).write_text(content, encoding="utf-8", newline="")
    raw: dict[str, bytes] = {
        "garbage.bin": bytes(range(256)) * 40,
        "utf8_bom.json": b"\xef\xbb\xbf" + LINE.encode(),
        "b_utf8_bom.jsonl": b"\xef\xbb\xbf" + f"{LINE}\n{LINE}\n".encode(),
        "b_utf16.jsonl": f"{LINE}\n".encode("utf-16"),
        "b_big_line.jsonl": b'{"_id": "' + b"x" * 10_000_000 + b'"}\n' + LINE.encode() + b"\n",
        "note.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n" + bytes(range(256)),
        "note_big.txt": b"Low back pain. " * 350_000,
    }
    for name, content in raw.items():
        (d / name).write_bytes(content)
    head = b"_id,trauma\n"
    (d / "c_unreadable_rows.csv").write_bytes(
        head
        + b"r1,n\xffo\n"  # not UTF-8
        + b"r2,"
        + b"x" * 1_100_000
        + b"\n"  # a line over 1 MiB
        + b'r3,"'
        + b"x" * 200_000
        + b'"\n'  # a cell over the csv module's field limit
        + b"r4,no\n"
    )
    (d / "a_not_utf8_row.csv").write_bytes(b"_id,codes\na,M54.50\nb,M54\xff50\nc,M54.50\n")
    (d / "c_header_not_utf8.csv").write_bytes(b"trauma\xff,region\nno,lumbar\n")
    (d / "big.json").write_bytes(b'{"trauma": "' + b"x" * 10_000_000 + b'"}')
    (d / "folder").mkdir()
    return d


# (case, argv ({d} is the files' folder), standard input, exit status, a phrase of the one
# stderr line for exit 2 (or of the stderr for other statuses), result lines on stdout)
Case = tuple[str, list[str], str | None, int, str, int | None]
NO_INPUT = ["code", "--no-input"]
CASES: list[Case] = [
    # --answers: files that are not an answer mapping
    ("answers missing", [*NO_INPUT, "--answers", "{d}/nope.json"], None, 2, "no such file", None),
    ("answers folder", [*NO_INPUT, "--answers", "{d}/folder"], None, 2, "is a directory", None),
    ("answers empty", [*NO_INPUT, "--answers", "{d}/empty.json"], None, 2, "not valid JSON", None),
    ("answers blank", [*NO_INPUT, "--answers", "{d}/blank.yaml"], None, 2, "a mapping", None),
    ("answers binary", [*NO_INPUT, "--answers", "{d}/garbage.bin"], None, 2, "not valid", None),
    ("answers 10 MB", [*NO_INPUT, "--answers", "{d}/big.json"], None, 2, "1 MiB", None),
    ("answers deep", [*NO_INPUT, "--answers", "{d}/deep.json"], None, 2, "64 levels", None),
    ("answers array", [*NO_INPUT, "--answers", "{d}/array.json"], None, 2, "a mapping", None),
    ("answers string", [*NO_INPUT, "--answers", "{d}/string.json"], None, 2, "a mapping", None),
    ("answers number", [*NO_INPUT, "--answers", "{d}/number.json"], None, 2, "a mapping", None),
    ("answers null", [*NO_INPUT, "--answers", "{d}/null.json"], None, 2, "a mapping", None),
    ("answers dup key", [*NO_INPUT, "--answers", "{d}/dup.json"], None, 2, "given twice", None),
    ("problems text", [*NO_INPUT, "--answers", "{d}/problems_text.json"], None, 2, "a list", None),
    ("problems empty", [*NO_INPUT, "--answers", "{d}/problems_empty.json"], None, 2, "list", None),
    ("problems numbers", [*NO_INPUT, "--answers", "{d}/problems_numbers.json"], None, 2,
     "problem 1: an object of answers", None),
    ("problems 101", [*NO_INPUT, "--answers", "{d}/problems_101.json"], None, 2, "at most 100",
     None),
    ("answers utf-8 bom", [*NO_INPUT, "--answers", "{d}/utf8_bom.json"], None, 0, "", None),
    ("answers crlf", [*NO_INPUT, "--answers", "{d}/crlf.yaml"], None, 0, "", None),
    ("answers no newline", [*NO_INPUT, "--answers", "{d}/nonl.yaml"], None, 0, "", None),
    # -a: ids and values a hostile user types
    ("-a 0.region", [*NO_INPUT, *BUT_REGION, "-a", "0.region=lumbar"], None, 2,
     "numbered from 1", None),
    ("-a 101.region", [*NO_INPUT, *BUT_REGION, "-a", "101.region=lumbar"], None, 2,
     "at most 100", None),
    ("-a .region=", [*NO_INPUT, *BUT_REGION, "-a", ".region="], None, 2, "unknown question id",
     None),
    ("-a region=", [*NO_INPUT, *BUT_REGION, "-a", "region="], None, 2, "empty answer", None),
    ("-a =lumbar", [*NO_INPUT, *BUT_REGION, "-a", "=lumbar"], None, 2, "ID=VALUE", None),
    ("-a region", [*NO_INPUT, *BUT_REGION, "-a", "region"], None, 2, "ID=VALUE", None),
    ("-a regoin", [*NO_INPUT, *BUT_REGION, "-a", "regoin=lumbar"], None, 2,
     "did you mean region", None),
    ("-a lumbr", [*NO_INPUT, *BUT_REGION, "-a", "region=lumbr"], None, 2,
     "did you mean lumbar", None),
    ("-a [/]", [*NO_INPUT, *BUT_REGION, "-a", "region=[/]"], None, 2, "'[/]' is not one of", None),
    ("-a Lumbar", [*NO_INPUT, *BUT_REGION, "-a", "region=Lumbar"], None, 0, "", None),
    ("-a ' lumbar '", [*NO_INPUT, *BUT_REGION, "-a", "region= lumbar "], None, 0, "", None),
    ("-a cervical,,lumbar", [*NO_INPUT, *BUT_REGION, "-a", "region=cervical,,lumbar"], None, 0,
     "", None),
    ("-a 3.region of 2", [*NO_INPUT, "-a", "pain_course=acute", "-a", "1.trauma=no",
     "-a", "1.region=lumbar", "-a", "1.nerve=none", "-a", "1.lumbar_cause=other",
     "-a", "2.trauma=no", "-a", "2.region=cervical", "-a", "2.nerve=none",
     "-a", "3.region=thoracic"], None, 2, "problem 3: missing answer for trauma", None),
    ("-a 1 and 3", [*NO_INPUT, "-a", "1.region=lumbar", "-a", "3.region=cervical"], None, 2,
     "problem 2 has no answers", None),
    ("-a twice", [*NO_INPUT, *BUT_REGION, "-a", "region=lumbar", "-a", "trauma=yes"], None, 2,
     "takes one value", None),
    ("--json --format fhir", [*NO_INPUT, "--json", "--format", "fhir"], None, 2, "contradict",
     None),
    ("--save missing folder", [*NO_INPUT, *BUT_REGION, "-a", "region=lumbar", "--save",
     "{d}/nope/saved.json"], None, 2, "cannot be written", None),
    ("--save a folder", [*NO_INPUT, *BUT_REGION, "-a", "region=lumbar", "--save", "{d}/folder"],
     None, 2, "is a directory", None),
    ("--save over --answers", [*NO_INPUT, "--answers", "{d}/crlf.yaml", "--save",
     "{d}/crlf.yaml"], None, 2, "same file as the input", None),
    ("no answers, empty stdin", ["code", *BUT_REGION], "", 2, "missing answer for region", None),
    # --note: files that are not a note
    ("note pdf", [*NO_INPUT, "--note", "{d}/note.pdf"], None, 2, "not UTF-8", None),
    ("note 5 MB", [*NO_INPUT, "--note", "{d}/note_big.txt"], None, 2, "at most 100,000", None),
    ("note missing", [*NO_INPUT, "--note", "{d}/nope.txt"], None, 2, "no such file", None),
    ("note folder", [*NO_INPUT, "--note", "{d}/folder"], None, 2, "folder", None),
    # --rules: files that are not a rule file
    ("rules empty", [*NO_INPUT, "--rules", "{d}/rules_empty.yaml"], None, 2, "a rule file is",
     None),
    ("rules binary", [*NO_INPUT, "--rules", "{d}/garbage.bin"], None, 2, "not valid YAML", None),
    ("rules deep", [*NO_INPUT, "--rules", "{d}/deep.json"], None, 2, "64 levels", None),
    ("rules check list", ["rules", "check", "{d}/rules_list.yaml"], None, 2, "a rule file is",
     None),
    ("rules check missing", ["rules", "check", "{d}/nope.yaml"], None, 2, "no such file", None),
    ("rules graph folder", ["rules", "graph", "{d}/folder"], None, 2, "is a directory", None),
    ("rules build empty", ["rules", "build", "{d}/rules_empty.yaml"], None, 2, "a rule file is",
     None),
    ("rules graph svg", ["rules", "graph", "--format", "svg"], None, 2, "'svg' is not one of",
     None),
    ("rules schema both", ["rules", "schema", "--notes", "--result"], None, 2, "give one", None),
    # batch: nothing dropped, whatever the lines are
    ("batch missing", ["batch", "{d}/nope.jsonl"], None, 2, "no such file", None),
    ("batch folder", ["batch", "{d}/folder"], None, 2, "folder", None),
    ("batch empty", ["batch", "{d}/empty.json"], None, 0, "0 lines coded", 0),
    ("batch blank lines", ["batch", "{d}/b_blank.jsonl"], None, 1, "3 of 3", 3),
    ("batch utf-8 bom", ["batch", "{d}/b_utf8_bom.jsonl"], None, 0, "2 lines coded", 2),
    ("batch crlf", ["batch", "{d}/b_crlf.jsonl"], None, 0, "2 lines coded", 2),
    ("batch no newline", ["batch", "{d}/b_nonl.jsonl"], None, 0, "2 lines coded", 2),
    ("batch utf-16", ["batch", "{d}/b_utf16.jsonl"], None, 1, "had errors", 2),
    ("batch binary", ["batch", "{d}/garbage.bin"], None, 1, "41 of 41", 41),
    ("batch 10 MB line", ["batch", "{d}/b_big_line.jsonl"], None, 1, "1 of 2", 2),
    ("batch not objects", ["batch", "{d}/b_kinds.jsonl"], None, 1, "5 of 6", 6),
    ("batch odd values", ["batch", "{d}/b_values.jsonl"], None, 1, "5 of 6", 6),
    ("batch empty stdin", ["batch", "-"], "", 0, "0 lines coded", 0),
    ("batch -o missing folder", ["batch", "{d}/b_crlf.jsonl", "-o", "{d}/nope/out.jsonl"], None,
     2, "cannot be written", None),
    ("batch -o folder", ["batch", "{d}/b_crlf.jsonl", "-o", "{d}/folder"], None, 2,
     "is a directory", None),
    ("batch -o input", ["batch", "{d}/b_crlf.jsonl", "-o", "{d}/b_crlf.jsonl"], None, 2,
     "same file as the input", None),
    ("batch csv ragged", ["batch", "{d}/c_ragged.csv"], None, 1, "3 of 4", 4),
    ("batch csv quoted newlines", ["batch", "{d}/c_quoted.csv"], None, 0, "2 lines coded", None),
    ("batch csv blank header", ["batch", "{d}/c_blank_header.csv"], None, 2,
     "CSV header: the first row is empty", None),
    ("batch csv only blank", ["batch", "{d}/c_only_blank.csv"], None, 2,
     "CSV header: the first row is empty", None),
    ("batch csv header line", ["batch", "{d}/c_header_line.csv"], None, 2, "rename it _line",
     None),
    ("batch csv header not utf-8", ["batch", "{d}/c_header_not_utf8.csv"], None, 2,
     "CSV header: line 1 is not UTF-8 text", None),
    ("batch csv unreadable rows", ["batch", "{d}/c_unreadable_rows.csv"], None, 1, "4 of 4", 4),
    ("batch csv fhir", ["batch", "{d}/c_ragged.csv", "--format", "fhir"], None, 2,
     "reads JSON lines", None),
    # audit
    ("audit dates", ["audit", "{d}/a_dates.jsonl"], None, 1, "2 lines with `error`", 4),
    ("audit missing", ["audit", "{d}/nope.jsonl"], None, 2, "no such file", None),
    ("audit folder", ["audit", "{d}/folder"], None, 2, "folder", None),
    ("audit empty", ["audit", "{d}/empty.json"], None, 0, "0 claims", 0),
    ("audit blank lines", ["audit", "{d}/b_blank.jsonl"], None, 1, "3 lines with `error`", 3),
    ("audit binary", ["audit", "{d}/garbage.bin"], None, 1, "41 lines with `error`", 41),
    ("audit 10 MB line", ["audit", "{d}/b_big_line.jsonl"], None, 1, "2 lines with", 2),
    ("audit not objects", ["audit", "{d}/b_kinds.jsonl"], None, 1, "6 lines with `error`", 6),
    ("audit csv ragged", ["audit", "{d}/a_ragged.csv"], None, 1, "2 lines with `error`", 3),
    ("audit csv header only", ["audit", "{d}/a_header_only.csv"], None, 0, "0 claims", 0),
    ("audit csv blank header", ["audit", "{d}/c_blank_header.csv"], None, 2, "no codes column",
     None),
    ("audit csv row not utf-8", ["audit", "{d}/a_not_utf8_row.csv"], None, 1,
     "1 lines with `error`", 3),
    ("audit csv header not utf-8", ["audit", "{d}/c_header_not_utf8.csv"], None, 2,
     "the CSV header is not UTF-8 text", None),
    ("audit summary is output", ["audit", "{d}/a_dates.jsonl", "-o", "{d}/same",
     "--summary", "{d}/same"], None, 2, "is the output too", None),
    ("audit -o missing folder", ["audit", "{d}/a_dates.jsonl", "-o", "{d}/nope/o"], None, 2,
     "cannot be written", None),
    ("audit format", ["audit", "{d}/a_dates.jsonl", "--format", "x"], None, 2,
     "'x' is not one of", None),
    # explain, compare, template, questions
    ("explain typo", ["explain", "M54.52"], None, 2, "did you mean M54.50, M54.51, M54.59", None),
    ("explain empty", ["explain", ""], None, 2, "not shaped like", None),
    ("explain markup", ["explain", "[/]"], None, 2, "'[/]' is not shaped like", None),
    ("explain incomplete", ["explain", "S39.012"], None, 2, "needs a 7th character", None),
    ("explain huge", ["explain", "X" * 10_000], None, 2, "not shaped like", None),
    ("compare one", ["compare", "M54.50"], None, 2, "two or more", None),
    ("compare same", ["compare", "M54.50", "m5450"], None, 2, "different codes", None),
    ("template typo", ["template", "M54.52"], None, 2, "did you mean", None),
    ("template header", ["template", "M54.5"], None, 2, "is a header", None),
    ("questions json text", ["questions", "--json", "--format", "text"], None, 2, "contradict",
     None),
    ("unknown command", ["frob"], None, 2, "No such command", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "stdin", "status", "phrase", "lines"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_hostile_input(
    cli: Callable[..., Any],
    files: Path,
    argv: list[str],
    stdin: str | None,
    status: int,
    phrase: str,
    lines: int | None,
) -> None:
    result = cli(*(arg.replace("{d}", str(files)) for arg in argv), input=stdin)
    said = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == status, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "internal error" not in result.stderr
    if status == 2 and not said[0].startswith("Usage:"):  # the program makes click's one line
        assert len(said) == 1 and said[0].startswith("backcoder: "), said
        assert "resume at" not in result.stderr  # refused before any line: nothing to resume
    assert phrase in result.stderr
    if lines is not None:
        out = result.stdout.splitlines()
        rows = len(out) - 1 if out and out[0].startswith("line,") else len(out)  # CSV header
        assert rows == lines, result.stdout


def test_csv_quoted_line_break_keeps_the_row_where_it_begins(
    cli: Callable[..., Any], files: Path
) -> None:
    result = cli("batch", str(files / "c_quoted.csv"))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1:] == ['2,"a', 'b","M54.2,M54.59",', "5,r2,M54.59,"]


def test_csv_rows_that_cannot_be_read_are_their_errors_and_the_batch_goes_on(
    cli: Callable[..., Any], files: Path
) -> None:
    """Not UTF-8, a line over 1 MiB, a cell over the csv module's limit: each is the error of
    the row that holds it, and the rows after it are coded; nothing is dropped."""
    result = cli("batch", str(files / "c_unreadable_rows.csv"), "--format", "jsonl")
    results = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in results] == [2, 3, 4, 5]
    assert results[0]["error"] == "line 2 is not UTF-8 text"
    assert results[1]["error"] == "line 3 is longer than 1,048,576 bytes, the most a row may be"
    assert results[2]["error"].startswith("not a readable CSV row (field larger than")
    assert results[3]["_id"] == "r4" and "missing answer" in results[3]["error"]


def test_audit_csv_row_not_utf8_is_that_rows_error(cli: Callable[..., Any], files: Path) -> None:
    """The rows around it are audited: the decoder no longer fails a whole block of rows."""
    result = cli("audit", str(files / "a_not_utf8_row.csv"))
    results = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["line"], r.get("_id"), "error" in r) for r in results] == [
        (2, "a", False),
        (3, None, True),
        (4, "c", False),
    ]
    assert results[1]["error"] == "not UTF-8 text: each row is a claim, in UTF-8"


def test_audit_dates_that_are_no_dates_and_outside_every_release(
    cli: Callable[..., Any], files: Path
) -> None:
    results = [
        json.loads(line) for line in cli("audit", str(files / "a_dates.jsonl")).stdout.splitlines()
    ]
    assert "is not a date" in results[0]["error"] and "is not a date" in results[1]["error"]
    assert [f["rule"] for f in results[2]["findings"]] == ["not-judged"]
    assert "newest shipped release" in results[3]["release"]


# ----------------------------------------------------- official titles shown as written


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["explain", "S62.001A"], "navicular [scaphoid] bone of right wrist"),
        (["explain", "A60"], "Anogenital herpesviral [herpes simplex] infections"),
        (["explain", "A60.04"], "Herpesviral [herpes simplex] vulvitis"),  # a tabular note
        (["compare", "S62.001A", "S62.002A"], "[scaphoid]"),
    ],
)
def test_square_brackets_of_the_tabular_are_kept(
    cli: Callable[..., Any], argv: list[str], words: str
) -> None:
    """Official titles and notes hold bracketed words ("navicular [scaphoid] bone"): the
    text output shows them as the tabular writes them, not taken for style tags."""
    result = cli(*argv)
    assert result.exit_code == 0
    assert words in result.stdout


@pytest.mark.parametrize(
    "env",
    [{"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "10"}, {"COLUMNS": "abc"}],
    ids=["no colour, dumb, 10 columns", "columns not a number"],
)
def test_terminal_settings_never_break_the_text_output(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for argv in (
        [*NO_INPUT, *BUT_REGION, "-a", "region=lumbar"],
        ["explain", "M54.50"],
        ["compare", "M54.9", "M54.6"],
    ):
        result = cli(*argv)
        assert result.exit_code == 0, result.stderr
        assert "\x1b[" not in result.stdout + result.stderr


# ----------------------------------------------------------------------- on a terminal


def _spawn(*args: str) -> pexpect.spawn:
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    return pexpect.spawn(
        sys.executable,
        ["-m", "backcoder", *args],
        env={**env, "NO_COLOR": "1"},
        encoding="utf-8",
        timeout=15,
        dimensions=(24, 120),
    )


def test_walker_quotes_back_what_was_typed_even_in_square_brackets() -> None:
    """A refused answer is quoted back as typed: `[bold]x` is not read as a style tag and
    a stray `[/]` does not end the walk with an internal error; the question is asked
    again and the walk finishes."""
    answers = {**LOW_BACK, "red_flags": "none", "condition": "none", "fracture_cause": "none"}
    del answers["lumbar_cause"]
    flags = [word for key, value in answers.items() for word in ("-a", f"{key}={value}")]
    child = _spawn("code", *flags)
    try:
        child.expect(r"\? help, < back\) ")
        child.sendline("[/]")
        child.expect(r"\? help, < back\) ")
        first = child.before
        child.sendline("[bold]x")
        child.expect(r"\? help, < back\) ")
        second = child.before
        child.sendline("other")
        child.expect(r"\(y / N; < back\) ")
        child.sendline("")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert "lumbar_cause: '[/]' is not one of" in first
    assert "lumbar_cause: '[bold]x' is not one of" in second
    assert child.exitstatus == 0


def test_audit_interrupted_at_a_terminal_says_so_on_a_line_of_its_own() -> None:
    """The terminal echoes ^C with no line end; the message starts its own line, as
    batch's and the walker's do."""
    child = _spawn("audit", "-")
    try:
        child.sendline(json.dumps({"codes": ["M54.50"]}))
        child.expect('"line": 1')
        time.sleep(0.2)
        child.sendintr()
        child.expect(pexpect.EOF)
        out = child.before.replace("\r\n", "\n")
    finally:
        child.close(force=True)
    assert child.exitstatus == 130
    assert re.search(r"^backcoder: audit: interrupted", out, flags=re.MULTILINE), out
