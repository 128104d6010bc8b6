"""A second reading of the notes contract, from notes written before the reader saw them.

The notes (tests/cases/notes-second) are office, ED, physical-therapy, occupational-health and
telehealth notes, SOAP-lettered, headed and unsectioned, with templated reviews of systems.
Their expected answers and codes were written from the guidelines and the contract; each note
names the contract's abbreviations its expected answers depend on, so that every one of them
is read in a realistic sentence. The rest covers what the contract promises around a reading:
evidence fields and code-point offsets after non-ASCII text, overrides by flags, answer files
and batch lines, and notes that settle nothing or cannot be read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backcoder.notes import NoteReading
from tests.notes.corpus import Corpus, coded, codes
from tests.notes.test_corpus import assert_reading

CORPUS = Corpus.load("notes-second")
NOTES, EXPECTED = CORPUS.folder, CORPUS.expected
note_text = CORPUS.text
# notes.md: "Abbreviations coders meet every day are understood"
ABBREVIATIONS = ("LBP", "HNP", "DDD", "DJD", "s/p", "hx", "r/o", "b/l", "BLE", "SLR", "MVC",
                 "SI", "LS", "C-spine", "L-spine", "w/", "w/o")  # fmt: skip
SECTIONS = {"chief_complaint", "hpi", "exam", "course", "procedure", "assessment", "plan",
            "unsectioned"}  # fmt: skip
EVIDENCE_KEYS = {"problem", "id", "value", "quote", "start", "end", "section"}


def step(data: dict[str, Any], question: str) -> dict[str, Any]:
    return next(s for s in data["path"] if s["question"] == question)


def test_the_notes_cover_the_settings_and_every_abbreviation() -> None:
    assert {path.stem for path in NOTES.glob("*.txt")} == set(EXPECTED)
    settings = " ".join(entry["setting"] for entry in EXPECTED.values())
    for setting in ("office", "ED", "physical therapy", "telehealth", "no headings"):
        assert setting in settings
    for abbreviation in ABBREVIATIONS:
        users = [name for name, entry in EXPECTED.items() if abbreviation in entry["abbreviations"]]
        assert users, f"no note depends on {abbreviation}"
        for name in users:
            written = rf"(?<![\w/]){re.escape(abbreviation)}(?![\w/])"
            assert re.search(written, note_text(name), re.IGNORECASE), (name, abbreviation)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_note_reads_as_expected(read: Callable[[str], NoteReading], name: str) -> None:
    expected = EXPECTED[name]
    text = note_text(name)
    reading = read(text)
    assert_reading(text, reading, expected)
    sections = {(e.problem, e.id, e.section) for e in reading.evidence}
    for problem, question, section in expected.get("evidence", []):
        assert (problem, question, section) in sections


def test_the_notes_code_as_a_coder_codes_them_in_one_batch(cli: Any) -> None:
    names = sorted(EXPECTED)
    out = CORPUS.batch(cli, names)
    for name, data in zip(names, out, strict=True):
        assert codes(data) == EXPECTED[name]["codes"], name
        text = note_text(name)
        for item in data["evidence"]:
            assert set(item) == EVIDENCE_KEYS
            assert item["section"] in SECTIONS, (name, item)
            assert text[item["start"] : item["end"]] == item["quote"]
        settled = {(e["problem"], e["id"]) for e in data["evidence"]}
        for entry in data["path"]:
            if (entry.get("problem", 1), entry["question"]) in settled:
                assert entry["source"] == "note", (name, entry)
        # the conflict is reported where the assessment overrode the HPI
        if EXPECTED[name].get("conflicts"):
            assert data["conflicts"], name


# A negation after the pain ("without radiculopathy") negates the radiculopathy, not the
# pain's course: the course's words end at the pain.
@pytest.mark.parametrize(
    ("assessment", "expected", "course", "quote"),
    [
        ("Chronic neck pain without radiculopathy.", ["M54.2", "G89.29"], "chronic",
         "Chronic neck pain"),
        ("Chronic LBP w/o sciatica.", ["M54.50", "G89.29"], "chronic", "Chronic LBP"),
        ("Acute LBP w/o radiculopathy.", ["M54.50"], "acute", "Acute LBP"),
        ("Acute low back pain, no radiation.", ["M54.50"], "acute", "Acute low back pain"),
    ],
)  # fmt: skip
def test_a_negation_after_the_pain_leaves_its_course(
    cli: Any, assessment: str, expected: list[str], course: str, quote: str
) -> None:
    note = (
        f"HPI: Pain for months, no injury. Denies numbness or tingling.\nAssessment: {assessment}\n"
    )
    data = coded(cli, "--note", "-", input=note)
    assert codes(data) == expected
    taken = [(e["value"], e["quote"]) for e in data["evidence"] if e["id"] == "pain_course"]
    assert taken == [(course, quote)]
    assert not [s for s in data["set_aside"] if s["id"] == "pain_course"]
    assert step(data, "pain_course")["source"] == "note"


def test_b_l_is_bilateral_and_never_left(cli: Any) -> None:
    """The "l" of "b/l" is no left side: no conflict is reported, nothing read as left."""
    note = (
        "HPI: 47 yo M with LBP and b/l leg pain for 6 weeks. No trauma.\n"
        "Assessment: LBP w/ b/l sciatica.\n"
        "Plan: PT. EMG to r/o b/l L5 radiculopathy if no better.\n"
    )
    data = coded(cli, "--note", "-", input=note)
    assert codes(data) == ["M54.41", "M54.42"]
    assert data["conflicts"] == []
    sides = {(e["value"], e["quote"]) for e in data["evidence"] if e["id"] == "side"}
    assert sides == {("bilateral", "b/l sciatica")}
    assert not [s for s in data["set_aside"] if s["id"] == "side" and s["value"] == "left"]


def test_evidence_offsets_are_code_points_after_accents_emoji_cjk_and_crlf(
    cli: Any, tmp_path: Path
) -> None:
    text = (
        "Patiente: Zoë Ærøskøbing-Łukasiewicz 👩🏽‍⚕️ 患者 腰痛 (问诊)\r\n"
        "HPI: Dolor lumbar — 3 semanas… LBP radiating down the L leg. Denies trauma. 👍\r\n"
        "Exam: + SLR on the left ✓\r\n"
        "Assessment: 腰椎间盘突出 L4-5 HNP w/ left L5 radiculopathy ⚠️\r\n"
    )
    path = tmp_path / "note.txt"
    path.write_bytes(text.encode("utf-8"))
    line = json.dumps({"_id": "ü", "note": text}, ensure_ascii=False) + "\n"
    batched = cli("batch", "-", input=line)
    assert batched.exit_code == 0, batched.stderr
    readings = (
        coded(cli, "--note", str(path)),
        coded(cli, "--note", "-", input=text),
        json.loads(batched.stdout),
    )
    for data in readings:
        assert codes(data) == ["M51.16"]
        for item in [*data["evidence"], *data["set_aside"], *data["conflicts"]]:
            assert text[item["start"] : item["end"]] == item["quote"]
        nerve = next(e for e in data["evidence"] if e["id"] == "nerve")
        assert set(nerve) == EVIDENCE_KEYS
        assert (nerve["problem"], nerve["value"], nerve["section"]) == (
            1, "radiculopathy", "assessment")  # fmt: skip
        assert nerve["start"] > text.index("腰椎间盘突出")
        assert nerve["end"] - nerve["start"] == len("radiculopathy")
        trauma = next(e for e in data["evidence"] if e["id"] == "trauma")
        assert (trauma["value"], trauma["section"]) == ("no", "hpi")


def test_flags_and_an_answers_file_override_the_note(cli: Any, tmp_path: Path) -> None:
    note = str(NOTES / "s03-pt-eval-hnp-s1-radiculopathy.txt")
    flagged = coded(cli, "--note", note, "-a", "nerve=none", "-a", "pain_course=chronic")
    nerve = step(flagged, "nerve")
    assert nerve["answer"] == "none" and nerve["source"] == "flag"
    assert nerve["overrides"] == {"answer": "radiculopathy", "source": "note"}
    assert "M51.17" not in codes(flagged)

    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"side": "left"}), encoding="utf-8")
    bilateral = str(NOTES / "s12-office-lbp-bl-sciatica.txt")
    filed = coded(cli, "--note", bilateral, "--answers", str(answers))
    assert codes(filed) == ["M54.42"]
    side = step(filed, "side")
    assert side["source"] == "file"
    assert side["overrides"] == {"answer": "bilateral", "source": "note"}


def test_a_batch_lines_answers_override_its_note(cli: Any) -> None:
    lines = [
        {"_id": "as read", "note": note_text("s05-office-right-sciatica-wife")},
        {"_id": "with lumbago", "note": note_text("s05-office-right-sciatica-wife"),
         "lumbago": "yes"},
    ]  # fmt: skip
    result = cli("batch", "-", input="".join(json.dumps(line) + "\n" for line in lines))
    assert result.exit_code == 0, result.stderr
    read, overridden = (json.loads(line) for line in result.stdout.splitlines())
    assert codes(read) == ["M54.31"]
    assert codes(overridden) == ["M54.41"]
    lumbago = step(overridden, "lumbago")
    assert lumbago["source"] == "batch"
    assert lumbago["overrides"] == {"answer": "no", "source": "note"}


@pytest.mark.parametrize("note", ["", "   \n\t\r\n", "Seen today. Labs reviewed. RTC 3 months.\n"])
def test_a_note_that_settles_nothing_still_gives_a_result_with_queries(cli: Any, note: str) -> None:
    data = coded(cli, "--note", "-", input=note)
    assert data["evidence"] == [] and codes(data) == ["M54.9"]
    assert {"trauma", "region"} <= {query["question"] for query in data["queries"]}
    line = json.dumps({"_id": "nothing", "note": note}) + "\n"
    result = cli("batch", "-", input=line)
    assert result.exit_code == 0, result.stderr
    (out,) = (json.loads(text) for text in result.stdout.splitlines())
    assert out["_id"] == "nothing" and codes(out) == ["M54.9"] and out["queries"]


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb6\x9b", "not UTF-8"),  # a .docx
        ("Assessment: LBP".encode("utf-16"), "not UTF-8"),  # Notepad's "Unicode"
        ("Assessment: lumbago, señor".encode("latin-1"), "not UTF-8"),
    ],
)
def test_a_note_that_is_not_utf8_text_is_one_line_and_exit_2(
    cli: Any, tmp_path: Path, raw: bytes, words: str
) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(raw)
    result = cli("code", "--no-input", "--json", "--note", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("backcoder: ") and result.stderr.count("\n") == 1
    assert words in result.stderr


def test_words_that_settle_only_when_negated_are_not_set_aside_when_not_negated(
    cli: Any,
) -> None:
    """ "Positive for numbness" in the ROS, "wife has sciatica", "possible radiculopathy": each is
    set aside for what it says (or not at all), never as nerve=none or lumbago=no, which only
    their negation would say; a negated mention in the ROS is still set aside as none."""
    note = (
        "HPI: 52 yo M with LBP x 2 wks, no injury. His wife has sciatica.\n"
        "ROS:\n"
        "Musculoskeletal: Positive for back pain, sciatica.\n"
        "Neurological: Positive for numbness. Negative for tingling.\n"
        "Assessment: LBP. Possible radiculopathy.\n"
    )
    data = coded(cli, "--note", "-", input=note)
    aside = {(s["id"], s["value"], s["quote"], s["reason"]) for s in data["set_aside"]}
    assert ("nerve", "sciatica", "sciatica", "family") in aside
    assert ("nerve", "sciatica", "sciatica", "review_of_systems") in aside
    assert ("nerve", "radiculopathy", "radiculopathy", "hypothetical") in aside
    assert ("nerve", "none", "tingling", "review_of_systems") in aside
    inverted = {entry for entry in aside if entry[1] in {"none", "no"} and entry[2] != "tingling"}
    assert inverted == set()
    assert codes(data) == ["M54.50"]
    assert "nerve" in {query["question"] for query in data["queries"]}


# notes.md: an explicit negation settles an answer ("denies numbness or tingling" → nerve=none,
# "insidious onset" → trauma=no), however the template or the clinician words it
@pytest.mark.parametrize(
    ("sentence", "question", "value"),
    [
        ("No radicular symptoms.", "nerve", "none"),
        ("Denies numbness or tingling.", "nerve", "none"),
        ("Denies: numbness, tingling, weakness.", "nerve", "none"),
        ("Neuro: negative for numbness or tingling.", "nerve", "none"),
        ("Neuro: neg for numbness or tingling.", "nerve", "none"),
        ("Radicular symptoms: negative.", "nerve", "none"),
        ("Pain does not radiate to the legs.", "nerve", "none"),
        ("No injury.", "trauma", "no"),
        ("Denies trauma.", "trauma", "no"),
        ("Insidious onset.", "trauma", "no"),
        ("Onset was insidious.", "trauma", "no"),
        ("Onset: insidious.", "trauma", "no"),
        ("Pain began 3 weeks ago, insidious in onset.", "trauma", "no"),
        ("Pt denies any recent falls or injuries.", "trauma", "no"),
    ],
)
def test_an_explicit_negation_settles_the_answer(
    cli: Any, sentence: str, question: str, value: str
) -> None:
    note = f"HPI: 48 yo F with LBP x 3 wks. {sentence}\nAssessment: LBP.\n"
    data = coded(cli, "--note", "-", input=note)
    taken = [e for e in data["evidence"] if e["id"] == question]
    assert [e["value"] for e in taken] == [value]
    assert taken[0]["section"] == "hpi" and taken[0]["quote"] in sentence
    assert step(data, question) == {"question": question, "answer": value, "source": "note"}


def test_without_the_extra_a_batch_line_with_a_note_is_an_error_line(tmp_path: Path) -> None:
    """The batch goes on: lines with a note say what to install, the others are coded."""
    import subprocess
    import sys

    lines = tmp_path / "lines.jsonl"
    lines.write_text(
        json.dumps({"_id": "n", "note": "Assessment: LBP."})
        + "\n"
        + json.dumps(
            {
                "_id": "a",
                "trauma": "no",
                "region": "cervical",
                "nerve": "none",
                "pain_course": "acute",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    hidden = (
        "import sys; sys.modules['medspacy'] = None; sys.modules['spacy'] = None;"
        "from backcoder.cli import main;"
        f"sys.argv = ['backcoder', 'batch', {str(lines)!r}]; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", hidden], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 1, result.stderr
    noted, plain = (json.loads(line) for line in result.stdout.splitlines())
    assert noted["_id"] == "n"
    assert noted["error"] == "reading a note needs the notes extra: pip install 'backcoder[notes]'"
    assert plain["_id"] == "a" and codes(plain) == ["M54.2"]
    assert result.stderr.count("\n") == 1


def test_the_assessment_over_the_hpi_is_the_conflicts_rule(cli: Any) -> None:
    """notes.md: the assessment wins and the conflict is reported, saying so, also when the
    HPI's "No trauma." names no site and so reads as the visit's."""
    note = note_text("s06-ed-contradiction-strain")
    data = coded(cli, "--note", "-", input=note)
    (conflict,) = data["conflicts"]
    assert (conflict["id"], conflict["value"], conflict["overridden"]) == ("trauma", "yes", "no")
    assert conflict["section"] == "hpi"
    assert note[conflict["start"] : conflict["end"]] == conflict["quote"] == "trauma"
    assert conflict["rule"] == "the assessment section wins over the hpi section"
    assert step(data, "trauma")["answer"] == "yes" and codes(data) == ["S39.012A"]


# "s/p" and "hx" make what follows history, up to words that say it goes on today
@pytest.mark.parametrize(
    ("assessment", "expected"),
    [
        ("s/p L4-5 fusion with persistent chronic LBP.", ["M54.50", "G89.29"]),
        ("Status post L5-S1 microdiscectomy with ongoing left sciatica and LBP.", ["M54.42"]),
        ("s/p L4-5 fusion 2018 with residual left L5 radiculopathy.", ["M54.16"]),
        ("LBP. Hx of L4-5 HNP with left radiculopathy in 2015.", ["M54.50"]),
        ("LBP. s/p L4-5 microdiscectomy for sciatica.", ["M54.50"]),
    ],
)
def test_history_ends_where_the_note_says_it_goes_on(
    cli: Any, assessment: str, expected: list[str]
) -> None:
    note = f"HPI: 62 yo M, no new injury, no bowel or bladder changes.\nAssessment: {assessment}\n"
    data = coded(cli, "--note", "-", input=note)
    assert codes(data) == expected
    historical = {s["quote"] for s in data["set_aside"] if s["reason"] == "historical"}
    assert "L4-5" in historical or "L5-S1" in historical


# Laterality (I.B.13): sciatica in both legs has no bilateral code, so a right and a left one
@pytest.mark.parametrize(
    "assessment",
    [
        "LBP with sciatica in both legs.",
        "LBP with sciatica into BLE.",
        "Lumbago with sciatica, both legs.",
        "Lumbago with sciatica of both lower extremities.",
        "LBP w/ b/l sciatica.",
        "LBP with sciatica radiating down BLE.",
    ],
)
def test_sciatica_in_both_legs_codes_right_and_left(cli: Any, assessment: str) -> None:
    note = f"HPI: 45 yo F with back pain x 3 wks, no injury.\nAssessment: {assessment}\n"
    data = coded(cli, "--note", "-", input=note)
    assert codes(data) == ["M54.41", "M54.42"]
    assert step(data, "side") == {"question": "side", "answer": "bilateral", "source": "note"}
