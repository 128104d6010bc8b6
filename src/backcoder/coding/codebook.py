"""Code knowledge at the prompt: what a code means, how it differs from its neighbours,
and what the provider's note must say to support it.

Everything comes from the rule bundle: official titles and notes from the tabular (the
shipped extract first, the compact index of the whole tabular for any other code, which
answers in milliseconds where parsing the official XML takes seconds), plain-language knowledge from
the knowledge file beside the rules, and the answer paths from the tree itself, so `explain`
can never disagree with the walker.
"""

from __future__ import annotations

import difflib
import re
from functools import cached_property
from typing import TYPE_CHECKING, Any

from backcoder.coding.bundle import RuleBundle
from backcoder.errors import CodeLookupError
from backcoder.icd.codes import needs_seventh_character, normalize
from backcoder.icd.index import TabularIndex
from backcoder.icd.tabular import CodeInfo, ancestry, release_label, undotted
from backcoder.language.knowledge import TEMPLATE_SECTIONS

if TYPE_CHECKING:
    from backcoder.coding.coder import Coder
    from backcoder.coding.result import Hint

SUGGESTIONS = 3


class CodeBook:
    """Looks codes up: the bundle's extract first, the whole tabular's index when needed."""

    def __init__(self, bundle: RuleBundle) -> None:
        self.bundle = bundle

    @cached_property
    def coder(self) -> Coder:
        """One coder for every path this book looks at (its engine plans the tree once)."""
        from backcoder.coding.coder import Coder

        return Coder(self.bundle)

    @cached_property
    def official(self) -> TabularIndex:
        """The whole tabular, from its index: one small shard decoded per category asked."""
        return TabularIndex()

    def info(self, code: str) -> CodeInfo | None:
        return self.bundle.tabular.info(code) or self.official.info(code)

    def resolve(self, text: str) -> CodeInfo:
        """The code `text` names, or one line saying why not, with the closest codes."""
        code = normalize(text)
        info = self.info(code)
        if info is None:
            near = self.closest(code)
            hint = f": did you mean {', '.join(near)}?" if near else ""
            release = release_label(self.bundle.rules.icd10cm)
            raise CodeLookupError(f"{code} does not exist in ICD-10-CM ({release}){hint}")
        if needs_seventh_character(info):
            raise CodeLookupError(
                f"{code} is not complete: it needs a 7th character ({', '.join(info.children)})"
            )
        return info

    def reportable(self, text: str) -> CodeInfo:
        """A code that can be reported: billable, not a header."""
        info = self.resolve(text)
        if not info.billable:
            below = ", ".join(self._billable_below(info)[:6])
            raise CodeLookupError(f"{info.code} is a header, not a reportable code: choose {below}")
        return info

    def closest(self, code: str) -> list[str]:
        """Billable codes near a code that does not exist: under its nearest valid ancestor,
        ranked by likeness."""
        bare = undotted(code)
        for length in range(len(bare) - 1, 2, -1):
            stem = bare[:length]
            parent = self.info(stem if length == 3 else f"{stem[:3]}.{stem[3:]}")
            if parent is not None:
                leaves = self._billable_below(parent)
                ranked = difflib.get_close_matches(code, leaves, n=SUGGESTIONS, cutoff=0)
                return sorted(ranked)
        return []

    def _billable_below(self, info: CodeInfo) -> list[str]:
        if info.billable:
            return [info.code]
        found: list[str] = []
        for child in info.children:
            child_info = self.info(child)
            if child_info is not None:
                found += self._billable_below(child_info)
        return found

    # ------------------------------------------------------------------ explain

    def explain(self, text: str) -> dict[str, Any]:
        info = self.resolve(text)
        paths = self.paths_to(info.code)
        knowledge = self.knowledge_for(info.code)
        return {
            "code": info.code,
            "title": info.title,
            "billable": info.billable,
            "beneath": [{"code": child, "title": self._title(child)} for child in info.children]
            if not info.billable
            else [],
            "notes": self.notes(info.code),
            "seventh_characters": info.seventh,
            "in_tree": bool(paths),
            "paths": [as_flags(path) for path in paths],
            "knowledge": knowledge,
            "more_specific": self.more_specific(paths[0]) if paths else [],
        }

    def _title(self, code: str) -> str:
        info = self.info(code)
        return info.title if info else ""

    def notes(self, code: str) -> list[dict[str, str]]:
        """Excludes1, Excludes2 and inclusion terms of the code and the codes above it."""
        found = []
        for info in ancestry(self, code):
            for kind in ("inclusion", "excludes1", "excludes2"):
                for text in getattr(info, kind):
                    found.append({"from": info.code, "kind": kind, "text": text})
        return found

    def knowledge_for(self, code: str) -> dict[str, Any] | None:
        knowledge = self.bundle.knowledge
        found = knowledge.for_code(code) if knowledge else None
        if found is None:
            return None
        key, entry = found
        return {
            "covers": key,
            "use_when": entry.use_when,
            "not_when": entry.not_when,
            "documentation": entry.documentation,
            "audit_risk": entry.audit_risk,
        }

    def paths_to(self, code: str) -> list[dict[str, str]]:
        """The simplest answer sets that reach the code, the one whose answers echo the
        code's title first (S39.012A, "... of lower back": region lumbar, not coccygeal)."""
        paths = self.bundle.derived.paths_to.get(code, [])
        title = set(_words(self._title(code)))
        return sorted(paths, key=lambda path: -len(title & self._answer_words(path)))

    def _answer_words(self, path: dict[str, str]) -> set[str]:
        words: set[str] = set()
        for question, value in path.items():
            choices = self.bundle.rules.questions[question].choices
            for part in value.split(","):
                if part in choices:
                    words.update(_words(choices[part].label))
        return words

    def more_specific(self, path: dict[str, str]) -> tuple[Hint, ...]:
        """The hints of the path's walk, without building a whole result for them."""
        from backcoder.coding.advice import more_specific
        from backcoder.engine.answers import Source, parse_answers

        coder = self.coder
        finished = coder.finish(parse_answers(coder.rules, path, Source.flag), missing_hint="")
        return more_specific(coder.engine, finished.walk.path)

    # ------------------------------------------------------------------ compare

    def compare(self, texts: list[str]) -> dict[str, Any]:
        codes = list(dict.fromkeys(self.resolve(text).code for text in texts))
        if len(codes) < 2:
            raise CodeLookupError(
                f"compare takes two or more different codes, not {codes[0]} alone"
            )
        explained = [self.explain(code) for code in codes]
        return {
            "codes": explained,
            "deciding_question": self.deciding_question([e["code"] for e in explained]),
        }

    def deciding_question(self, codes: list[str]) -> dict[str, Any] | None:
        """The first question, in the tree's order, whose answer differs between the codes'
        shortest paths: the question a coder answers to choose between them."""
        paths = [self.paths_to(code) for code in codes]
        if not all(paths):
            return None
        first = [path[0] for path in paths]
        order = list(self.bundle.rules.questions)
        shared = [q for q in order if all(q in path for path in first)]
        for question in shared:
            answers = {path[question] for path in first}
            if len(answers) > 1:
                return {
                    "question": question,
                    "text": self.bundle.rules.questions[question].text,
                    "answers": {
                        code: path[question] for code, path in zip(codes, first, strict=True)
                    },
                }
        missing = [q for q in order if any(q in path for path in first) and q not in shared]
        if missing:
            question = missing[0]
            return {
                "question": question,
                "text": self.bundle.rules.questions[question].text,
                "answers": {
                    code: path.get(question, "not asked")
                    for code, path in zip(codes, first, strict=True)
                },
            }
        return None

    # ------------------------------------------------------------------ template

    def template(self, text: str) -> str:
        info = self.reportable(text)
        paths = self.paths_to(info.code)
        fields = paths[0] if paths else {}
        reached_by_silence = {
            hint.question: f"not stated: {info.code} is the code when the note states none "
            + "(stating one changes the code: "
            + "; ".join(
                f"{value} -> {reach if isinstance(reach, str) else ', '.join(reach)}"
                for value, reach in hint.would_reach.items()
            )
            + ")"
            for hint in (self.more_specific(fields) if paths else ())
        }
        return self.render_template([info.code], fields, reached_by_silence)

    def render_template(
        self, codes: list[str], fields: dict[str, str], silence: dict[str, str] | None = None
    ) -> str:
        """Plain text for the provider's note; `*` marks what the tree needs, with the answer
        that leads to the code. For a record's answers a detail not documented shows as
        NOT DOCUMENTED, to fill in; for a code that needs the detail left out, `silence`
        says so instead, with what documenting it would reach."""
        rules = self.bundle.rules
        knowledge = self.bundle.knowledge
        lines = [f"Documentation template for {', '.join(f'{c} {self._title(c)}' for c in codes)}"]
        if fields:
            lines.append("Fields marked * decide the code; write them in the note.")
        else:
            lines.append("The shipped tree does not report this code: no field is marked.")
        by_section: dict[str, list[str]] = {section: [] for section in TEMPLATE_SECTIONS}
        for question, value in fields.items():
            entry = knowledge.questions.get(question) if knowledge else None
            section = entry.section if entry else "differential"
            guidance = f" ({entry.document})" if entry else ""
            shown = (silence or {}).get(question) or _answer_label(rules.questions[question], value)
            by_section[section].append(f"  * {rules.questions[question].text} {shown}{guidance}")
        for section in TEMPLATE_SECTIONS:
            lines += ["", SECTION_TITLES[section].upper(), f"  {SECTION_PROMPTS[section]}"]
            lines += by_section[section]
        for code in codes:
            entry = self.knowledge_for(code)
            if entry:
                lines += ["", f"TO SUPPORT {code}"]
                lines += [f"  - {item}" for item in entry["documentation"]]
        return "\n".join(lines) + "\n"


def _answer_label(question: Any, value: str) -> str:
    values = value.split(",")
    labels = [
        "NOT DOCUMENTED: ______" if v == "not_documented" else question.choices[v].label
        for v in values
        if v in question.choices
    ]
    return "; ".join(labels) if labels else "______"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]{4,}", text.lower())


def as_flags(path: dict[str, str]) -> str:
    return " ".join(f"-a {question}={value}" for question, value in path.items())


SECTION_TITLES = {
    "onset_duration": "Onset and duration",
    "character": "Character",
    "location_radiation": "Location and radiation",
    "severity": "Severity",
    "aggravating_relieving": "Aggravating and relieving factors",
    "neurological": "Neurological findings",
    "red_flags": "Red flags asked and answered",
    "differential": "Differential considered",
    "plan": "Plan",
}
SECTION_PROMPTS = {
    "onset_duration": "Date and mode of onset (injury: mechanism, date); duration; course.",
    "character": "Quality of the pain (aching, sharp, burning); its cause as assessed.",
    "location_radiation": "Site(s) of the pain; radiation (buttock, thigh, below the knee); side.",
    "severity": "Pain score (0-10) and functional impact.",
    "aggravating_relieving": "What worsens and what eases the pain (posture, activity, rest).",
    "neurological": "Strength, reflexes, sensation, straight-leg raise; root level if any.",
    "red_flags": "Cauda equina symptoms, fever, cancer history or weight loss, trauma with "
    "osteoporosis, night pain: each asked, with the answer.",
    "differential": "Diagnoses considered and the one established (with imaging if any).",
    "plan": "Reason for this encounter, phase of care, treatment and follow-up.",
}
