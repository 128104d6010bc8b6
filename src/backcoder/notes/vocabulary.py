"""The note reader's only links to the rest of backcoder, kept in one place.

The reader is an optional part of the package at the coding floor: everything it needs from
the rest of backcoder (the error types users see, the tree's question vocabulary, where its
rule file sits beside the tree's) is here, so that moving those modules means changing this
file only. It never reads a file itself: the files floor reads the rule file and hands in its
text (`backcoder.files.notes`).
"""

from __future__ import annotations

from pathlib import Path

from backcoder.errors import BackcoderError, RuleFileError
from backcoder.language.model import RuleSet

__all__ = [
    "BackcoderError",
    "NOTES_SUFFIX",
    "RuleFileError",
    "notes_path_beside",
    "tree_vocabulary",
]

NOTES_SUFFIX = ".notes.yaml"


def notes_path_beside(rules_path: Path) -> Path:
    """`NAME.notes.yaml` beside the rule file `NAME.yaml`: a user's `--rules` brings its own."""
    return rules_path.with_name(rules_path.stem + NOTES_SUFFIX)


def tree_vocabulary(rules: RuleSet) -> dict[str, frozenset[str]]:
    """Every question id of the tree and its values: what a note-reading rule may settle."""
    return {qid: frozenset(question.choices) for qid, question in rules.questions.items()}
