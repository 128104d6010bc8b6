"""The note-reading rule file: validated, its schema current, and sound against the tree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from backcoder.coding.bundle import RuleBundle
from backcoder.errors import BackcoderError, RuleFileError
from backcoder.files.notes import (
    check_notes_file,
    load_notes,
    load_notes_file,
    notes_built_path,
    notes_path,
)
from backcoder.notes.check import notes_problems
from backcoder.notes.model import notes_schema_text, validate_notes
from backcoder.notes.vocabulary import tree_vocabulary

SHIPPED = notes_path()


def shipped_data() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def test_committed_schema_is_current() -> None:
    committed = SHIPPED.with_name("notes-file.schema.json").read_text(encoding="utf-8")
    assert committed == notes_schema_text(), (
        "regenerate rules/notes-file.schema.json from backcoder.notes.model.notes_schema_text()"
    )


def test_shipped_notes_file_is_sound(bundle: RuleBundle) -> None:
    assert check_notes_file(SHIPPED, bundle.rules) == []


def test_unknown_keys_are_refused() -> None:
    data = shipped_data()
    data["questions"]["nerve"]["values"]["sciatica"][0]["phrase"] = ["sciatica"]
    with pytest.raises(Exception, match="phrase"):
        validate_notes(data)


def test_not_documented_is_never_read_from_a_note() -> None:
    data = shipped_data()
    data["questions"]["nerve"]["values"]["not_documented"] = [{"phrases": ["unclear"]}]
    with pytest.raises(Exception, match="not_documented"):
        validate_notes(data)


def test_a_bad_regex_is_refused() -> None:
    data = shipped_data()
    data["questions"]["nerve"]["values"]["sciatica"][0]["regex"] = ["(unclosed"]
    with pytest.raises(Exception, match="unclosed"):
        validate_notes(data)


def test_check_names_unknown_questions_values_and_missing_patterns(bundle: RuleBundle) -> None:
    data = shipped_data()
    data["questions"]["nerve"]["values"]["sciatik"] = [{"phrases": ["sciatik"]}]
    del data["questions"]["nerve"]["values"]["sciatica"]
    data["questions"]["ghost"] = {"values": {"boo": [{"phrases": ["boo"]}]}}
    data["questions"]["injury"]["values"]["strain"][0]["implies"] = {"trauma": "maybe"}
    del data["questions"]["side"]
    problems = notes_problems(validate_notes(data), tree_vocabulary(bundle.rules))
    assert "questions.nerve: 'sciatik' is not a value of nerve" in problems
    assert "questions.nerve: 'sciatica' has no patterns and is not declared unsettled" in problems
    assert "questions.ghost: not a question of the tree" in problems
    assert "questions.injury.values.strain[1].implies: 'maybe' is not a value of trauma" in problems
    assert "questions: side is neither read nor declared under not_read" in problems


def test_check_names_a_follows_that_would_move_nothing(bundle: RuleBundle) -> None:
    data = shipped_data()
    data["questions"]["trauma"]["follows"] = "ghost"
    data["questions"]["nerve"]["follows"] = "injury"
    problems = notes_problems(validate_notes(data), tree_vocabulary(bundle.rules))
    assert "questions.trauma.follows: 'ghost' is not a question of the tree" in problems
    assert "questions.nerve.follows: no pattern of injury implies nerve" in problems


def test_an_invalid_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.notes.yaml"
    bad.write_text("name: x\nversion: 1\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as error:
        load_notes_file(bad)
    assert "\n" not in str(error.value) and str(bad) in str(error.value)
    bad.write_text("name: [", encoding="utf-8")
    with pytest.raises(RuleFileError, match="not valid YAML"):
        load_notes_file(bad)


@pytest.fixture
def copied(tmp_path: Path) -> Path:
    """The shipped note-reading rules and their built form, copied side by side."""
    notes = tmp_path / "copy.notes.yaml"
    notes.write_bytes(SHIPPED.read_bytes())
    notes_built_path(notes).write_bytes(notes_built_path(SHIPPED).read_bytes())
    return notes


def rewrite_built(notes: Path, change: dict) -> None:
    built_path = notes_built_path(notes)
    built = json.loads(built_path.read_text(encoding="utf-8"))
    built["notes"].update(change)
    built_path.write_text(json.dumps(built), encoding="utf-8")


def test_the_reader_takes_the_built_form_while_it_matches_the_file(copied: Path) -> None:
    assert load_notes(copied) == load_notes_file(copied)
    rewrite_built(copied, {"version": "from the built form"})
    assert load_notes(copied).version == "from the built form"
    with copied.open("a", encoding="utf-8") as handle:
        handle.write("# edited after the build\n")
    assert load_notes(copied) == load_notes_file(copied)


@pytest.mark.parametrize(
    "damage",
    [
        lambda notes: notes_built_path(notes).write_text("{not json", encoding="utf-8"),
        lambda notes: notes_built_path(notes).write_text("[]", encoding="utf-8"),
        lambda notes: rewrite_built(notes, {"unknown": 1}),
        lambda notes: rewrite_built(notes, {"questions": {"nerve": {"values": 3}}}),
        lambda notes: rewrite_built(notes, {"context": []}),
    ],
)
def test_a_damaged_built_form_gives_way_to_the_file(copied: Path, damage: Any) -> None:
    damage(copied)
    assert load_notes(copied) == load_notes_file(copied)


def test_importing_backcoder_never_imports_the_nlp_library() -> None:
    code = (
        "import sys, backcoder, backcoder.notes, backcoder.cli, backcoder.notes.check;"
        "assert not {'spacy', 'medspacy'} & set(sys.modules), sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_the_extra_one_line_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from backcoder.notes import pipeline

    real_import = builtins.__import__

    def no_medspacy(name: str, *args: object, **kwargs: object) -> object:
        if name.split(".")[0] == "medspacy":
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_medspacy)
    with pytest.raises(BackcoderError) as error:
        pipeline.import_libraries()
    assert (
        str(error.value) == "reading a note needs the notes extra: pip install 'backcoder[notes]'"
    )


def test_a_note_longer_than_the_library_reads_is_one_error(read) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BackcoderError, match="characters"):
        read("a" * 1_000_001)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_while_a_reader_is_built_and_left_as_found(
    enabled: bool,
) -> None:
    import gc

    from backcoder.files.notes import _long_lived

    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with _long_lived():
            assert not gc.isenabled()
            built = [[]]  # tracked by the collector
        assert gc.isenabled() is enabled
        assert gc.is_tracked(built)
        assert not any(tracked is built for tracked in gc.get_objects()), "not frozen"
    finally:
        gc.unfreeze()
        (gc.enable if was else gc.disable)()
