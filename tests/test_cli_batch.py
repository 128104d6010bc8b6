"""`backcoder batch`: one result per line, in order, nothing dropped."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from backcoder.cli.env import Environment
from backcoder.coding.coder import Coder
from backcoder.files.batch import BatchCoder

GOOD = {
    "trauma": "no",
    "attribution": "none",
    "nerve": "none",
    "region": "thoracic",
    "pain_course": "acute",
}


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_results_in_order_with_line_numbers_and_carried_keys(cli: Any, tmp_path: Path) -> None:
    lines = [
        json.dumps({"_id": "a", **GOOD}),
        json.dumps({"_id": "b", "_meta": {"site": 3}, **GOOD, "region": "cervical"}),
    ]
    result = cli("batch", str(write_lines(tmp_path / "in.jsonl", lines)))
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["line"], r["_id"], r["codes"][0]["code"]) for r in out] == [
        (1, "a", "M54.6"),
        (2, "b", "M54.2"),
    ]
    assert out[1]["_meta"] == {"site": 3}
    assert "2 lines coded" in result.stderr


def test_bad_lines_give_inline_errors_and_exit_1(cli: Any, tmp_path: Path) -> None:
    lines = [
        json.dumps(GOOD),
        "{not json",
        "",
        json.dumps(["a list"]),
        json.dumps({"_id": 5, "regoin": "lumbar"}),
        json.dumps({**GOOD, "trauma": "maybe"}),
        json.dumps({"trauma": "no"}),
        json.dumps(GOOD),
    ]
    result = cli("batch", str(write_lines(tmp_path / "in.jsonl", lines)))
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in out] == list(range(1, 9))
    errors = {r["line"]: r.get("error", "") for r in out}
    assert "codes" in out[0] and "codes" in out[7]
    assert "not valid JSON" in errors[2]
    assert "empty line" in errors[3]
    assert "not a JSON object" in errors[4]
    assert "unknown question id 'regoin'" in errors[5] and out[4]["_id"] == 5
    assert "trauma: 'maybe' is not one of" in errors[6]
    assert "missing answer for nerve" in errors[7] and "add it to the line" in errors[7]
    assert "6 of 8 lines had errors" in result.stderr


def test_standard_input_and_output_file(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    result = cli("batch", "-", "-o", str(target), input=json.dumps(GOOD) + "\n")
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["codes"][0]["code"] == "M54.6"


def test_unreadable_input_is_exit_2(cli: Any, tmp_path: Path) -> None:
    result = cli("batch", str(tmp_path / "missing.jsonl"))
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_not_utf8_line_is_an_error_line(coder: Coder) -> None:
    line, ok = BatchCoder(coder).code_line(1, b"\xff\xfe{}")
    assert not ok and "not UTF-8" in json.loads(line)["error"]


def test_batch_streams_line_by_line(coder: Coder) -> None:
    """An endless input still yields results one by one: nothing is read ahead."""
    endless = (json.dumps({"_id": n, **GOOD}).encode() for n in itertools.count())
    first = list(itertools.islice(BatchCoder(coder).run(endless), 3))
    assert [json.loads(line)["_id"] for line in first] == [0, 1, 2]


def test_repeated_answer_sets_give_identical_results(coder: Coder) -> None:
    batch = BatchCoder(coder)
    one, _ = batch.code_line(1, json.dumps({"_id": 1, **GOOD}).encode())
    two, _ = batch.code_line(2, json.dumps({**GOOD, "_id": 2}).encode())
    first, second = json.loads(one), json.loads(two)
    assert first.pop("line") == 1 and second.pop("line") == 2
    assert first.pop("_id") == 1 and second.pop("_id") == 2
    assert first == second


def test_progress_bar_only_for_a_file_on_a_terminal(coder: Coder, tmp_path: Path) -> None:
    from backcoder.cli.batch import _with_progress

    source = write_lines(tmp_path / "in.jsonl", [json.dumps(GOOD)] * 3)
    stderr = io.StringIO()
    env = Environment(io.StringIO(), io.StringIO(), stderr, False, False, True, no_color=True)
    with source.open("rb") as handle:
        assert len(list(_with_progress(handle, str(source), env))) == 3


def batch_of(cli: Any, tmp_path: Path, lines: list[str]) -> tuple[Any, list[dict[str, Any]]]:
    result = cli("batch", str(write_lines(tmp_path / "in.jsonl", lines)))
    return result, [json.loads(line) for line in result.stdout.splitlines()]


def test_a_nested_list_is_an_error_line_not_a_crash(cli: Any, tmp_path: Path) -> None:
    nested = json.dumps({**GOOD, "region": ["thoracic", ["cervical"]]})
    result, out = batch_of(cli, tmp_path, [json.dumps(GOOD), nested, json.dumps(GOOD)])
    assert result.exit_code == 1 and len(out) == 3
    assert "a list inside a list" in out[1]["error"] and "codes" in out[2]


def test_json_types_are_never_confused(cli: Any, tmp_path: Path) -> None:
    """`true` reads as yes; `1` is not a choice; neither result depends on the other's line."""
    strain = {"injury": "strain", "region": "lumbar", "encounter": "initial"}
    for first, second in (("true", "1"), ("1", "true")):
        lines = [
            f'{{"trauma": {first}, {json.dumps(strain)[1:]}',
            f'{{"trauma": {second}, {json.dumps(strain)[1:]}',
        ]
        _, out = batch_of(cli, tmp_path, lines)
        by_value = {first: out[0], second: out[1]}
        assert by_value["true"]["codes"][0]["code"] == "S39.012A"
        assert "trauma: '1' is not one of" in by_value["1"]["error"]


def test_the_id_fast_path_gives_what_full_parsing_gives(cli: Any, tmp_path: Path) -> None:
    fields = json.dumps(GOOD)[1:]
    lines = [
        '{"_id": "a", ' + fields,
        '{"_id": "b", ' + fields,  # same text after the id: the fast path
        '{"_id": "c", "\\u005fnote": "k", ' + fields,
        '{"_id": "d", "\\u005fnote": "k", ' + fields,  # an escaped `_` key: full parsing
        '{"_id": "e", "\\u005fid": "real", ' + fields,
        '{"_id": "f", "\\u005fid": "real", ' + fields,
        json.dumps({**GOOD, "_id": "g"}),
    ]
    _, out = batch_of(cli, tmp_path, lines)
    assert [r.get("_id") for r in out] == ["a", "b", "c", "d", None, None, "g"]
    assert out[2]["_note"] == out[3]["_note"] == "k"
    for twice in out[4:6]:  # `_id` and `\u005fid` are one key, given twice: refused
        assert twice["error"].startswith("key '_id' given twice in one object")
    coded = out[:4] + out[6:]
    bodies = [{k: v for k, v in r.items() if not k.startswith("_") and k != "line"} for r in coded]
    assert all(body == bodies[0] for body in bodies)


def test_numbers_json_cannot_hold_are_refused(cli: Any, tmp_path: Path) -> None:
    _, out = batch_of(cli, tmp_path, ['{"_id": 1e999, "trauma": "no"}', '{"_id": NaN}'])
    assert "too large a number" in out[0]["error"] and "NaN is not JSON" in out[1]["error"]


def test_a_byte_order_mark_is_not_an_error(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\n")
    result = cli("batch", str(path))
    assert result.exit_code == 0 and "codes" in json.loads(result.stdout)


def test_null_answers_name_the_question(cli: Any, tmp_path: Path) -> None:
    _, out = batch_of(cli, tmp_path, [json.dumps({**GOOD, "trauma": None})])
    assert out[0]["error"].startswith(
        "trauma takes text or a list of text, not null; trauma takes yes"
    )


def test_output_over_its_own_input_is_refused(cli: Any, tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.jsonl", [json.dumps(GOOD)])
    result = cli("batch", str(source), "-o", str(source))
    assert result.exit_code == 2 and "is the same file as the input" in result.stderr
    assert source.read_text(encoding="utf-8").strip() == json.dumps(GOOD)


@pytest.mark.parametrize("form", ["jsonl", "fhir"])
def test_a_line_that_is_no_object_is_named_in_json_words(cli: Any, form: str) -> None:
    """`text`, not Python's `str`; and a line that is not UTF-8 says what each line is."""
    if form == "fhir":
        pytest.importorskip("fhir.resources")
    lines = [b'"lumbar"', b"[1]", b"5", b"null", b"true", b'{"trauma": "n\xf6"}']
    result = cli("batch", "-", "--format", form, input=b"\n".join(lines) + b"\n")
    assert result.exit_code == 1
    errors = []
    for line in result.stdout.splitlines():
        data = json.loads(line)
        errors.append(data.get("error") or data["entry"][0]["resource"]["issue"][0]["diagnostics"])
    kinds = ["text", "a list", "a number", "null", "true/false"]
    for error, kind in zip(errors, kinds, strict=False):
        assert error.endswith(f"{kind}, not a JSON object of answers"), error
    assert errors[5].endswith("not UTF-8 text: each line is a JSON object of answers, in UTF-8")


LINE_ENDS_IN_TEXT = ["\u0085", "\u2028", "\u2029"]


@pytest.mark.parametrize("mark", LINE_ENDS_IN_TEXT)
def test_characters_other_readers_take_for_line_ends_are_escaped(
    cli: Any, tmp_path: Path, mark: str
) -> None:
    """JSON leaves U+0085, U+2028 and U+2029 unescaped; Python's splitlines and older
    JavaScript end a line there. Results keep one line per record for every reader."""
    records = [
        {"_id": f"a{mark}b", "trauma": "no", "region": "cervical", "nerve": "none"},
        {"_id": "c", "trauma": f"n{mark}o"},  # an error line quoting the value
        {"_id": "d", "pain_course": "acute", "problems": [{"_x": 1}], "_note": f"e{mark}f"},
    ]
    source = tmp_path / "records.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    result = cli("batch", str(source))
    lines = result.stdout.splitlines()
    assert len(lines) == len(records)
    assert [json.loads(line)["_id"] for line in lines] == ["a" + mark + "b", "c", "d"]
    assert json.loads(lines[2])["_note"] == f"e{mark}f"


def test_csv_results_keep_such_characters_as_written(cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "records.csv"
    source.write_text(
        "_id,trauma,region,nerve,pain_course\nx\u2028y,no,cervical,none,acute\n", encoding="utf-8"
    )
    out = tmp_path / "results.csv"
    assert cli("batch", str(source), "-o", str(out)).exit_code == 0
    assert "x\u2028y" in out.read_text(encoding="utf-8")
