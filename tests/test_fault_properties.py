"""Properties over hostile input: batch lines, answer files and rule files made up to break
the readers. Whatever comes in, each command gives a result, an error line, or one clean
line with exit 2; never a traceback (the runner lets any exception through), never fewer
lines out than in."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.vocabulary import PUBLIC_VOCABULARY

QUESTIONS = sorted(PUBLIC_VOCABULARY)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_scalars = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["no", "yes", "lumbar", "thoracic,lumbar", "not_documented", "none"]),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
keys = st.one_of(st.sampled_from([*QUESTIONS, "_id", "_note"]), st.text(max_size=8))


@st.composite
def objects_text(draw: st.DrawFn) -> str:
    """A JSON object's text whose members may repeat a key (json.dumps cannot write that)."""
    members = draw(st.lists(st.tuples(keys, json_values), max_size=6))
    if members and draw(st.booleans()):
        members.append((members[0][0], draw(json_values)))  # the same key again
    return "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in members) + "}"


def _deep(depth: int) -> str:
    return '{"_meta": ' + "[" * depth + "]" * depth + "}"


hostile_lines = st.one_of(
    objects_text(),
    objects_text().map(lambda text: '{"_id": "same", ' + text[1:] if len(text) > 2 else text),
    st.integers(min_value=60, max_value=3000).map(_deep),
    st.binary(max_size=40).map(lambda raw: raw.replace(b"\n", b" ").decode("latin-1")),
    objects_text().map(lambda text: text[: len(text) // 2]),  # cut off
    st.sampled_from(["", "NaN", '{"_id": NaN}', '{"trauma": 1e999}', "[]", "null", "\ufeff{}"]),
)


@SETTINGS
@given(lines=st.lists(hostile_lines, min_size=1, max_size=25))
def test_hostile_batch_lines_each_get_one_line_out(cli: Any, lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.jsonl"
        source.write_bytes(
            b"".join(line.encode("utf-8", "surrogatepass") + b"\n" for line in lines)
        )
        result = cli("batch", str(source))
    assert result.exit_code in (0, 1), result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in out] == list(range(1, len(lines) + 1))
    assert all(("codes" in r) != ("error" in r) for r in out)


yaml_fragments = st.sampled_from(
    [
        "trauma: no\n",
        "trauma: yes\ntrauma: no\n",
        "region: &r [lumbar]\nside: *r\n",
        "region: [[[[[[lumbar]]]]]]\n",
        "region: " + "[" * 200 + "]" * 200 + "\n",
        "region: !!python/object:os.system ls\n",
        "answers: {trauma: no}\n",
        "- a list\n",
        "\t bad: indent\n",
        ": no key\n",
        "nerve: {none: true}\n",
        "pain_course: acute\nattribution: none\nnerve: none\nregion: thoracic\n",
        "problems:\n  - 1: lumbar\n",  # keys YAML reads as a number, true and null
        "problems:\n  - {trauma: no, region: lumbar}\n  - true: yes\n    null: no\n",
        "problems: []\n",
        "problems:\n  - [region, lumbar]\n",
        "problems:\n  - {_id: p1, trauma: no}\n",
        "1.region: lumbar\n",
    ]
)


@SETTINGS
@given(
    parts=st.lists(st.one_of(yaml_fragments, st.text(max_size=30)), max_size=5),
    suffix=st.sampled_from([".yaml", ".json"]),
    as_json=st.booleans(),
)
def test_hostile_answer_files_give_a_result_or_one_clean_line(
    cli: Any, parts: list[str], suffix: str, as_json: bool
) -> None:
    text = "".join(parts)
    if as_json:
        text = "{" + ", ".join(f'"k{n}": {json.dumps(part)}' for n, part in enumerate(parts)) + "}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"answers{suffix}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        result = cli("code", "--no-input", "--json", "--answers", str(path), "-a", "trauma=no")
    if result.exit_code == 0:
        assert "codes" in json.loads(result.stdout)
    else:
        assert result.exit_code == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("backcoder: ")


claim_keys = st.one_of(
    st.sampled_from(["codes", "date_of_service", "answers", "note", "_id"]), st.text(max_size=8)
)
codes = st.one_of(
    st.sampled_from(["M54.50", "M5450", "m54.5", "S33.5XXA", "G89.29", "XYZ", "", " "]),
    st.sampled_from(["\ud800", "M54.5\udfff", "\udc00M54.50"]),  # JSON can spell these
    st.text(max_size=9),
)
claim_values = st.one_of(
    json_values,
    st.lists(codes, max_size=4),
    codes,
    st.sampled_from(["2025-02-30", "1999-01-01", "9999-12-31", "2025-03-01", "2025-3-1"]),
)


@st.composite
def claim_text(draw: st.DrawFn) -> str:
    """A claim's JSON text whose members may repeat a key."""
    members = draw(st.lists(st.tuples(claim_keys, claim_values), max_size=5))
    if draw(st.booleans()):  # a claim as a payer's file holds one: codes, an id, a date
        members = [("codes", draw(st.lists(codes, min_size=1, max_size=4)))]
        members += draw(st.lists(st.tuples(st.just("_id"), json_scalars), max_size=1))
        members += draw(st.lists(st.tuples(st.just("date_of_service"), claim_values), max_size=1))
    if members and draw(st.booleans()):
        members.append((members[0][0], draw(claim_values)))
    return "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in members) + "}"


hostile_claims = st.one_of(
    claim_text(),
    claim_text().map(lambda text: text[: len(text) // 2]),
    st.integers(min_value=60, max_value=3000).map(_deep),
    st.binary(max_size=40).map(lambda raw: raw.replace(b"\n", b" ").decode("latin-1")),
    st.sampled_from(["", "NaN", '{"codes": NaN}', "[]", "null", "\ufeff{}", "\r"]),
)


@SETTINGS
@given(lines=st.lists(hostile_claims, min_size=1, max_size=25))
def test_hostile_claims_each_get_one_line_out(cli: Any, lines: list[str]) -> None:
    """Any claim line: a result or an `error`, in order, never an internal error."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "claims.jsonl"
        source.write_bytes(
            b"".join(line.encode("utf-8", "surrogatepass") + b"\n" for line in lines)
        )
        result = cli("audit", str(source))
    assert result.exit_code in (0, 1) and "internal error" not in result.stderr, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in out] == list(range(1, len(lines) + 1))
    assert all(("findings" in r) != ("error" in r) for r in out)
    assert all(
        r["error"] != "" and "could not be audited" not in r["error"] for r in out if "error" in r
    )


HEAD = """\
name: hostile
version: "0.1"
icd10cm: "2026-04-01"
start: n0
questions:
  site:
    text: "Site:"
    choices: {neck: {label: Neck}, mid: {label: Mid}}
nodes:
"""


@st.composite
def rule_files(draw: st.DrawFn) -> str:
    """A graph of nodes with names that may dangle, loop or repeat; sometimes broken YAML."""
    count = draw(st.integers(min_value=1, max_value=12))
    names = [f"n{n}" for n in range(count)]
    target = st.sampled_from([*names, "nowhere"])
    nodes = []
    for name in names:
        kind = draw(st.sampled_from(["ask", "decide", "report", "note", "junk"]))
        if kind == "ask":
            body = f"ask: {draw(st.sampled_from(['site', 'other']))}, next: {draw(target)}"
        elif kind == "decide":
            body = f"decide: [{{when: {{site: neck}}, then: {draw(target)}}}, {{then: {draw(target)}}}]"
        elif kind == "report":
            code = draw(st.sampled_from(["M54.6", "M54.5", "Z99.99", "M54.2"]))
            body = f"report: [{{code: {code}, kind: symptom, why: W., cite: [{{guideline: I}}]}}]"
        elif kind == "note":
            body = f"note: {{text: T., cite: [{{guideline: I}}]}}, next: {draw(target)}"
        else:
            body = draw(st.sampled_from(["[]", "{}", "{ask: [site]}", "*nothing", "&a {next: n0}"]))
            nodes.append(f"  {name}: {body}\n")
            continue
        nodes.append(f"  {name}: {{{body}}}\n")
    if draw(st.booleans()):
        nodes.append(draw(st.sampled_from(nodes)))  # a node defined twice
    extra = draw(
        st.sampled_from(["", "tables: {t: {by: site}}\n", "junk: [\n", "  n0: " + "[" * 99])
    )
    return HEAD + "".join(nodes) + extra


@SETTINGS
@given(text=rule_files())
def test_hostile_rule_files_are_checked_or_refused_cleanly(cli: Any, text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rules.yaml"
        path.write_text(text, encoding="utf-8")
        result = cli("rules", "check", str(path))
        coded = cli("code", "--no-input", "--rules", str(path), "-a", "site=mid")
    assert result.exit_code in (0, 2), result.stderr
    for line in result.stderr.strip().splitlines():
        assert line.startswith((str(path), "backcoder: ")), line
    assert coded.exit_code in (0, 2), coded.stderr
    assert coded.exit_code == 0 or len(coded.stderr.strip().splitlines()) == 1
