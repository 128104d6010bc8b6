"""`code --note` and `batch` lines with `note`: codes from a clinical note, each answer quoted.

The corpus (tests/cases/notes: the note, and the codes an expert coder assigns from it, written
from the guidelines) runs through the public commands; the rest covers what the contract
promises around it: overrides, replay, stdin, offsets in code points, notes that settle
nothing, the missing extra, and that runs without a note never load the NLP library.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.notes.corpus import Corpus, coded

CORPUS = Corpus.load("notes")
NOTES, EXPECTED = CORPUS.folder, CORPUS.expected
note_text = CORPUS.text
INSTALL = "pip install 'backcoder[notes]'"


def assert_read_as_expected(name: str, text: str, data: dict[str, Any]) -> None:
    """Codes in order, the quotes that must be found, exact offsets, path sources."""
    expected = EXPECTED[name]
    assert [code["code"] for code in data["codes"]] == expected["codes"], name
    found = {(e["problem"], e["id"], e["value"], e["quote"]) for e in data["evidence"]}
    for problem, question, value, quote in expected["quotes"]:
        assert (problem, question, value, quote) in found, (name, question, quote)
    for item in [*data["evidence"], *data["set_aside"], *data["conflicts"]]:
        assert text[item["start"] : item["end"]] == item["quote"]
    settled = {(e["problem"], e["id"]) for e in data["evidence"]}
    for step in data["path"]:
        if (step.get("problem", 1), step["question"]) in settled:
            assert step["source"] == "note", (name, step)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_corpus_through_code_note(cli: Any, name: str) -> None:
    path = NOTES / f"{name}.txt"
    data = coded(cli, "--note", str(path))
    assert_read_as_expected(name, note_text(name), data)
    if "problems" in EXPECTED[name]["record"]:
        assert len(data["problems"]) == len(EXPECTED[name]["record"]["problems"])
        for number, problem in enumerate(data["problems"], 1):
            assert all(item["problem"] == number for item in problem["evidence"])


def test_the_corpus_through_one_batch(cli: Any) -> None:
    names = sorted(EXPECTED)
    lines = [json.dumps({"_id": name, "note": note_text(name)}) for name in names]
    result = cli("batch", "-", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["_id"] for line in out] == names
    for name, data in zip(names, out, strict=True):
        assert_read_as_expected(name, note_text(name), data)


@pytest.mark.parametrize(
    ("assessment", "expected", "problems"),
    [
        # the visit of encounters.md in one sentence: the neck's negation stops at "and lumbar"
        ("Neck pain without radiculopathy and lumbar radiculopathy due to L4-5 disc herniation.",
         ["M54.2", "M51.16"], 2),
        ("Cervicalgia without radicular symptoms, and left L5 radiculopathy from L4-5 HNP.",
         ["M54.2", "M51.16"], 2),
        ("Low back pain without sciatica and cervical radiculopathy due to C5-C6 disc herniation.",
         ["M54.50", "M50.122"], 2),
        # what stays one problem, or negated
        ("Low back pain. No cervical or lumbar radiculopathy.", ["M54.50"], 1),
        ("Low back pain without numbness, tingling, and weakness.", ["M54.50"], 1),
    ],
)  # fmt: skip
def test_a_second_problem_after_and_is_not_in_the_first_ones_negation(
    cli: Any, assessment: str, expected: list[str], problems: int
) -> None:
    note = f"HPI: 52 yo F, no injury, pain for 3 weeks.\nAssessment: {assessment}\n"
    data = coded(cli, "--note", "-", input=note)
    assert [code["code"] for code in data["codes"]] == expected
    assert len(data.get("problems", [None])) == problems


def test_a_note_that_settles_nothing_still_codes_with_its_queries(cli: Any) -> None:
    data = coded(cli, "--note", "-", input="Patient seen today. Follow up in two weeks.\n")
    assert data["evidence"] == [] and data["set_aside"] == [] and data["conflicts"] == []
    assert [code["code"] for code in data["codes"]] == ["M54.9"]  # dorsalgia, unspecified
    asked = {query["question"] for query in data["queries"]}
    assert {"trauma", "region"} <= asked
    sources = {step["question"]: step["source"] for step in data["path"]}
    assert sources["trauma"] == "note"  # the note's silence: not_documented, queried


def test_empty_and_silent_notes_in_a_batch_give_result_lines(cli: Any) -> None:
    lines = [
        {"_id": "empty", "note": ""},
        {"_id": "silent", "note": "Seen for a refill of lisinopril."},
        {"_id": "not text", "note": ["HPI"]},
        {"_id": "plain", "trauma": "no", "attribution": "none", "nerve": "none",
         "region": "thoracic", "pain_course": "acute"},
    ]  # fmt: skip
    result = cli("batch", "-", input="".join(json.dumps(line) + "\n" for line in lines))
    assert result.exit_code == 1  # the line whose note is not text
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["line"] for line in out] == [1, 2, 3, 4]
    assert out[0]["codes"] and out[0]["queries"] and out[0]["evidence"] == []
    assert out[1]["codes"] and out[1]["queries"]
    assert out[2]["error"].startswith("note is the clinical note's text, not a list")
    assert [c["code"] for c in out[3]["codes"]] == ["M54.6"] and "evidence" not in out[3]


def test_answers_on_a_batch_line_override_its_note(cli: Any) -> None:
    line = {"_id": "n", "note": note_text("33-pt-eval-radiculopathy"), "nerve": "none"}
    result = cli("batch", "-", input=json.dumps(line) + "\n")
    data = json.loads(result.stdout)
    step = next(s for s in data["path"] if s["question"] == "nerve")
    assert step["source"] == "batch"
    assert step["overrides"] == {"answer": "radiculopathy", "source": "note"}


def test_flags_override_the_note_and_the_path_says_so(cli: Any) -> None:
    note = str(NOTES / "33-pt-eval-radiculopathy.txt")
    data = coded(cli, "--note", note, "-a", "side=right", "-a", "pain_course=chronic",
                 "-a", "reason=other")  # fmt: skip
    steps = {step["question"]: step for step in data["path"]}
    assert steps["region"]["source"] == "note"
    assert steps["pain_course"]["source"] == "flag"
    assert "overrides" not in steps["pain_course"]  # the note said nothing of it
    assert [code["code"] for code in data["codes"]] == ["M54.16", "G89.29"]
    # side is not on the radiculopathy's path: the flag is unused, still over the note
    assert data["unused"]["side"] == "right"


def test_a_flag_over_a_notes_problem_answer_in_an_encounter(cli: Any) -> None:
    note = str(NOTES / "40-spine-cervicalgia-and-radiculopathy.txt")
    data = coded(cli, "--note", note, "-a", "2.nerve=none")
    problem_two = [s for s in data["path"] if s.get("problem") == 2]
    nerve = next(s for s in problem_two if s["question"] == "nerve")
    assert nerve["source"] == "flag"
    assert nerve["overrides"] == {"answer": "radiculopathy", "source": "note"}
    assert "M51.16" not in [code["code"] for code in data["codes"]]


def test_the_saved_record_replays_without_the_note(cli: Any, tmp_path: Path) -> None:
    for name in ("26-ed-osteoporotic-fracture", "37-telehealth-two-problems"):
        saved = tmp_path / f"{name}.json"
        first = cli("code", "--no-input", "--json", "--note", str(NOTES / f"{name}.txt"),
                    "--save", str(saved))  # fmt: skip
        assert first.exit_code == 0, first.stderr
        again = coded(cli, "--answers", str(saved))
        assert again["codes"] == json.loads(first.stdout)["codes"]
        assert "evidence" not in again


def test_offsets_are_code_points_of_a_non_ascii_note(cli: Any, tmp_path: Path) -> None:
    text = (
        "Patient: José Müller-Ørsted 🙂 — «douleur lombaire»\r\n"
        "HPI: Ñandú, 52 años, low back pain radiating to the right leg… no injury.\r\n"
        "Assessment: Lumbar radiculopathy 🩺 ≥ 6 weeks, chronic.\r\n"
    )
    path = tmp_path / "note.txt"
    path.write_bytes(text.encode("utf-8"))
    for data in (coded(cli, "--note", str(path)), coded(cli, "--note", "-", input=text)):
        assert data["evidence"]
        for item in [*data["evidence"], *data["set_aside"], *data["conflicts"]]:
            assert text[item["start"] : item["end"]] == item["quote"]
        radiculopathy = next(e for e in data["evidence"] if e["id"] == "nerve")
        assert radiculopathy["start"] > text.index("🩺") - 20 > len("Patient: José")
        assert [c["code"] for c in data["codes"]][0] == "M54.16"


def test_the_terminal_result_quotes_the_note_under_the_path(cli: Any) -> None:
    result = cli("code", "--no-input", "--note", str(NOTES / "21-ed-lumbar-strain.txt"))
    assert result.exit_code == 0, result.stderr
    path = result.stdout.split("\nPath\n")[1]
    assert "injury = strain  (note)" in path
    assert '"strain' in path.lower() or "strain" in path
    assert "characters" in path


def test_a_note_file_that_cannot_be_read_is_one_line(cli: Any, tmp_path: Path) -> None:
    missing = cli("code", "--no-input", "--note", str(tmp_path / "none.txt"))
    assert missing.exit_code == 2 and missing.stderr.count("\n") == 1
    assert "no such file" in missing.stderr
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Assessment: lumbago, señor".encode("latin-1"))
    bad = cli("code", "--no-input", "--note", str(latin))
    assert bad.exit_code == 2 and "not UTF-8" in bad.stderr and bad.stderr.count("\n") == 1


_NOTE_WORDS = st.sampled_from(
    ["Assessment:", "HPI:", "ROS:", "Plan:", "\n", "denies", "no", "hx", "r/o", "L4-5",
     "T12", "fracture", "osteoporotic", "LBP", "sciatica", "radiculopathy", "neck", "pain",
     "left", "b/l", "chronic", "strain", "MVC", "é", "🙂", "\x00", ".", ","]
)  # fmt: skip
_ANY_NOTE = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.lists(_NOTE_WORDS, max_size=80).map(lambda words: " ".join(words).encode("utf-8")),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=_ANY_NOTE)
def test_any_note_gives_a_result_or_one_clean_line(raw: bytes) -> None:
    from typer.testing import CliRunner

    from backcoder.cli import app

    result = CliRunner().invoke(
        app, ["code", "--no-input", "--json", "--note", "-"], input=raw, catch_exceptions=False
    )
    if result.exit_code == 0:
        data = json.loads(result.stdout)
        text = raw.decode("utf-8-sig")
        for item in data["evidence"]:
            assert text[item["start"] : item["end"]] == item["quote"]
    else:
        assert result.exit_code == 2, result.stderr
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("backcoder: ")


@pytest.mark.slow
def test_a_huge_note_is_one_line(cli: Any) -> None:
    result = cli("code", "--no-input", "--note", "-", input="Assessment: LBP.\n" * 10_000)
    assert result.exit_code == 2 and "characters" in result.stderr
    assert result.stderr.count("\n") == 1


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_without_the_extra_note_exits_2_naming_the_install(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Assessment: lumbago.\n", encoding="utf-8")
    hidden = (
        "import sys; sys.modules['medspacy'] = None; sys.modules['spacy'] = None;"
        "from backcoder.cli import main;"
        f"sys.argv = ['backcoder', 'code', '--no-input', '--note', {str(note)!r}]; main()"
    )
    result = _run_python(hidden)
    assert result.returncode == 2
    assert result.stderr == (f"backcoder: reading a note needs the notes extra: {INSTALL}\n")


def test_runs_without_a_note_never_import_the_nlp_library(tmp_path: Path) -> None:
    lines = tmp_path / "lines.jsonl"
    lines.write_text(
        '{"trauma": "no", "region": "cervical", "nerve": "none", "pain_course": "acute"}\n'
    )
    check = (
        "import sys; from typer.testing import CliRunner; from backcoder.cli import app;"
        "r = CliRunner().invoke(app, ['code', '--no-input', '--json', '-a', 'trauma=no',"
        " '-a', 'nerve=none', '-a', 'region=cervical', '-a', 'pain_course=acute']);"
        "assert r.exit_code == 0, r.output;"
        f"r = CliRunner().invoke(app, ['batch', {str(lines)!r}]);"
        "assert r.exit_code == 0, r.output;"
        "loaded = {'spacy', 'medspacy'} & set(sys.modules); assert not loaded, loaded"
    )
    result = _run_python(check)
    assert result.returncode == 0, result.stderr


TINY_NOTES = {
    "name": "tiny-notes",
    "version": "0.1",
    "for_rules": "tiny",
    "sections": {"assessment": {"role": "diagnosis", "titles": ["Assessment:"]}},
    "questions": {
        "site": {
            "sections": ["diagnosis"],
            "values": {"neck": [{"phrases": ["neck pain"]}], "mid": [{"phrases": ["mid back"]}]},
        }
    },
}


@pytest.mark.slow  # a rule file without a built form reads the whole tabular
def test_a_users_rules_bring_their_own_note_reading_rules(cli: Any, tmp_path: Path) -> None:
    from tests.test_cli_rules import TINY, write_rules

    rules = write_rules(tmp_path, TINY)
    notes = tmp_path / "rules.notes.yaml"
    notes.write_text(yaml.safe_dump(TINY_NOTES), encoding="utf-8")
    checked = cli("rules", "check", str(rules))
    assert checked.exit_code == 0, checked.stderr
    assert checked.stdout.splitlines()[-1] == f"{notes}: ok"
    data = coded(cli, "--rules", str(rules), "--note", "-", input="Assessment: neck pain.\n")
    assert [code["code"] for code in data["codes"]] == ["M54.2"]
    assert data["evidence"][0]["quote"] == "neck pain"

    broken = json.loads(json.dumps(TINY_NOTES))
    broken["questions"]["site"]["values"]["low"] = [{"phrases": ["low back"]}]
    notes.write_text(yaml.safe_dump(broken), encoding="utf-8")
    failed = cli("rules", "check", str(rules))
    assert failed.exit_code == 2
    assert f"{notes}: questions.site: 'low' is not a value of site" in failed.stderr


def test_a_tree_without_note_reading_rules_cannot_read_a_note(cli: Any, tmp_path: Path) -> None:
    from tests.test_cli_rules import TINY, write_rules

    rules = write_rules(tmp_path, TINY)
    result = cli("code", "--no-input", "--rules", str(rules), "--note", "-", input="neck pain")
    assert result.exit_code == 2 and "no note-reading rules" in result.stderr


def test_rules_schema_notes_prints_the_committed_schema(cli: Any) -> None:
    from backcoder.files.bundle import shipped_rules_path

    committed = shipped_rules_path().with_name("notes-file.schema.json")
    result = cli("rules", "schema", "--notes")
    assert result.exit_code == 0
    assert result.stdout == committed.read_text(encoding="utf-8")


REVIEW = r"> \(Enter to accept and go on; ID=VALUE to change one, N\.ID=VALUE for problem N\) "
QUESTION = (
    r"> \((?:number or id|numbers or ids, comma-separated)(?:; Enter: [\w,]+)?; \? help, < back\) "
)
ANOTHER = r"> \(y / N; < back\) "
WALKER_ANSWERS = {
    "red_flags": "none",
    "fracture_cause": "none",
    "attribution": "none",
    "condition": "none",
    "lumbar_cause": "not_documented",
    "reason": "other",
}


def test_the_walker_shows_what_the_note_settled_takes_changes_and_asks_the_rest() -> None:
    import os
    import re

    import pexpect

    child = pexpect.spawn(
        sys.executable,
        ["-m", "backcoder", "code", "--note", str(NOTES / "01-office-acute-lbp.txt")],
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "120"},
        encoding="utf-8",
        timeout=30,
    )
    try:
        child.expect(REVIEW)
        review = child.before.replace("\r\n", "\n")
        assert "trauma = no  (note)" in review
        assert '"Insidious onset"  hpi, characters' in review
        assert "red_flags=fever_infection" in review  # the ROS line, set aside
        child.sendline("nerve=sciatik")
        child.expect(REVIEW)
        assert "nerve: 'sciatik' is not one of" in child.before
        child.sendline("pain_course=chronic")
        child.expect(REVIEW)
        assert "pain_course = chronic  (prompt, over the note's acute)" in child.before
        child.sendline("")
        asked = []
        while child.expect([QUESTION, ANOTHER]) == 0:
            question = re.findall(r"\((\w+)\)\s*\n", child.before.replace("\r\n", "\n"))[-1]
            asked.append(question)
            child.sendline(WALKER_ANSWERS[question])
        child.sendline("")
        child.expect(pexpect.EOF)
        result = child.before.replace("\r\n", "\n")
    finally:
        child.close(force=True)
    assert {"lumbar_cause", "reason"} <= set(asked)
    assert not set(asked) & {"trauma", "nerve", "region", "pain_course"}  # the note settled them
    assert child.exitstatus == 0
    assert re.findall(r"^\s*\d+ │ (\S+) │", result, flags=re.MULTILINE) == ["M54.50", "G89.29"]
    assert "pain_course = chronic  (prompt, over acute (note))" in result
    assert '"Insidious onset"' in result


def test_a_one_problem_note_is_problem_one_when_the_user_adds_another(cli: Any) -> None:
    note = str(NOTES / "01-office-acute-lbp.txt")
    data = coded(cli, "--note", note, "-a", "2.trauma=no", "-a", "2.region=cervical",
                 "-a", "2.nerve=none")  # fmt: skip
    assert [code["code"] for code in data["codes"]] == ["M54.50", "M54.2"]
    assert data["answers"]["pain_course"] == "acute"  # a visit answer of the note: shared
    assert data["answers"]["problems"][0]["region"] == "lumbar"
    assert {e["problem"] for e in data["evidence"]} == {1}


def test_a_note_with_a_lone_surrogate_is_its_lines_error(cli: Any) -> None:
    """JSON can spell a lone surrogate (`"\\ud800"`), which is no character: the line says
    so, and the lines after it are coded (in batch) and audited (in audit)."""
    lines = ['{"_id": "s", "note": "low back pain \\ud800"}', '{"note": "neck pain"}']
    result = cli("batch", "-", input="\n".join(lines) + "\n")
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["_id"] == "s" and first["error"].startswith(
        "the note holds a lone surrogate (\\ud800, character 14)"
    )
    assert second["codes"]
    claims = ['{"codes": ["M54.50"], "note": "\\udc00"}', '{"codes": ["M54.2"]}']
    audited = cli("audit", "-", input="\n".join(claims) + "\n")
    first, second = (json.loads(line) for line in audited.stdout.splitlines())
    assert "lone surrogate" in first["error"] and second["findings"] is not None
    assert "internal error" not in audited.stderr
