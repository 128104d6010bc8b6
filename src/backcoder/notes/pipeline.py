"""The clinical NLP pipeline: spaCy's blank English pipeline and medspaCy, built from data.

Components, and why each (the reader must stay within six times spaCy's floor, a blank
English pipeline with its rule-based sentencizer, so every component earns its place):

- spaCy's tokenizer and rule-based `sentencizer`: PyRuSH, medspaCy's default clinical splitter,
  is five times slower and its advantage is line structure, which the next component covers;
- `backcoder_note_lines`: a new sentence at each line that starts a statement (a list item,
  a capitalised line, after a blank line), so "1. Cervicalgia" and a templated line never
  share ConText's scope with the line before; wrapped lines that continue in lower case stay
  one sentence;
- medspaCy's Sectionizer with the section titles of the rule file (titles must start a line;
  each title is its own sentence, so "History of present illness:" never marks what follows
  as historical);
- targets: spaCy's PhraseMatcher for literal phrases and Python regular expressions for
  patterns (levels such as L4-5, L4/L5, L4-L5), as a span group, so that overlapping targets
  ("lumbar" and "lumbar radiculopathy") are all kept;
- medspaCy's ConText over that span group, with its shipped rules and the file's additions.

medspaCy is imported here only, when the first note is read.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backcoder.notes.deferred import deferred
from backcoder.notes.model import REGEX_FLAGS, NotesFile, Pattern
from backcoder.notes.vocabulary import BackcoderError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

INSTALL_HINT = "reading a note needs the notes extra: pip install 'backcoder[notes]'"
TARGETS = "backcoder_targets"
MAX_NOTE_CHARS = 100_000
"""A long clinical note is 2,000 to 20,000 characters; one of more than forty pages is not a
visit note (a whole chart pasted in) and is refused with one line rather than read for
minutes."""

_LIST_MARKERS = frozenset("-*•·–#")
"""What opens a list item on a new line ("# Neck pain" in a problem-oriented assessment)."""
_SENTENCE_END = frozenset(".:;!?")


CHUNK_TOKENS = 600
"""ConText compares every modifier with every target of the text it is given; a long note is
given to it in runs of whole sentences of about this many tokens (its scope never crosses a
sentence, so the reading is the same and the time stays linear in the note's length)."""


@dataclass(slots=True)
class Target:
    """One place in the note where a pattern matched: the words that may settle a value, and
    ConText's modifiers of them (category, the modifier's words)."""

    question: str
    value: str
    pattern: Pattern
    start: int
    end: int
    span: Span
    modifiers: tuple[tuple[str, str], ...] = ()


def import_libraries() -> dict[str, Any]:
    """spaCy and medspaCy, with their logging silenced; one line naming the extra if absent.
    The packages they import for what the reader never uses are imported lazily
    (`backcoder.notes.deferred`)."""
    try:
        with warnings.catch_warnings(), deferred():
            warnings.simplefilter("ignore")
            import spacy
            from medspacy.context import ConText, ConTextRule
            from medspacy.section_detection import SectionRule
    except ImportError as error:
        raise BackcoderError(INSTALL_HINT) from error
    _silence_logging()
    return {
        "spacy": spacy,
        "ConText": ConText,
        "ConTextRule": ConTextRule,
        "SectionRule": SectionRule,
    }


def _silence_logging() -> None:
    """medspaCy's splitter PyRuSH logs through loguru at DEBUG level to standard error by
    default; a coder's terminal and a batch's error stream are no place for it."""
    for name in ("medspacy", "PyRuSH", "spacy"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        from loguru import logger
    except ImportError:  # pragma: no cover - loguru comes with PyRuSH
        return
    for name in ("PyRuSH", "medspacy"):
        logger.disable(name)


def _register(language: type[Language], name: str, function: Any) -> str:
    if name not in language.factories:
        language.component(name, func=function)
    return name


def split_lines(doc: Doc) -> Doc:
    """Start a sentence at each line that starts a statement (see the module docstring).

    Sentence starts are written as one array: setting `Token.is_sent_start` one token at a
    time checks the whole document each time, which made long notes quadratic."""
    starts = doc.to_array(["SENT_START"])
    previous_word = None
    for index in range(1, len(doc)):
        token = doc[index]
        before = doc[index - 1]
        if token.is_space:
            continue
        if (
            before.is_space
            and "\n" in before.text
            and _starts_statement(token, before, previous_word)
        ) or _inline_item(doc, index):
            starts[index] = 1
        previous_word = token
    doc.from_array(["SENT_START"], starts)
    return doc


def split_sections(doc: Doc) -> Doc:
    """Each section title is a sentence of its own, and so is the start of its body: a title
    such as "History of present illness:" never lends ConText a modifier for what follows."""
    sections = doc._.sections
    if not sections:
        return doc
    starts = doc.to_array(["SENT_START"])
    for section in sections:
        for index in (section.title_start, section.title_end):
            if 0 <= index < len(doc):
                starts[index] = 1
                if index + 1 < len(doc) and starts[index + 1] == 0:
                    starts[index + 1] = -1
    doc.from_array(["SENT_START"], starts)
    return doc


def _inline_item(doc: Doc, index: int) -> bool:
    """An item number inside a line, "1) Sciatica 2) DJD L-spine": the "2)" starts an item."""
    token = doc[index]
    return (
        token.is_digit
        and len(token.text) <= 2
        and index + 1 < len(doc)
        and doc[index + 1].text == ")"
        and not doc[index - 1].like_num
        and doc[index - 1].text not in {"-", "/", "("}
    )


def _starts_statement(token: Any, newline: Any, previous_word: Any) -> bool:
    if newline.text.count("\n") > 1 or previous_word is None:
        return True
    if previous_word.text[-1:] in _SENTENCE_END:
        return True
    first = token.text[:1]
    return first in _LIST_MARKERS or first.isupper() or first.isdigit()


MAX_PHRASES_PER_RULE = 64


def _as_phrase_rules(rule: Any, context_rule: Any) -> list[Any]:
    """A ConText rule whose token pattern only lists lower-case words, as the equivalent
    literal rules: spaCy's PhraseMatcher finds them several times faster than its token
    Matcher, which was most of the reader's time per note. Other rules are kept as they are."""
    phrases = _phrases_of(rule.pattern)
    if phrases is None or not 0 < len(phrases) <= MAX_PHRASES_PER_RULE:
        return [rule]
    return [
        context_rule(
            literal=phrase,
            category=rule.category,
            direction=rule.direction,
            on_modifies=rule.on_modifies,
            allowed_types=rule.allowed_types or None,
            excluded_types=rule.excluded_types or None,
            max_scope=rule.max_scope,
            max_targets=rule.max_targets,
            terminated_by=rule.terminated_by or None,
            metadata=rule.metadata,
        )
        for phrase in phrases
    ]


def _phrases_of(pattern: Any) -> list[str] | None:
    """Every word sequence a token pattern of plain LOWER words matches, or None."""
    if not isinstance(pattern, list) or not pattern:
        return None
    sequences: list[list[str]] = [[]]
    for token in pattern:
        if not isinstance(token, dict) or set(token) - {"LOWER", "OP"}:
            return None
        operator = token.get("OP")
        if operator not in (None, "?"):
            return None
        lower = token.get("LOWER")
        if isinstance(lower, str):
            words = [lower]
        elif isinstance(lower, dict) and set(lower) == {"IN"}:
            words = list(lower["IN"])
        else:
            return None
        if any(" " in word or not word for word in words):
            return None
        choices: list[str | None] = [*words, None] if operator == "?" else list(words)
        sequences = [seq + ([word] if word else []) for seq in sequences for word in choices]
        if len(sequences) > MAX_PHRASES_PER_RULE:
            return None
    phrases = sorted({" ".join(seq) for seq in sequences if seq})
    return phrases or None


def _sentence_runs(doc: Doc) -> list[tuple[int, int]]:
    """Consecutive whole sentences of about CHUNK_TOKENS tokens, as token ranges."""
    runs: list[tuple[int, int]] = []
    start = 0
    for sentence in doc.sents:
        if sentence.end - start > CHUNK_TOKENS and sentence.start > start:
            runs.append((start, sentence.start))
            start = sentence.start
    runs.append((start, len(doc)))
    return runs


class NotePipeline:
    """The spaCy pipeline, matchers and ConText built once from a note-reading rule file."""

    def __init__(self, notes: NotesFile) -> None:
        with warnings.catch_warnings():
            # medspaCy warns when two titles share a category, and spaCy when a matcher of
            # the library has no token patterns: neither concerns a coder
            warnings.simplefilter("ignore")
            self._build(notes)

    def _build(self, notes: NotesFile) -> None:
        libraries = import_libraries()
        spacy = libraries["spacy"]
        self.notes = notes
        nlp = spacy.blank("en")
        nlp.max_length = MAX_NOTE_CHARS + 1
        nlp.add_pipe("sentencizer")
        nlp.add_pipe(_register(type(nlp), "backcoder_note_lines", split_lines))
        sectionizer = nlp.add_pipe(
            "medspacy_sectionizer",
            config={
                "rules": None,
                "require_start_line": True,
                "apply_sentence_boundary": False,
                "input_span_type": None,
                "span_attrs": None,
            },
        )
        nlp.add_pipe(_register(type(nlp), "backcoder_section_sentences", split_sections))
        section_rule = libraries["SectionRule"]
        sectionizer.add(
            [
                section_rule(
                    literal=title,
                    category=name,
                    parents=list(section.within) or None,
                    parent_required=bool(section.within),
                )
                for name, section in notes.sections.items()
                if not section.after
                for title in section.titles
            ]
        )
        self.nlp = nlp
        self.context = self._context(libraries)
        self._phrases, self._phrase_keys = self._phrase_matcher()
        self._regexes = [
            (question, value, pattern, re.compile(expression, REGEX_FLAGS))
            for question, value, pattern in self._patterns()
            for expression in pattern.regex
        ]

    def _patterns(self) -> list[tuple[str, str, Pattern]]:
        return [
            (question, value, pattern)
            for question, spec in self.notes.questions.items()
            for value, patterns in spec.values.items()
            for pattern in patterns
        ]

    def _context(self, libraries: dict[str, Any]) -> Any:
        context_rule = libraries["ConTextRule"]
        spec = self.notes.context
        context = libraries["ConText"](
            self.nlp,
            rules=None,
            input_span_type="group",
            span_group_name=TARGETS,
            span_attrs=None,
        )
        rules = []
        if spec.library_rules:
            dropped = {literal.lower() for literal in spec.drop}
            rules = [
                rule
                for rule in context_rule.from_json(context.DEFAULT_RULES_FILEPATH)
                if rule.literal.lower() not in dropped
            ]
        for added in spec.add:
            rules.append(
                context_rule(
                    literal=added.literal,
                    category=added.category,
                    pattern=added.pattern,
                    direction=added.direction,
                    allowed_types=set(added.allowed_types) if added.allowed_types else None,
                    excluded_types=set(added.excluded_types) if added.excluded_types else None,
                    max_scope=added.max_scope,
                )
            )
        rules = [phrase for rule in rules for phrase in _as_phrase_rules(rule, context_rule)]
        for rule in rules:
            if rule.direction.upper() == "TERMINATE" and rule.max_scope is None:
                # medspaCy ends a modifier's scope at a terminator only when their scopes
                # overlap without one containing the other: a terminator spanning its whole
                # sentence never ended the short backward scope of "normal" or "absent"
                # ("L1 vertebral collapse; labs normal" denied the collapse). A token each
                # side overlaps every scope the terminator stands in.
                rule.max_scope = 1
            excluded = spec.excluded_types.get(rule.category.upper())
            if excluded:
                rule.excluded_types = set(rule.excluded_types or ()) | {q.upper() for q in excluded}
        context.add(rules)
        return context

    def _phrase_matcher(self) -> tuple[Any, dict[int, tuple[str, str, Pattern]]]:
        from spacy.matcher import PhraseMatcher

        matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        keys: dict[int, tuple[str, str, Pattern]] = {}
        self._longest_phrase = 0
        for number, (question, value, pattern) in enumerate(self._patterns()):
            if not pattern.phrases:
                continue
            key = f"{question}={value}#{number}"
            phrases = [self.nlp.make_doc(phrase) for phrase in pattern.phrases]
            self._longest_phrase = max(self._longest_phrase, *(len(p) for p in phrases))
            matcher.add(key, phrases)
            keys[self.nlp.vocab.strings[key]] = (question, value, pattern)
        return matcher, keys

    def run(self, text: str) -> tuple[Doc, list[Target]]:
        """The processed note and every target found, with ConText applied to the targets."""
        if len(text) > MAX_NOTE_CHARS:
            raise BackcoderError(
                f"the note has {len(text):,} characters; at most {MAX_NOTE_CHARS:,} are read"
            )
        _refuse_surrogates(text)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            doc = self.nlp(text)
            targets = self._targets(doc, text)
            if targets:
                self._apply_context(doc, targets)
        return doc, targets

    def _apply_context(self, doc: Doc, targets: list[Target]) -> None:
        if len(doc) <= CHUNK_TOKENS:
            self._context_over(doc, targets, 0)
            return
        from spacy.tokens import Span

        by_start = sorted(targets, key=lambda target: target.span.start)
        first = 0
        for start, end in _sentence_runs(doc):
            while first < len(by_start) and by_start[first].span.start < start:
                first += 1
            last = first
            while last < len(by_start) and by_start[last].span.start < end:
                last += 1
            inside = [t for t in by_start[first:last] if t.span.end <= end]
            if not inside:
                continue
            piece = doc[start:end].as_doc()
            moved = [
                Span(piece, t.span.start - start, t.span.end - start, label=t.span.label_)
                for t in inside
            ]
            self._context_over(piece, inside, start, moved)

    def _context_over(
        self, doc: Doc, targets: list[Target], offset: int, spans: list[Span] | None = None
    ) -> None:
        """Run ConText over `doc` and keep each target's modifiers (words from `doc`)."""
        spans = spans if spans is not None else [target.span for target in targets]
        doc.spans[TARGETS] = spans
        self.context(doc)
        for target, span in zip(targets, spans, strict=True):
            target.modifiers = tuple(
                (modifier.category.upper(), doc[slice(*modifier.modifier_span)].text)
                for modifier in span._.modifiers
            )

    def _wrapped_phrases(self, doc: Doc) -> list[tuple[int, int, int]]:
        """Phrases broken by a wrapped line ("No inciting" at a line's end, "event" on the
        next): notes are hard-wrapped at a fixed width, and the line break is a token of its
        own that the PhraseMatcher will not step over. Around each line break inside a
        sentence, the words on either side (as many as the longest phrase has) are matched
        again without it; only matches that cross the break are kept, as (key, start, end)
        in the note's tokens, the break inside the span."""
        from spacy.tokens import Doc as SpacyDoc

        reach = self._longest_phrase - 1
        found: list[tuple[int, int, int]] = []
        if reach < 1:
            return found
        for index in range(1, len(doc) - 1):
            token = doc[index]
            if not (token.is_space and "\n" in token.text) or doc[index + 1].is_sent_start:
                continue
            if doc[index - 1].is_space or doc[index + 1].is_space:
                continue
            sentence = doc[index - 1].sent
            words = [
                i
                for i in range(
                    max(sentence.start, index - reach), min(sentence.end, index + 1 + reach)
                )
                if not doc[i].is_space
            ]
            piece = SpacyDoc(doc.vocab, words=[doc[i].text for i in words])
            for key, start, end in self._phrases(piece):
                first, last = words[start], words[end - 1]
                if first < index < last:
                    found.append((key, first, last + 1))
        return found

    def _targets(self, doc: Doc, text: str) -> list[Target]:
        from spacy.tokens import Span

        found: dict[tuple[str, str, int, int], Target] = {}
        for key, start, end in [*self._phrases(doc), *self._wrapped_phrases(doc)]:
            question, value, pattern = self._phrase_keys[key]
            span = Span(doc, start, end, label=question.upper())
            place = (question, value, span.start_char, span.end_char)
            found.setdefault(
                place, Target(question, value, pattern, span.start_char, span.end_char, span)
            )
        for question, value, pattern, expression in self._regexes:
            # a group named `mention` is the words that settle the value, the rest their
            # context: "fractures of T12 and L1" settles L1 with "L1", not with its neighbour
            # (an alternative without the group quotes all it matched)
            group = "mention" if "mention" in expression.groupindex else 0
            for match in expression.finditer(text):
                start, end = match.span(group)
                if start < 0:
                    start, end = match.span()
                if start == end or (question, value, start, end) in found:
                    continue
                span = doc.char_span(start, end, label=question.upper(), alignment_mode="expand")
                if span is None or not len(span):
                    continue
                found[(question, value, start, end)] = Target(
                    question, value, pattern, start, end, span
                )
        return sorted(found.values(), key=lambda target: (target.start, target.end))


def _refuse_surrogates(text: str) -> None:
    """A lone surrogate (a JSON `"\\ud800"` with no partner) is no character: the note
    cannot be written out as UTF-8, so it is refused by name rather than failing later."""
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        found = f"\\u{ord(text[exc.start]):04x}"
        raise BackcoderError(
            f"the note holds a lone surrogate ({found}, character {exc.start}), which is not "
            "text: a note is Unicode text (a pair of surrogates makes one character)"
        ) from None
