"""The note-reading rules: what the reader recognises, as validated data.

`rules/back_pain.notes.yaml` says, per question and value, which phrases and patterns settle
it, in which sections and under which ConText status; which section titles the Sectionizer
knows and what each section may settle; and which ConText rules are added to medspaCy's own.
Like the tree's model, the classes are standard-library dataclasses that pydantic validates,
refusing unknown keys, so a typo in the file is an error and not a silently ignored pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pydantic import TypeAdapter

FORBID_UNKNOWN_KEYS = {"extra": "forbid"}
NOT_DOCUMENTED = "not_documented"

Role = Literal["diagnosis", "history", "none"]
"""What a section may settle: `diagnosis` (assessment, impression, plan, diagnoses) states
diagnoses; `history` (HPI, chief complaint, exam) states symptoms, findings and mechanism;
`none` (review of systems, past, family and social history, medications) settles nothing."""

Status = Literal["asserted", "negated", "historical"]
"""How a mention must be asserted for a pattern to take it (ConText's reading)."""

SetAsideReason = Literal[
    "negated",
    "historical",
    "hypothetical",
    "family",
    "other_person",
    "review_of_systems",
    "section",
]
"""Why a mention was seen and not taken. `section`: a section that settles nothing of this
kind (medications, social history, imaging, or a symptom section for a diagnosis)."""

ContextCategory = Literal[
    "NEGATED_EXISTENCE",
    "POSSIBLE_EXISTENCE",
    "HISTORICAL",
    "HYPOTHETICAL",
    "FAMILY",
    "OTHER_PERSON",
]
Direction = Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"]

notes_class = dataclass(repr=False)

REGEX_FLAGS = re.IGNORECASE
"""Patterns' regular expressions match in any case."""


@notes_class
class Pattern:
    """Words that settle one value: literal phrases (case-insensitive, matched on spaCy
    tokens) and regular expressions (case-insensitive, on the text), taken when ConText reads
    the mention with one of the statuses in `when` and it stands in one of `sections`."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    phrases: list[str] = field(default_factory=list)
    regex: list[str] = field(default_factory=list)
    when: list[Status] = field(default_factory=lambda: ["asserted"])
    sections: list[Role] | None = None
    """Roles of the sections where the mention counts; None: the question's own."""
    implies: dict[str, str] = field(default_factory=dict)
    """Answers the same words also settle (a strain is an injury: trauma=yes)."""
    unless: dict[str, list[str]] = field(default_factory=dict)
    """`implies` is not applied when the same problem has one of these answers."""

    def __post_init__(self) -> None:
        if not self.phrases and not self.regex:
            raise ValueError("a pattern needs `phrases` or `regex`")
        for expression in self.regex:
            try:
                # the flags the reader compiles it with: its compiling is then a cache hit
                re.compile(expression, REGEX_FLAGS)
            except re.error as error:
                raise ValueError(f"regex {expression!r}: {error}") from None
        if any(not phrase.strip() for phrase in self.phrases):
            raise ValueError("an empty phrase would match nothing")


@notes_class
class Silence:
    """What a note that says nothing of a question settles when nobody is asked (`--no-input`,
    batch), for a question without `not_documented`: the documentation-based reading (a link
    the provider did not write is not coded), with the reason a coder reviewing it reads."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    value: str
    why: str

    def __post_init__(self) -> None:
        if self.value == NOT_DOCUMENTED:
            raise ValueError(
                "not_documented is what a silent note gives wherever the question offers it"
            )
        if not self.why.strip():
            raise ValueError("say why silence means this value")


@notes_class
class QuestionPatterns:
    """How the reader settles one question of the tree."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    values: dict[str, list[Pattern]]
    scope: Literal["problem", "shared"] = "problem"
    """`shared`: a fact of the visit (the record's top level); `problem`: of one problem."""
    sections: list[Role] = field(default_factory=lambda: ["diagnosis", "history"])
    unsettled: dict[str, str] = field(default_factory=dict)
    """Values no note settles, each with the reason (an absence is not documentation)."""
    prefer: list[str] = field(default_factory=list)
    """Between two values found in sections of the same standing, the earlier one here wins
    (acute on chronic pain is chronic)."""
    refines: dict[str, list[str]] = field(default_factory=dict)
    """A value that makes others more precise replaces them in the same problem (L5-S1,
    lumbosacral, replaces lumbar); such values also belong to the same problem."""
    multiple: bool = False
    defines_problem: bool = False
    """A diagnosis-section sentence with this answer describes a back problem (a list item of
    the assessment); sentences without one only add to the problems they name the site of."""
    site: bool = False
    """The answer that tells problems apart and routes other sentences to a problem (region)."""
    one_problem_each: bool = False
    """Each value is a problem of its own (a T12 and an L1 fracture: two problems)."""
    when_silent: Silence | None = None
    """The answer when the note says nothing of it and nobody is asked; questions offering
    `not_documented` take that instead (it raises the physician query)."""
    follows: str | None = None
    """In a note with several problems, the shared mentions of the values this question's
    answer is implied by another question's patterns (trauma=yes, implied by an injury) go
    only to the problems that answer that question, when some do and others do not: the fall
    in the history is how the fracture happened, not how the chronic disc pain began."""

    def __post_init__(self) -> None:
        if NOT_DOCUMENTED in self.values or NOT_DOCUMENTED in self.unsettled:
            raise ValueError("not_documented is what the walker concludes, never read from a note")
        both = set(self.values) & set(self.unsettled)
        if both:
            raise ValueError(f"{sorted(both)} both have patterns and are declared unsettled")
        for value, patterns in self.values.items():
            if not patterns:
                raise ValueError(f"value {value!r} has no patterns: declare it under `unsettled`")


@notes_class
class Section:
    """A kind of section: its titles (for medspaCy's Sectionizer) and what it may settle."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    role: Role
    titles: list[str]
    reason: SetAsideReason = "section"
    """Why a mention here is set aside when the section does not settle it."""
    within: list[str] = field(default_factory=list)
    """Only a section inside one of these (ROS system lines inside the review of systems)."""
    after: list[str] = field(default_factory=list)
    """Titles this kind shares with another kind start this kind instead when the section
    before is one of these: a radiology report's "Impression:" right after its "Findings:" is
    the radiologist's, while the same title after the note's own "Imaging:" line is the
    provider's assessment. Each title must be another kind's too."""
    lists_problems: bool = False
    """Its sentences are the visit's problems (the assessment's items); other sections' words
    only add to the problems whose site they name (a plan: "PT for the neck")."""


@notes_class
class ContextRule:
    """A ConText modifier added to medspaCy's rules (same fields as its ConTextRule)."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    literal: str
    category: ContextCategory
    direction: Direction = "FORWARD"
    pattern: list[dict[str, Any]] | None = None
    allowed_types: list[str] | None = None
    excluded_types: list[str] | None = None
    max_scope: int | None = None


@notes_class
class Context:
    """medspaCy's ConText rules, with the additions and removals a coder's notes need."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    library_rules: bool = True
    drop: list[str] = field(default_factory=list)
    """Literals of medspaCy's rules not used (they misread coding notes)."""
    add: list[ContextRule] = field(default_factory=list)
    excluded_types: dict[str, list[str]] = field(default_factory=dict)
    """Per ConText category, question ids it never modifies (a mechanism "s/p fall" is how
    today's pain began, not history)."""


@notes_class
class NotesFile:
    """A whole note-reading rule file, written for one tree (`for_rules`)."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    name: str
    version: str
    for_rules: str
    sections: dict[str, Section]
    questions: dict[str, QuestionPatterns]
    context: Context = field(default_factory=Context)
    not_read: dict[str, str] = field(default_factory=dict)
    """Questions of the tree the reader never settles, each with the reason."""

    def __post_init__(self) -> None:
        both = set(self.questions) & set(self.not_read)
        if both:
            raise ValueError(f"{sorted(both)} are both read and declared not read")
        for name, section in self.sections.items():
            unknown = [parent for parent in section.within if parent not in self.sections]
            if unknown:
                raise ValueError(f"section {name}: `within` names unknown sections {unknown}")
            unknown = [before for before in section.after if before not in self.sections]
            if unknown:
                raise ValueError(f"section {name}: `after` names unknown sections {unknown}")
            if section.after:
                shared = {
                    title.lower()
                    for other, kind in self.sections.items()
                    if other != name and not kind.after
                    for title in kind.titles
                }
                alone = [title for title in section.titles if title.lower() not in shared]
                if alone:
                    raise ValueError(
                        f"section {name}: titles {alone} are no other section's, which `after` "
                        "needs (the other section's title is what the note is searched for)"
                    )


@cache
def notes_adapter() -> TypeAdapter[NotesFile]:
    """pydantic's validator for note-reading rule files, built on first use."""
    from pydantic import TypeAdapter

    return TypeAdapter(NotesFile)


def validate_notes(data: Any) -> NotesFile:
    """A note-reading rule set from parsed YAML; raises pydantic's ValidationError."""
    return notes_adapter().validate_python(data)


def dump_notes(notes: NotesFile) -> dict[str, Any]:
    """A validated rule set as JSON data, the content of its built form."""
    return notes_adapter().dump_python(notes, mode="json")


def construct_notes(data: dict[str, Any]) -> NotesFile:
    """The rule set from the dump of one that was validated when it was built, without
    pydantic: validating it again costs more than the rest of a one-note run (building the
    validator alone). The dataclasses' own checks still run; a test proves the result equals
    validating the same data."""
    context = data.get("context", {})
    return NotesFile(
        **{
            **data,
            "sections": {name: Section(**section) for name, section in data["sections"].items()},
            "questions": {
                name: _question_patterns(spec) for name, spec in data["questions"].items()
            },
            "context": Context(
                **{**context, "add": [ContextRule(**rule) for rule in context.get("add", [])]}
            ),
        }
    )


def _question_patterns(data: dict[str, Any]) -> QuestionPatterns:
    silence = data.get("when_silent")
    return QuestionPatterns(
        **{
            **data,
            "values": {
                value: [Pattern(**pattern) for pattern in patterns]
                for value, patterns in data["values"].items()
            },
            "when_silent": Silence(**silence) if silence is not None else None,
        }
    )


def notes_json_schema() -> dict[str, Any]:
    """The JSON Schema of note-reading rule files (committed as rules/notes-file.schema.json)."""
    return notes_adapter().json_schema()


def notes_schema_text() -> str:
    """The committed schema's exact text (a test fails while the committed copy is stale)."""
    import json

    return json.dumps(notes_json_schema(), indent=2) + "\n"
