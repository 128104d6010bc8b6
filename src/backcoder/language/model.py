"""The rule language: the model of a rule file, validated by pydantic.

A rule file is data, never code: questions with their choices, an explicit tree of named
nodes that ask, decide, loop over a multi-select answer or report codes, and lookup tables
that build a code from parts. Conditions are match maps over earlier answers. Nothing in a
rule file is evaluated as Python or as a template. docs/design.md explains the shape.

The classes are frozen standard-library dataclasses that pydantic validates (unknown keys
are errors). Defining pydantic models would cost a normal run more than everything else it
does; as dataclasses, the built form of the rules is constructed with no pydantic import at
all, while rule files are still validated, and their JSON Schema generated, by pydantic.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pydantic import TypeAdapter

NOT_DOCUMENTED = "not_documented"
CODED = "coded"
"""The one condition key that is not a question id: the kinds of code reported so far."""


FORBID_UNKNOWN_KEYS = {"extra": "forbid"}
"""pydantic's config for every class: a typo in a rule file never passes silently."""

rule_class = dataclass(repr=False)
"""Plain dataclasses, never changed after loading: freezing them (and a repr) would cost a
normal run more than a tenth of its start-up."""


@rule_class
class Choice:
    """One answer a question offers, with its help and, for red flags, a warning."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    label: str
    help: str = ""
    warning: str | None = None
    """Shown as a red-flag notice in the result whenever this choice is answered."""
    exclusive: bool = False
    """In a multi-select question, this choice cannot be combined with others."""


@rule_class
class Question:
    """A question of the tree: its text, help, choices and, for not_documented, a query."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    text: str
    choices: dict[str, Choice]
    help: str = ""
    multiple: bool = False
    default: list[str] | None = None
    """Used by non-interactive runs when the question is not answered."""
    query: str | None = None
    """The open question put to the provider when the answer is `not_documented`."""

    def __post_init__(self) -> None:
        if NOT_DOCUMENTED in self.choices and not self.query:
            raise ValueError("a question offering not_documented needs a `query` for the provider")
        if self.default is not None:
            unknown = [value for value in self.default if value not in self.choices]
            if unknown:
                raise ValueError(f"default {unknown} is not among the choices")
            if len(self.default) != 1 and not self.multiple:
                raise ValueError("a single-answer question takes exactly one default")


Condition = dict[str, str | list[str]]
"""A match map: every key must match. A question id matches when its answer is (one of)
the value(s); the key `coded` matches when a code of that kind is already reported."""


def matching_values(expected: str | list[str]) -> frozenset[str]:
    return frozenset([expected] if isinstance(expected, str) else expected)


@rule_class
class TableRow:
    """One first-hit row of a table: when the answers match, this fragment."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    value: str
    when: Condition = field(default_factory=dict)


@rule_class
class Table:
    """Chooses one fragment of a code: `by` one answer through a `map`, or first-hit `rows`."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    by: str | None = None
    map: dict[str, str] | None = None
    rows: list[TableRow] | None = None
    help: str = ""

    def __post_init__(self) -> None:
        by_answer = self.by is not None and self.map is not None
        if by_answer == (self.rows is not None):
            raise ValueError("a table has either `by` with `map`, or `rows`")

    def as_rows(self) -> list[TableRow]:
        """Both forms as first-hit rows, so the engine and the checker know one shape."""
        if self.rows is not None:
            return self.rows
        assert self.by is not None and self.map is not None
        return [TableRow(value=value, when={self.by: key}) for key, value in self.map.items()]


@rule_class
class Citation:
    """A guideline section, or a note of the tabular that the checker verifies exists."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    guideline: str | None = None
    tabular: str | None = None
    note: Literal["excludes1", "excludes2", "inclusion", "seventh_character", "title"] | None = None
    text: str | None = None
    """A fragment the cited tabular note must contain."""

    def __post_init__(self) -> None:
        if (self.guideline is None) == (self.tabular is None):
            raise ValueError("a citation names either a `guideline` section or a `tabular` code")
        if self.tabular is not None and self.note is None:
            raise ValueError("a tabular citation names its `note`")


class Kind(StrEnum):
    """What a code stands for, which decides pain-code (G89) logic."""

    symptom = "symptom"
    diagnosis = "diagnosis"
    injury = "injury"
    pain = "pain"


SPECIFICITY = {Kind.diagnosis: 2, Kind.injury: 2, Kind.pain: 1, Kind.symptom: 0}
"""A definitive diagnosis or injury is more specific than a pain code, which is more
specific than a symptom: the one that gives way in an Excludes1 pair is the less specific."""


class Sequence(StrEnum):
    first = "first"
    main = "main"
    last = "last"


@rule_class
class TablePart:
    """A part of a composed code taken from a table."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    table: str


@rule_class
class CodeSpec:
    """One code an outcome reports: written out, or composed from table-chosen parts."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    kind: Kind
    why: str
    cite: list[Citation]
    code: str | None = None
    compose: list[str | TablePart] | None = None
    seventh: str | None = None
    """A table giving the 7th character; the engine pads with placeholder X before it."""
    sequence: Sequence = Sequence.main
    follows: str | None = None
    """A condition coded outside this tree that is listed before this code."""

    def __post_init__(self) -> None:
        if (self.code is None) == (self.compose is None):
            raise ValueError("a code is either `code` or `compose`")
        _cited(self.cite)


def _cited(citations: list[Citation]) -> None:
    if not citations:
        raise ValueError("every decision cites at least one source (`cite`)")


@rule_class
class Note:
    """A decision that adds no code but must be explained (no G89 for acute pain, say)."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    text: str
    cite: list[Citation]

    def __post_init__(self) -> None:
        _cited(self.cite)


@rule_class
class AskNode:
    """Asks a question (or reuses its answer) and routes on the value."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    ask: str
    only: list[str] | None = None
    """Restricts the choices offered at this point of the tree."""
    branches: dict[str, str] = field(default_factory=dict)
    otherwise: str | None = None
    next: str | None = None
    default: list[str] | None = None
    """What non-interactive runs use at this point of the tree when the question is not
    answered; overrides the question's own default here only."""
    quiet: bool = False
    """Never prompt here: the record's answer when it gives one, else the default. How the
    tree checks that an answer given beside another agrees with it (`lumbar_cause` beside
    `condition`) without asking a question the other answer has already settled."""
    help: str = ""

    def __post_init__(self) -> None:
        if self.quiet and not self.default:
            raise ValueError("a quiet ask node needs a `default`: it never prompts")
        if self.next is not None and (self.branches or self.otherwise):
            raise ValueError("an ask node has either `next` or `branches`, not both")
        if self.next is None and not self.branches and self.otherwise is None:
            raise ValueError("an ask node needs `next` or `branches`")

    def target(self, value: str) -> str | None:
        if self.next is not None:
            return self.next
        return self.branches.get(value, self.otherwise)

    def targets(self) -> list[str]:
        found = [self.next, self.otherwise, *self.branches.values()]
        return [name for name in found if name is not None]


@rule_class
class DecideRow:
    """One first-hit row of a decide node: when the answers match, go to `then`."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    then: str
    when: Condition = field(default_factory=dict)


@rule_class
class DecideNode:
    """Routes on earlier answers (or codes already reported) without asking."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    decide: list[DecideRow]
    help: str = ""

    def __post_init__(self) -> None:
        if not self.decide:
            raise ValueError("a decide node needs at least one row")

    def targets(self) -> list[str]:
        return [row.then for row in self.decide]


@rule_class
class EachNode:
    """Walks `do` once for every value of a multi-select answer, then goes on to `next`."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    each: str
    do: str
    next: str | None = None
    help: str = ""

    def targets(self) -> list[str]:
        return [self.do] + ([self.next] if self.next else [])


@rule_class
class OutcomeQuery:
    """A physician query an outcome raises for a detail its code cannot carry, though the
    answer given was not `not_documented` (a disc's level where only a neck region is
    documented). Its options are the choices of the question it is `about`."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    about: str
    text: str


@rule_class
class OutcomeNode:
    """Reports codes and/or explains a decision that adds none, and may raise a query."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    report: list[CodeSpec] = field(default_factory=list)
    note: Note | None = None
    query: OutcomeQuery | None = None
    next: str | None = None

    def __post_init__(self) -> None:
        if not self.report and self.note is None:
            raise ValueError("an outcome reports codes or carries a note")

    def targets(self) -> list[str]:
        return [self.next] if self.next else []


@rule_class
class RefuseNode:
    """Ends the walk with an error naming the answers that cannot stand together (a disc
    disorder at the coccyx, an injury with trauma=no): a deliberate end, never a guessed
    code. `rules check` counts it as an end, not as a path without a code."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    refuse: str
    """What is wrong and what would be right, after the named answers."""
    naming: list[str]
    """The questions whose answers on the path the message names (`condition`, `region`)."""
    help: str = ""

    def __post_init__(self) -> None:
        if not self.naming:
            raise ValueError("a refusal names the answers that cannot stand together (`naming`)")

    def targets(self) -> list[str]:
        return []


Node = AskNode | DecideNode | EachNode | RefuseNode | OutcomeNode
NODE_CLASSES: dict[str, type] = {
    "ask": AskNode,
    "decide": DecideNode,
    "each": EachNode,
    "refuse": RefuseNode,
    "outcome": OutcomeNode,
}
NODE_CLASS_NAMES = frozenset(cls.__name__ for cls in NODE_CLASSES.values())


def node_kind(data: Any) -> str:
    """Which kind of node a mapping is, by its telling key: ask, decide, each, refuse, or
    outcome."""
    for kind in ("ask", "decide", "each", "refuse"):
        if isinstance(data, dict) and kind in data:
            return kind
    return "outcome"


@rule_class
class AllowedPair:
    """An Excludes1 pair the tree may report together, and why (I.A.12.a exception).

    A code ending in `-` stands for every code below it (`M51.1-`). With
    `separate_problems`, the pair stands together only when the codes come from problems of
    an encounter that the provider documented apart, at whatever site: no single path
    reports both, and a claim, which has no problems, does not show that they are apart."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    codes: tuple[str, str]
    why: str
    separate_problems: bool = False

    def allows(self, first: str, second: str) -> bool:
        one, other = self.codes
        return (covers(one, first) and covers(other, second)) or (
            covers(one, second) and covers(other, first)
        )


@rule_class
class Combination:
    """Codes that a combination code of the same region or level fully identifies, so they
    are not coded beside it (I.B.9): lumbar spondylosis (M47.816) beside lumbar spondylosis
    with radiculopathy (M47.26), say, when two problems of a visit document the one
    condition. Each pair is (the code identified, the combination code), written out: the
    regions must agree exactly, which no pattern of codes says."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    pairs: list[tuple[str, str]]
    why: str
    cite: list[Citation]

    def __post_init__(self) -> None:
        _cited(self.cite)

    def identifies(self, code: str, combination: str) -> bool:
        return (code, combination) in self.pairs


@rule_class
class LeftOut:
    """A code (or a family ending in `-`) in the tree's scope that no path reports, and why."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    code: str
    why: str


def covers(pattern: str, code: str) -> bool:
    return code.startswith(pattern[:-1]) if pattern.endswith("-") else code == pattern


@rule_class
class Explanation:
    """Pain symptoms that a definitive diagnosis or injury explains at its site, so they are
    not coded beside it (I.B.4, I.B.5): low back pain beside a lumbar strain, say.

    Codes ending in `-` stand for every code below them. The encounter applies it across
    problems (where both codes' sites are known they must meet) and the audit to a claim."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    symptoms: list[str]
    by: list[str]
    why: str
    cite: list[Citation]

    def __post_init__(self) -> None:
        _cited(self.cite)

    def explains(self, symptom: str, definitive: str) -> bool:
        return any(covers(s, symptom) for s in self.symptoms) and any(
            covers(d, definitive) for d in self.by
        )


@rule_class
class RuleSet:
    """A whole rule file: questions, tables and the tree of nodes."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    name: str
    version: str
    icd10cm: str
    """The ICD-10-CM release the rules were checked against."""
    start: str
    questions: dict[str, Question]
    nodes: dict[str, Node]
    title: str = ""
    tables: dict[str, Table] = field(default_factory=dict)
    excludes1_allowed: list[AllowedPair] = field(default_factory=list)
    scope: list[str] = field(default_factory=list)
    """The code families the tree covers (`M47.81-`, `S32.0-`, `M54.2`): `rules check`
    proves every billable code in them is reported by some path or listed in `left_out`."""
    left_out: list[LeftOut] = field(default_factory=list)
    site: str | None = None
    """The question whose answer is a code's site (region): an encounter does not report a
    symptom beside a definitive diagnosis that explains it at the same site (I.B.5)."""
    visit: list[str] = field(default_factory=list)
    """Questions whose answer holds for the whole visit (red flags, course, reason): the
    walker keeps them from one problem to the next."""
    site_groups: list[list[str]] = field(default_factory=list)
    """Values of the site question that are one site for the encounter's decisions: the
    regions the tabular codes alike (the lumbar and the lumbosacral region: low back pain,
    a lower back strain), so that a symptom at one and its cause at the other meet (I.B.5)
    and an Excludes1 pair between them is not taken for unrelated conditions at different
    sites. Any other value is a site of its own."""
    junctions: dict[str, list[str]] = field(default_factory=dict)
    """Values of the site question that meet their neighbours (the thoracolumbar region
    meets the thoracic and the lumbar): pain there is coded at both, so a cause at either
    neighbour explains the pain of its own side. Two junctions with a neighbour in common
    do not meet each other."""
    explains: list[Explanation] = field(default_factory=list)
    combinations: list[Combination] = field(default_factory=list)
    """Codes a combination code fully identifies (I.B.9): an encounter does not report one
    beside the other, and the audit flags the pair on a claim."""
    leads_when: Condition = field(default_factory=dict)
    """The answers under which a problem's first-sequenced codes lead the whole encounter
    (a pain-management encounter puts G89 first, I.C.6.b.1); otherwise a code sequenced
    first (a sequela's residual) leads only its own problem's codes."""

    def __post_init__(self) -> None:
        if CODED in self.questions:
            raise ValueError(f"`{CODED}` is reserved for conditions and cannot be a question id")
        named = ([self.site] if self.site else []) + self.visit
        unknown = [question for question in named if question not in self.questions]
        if unknown:
            raise ValueError(f"site and visit name questions; {unknown} are not questions")
        grouped = [value for group in self.site_groups for value in group]
        if grouped and self.site is None:
            raise ValueError("site_groups need `site`, the question whose values they group")
        if len(grouped) != len(set(grouped)):
            raise ValueError("site_groups: a site value belongs to one group at most")
        if self.site is not None and self.site in self.questions:
            choices = self.questions[self.site].choices
            strays = [value for value in grouped if value not in choices]
            if strays:
                raise ValueError(f"site_groups: {strays} are not choices of {self.site}")
            named = [v for junction, near in self.junctions.items() for v in [junction, *near]]
            strays = [value for value in named if value not in choices]
            if strays:
                raise ValueError(f"junctions: {strays} are not choices of {self.site}")
        if self.junctions and self.site is None:
            raise ValueError("junctions need `site`, the question whose values they name")

    def site_of(self, value: str) -> str:
        """The site a value of the site question stands for: its group's first value, or
        itself."""
        for group in self.site_groups:
            if value in group:
                return group[0]
        return value

    def sites_meet(self, first: str, second: str) -> bool:
        """Whether two values of the site question are one site, or a junction and one of
        its neighbours."""
        one, other = self.site_of(first), self.site_of(second)
        if one == other:
            return True
        near = {self.site_of(value) for value in self.junctions.get(first, ())}
        if other in near:
            return True
        return one in {self.site_of(value) for value in self.junctions.get(second, ())}

    def excludes1_exception(
        self, first: str, second: str, *, separate_problems: bool = False
    ) -> str | None:
        """Why the tree may report an Excludes1 pair together (I.A.12.a), or None; the pairs
        allowed only between separate problems count when `separate_problems` says so."""
        for pair in self.excludes1_allowed:
            if pair.separate_problems and not separate_problems:
                continue
            if pair.allows(first, second):
                return pair.why
        return None

    def apart_exception(self, first: str, second: str) -> str | None:
        """Why two problems documented apart may report the pair together at any site."""
        for pair in self.excludes1_allowed:
            if pair.separate_problems and pair.allows(first, second):
                return pair.why
        return None

    def explanation(self, symptom: str, definitive: str) -> Explanation | None:
        """The entry by which `definitive` explains `symptom` at its site, or None."""
        for entry in self.explains:
            if entry.explains(symptom, definitive):
                return entry
        return None

    def combination(self, code: str, combination: str) -> Combination | None:
        """The entry by which `combination` fully identifies `code`, or None."""
        for entry in self.combinations:
            if entry.identifies(code, combination):
                return entry
        return None

    def citations(self) -> Iterator[tuple[str, Citation]]:
        """Every citation in the tree, with the node that makes it: the one gatherer the
        proof (every cited note exists) and the build (every cited code is shipped) share."""
        for name, node in self.nodes.items():
            if not isinstance(node, OutcomeNode):
                continue
            for spec in node.report:
                for citation in spec.cite:
                    yield name, citation
            for citation in node.note.cite if node.note else []:
                yield name, citation
        for entry in self.explains:
            for citation in entry.cite:
                yield "explains", citation
        for entry in self.combinations:
            for citation in entry.cite:
                yield "combinations", citation


@cache
def rules_adapter() -> TypeAdapter[RuleSet]:
    """pydantic's validator for rule files, built on first use: only parsing needs it."""
    from pydantic import TypeAdapter

    return TypeAdapter(RuleSet)


def validate_rules(data: Any) -> RuleSet:
    """A rule set from parsed YAML or JSON; raises pydantic's ValidationError."""
    return rules_adapter().validate_python(data)


def dump_rules(rules: RuleSet) -> dict[str, Any]:
    return rules_adapter().dump_python(rules, mode="json", exclude_defaults=True)


def rules_json_schema() -> dict[str, Any]:
    return rules_adapter().json_schema()
