"""The note reader's only links to the rest of backcoder, kept in one place.

The reader is an optional part of the package: everything it needs from the rest of backcoder
(the error type users see, the shipped rule file's location, the tree's question vocabulary) is
imported here and nowhere else, so that moving those modules means changing this file only.
"""

from __future__ import annotations

from pathlib import Path

from backcoder.errors import BackcoderError, RuleFileError

__all__ = [
    "BackcoderError",
    "PENDING_QUESTIONS",
    "RuleFileError",
    "notes_path_beside",
    "shipped_notes_path",
    "tree_vocabulary",
]

NOTES_SUFFIX = ".notes.yaml"

PENDING_QUESTIONS: dict[str, frozenset[str]] = {
    "condition": frozenset(
        {
            "spondylosis",
            "stenosis",
            "disc_displacement",
            "disc_degeneration",
            "sacroiliitis",
            "none",
            "not_documented",
        }
    ),
    "claudication": frozenset({"yes", "no", "not_documented"}),
    "fracture_cause": frozenset(
        {
            "injury",
            "osteoporosis",
            "osteoporosis_other",
            "neoplasm",
            "other_disease",
            "fatigue",
            "collapsed",
            "none",
            "not_documented",
        }
    ),
}
"""Questions the shared contracts (conditions, encounters) add to the tree, which the reader
already settles. The tree's own definition wins once it has them; until then the check accepts
these values so the reader can be written against the contract."""


def notes_path_beside(rules_path: Path) -> Path:
    """`NAME.notes.yaml` beside the rule file `NAME.yaml`: a user's `--rules` brings its own."""
    return rules_path.with_name(rules_path.name.removesuffix(".yaml") + NOTES_SUFFIX)


def shipped_notes_path() -> Path:
    """The note-reading rules shipped beside the shipped tree."""
    from backcoder.loader import shipped_rules_path

    return notes_path_beside(shipped_rules_path())


def tree_vocabulary(rules_path: Path | None = None) -> dict[str, frozenset[str]]:
    """Every question id of the tree and its values, with the contracts' pending questions
    for ids the tree does not define yet."""
    from backcoder.loader import load_bundle

    questions = load_bundle(rules_path).rules.questions
    vocabulary = dict(PENDING_QUESTIONS)
    vocabulary.update({qid: frozenset(q.choices) for qid, q in questions.items()})
    return vocabulary
