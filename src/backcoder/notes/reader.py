"""From a processed note to answers: which mentions count, which problem they belong to, and
which wins when the note contradicts itself.

The steps, each a coder's habit:

1. A mention counts only when ConText reads it as its pattern requires (asserted, or negated
   for "denies radiating pain") and it stands in a section that may settle it: diagnoses come
   from the assessment, impression and plan; symptoms and mechanism also from the history and
   exam; nothing from the review of systems, past, family or social history. Everything else
   is set aside with the reason.
2. Problems are the assessment's items: each diagnosis-section sentence naming a back problem
   is an item; items at the same site (region, or a region that refines it) are one problem;
   an item with no site joins the problem before it. Separate fractured vertebrae are separate
   problems. A note with no such item is one problem.
3. Other mentions of a problem's answers go to the problems whose site their sentence names,
   else to the record's shared answers (which apply to every problem that does not set them).
   Shared questions (course of pain, reason, red flags, encounter) are always shared.
4. Where one answer has several values, the higher section wins (assessment over HPI), then
   the question's preference order, then the first mention; the others are reported as
   conflicts. A problem's own value wins over a shared one, and a difference is reported.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from backcoder.notes.check import implied_values
from backcoder.notes.model import NotesFile, QuestionPatterns
from backcoder.notes.pipeline import NotePipeline, Target
from backcoder.notes.reading import Answer, Conflict, Evidence, NoteReading, SetAside
from backcoder.notes.vocabulary import BackcoderError

RANK = {"diagnosis": 2, "history": 1, "any": 1}
"""A section's standing when values conflict: the assessment wins over the HPI."""
UNSECTIONED = "unsectioned"
"""The section of text before any known title (a short note without headings)."""

_STATUS_BY_CATEGORY = (
    ("OTHER_PERSON", "other_person"),
    ("FAMILY", "family"),
    ("POSSIBLE_EXISTENCE", "hypothetical"),
    ("HYPOTHETICAL", "hypothetical"),
    ("NEGATED_EXISTENCE", "negated"),
    ("HISTORICAL", "historical"),
)
"""ConText's categories, strongest first: a negated mention in a family history is family."""
_NEVER_TAKEN = frozenset({"other_person", "family", "hypothetical"})
_JOINED_SITE = re.compile(
    r"(?:\band|(?P<list>\bas\s+well\s+as|\balong\s+with|\bplus|\balso|\s/))\s+"
    r"(?P<side>(?:(?:left|right|bilateral|b/l|R|L|chronic|acute|new|known)\s+){0,2})\Z",
    re.IGNORECASE,
)
"""Text that ends in a conjunction (and perhaps a side or a course) just before a site is
named: "and", or one that lists another problem ("as well as", "along with", "plus", "also",
a slash)."""


@dataclass(slots=True)
class Mention:
    """A target that counts: its value, words, place, section and sentence."""

    question: str
    value: str
    quote: str
    start: int
    end: int
    section: str
    role: str
    sentence: int
    implied: bool = False
    source: Target | None = None
    clause: int = 0
    """Semicolons between the sentence's start and the mention: "(1) neck pain, no
    radiation; (2) LBP radiating down the leg" has two clauses, each with its own site."""
    part: int = 0
    """Conjunctions listing another problem ("as well as", "along with", "plus", "also", a
    slash before a site) between the sentence's start and the mention."""

    @property
    def rank(self) -> int:
        return RANK[self.role]


@dataclass(slots=True)
class _Problem:
    mentions: list[Mention] = field(default_factory=list)
    sites: set[str] = field(default_factory=set)
    """The values of the site question among the mentions (kept up to date by `add`)."""

    def add(self, mentions: Iterable[Mention], site: str | None, first: bool = False) -> None:
        mentions = list(mentions)
        if first:
            self.mentions[:0] = mentions
        else:
            self.mentions.extend(mentions)
        self.sites.update(m.value for m in mentions if m.question == site)

    def values(self, question: str) -> set[str]:
        return {m.value for m in self.mentions if m.question == question}


class _Layout:
    """Sentences and sections of one processed note, looked up by token (computed once: the
    library's per-span getters cost more than the rest of the reading)."""

    def __init__(self, doc: Any, text: str, after: dict[tuple[str, str], str]) -> None:
        self.text = text
        self._sentence_tokens: list[int] = []
        self._sentence_chars: list[int] = []
        for sentence in doc.sents:
            self._sentence_tokens.append(sentence.start)
            self._sentence_chars.append(sentence.start_char)
        self._sections: list[tuple[int, str, str]] = []
        before = ""
        for s in doc._.sections:
            title = doc[s.title_start : s.title_end].text.strip()
            category = after.get((before, title.lower()), s.category)
            self._sections.append((s.title_start, category, title))
            before = category
        self._section_starts = [start for start, _, _ in self._sections]
        self._joins: list[int] = []
        self._parts: list[int] = []

    def sentence(self, token: int) -> int:
        """The character offset where the token's sentence starts."""
        at = bisect_right(self._sentence_tokens, token) - 1
        return self._sentence_chars[at] if at >= 0 else 0

    def joined_sites(self, starts: Iterable[int]) -> None:
        """Where a site named after "and" begins a clause of its own: in "Neck pain without
        radiculopathy and lumbar radiculopathy due to L4-5 HNP" the first radiculopathy
        goes with the neck, the lumbar one and its cause with the low back. A site after a
        conjunction that lists another problem ("T8 compression fx along with chronic LBP",
        "Cervical spondylosis / lumbar stenosis") also begins a part of its own."""
        joins, parts = set(), set()
        for start in set(starts):
            found = _JOINED_SITE.search(self.text, max(0, start - 40), start)
            if found is not None:
                joins.add(found.start("side"))  # a side before the site is the site's
                if found.group("list"):
                    parts.add(found.start("side"))
        self._joins = sorted(joins)
        self._parts = sorted(parts)

    def part(self, sentence: int, start: int) -> int:
        """How many conjunctions listing another problem, or semicolons, stand between the
        sentence's start and `start`."""
        joins = bisect_right(self._parts, start) - bisect_right(self._parts, sentence)
        return self.text.count(";", sentence, start) + joins

    def clause(self, sentence: int, start: int) -> int:
        """The clause of the sentence (starting at `sentence`) where `start` stands: a
        semicolon, or "and" before a site, opens the next."""
        joins = bisect_right(self._joins, start) - bisect_right(self._joins, sentence)
        return self.text.count(";", sentence, start) + joins

    def section(self, token: int) -> tuple[str | None, str]:
        at = bisect_right(self._section_starts, token) - 1
        if at < 0:
            return None, ""
        _, category, title = self._sections[at]
        return category, title


class NoteReader:
    """Reads notes with one rule file; build it once and read many notes (batch)."""

    def __init__(self, notes: NotesFile) -> None:
        self.notes = notes
        self.pipeline = NotePipeline(notes)
        # (the section before, a shared title) -> the kind that title starts there
        self._after = {
            (before, title.strip().lower()): name
            for name, section in notes.sections.items()
            for before in section.after
            for title in section.titles
        }
        site = [q for q, spec in notes.questions.items() if spec.site]
        self.site = site[0] if site else None
        self._related = self._site_relation()
        self._follows = {
            question: (spec.follows, implied_values(notes, spec.follows, question))
            for question, spec in notes.questions.items()
            if spec.follows is not None and spec.follows in notes.questions
        }

    def _site_relation(self) -> dict[str, set[str]]:
        """Values of the site that belong to the same problem: each value, and those it refines
        or is refined by (lumbar and L5-S1 lumbosacral are one problem)."""
        if self.site is None:
            return {}
        spec = self.notes.questions[self.site]
        related = {value: {value} for value in spec.values}
        for finer, coarser in spec.refines.items():
            for value in coarser:
                related.setdefault(finer, {finer}).add(value)
                related.setdefault(value, {value}).add(finer)
        return related

    def read(self, text: str) -> NoteReading:
        """The answers the note settles, with evidence, mentions set aside and conflicts."""
        if not isinstance(text, str):
            raise BackcoderError(f"a note is text, not {type(text).__name__}")
        doc, targets = self.pipeline.run(text)
        reading = NoteReading()
        layout = _Layout(doc, text, self._after)
        layout.joined_sites(t.start for t in targets if t.question == self.site)
        mentions = self._mentions(targets, layout, reading)
        mentions = self._with_implied(mentions)
        shared, problems = self._assign(mentions)
        self._resolve(shared, problems, reading)
        return reading

    # ------------------------------------------------------------ 1. which mentions count

    def _mentions(
        self, targets: Iterable[Target], layout: _Layout, reading: NoteReading
    ) -> list[Mention]:
        mentions: list[Mention] = []
        seen_aside: set[tuple[str, str, int, int]] = set()
        for target in targets:
            spec = self.notes.questions[target.question]
            section, role, reason, title = self._section(layout, target.span.start)
            status, cue = _status(target)
            if _needs_negation(target) and not _negated(target):
                # words that settle only when negated ("numbness" for nerve=none), here not
                # negated ("Positive for numbness" in the ROS, "wife has sciatica"): they
                # would say nothing even where they counted, so nothing is set aside
                continue
            allowed = target.pattern.sections or spec.sections
            why, because = None, ""
            if status in _NEVER_TAKEN:
                why, because = status, cue
            elif role != "any" and role not in allowed:
                why, because = reason, title
            elif status not in target.pattern.when:
                if status == "asserted":
                    continue  # words that settle only when negated, here asserted: no reading
                why, because = status, cue
            if why is not None:
                place = (target.question, target.value, target.start, target.end)
                if place not in seen_aside:
                    seen_aside.add(place)
                    reading.set_aside.append(
                        SetAside(
                            target.question,
                            target.value,
                            layout.text[target.start : target.end],
                            target.start,
                            target.end,
                            section,
                            why,
                            because,
                        )
                    )
                continue
            sentence = layout.sentence(target.span.start)
            mentions.append(
                Mention(
                    target.question,
                    target.value,
                    layout.text[target.start : target.end],
                    target.start,
                    target.end,
                    section,
                    role,
                    sentence,
                    source=target,
                    clause=layout.clause(sentence, target.start),
                    part=layout.part(sentence, target.start),
                )
            )
        return mentions

    def _section(self, layout: _Layout, token: int) -> tuple[str, str, str, str]:
        """The section's name, role, set-aside reason and title as written."""
        name, title = layout.section(token)
        if name is None or name not in self.notes.sections:
            return UNSECTIONED, "any", "section", ""
        section = self.notes.sections[name]
        return name, section.role, section.reason, title

    def _with_implied(self, mentions: list[Mention]) -> list[Mention]:
        """Answers the same words imply (a strain: trauma=yes), as weaker mentions: an explicit
        mention of the same standing wins over them."""
        implied = []
        for mention in mentions:
            pattern = mention.source.pattern if mention.source else None
            if pattern is None:
                continue
            for question, value in pattern.implies.items():
                if question not in self.notes.questions:
                    continue
                implied.append(
                    Mention(
                        question,
                        value,
                        mention.quote,
                        mention.start,
                        mention.end,
                        mention.section,
                        mention.role,
                        mention.sentence,
                        implied=True,
                        source=mention.source,
                        clause=mention.clause,
                        part=mention.part,
                    )
                )
        return mentions + implied

    # ------------------------------------------------------------ 2, 3. problems

    def _assign(self, mentions: list[Mention]) -> tuple[list[Mention], list[_Problem]]:
        shared: list[Mention] = []
        problem_scope: list[Mention] = []
        for mention in mentions:
            if self.notes.questions[mention.question].scope == "shared":
                shared.append(mention)
            else:
                problem_scope.append(mention)
        by_sentence: dict[int, list[Mention]] = {}
        for mention in problem_scope:
            by_sentence.setdefault(mention.sentence, []).append(mention)
        items, rest = [], []
        for sentence in sorted(by_sentence):
            group = by_sentence[sentence]
            if self._lists_problems(group[0]) and any(self._defines(m) for m in group):
                items.extend(self._by_site(group))
            else:
                rest.append(group)
        problems = self._problems_from_items(items)
        if not problems:
            if not rest:
                return shared, []
            whole = _Problem()
            whole.add((m for group in rest for m in group), self.site)
            return shared, self._split([whole])
        for group in rest:
            self._route(group, problems, shared)
        problems = self._split(problems)
        self._follow(shared, problems)
        return shared, problems

    def _follow(self, shared: list[Mention], problems: list[_Problem]) -> None:
        """Shared mentions of a `follows` question's implied values (trauma=yes) go only to
        the problems that answer the followed question (an injury), when others do not."""
        for question, (followed, values) in self._follows.items():
            having = [p for p in problems if any(m.question == followed for m in p.mentions)]
            if not having or len(having) == len(problems):
                continue
            moving = [m for m in shared if m.question == question and m.value in values]
            if not moving:
                continue
            shared[:] = [m for m in shared if not (m.question == question and m.value in values)]
            for problem in having:
                problem.add(moving, self.site)

    def _by_site(self, item: list[Mention]) -> list[list[Mention]]:
        """An item naming unrelated sites, each with its own diagnosis ("Cervical strain and
        lumbar sprain", "Cervical strain; lumbar sprain"), is one item per site: each mention
        goes with the site named nearest to it (within its clause when the clause names one).
        Without two diagnoses of one kind, the item stays one problem ("Neck and low back
        pain": one problem at two sites), unless a conjunction that lists another problem
        parts unrelated sites and the item has a diagnosis ("Osteoporotic T8 compression fx
        along with chronic LBP", "C5-6 DDD, plus lumbar DDD": two problems)."""
        sites = [m for m in item if m.question == self.site]
        values = {m.value for m in sites}
        if len(values) < 2 or any(
            self._same_site({first}, {second})
            for first in values
            for second in values
            if first != second
        ):
            return [item]
        kinds: dict[str, set[str]] = {}
        for mention in item:
            if self._diagnoses(mention):
                kinds.setdefault(mention.question, set()).add(mention.value)
        if not any(len(found) > 1 for found in kinds.values()) and not (
            kinds and (self._listed_apart(sites) or self._each_diagnosed(item))
        ):
            return [item]
        by_site: dict[str, list[Mention]] = {}
        for mention in item:
            if mention.question == self.site:
                by_site.setdefault(mention.value, []).append(mention)
                continue
            near = [s for s in sites if s.clause == mention.clause] or sites
            nearest = min(near, key=lambda site: _distance(site, mention))
            by_site.setdefault(nearest.value, []).append(mention)
        return sorted(by_site.values(), key=lambda group: min(m.start for m in group))

    def _listed_apart(self, sites: list[Mention]) -> bool:
        """Two unrelated sites on either side of a conjunction that lists another problem."""
        parts: dict[int, set[str]] = {}
        for site in sites:
            parts.setdefault(site.part, set()).add(site.value)
        return any(
            not self._same_site(first, second)
            for one, first in parts.items()
            for other, second in parts.items()
            if one < other
        )

    def _diagnoses(self, mention: Mention) -> bool:
        """A diagnosis of its own problem: two vertebrae are two problems already (`_split`),
        wherever they are named, and a site is no diagnosis."""
        if not self._defines(mention) or mention.question == self.site:
            return False
        spec = self.notes.questions[mention.question]
        return not spec.multiple and not spec.one_problem_each

    def _each_diagnosed(self, item: list[Mention]) -> bool:
        """Unrelated sites in clauses of their own, each clause with its own diagnosis:
        "Cervical radiculopathy and lumbar spondylosis" is two problems (the low back has no
        radiculopathy), "Cervical and lumbar strain" one ("Cervical" has no diagnosis)."""
        sites: dict[int, set[str]] = {}
        diagnosed: set[int] = set()
        for mention in item:
            if mention.question == self.site:
                sites.setdefault(mention.clause, set()).add(mention.value)
            elif self._diagnoses(mention):
                diagnosed.add(mention.clause)
        clauses = [values for clause, values in sites.items() if clause in diagnosed]
        return any(
            not self._same_site(first, second)
            for at, first in enumerate(clauses)
            for second in clauses[at + 1 :]
        )

    def _lists_problems(self, mention: Mention) -> bool:
        section = self.notes.sections.get(mention.section)
        return section is not None and section.lists_problems

    def _defines(self, mention: Mention) -> bool:
        return self.notes.questions[mention.question].defines_problem and not mention.implied

    def _sites(self, mentions: Iterable[Mention]) -> set[str]:
        return {m.value for m in mentions if m.question == self.site}

    def _same_site(self, first: set[str], second: set[str]) -> bool:
        return any(self._related.get(value, {value}) & second for value in first)

    def _problems_from_items(self, items: list[list[Mention]]) -> list[_Problem]:
        problems: list[_Problem] = []
        waiting: list[Mention] = []
        for item in items:
            sites = self._sites(item)
            if not sites:
                if problems:
                    problems[-1].add(item, self.site)
                else:
                    waiting.extend(item)
                continue
            matching = [p for p in problems if self._same_site(sites, p.sites)]
            if len(matching) > 1:
                self._route(item, problems, [])
            elif matching:
                matching[0].add(item, self.site)
            else:
                problems.append(_Problem())
                problems[-1].add(item, self.site)
        if waiting:
            if problems:
                problems[0].add(waiting, self.site, first=True)
            else:
                problems.append(_Problem())
                problems[-1].add(waiting, self.site)
        return problems

    def _route(self, group: list[Mention], problems: list[_Problem], shared: list[Mention]) -> None:
        """A sentence outside the assessment's items: to the problems at its site, else shared."""
        sites = self._sites(group)
        if not sites:
            shared.extend(group)
            return
        matching = [p for p in problems if self._same_site(sites, p.sites)]
        if not matching:
            siteless = [p for p in problems if not p.sites]
            if len(siteless) == 1:
                siteless[0].add(group, self.site)
            return  # a site the assessment does not name: it describes no coded problem
        if len(matching) == 1:
            matching[0].add(group, self.site)
            return
        # a sentence naming several sites ("neck pain and low back pain with leg symptoms"):
        # each mention goes with the site named nearest to it
        # (within its clause when the clause names one)
        site_mentions = [m for m in group if m.question == self.site]
        for mention in group:
            near = [s for s in site_mentions if s.clause == mention.clause] or site_mentions
            nearest = min(near, key=lambda site: _distance(site, mention))
            for problem in matching:
                if self._same_site({nearest.value}, problem.sites):
                    problem.add([mention], self.site)

    def _split(self, problems: list[_Problem]) -> list[_Problem]:
        """One problem per value of a `one_problem_each` question (two fractured vertebrae)."""
        each = [q for q, spec in self.notes.questions.items() if spec.one_problem_each]
        result: list[_Problem] = []
        for problem in problems:
            split = False
            for question in each:
                values = sorted(problem.values(question), key=_first_place(problem, question))
                if len(values) < 2:
                    continue
                for value in values:
                    result.append(self._only(problem, question, value))
                split = True
                break
            if not split:
                result.append(problem)
        return result

    def _only(self, problem: _Problem, question: str, value: str) -> _Problem:
        own = [m for m in problem.mentions if m.question == question and m.value == value]
        others = [m for m in problem.mentions if m.question == question and m.value != value]

        def overlaps(mention: Mention, group: list[Mention]) -> bool:
            return any(mention.start < o.end and o.start < mention.end for o in group)

        kept = []
        for mention in problem.mentions:
            if mention.question == question and mention.value != value:
                continue
            if (
                mention.question == self.site
                and overlaps(mention, others)
                and not overlaps(mention, own)
            ):
                continue
            kept.append(mention)
        result = _Problem()
        result.add(kept, self.site)
        return result

    # ------------------------------------------------------------ 4. one value per answer

    def _resolve(
        self, shared: list[Mention], problems: list[_Problem], reading: NoteReading
    ) -> None:
        reading.shared = self._answers(shared, None, reading)
        for number, problem in enumerate(problems, start=1):
            answers = self._answers(self._unless(problem.mentions), number, reading)
            for question, value in answers.items():
                other = reading.shared.get(question)
                if other is not None and other != value:
                    winner = _evidence_for(reading, number, question, value)
                    loser = _evidence_for(reading, None, question, other)
                    if winner and loser:
                        # the assessment's strain over the HPI's "no trauma" won by its section,
                        # whichever of them names the problem's site
                        higher = self._rank(winner.section) > self._rank(loser.section)
                        rule = "section" if higher else "problem"
                        reading.conflicts.append(_conflict(winner, loser, rule))
            reading.problems.append(answers)
        if len(problems) <= 1:
            _flatten(reading)

    def _rank(self, section: str) -> int:
        """The standing of a section by its name (an unknown or no title: any)."""
        known = self.notes.sections.get(section)
        return RANK.get(known.role if known is not None else "any", 0)

    def _unless(self, mentions: list[Mention]) -> list[Mention]:
        """Drop implied mentions whose pattern's `unless` answers are in the same problem."""
        present: dict[str, set[str]] = {}
        for mention in mentions:
            if not mention.implied:
                present.setdefault(mention.question, set()).add(mention.value)
        kept = []
        for mention in mentions:
            if mention.implied and mention.source is not None:
                unless = mention.source.pattern.unless
                if any(present.get(q, set()) & set(values) for q, values in unless.items()):
                    continue
            kept.append(mention)
        return kept

    def _answers(
        self, mentions: list[Mention], problem: int | None, reading: NoteReading
    ) -> dict[str, Answer]:
        by_question: dict[str, list[Mention]] = {}
        for mention in mentions:
            by_question.setdefault(mention.question, []).append(mention)
        answers: dict[str, Answer] = {}
        for question in self.notes.questions:
            found = by_question.get(question)
            if not found:
                continue
            spec = self.notes.questions[question]
            if spec.multiple:
                answers[question] = self._several(spec, found, problem, reading)
            else:
                answers[question] = self._one(spec, question, found, problem, reading)
        return answers

    def _several(
        self,
        spec: QuestionPatterns,
        found: list[Mention],
        problem: int | None,
        reading: NoteReading,
    ) -> list[str]:
        if spec.scope == "problem":
            top = max(m.rank for m in found)
            found = [m for m in found if m.rank == top]
        values: dict[str, Mention] = {}
        for mention in sorted(found, key=lambda m: (m.implied, m.start, m.start - m.end)):
            values.setdefault(mention.value, mention)
        for finer, coarser in spec.refines.items():
            if finer in values:
                for value in coarser:
                    values.pop(value, None)
        if len(values) > 1:
            values.pop("none", None)
        chosen = sorted(values.values(), key=lambda m: m.start)
        reading.evidence.extend(_evidence(problem, m) for m in chosen)
        return [m.value for m in chosen]

    def _one(
        self,
        spec: QuestionPatterns,
        question: str,
        found: list[Mention],
        problem: int | None,
        reading: NoteReading,
    ) -> str:
        def standing(mention: Mention) -> tuple[int, int, int, int, int]:
            prefer = spec.prefer
            preference = prefer.index(mention.value) if mention.value in prefer else len(prefer)
            length = mention.end - mention.start
            return (-mention.rank, mention.implied, preference, mention.start, -length)

        ordered = sorted(found, key=standing)
        winner = ordered[0]
        taken = _evidence(problem, winner)
        reading.evidence.append(taken)
        reported: set[str] = {winner.value}
        for loser in ordered[1:]:
            if loser.value in reported or winner.start <= loser.start < loser.end <= winner.end:
                continue  # the same words read two ways ("chronic pain syndrome") is no conflict
            reported.add(loser.value)
            rule = "section" if loser.rank < winner.rank else "preference"
            if rule == "preference" and loser.value not in spec.prefer:
                rule = "first"
            reading.conflicts.append(_conflict(taken, _evidence(problem, loser), rule))
        return winner.value


def _flatten(reading: NoteReading) -> None:
    """A note with one problem (or none) is one flat record: its answers win over the shared
    ones, and all evidence belongs to problem 1."""
    own = reading.problems[0] if reading.problems else {}
    merged = {**reading.shared, **own}
    reading.evidence = [
        _renumbered(item) for item in reading.evidence if item.problem == 1 or item.id not in own
    ]
    reading.conflicts = [_renumbered(item) for item in reading.conflicts]
    reading.shared, reading.problems = {}, [merged] if merged else []


def _renumbered(item: Any) -> Any:
    return item if item.problem == 1 else item._replace(problem=1)


def _status(target: Target) -> tuple[str, str]:
    """ConText's reading of a target, strongest category first, with the modifier's words."""
    if not target.modifiers:
        return "asserted", ""
    found: dict[str, str] = {}
    for category, words in target.modifiers:
        found.setdefault(category, words)
    for category, status in _STATUS_BY_CATEGORY:
        if category in found:
            return status, found[category]
    return "asserted", ""


def _needs_negation(target: Target) -> bool:
    """The pattern settles its value only from a negated mention ("denies radiating pain")."""
    return "negated" in target.pattern.when and "asserted" not in target.pattern.when


def _negated(target: Target) -> bool:
    """ConText negates the mention, whatever else modifies it ("mother denies sciatica")."""
    return any(category == "NEGATED_EXISTENCE" for category, _ in target.modifiers)


def _distance(first: Mention, second: Mention) -> int:
    """Characters between two mentions; 0 when they overlap."""
    return max(0, max(first.start, second.start) - min(first.end, second.end))


def _first_place(problem: _Problem, question: str) -> Any:
    places: dict[str, int] = {}
    for mention in problem.mentions:
        if mention.question == question:
            places.setdefault(mention.value, mention.start)
    return lambda value: places.get(value, 0)


def _evidence(problem: int | None, mention: Mention) -> Evidence:
    return Evidence(
        problem,
        mention.question,
        mention.value,
        mention.quote,
        mention.start,
        mention.end,
        mention.section,
    )


def _evidence_for(
    reading: NoteReading, problem: int | None, question: str, value: Answer
) -> Evidence | None:
    wanted = value[0] if isinstance(value, list) and value else value
    for item in reading.evidence:
        if item.problem == problem and item.id == question and item.value == wanted:
            return item
    return None


_RULES = {
    "section": "the {winner} section wins over the {loser} section",
    "preference": "{value} is the more specific reading of the same words",
    "first": "same standing: the first mention in the note is taken",
    "problem": "the problem's own statement wins over the note's shared statement",
}


def _conflict(winner: Evidence, loser: Evidence, rule: str) -> Conflict:
    return Conflict(
        winner.problem,
        winner.id,
        winner.value,
        loser.value,
        loser.quote,
        loser.start,
        loser.end,
        loser.section,
        _RULES[rule].format(winner=winner.section, loser=loser.section, value=winner.value),
    )


def parse_notes(text: str, where: str) -> NotesFile:
    """A note-reading rule file's text, validated; one line naming `where` (the file) and the
    first problem. The caller reads the file (the files floor), this only parses it."""
    import yaml

    from backcoder.notes.model import validate_notes
    from backcoder.notes.vocabulary import RuleFileError

    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: a tenth of the time
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        raise RuleFileError(f"{where}: not valid YAML ({_first_line(str(error))})") from None
    if not isinstance(data, dict):
        raise RuleFileError(
            f"{where}: a note-reading rule file is a mapping with name, version, for_rules, "
            "sections and questions"
        )
    try:
        return validate_notes(data)
    except Exception as error:  # pydantic's ValidationError, imported lazily
        errors = getattr(error, "errors", None)
        if callable(errors):
            first = errors()[0]
            where_in = ".".join(str(part) for part in first["loc"]) or "(top)"
            raise RuleFileError(f"{where}: {where_in}: {first['msg']}") from None
        raise


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
