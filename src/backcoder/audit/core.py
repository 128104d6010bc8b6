"""The audit of one claim: its codes judged on its date of service, and the coding rules.

`Auditor.audit(claim)` takes a claim as a dict (`codes`, `date_of_service`, optional
`answers` or `note`, `_` keys) and returns its result as a dict, or raises ClaimError with the
one line that says what is wrong with the claim itself. It is a pure function of the claim:
the memos it keeps (a code's verdict per span of dates, a claim's findings per shape) only
save work, and it pickles as the rule file's path, so a worker process rebuilds it from its
own install.

Dates enter only through the span they fall in: the shipped releases and the addenda entries
change the verdict only on their own dates, so every date between two of those dates gets the
same verdict for the same code. Messages therefore never quote the date itself.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from backcoder.coding.coder import Coder
from backcoder.coding.result import Result
from backcoder.errors import BackcoderError
from backcoder.files.bundle import load_bundle
from backcoder.icd.codes import needs_seventh_character, normalize, with_seventh_character
from backcoder.icd.conventions import (
    MISSING_SEVENTH,
    Excludes1Notes,
    code_finding,
    disease_fracture_for_injury,
    excludes1_findings,
    is_sequela,
)
from backcoder.icd.index import TabularIndex
from backcoder.icd.releases import (
    HEADER,
    Coverage,
    ReleaseForDate,
    Releases,
    Status,
    Verdict,
    default_releases,
)
from backcoder.icd.tabular import fiscal_year, undotted
from backcoder.language.model import Explanation
from backcoder.language.model import Sequence as Sequencing

CODES, DATE, ANSWERS, NOTE = "codes", "date_of_service", "answers", "note"
CLAIM_KEYS = (CODES, DATE, ANSWERS, NOTE)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SEPARATORS = re.compile(r"[\s;,]+")
PAIN_CATEGORY = "G89"
OSTEOPOROSIS_FRACTURE = "M80"
NEOPLASM_PAIN = "G89.3"
MAX_CODES_SUGGESTED = 12
"""More codes than this to choose from are named as a sentence, not as a list of codes."""
UNSPECIFIED = re.compile(r"\bunspecified\b", re.IGNORECASE)
TITLE_REGIONS = {
    "occipito-atlanto-axial": "occipito_atlanto_axial",
    "cervicothoracic": "cervicothoracic",
    "thoracolumbar": "thoracolumbar",
    "lumbosacral": "lumbosacral",
    "cervical": "cervical",
    "thoracic": "thoracic",
    "lumbar": "lumbar",
    "sacral and sacrococcygeal": "sacral",
}
TITLE_REGION = re.compile(r"\b(" + "|".join(TITLE_REGIONS) + r") region\b")
"""The spinal regions as the tabular's titles name them (M54.16 "Radiculopathy, lumbar
region"), longest first so that "cervicothoracic" is not read as "cervical"."""


class Severity(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"


class Rule(StrEnum):
    """The stable rule ids of the contract, and their severities below."""

    invalid_code = "invalid-code"
    not_billable = "not-billable"
    not_valid_on_date = "not-valid-on-date"
    missing_seventh = "missing-seventh"
    excludes1 = "excludes1"
    symptom_with_definitive = "symptom-with-definitive"
    combination_code = "combination-code"
    g89_sequencing = "g89-sequencing"
    unspecified = "unspecified"
    less_specific = "less-specific"
    duplicate = "duplicate"
    not_judged = "not-judged"


SEVERITY = {
    Rule.invalid_code: Severity.error,
    Rule.not_billable: Severity.error,
    Rule.not_valid_on_date: Severity.error,
    Rule.missing_seventh: Severity.error,
    Rule.excludes1: Severity.error,
    Rule.symptom_with_definitive: Severity.warning,
    Rule.combination_code: Severity.warning,
    Rule.g89_sequencing: Severity.warning,
    Rule.unspecified: Severity.info,
    Rule.less_specific: Severity.warning,
    Rule.duplicate: Severity.warning,
    Rule.not_judged: Severity.info,
}


LEAVE_OUT = frozenset({Rule.excludes1, Rule.symptom_with_definitive, Rule.combination_code})
"""Findings that say a code should not be on the claim at all."""


class ClaimError(BackcoderError):
    """The claim itself cannot be audited (no codes, a date that is not a date, answers that
    cannot be coded): its result line carries `error` instead of findings."""


class AuditFinding(NamedTuple):
    code: str
    rule: Rule
    severity: Severity
    message: str
    source: str
    suggest: tuple[str, ...] = ()
    """Codes to report instead, or one sentence saying what to do."""

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "rule": str(self.rule),
            "severity": str(self.severity),
            "message": self.message,
            "source": self.source,
            "suggest": list(self.suggest),
        }


def finding(
    code: str, rule: Rule, message: str, source: str, suggest: Sequence[str] = ()
) -> AuditFinding:
    return AuditFinding(code, rule, SEVERITY[rule], message, source, tuple(suggest))


@dataclass(frozen=True, slots=True)
class CodeJudgement:
    """One code of a claim on one span of dates: what it is, and what is wrong with it."""

    given: str
    code: str
    title: str | None
    judged_by: tuple[str, ...]
    findings: tuple[AuditFinding, ...]
    known: bool
    """In the tabular: the claim-level checks (pairs, sequencing) look at it."""
    billable: bool
    """Reportable on the date: the unspecified check looks at it."""

    def as_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"code": self.code, "title": self.title}
        if self.given != self.code:
            entry["given"] = self.given
        entry["judged_by"] = list(self.judged_by)
        return entry


class Audited(NamedTuple):
    """A claim's result without its `_` keys and date, the part that claims of one shape on
    one span of dates share."""

    release: str
    codes: tuple[CodeJudgement, ...]
    findings: tuple[AuditFinding, ...]
    record_codes: tuple[str, ...] | None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "release": self.release,
            "codes": [judged.as_json() for judged in self.codes],
            "findings": [item.as_json() for item in self.findings],
        }
        if self.record_codes is not None:
            body["record_codes"] = list(self.record_codes)
        return body

    @property
    def has_error(self) -> bool:
        return any(item.severity is Severity.error for item in self.findings)


def _only_nos(note: str) -> bool:
    """An Excludes1 note that names the other code only for the condition not otherwise
    specified ("collapsed vertebra NOS (M48.5)")."""
    return " NOS (" in note


def _reportable(judged: CodeJudgement | None) -> bool:
    """Nothing about the code itself stops it being reported on the date (a code not
    judged for a date is not ruled out: never guessed)."""
    return judged is None or not any(item.severity is Severity.error for item in judged.findings)


class Auditor:
    """The audit of claims against the shipped releases, the whole tabular of the newest
    release and a rule file (the shipped back-pain rules when None)."""

    def __init__(self, rules: Path | None = None) -> None:
        self.rules_path = rules
        bundle = load_bundle(rules)
        self.coder = Coder(bundle)
        self.rules = bundle.rules
        self.knowledge = bundle.knowledge
        self.releases: Releases = default_releases()
        self.index = TabularIndex()
        self.notes = Excludes1Notes(self.index)
        self.combined = frozenset(
            code for entry in self.rules.combinations for pair in entry.pairs for code in pair
        )
        """Every code a `combinations` pair names: a claim without two of them has none."""
        year = fiscal_year(self.rules.icd10cm)
        self.guideline = f"ICD-10-CM Official Guidelines FY{year}, section"
        self.tree_codes = frozenset(bundle.derived.codes)
        self._breaks = _date_breaks(self.releases)
        self._codes: dict[tuple[str, int], CodeJudgement] = {}
        self._roles: dict[str, tuple[frozenset[int], frozenset[int]]] = {}
        self._siblings_on: dict[tuple[str, int], list[str]] = {}
        self._definitive: dict[str, bool] = {}

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """A worker process loads the auditor from its own install, once per rule file:
        the memos are not shipped."""
        return (shared_auditor, (self.rules_path,))

    # ------------------------------------------------------------------ claims

    def audit(self, claim: Mapping[str, Any]) -> dict[str, Any]:
        """A claim's result: its `_` keys, date, release, codes and findings."""
        carried = {key: value for key, value in claim.items() if key[:1] == "_"}
        check_keys(claim)
        day_text, day = read_date(claim.get(DATE))
        codes = read_codes(claim.get(CODES))
        record = self.code_record(claim)
        audited = self.audit_codes(codes, day, record)
        return {**carried, DATE: day_text, **audited.as_json()}

    def span(self, day: date | None) -> int:
        """The span of dates `day` falls in: all its days get the same verdicts."""
        return -1 if day is None else bisect.bisect_right(self._breaks, day)

    def audit_codes(
        self, codes: Sequence[str], day: date | None, record: Result | None = None
    ) -> Audited:
        """The findings of a claim's codes (in reporting order) on a date of service."""
        when = self.releases.release_for(day)
        span = self.span(day)
        judged = tuple(self.judge(code, day, when, span) for code in codes)
        by_code = {one.code: one for one in reversed(judged)}  # a code written twice: its first
        claimed = dict.fromkeys(one.code for one in judged)  # in claim order, each once
        findings = [item for code in claimed for item in by_code[code].findings]
        findings += self._repeated(judged)
        known = [one.code for one in judged if one.known]
        flagged: set[tuple[str, str]] = set()
        documented = frozenset(record.code_list) if record is not None else frozenset()
        findings += self._excludes1(known, by_code, flagged, documented)
        findings += self._symptoms(known, by_code, flagged, documented)
        findings += self._combinations(known, by_code)
        findings += self._g89(judged, record, documented)
        leave_out = {item.code for item in findings if item.rule in LEAVE_OUT}
        findings += self._unspecified(judged, record, when, day, leave_out)
        findings += self._less_specific(judged, by_code, record, leave_out)
        record_codes = tuple(record.code_list) if record is not None else None
        return Audited(when.text, judged, tuple(findings), record_codes)

    def code_record(self, claim: Mapping[str, Any]) -> Result | None:
        """The claim's documentation coded by the tree (answers, or a note with answers
        over it), or None when the claim has neither."""
        answers, note = claim.get(ANSWERS), claim.get(NOTE)
        if answers is None and note is None:
            return None
        from backcoder.audit.record import code_documentation

        try:
            return code_documentation(self.coder, answers, note)
        except BackcoderError as exc:
            raise ClaimError(str(exc)) from None

    # ------------------------------------------------------------------ codes

    def judge(self, given: str, day: date | None, when: ReleaseForDate, span: int) -> CodeJudgement:
        """One code on the date's span, judged once per (code, span)."""
        key = (given, span)
        found = self._codes.get(key)
        if found is None:
            if len(self._codes) > 200_000:
                self._codes.clear()
            found = self._codes[key] = self._judge(given, day, when)
        return found

    def _judge(self, given: str, day: date | None, when: ReleaseForDate) -> CodeJudgement:
        try:
            code = normalize(given)
        except BackcoderError as exc:
            text = str(given).strip()
            item = finding(text, Rule.invalid_code, str(exc), "ICD-10-CM code format")
            return CodeJudgement(text, text, None, (), (item,), False, False)
        verdict = self.releases.judge(code, day)
        info = self.index.info(code)
        newest = info.title if info is not None else None
        title = self.releases.title_for(code, verdict.judged_by, newest)
        items = self._validity(code, verdict, when)
        return CodeJudgement(
            given=given.strip(),
            code=code,
            title=title,
            judged_by=verdict.judged_by,
            findings=items,
            known=info is not None,
            billable=verdict.status is Status.VALID and verdict.billable,
        )

    def _validity(
        self, code: str, verdict: Verdict, when: ReleaseForDate
    ) -> tuple[AuditFinding, ...]:
        status = verdict.status
        if status is Status.VALID:
            return () if verdict.billable else self._header(code, verdict, when)
        if status is Status.NOT_JUDGED:
            return (self._not_judged(code, when),)
        if status is Status.NOT_A_CODE:
            return (self._placeholder(code, when) or self._invalid(code, verdict, when),)
        return (self._not_valid(code, verdict, when),)

    def _release_source(self, verdict: Verdict) -> str:
        names = [self.releases.release(release).name for release in verdict.judged_by]
        source = "ICD-10-CM code set: " + "; ".join(names or self._all_release_names())
        if verdict.addenda is not None:
            source += f"; {verdict.addenda.cite()}"
        return source

    def _all_release_names(self) -> list[str]:
        return [release.name for release in self.releases.releases]

    def _invalid(self, code: str, verdict: Verdict, when: ReleaseForDate) -> AuditFinding:
        names = self._all_release_names()
        nearest: list[str] = list(verdict.suggest)
        message = f"{code} is not an ICD-10-CM code in any release from {names[0]} to {names[-1]}"
        step = self._next_level(code, nearest, when)
        if step is not None:
            message += f"; {step}"
            nearest = [step]
        elif nearest:
            day = "on the date of service" if when.day is not None else "in the current release"
            message += f"; the nearest real codes {day}: {', '.join(nearest)}"
        return finding(
            code, Rule.invalid_code, message, "ICD-10-CM code set: " + "; ".join(names), nearest
        )

    def _next_level(self, code: str, codes: Sequence[str], when: ReleaseForDate) -> str | None:
        """Too many codes to list (S32.09 gives the 180 beneath S32.0): one sentence naming
        the level beneath their nearest common code instead, a dash marking the codes that
        need more characters, as for a header; None when they are few enough to list."""
        if len(codes) <= MAX_CODES_SUGGESTED:
            return None
        bare = code.replace(".", "")
        for length in range(len(bare), 2, -1):
            stem = bare[:length] if length == 3 else f"{bare[:3]}.{bare[3:length]}"
            if all(other.startswith(stem) for other in codes):
                level = ", ".join(
                    other if reportable else f"{other}-"
                    for other, reportable in self.releases.children_on(stem, when.day)
                )
                return f"report the code beneath {stem} that the record supports: {level}"
        return None

    def _placeholder(self, code: str, when: ReleaseForDate) -> AuditFinding | None:
        """A 7th character without the placeholder X before it (S33.5A, I.A.4), or
        placeholder X without the 7th character (S33.5XX, I.A.5), when the code it stands
        for can be reported on the date; otherwise None, and the code is judged as invalid,
        with the codes of that date nearest to it (S30.11A in 2025: S30.11XA came in
        FY2026)."""
        bare = undotted(code)
        if bare.endswith("X") and len(bare) > 4:
            return self._padded_without_seventh(code, bare.rstrip("X"), when)
        if not 4 <= len(bare) <= 6 or not bare[-1].isalpha():
            return None
        stem = bare[:-1] if len(bare[:-1]) == 3 else f"{bare[:3]}.{bare[3:-1]}"
        padded = with_seventh_character(stem, bare[-1])
        info = self.index.info(padded)
        if info is None or not info.billable or not self.releases.reportable_on([padded], when.day):
            return None
        message = (
            f"{code} is missing its placeholder X: the 7th character must stand in the 7th "
            f"position, so the code is {padded} ({info.title})"
        )
        return finding(code, Rule.missing_seventh, message, f"{self.guideline} I.A.4", [padded])

    def _padded_without_seventh(
        self, code: str, bare_stem: str, when: ReleaseForDate
    ) -> AuditFinding | None:
        stem = bare_stem if len(bare_stem) == 3 else f"{bare_stem[:3]}.{bare_stem[3:]}"
        info = self.index.info(stem)
        if info is None or not needs_seventh_character(info):
            return None
        below = list(self.releases.reportable_on(info.children, when.day))
        if not below:
            return None
        message = (
            f"{code} has placeholder X but no 7th character: an injury or fracture code needs "
            f"its 7th character for the encounter ({', '.join(below)})"
        )
        source = f"{self.guideline} I.A.5; {_seventh_table(stem, info.seventh)}"
        return finding(code, Rule.missing_seventh, message, source, below)

    def _header(
        self, code: str, verdict: Verdict, when: ReleaseForDate
    ) -> tuple[AuditFinding, ...]:
        """A valid code that is never billable: a header, or a code short of its 7th
        character, as the tabular's convention check says. A header's suggestions are the
        codes billable beneath it on the date of service, never another header; when they
        are too many to list, one sentence names the next level, a dash marking the codes
        that need more characters (S32.0: S32.00-, S32.01-, ...)."""
        found = code_finding(self.index, code)
        below = list(found.below) if found is not None else []
        if found is not None and found.rule == MISSING_SEVENTH:
            info = self.index.info(code)
            message = (
                f"{code} is not complete: an injury or fracture code needs its 7th character "
                f"for the encounter ({', '.join(below)})"
            )
            table = _seventh_table(code, info.seventh if info else {})
            source = f"{self.guideline} I.A.5; {table}"
            return (finding(code, Rule.missing_seventh, message, source, below),)
        source = f"{self.guideline} I.B.2; {self._release_source(verdict)}"
        message = (
            f"{code} is a category or subcategory with codes beneath it, not a billable code: "
            "report the code beneath it that the record supports"
        )
        billable = self.releases.billable_below(code, when.day)
        if len(billable) <= MAX_CODES_SUGGESTED:
            message += f" ({', '.join(billable)})" if billable else ""
            return (finding(code, Rule.not_billable, message, source, billable),)
        level = ", ".join(
            other if reportable else f"{other}-"
            for other, reportable in self.releases.children_on(code, when.day)
        )
        step = f"report the code beneath {code} that the record supports: {level}"
        return (finding(code, Rule.not_billable, f"{message} ({level})", source, [step]),)

    def _not_valid(self, code: str, verdict: Verdict, when: ReleaseForDate) -> AuditFinding:
        instead = list(verdict.suggest)
        judging = [self.releases.release(release) for release in verdict.judged_by]
        header = any(self.releases.state(code, release) == HEADER for release in judging)
        what = "is a header, not a reportable code," if header else "is not a code"
        message = f"{code} {what} on the date of service ({when.text})"
        if verdict.addenda is not None:
            message += f"; the change took effect on {verdict.addenda.effective.isoformat()}"
        step = self._next_level(code, instead, when)
        if step is not None:
            message += f": {step}"
            instead = [step]
        elif instead:
            message += f": report {_one_of(instead)} instead"
        source = self._release_source(verdict)
        return finding(code, Rule.not_valid_on_date, message, source, instead)

    def _not_judged(self, code: str, when: ReleaseForDate) -> AuditFinding:
        if when.coverage is Coverage.BEFORE_FIRST:
            message = f"the date of service is {when.text}: {code} is not judged for that date"
        else:
            message = (
                f"{code} changed {when.text} and no official addenda entry dates the change: "
                "its validity on the date of service is not judged"
            )
        source = "ICD-10-CM code set: " + "; ".join(self._all_release_names())
        step = "check the code against the ICD-10-CM release in force on the date of service"
        return finding(code, Rule.not_judged, message, source, [step])

    # ------------------------------------------------------------ claim checks

    def roles(self, code: str) -> tuple[frozenset[int], frozenset[int]]:
        """The `explains` entries (by position) that name the code as a symptom, and those
        that name it as a diagnosis explaining one: worked out once per code."""
        found = self._roles.get(code)
        if found is None:
            entries = self.rules.explains
            found = self._roles[code] = (
                frozenset(n for n, e in enumerate(entries) if _covers_any(e.symptoms, code)),
                frozenset(n for n, e in enumerate(entries) if _covers_any(e.by, code)),
            )
        return found

    def explanation(self, symptom: str, cause: str) -> Explanation | None:
        """RuleSet.explanation (the first entry by which `cause` explains `symptom`), from
        each code's entries."""
        shared = self.roles(symptom)[0] & self.roles(cause)[1]
        return self.rules.explains[min(shared)] if shared else None

    def in_scope(self, code: str) -> bool:
        """A code of the back-pain rules: one the tree reports, one its `explains` table
        names, or a G89 pain code. Other codes are judged for validity only."""
        symptom_of, explains = self.roles(code)
        return (
            code in self.tree_codes
            or code.startswith(PAIN_CATEGORY)
            or bool(symptom_of)
            or bool(explains)
        )

    def is_definitive(self, code: str) -> bool:
        """A diagnosis or injury that explains back pain at its site (the rule file's
        `explains`), not a sequela (its residual condition is coded first, I.C.19.a)."""
        found = self._definitive.get(code)
        if found is None:
            found = self._definitive[code] = bool(self.roles(code)[1]) and not is_sequela(
                self.index, code
            )
        return found

    def _repeated(self, judged: Sequence[CodeJudgement]) -> list[AuditFinding]:
        seen: set[str] = set()
        found = []
        for one in judged:
            if one.code in seen:
                message = f"{one.code} is on the claim twice: a code is reported once per claim"
                source = f"{self.guideline} I.B.12"
                found.append(
                    finding(one.code, Rule.duplicate, message, source, [f"report {one.code} once"])
                )
            seen.add(one.code)
        return found

    def _excludes1(
        self,
        codes: Sequence[str],
        by_code: Mapping[str, CodeJudgement],
        flagged: set[tuple[str, str]],
        documented: frozenset[str] = frozenset(),
    ) -> list[AuditFinding]:
        """Every Excludes1 pair on the claim, back-pain codes or not (a claim is coded as a
        whole), unless the rule file allows the pair for unrelated conditions (I.A.12.a) or
        the claim's documentation, coded, reports both (`documented`: its problems stand at
        different documented sites, or are documented apart).
        Each pair found goes into `flagged` as (the code to leave out, the code to keep)."""
        found = []
        for item in excludes1_findings(self.index, codes, self._unrelated, notes=self.notes):
            first, second = item.code, item.other or ""
            if first in documented and second in documented:
                continue
            if self._neither_decides(first, second):
                found.append(self._either(first, second, item.source, by_code))
                continue
            loser, keep = self._gives_way(first, second)
            flagged.add((loser, keep))
            instead = self._kept(
                keep, by_code, lambda code, loser=loser: self._excluded(loser, code)
            )
            message = (
                f"{first} and {second} are never coded together ({item.source}): report "
                f"{_one_of(instead)} without {loser}, unless the provider documents the two "
                "conditions as unrelated"
            )
            source = f"Tabular {item.source}; {self.guideline} I.A.12.a"
            found.append(finding(loser, Rule.excludes1, message, source, instead))
        return found

    def _neither_decides(self, first: str, second: str) -> bool:
        """Two codes outside the back-pain rules whose notes each name the other (E10.9 and
        E11.9): nothing here says which the record supports."""
        return not (self.in_scope(first) or self.in_scope(second)) and bool(
            self.notes.note(first, second) and self.notes.note(second, first)
        )

    def _either(
        self, first: str, second: str, note: str, by_code: Mapping[str, CodeJudgement]
    ) -> AuditFinding:
        """The finding for a pair of which either may be right: on the later code, naming
        both, so the coder keeps the one the documentation supports; a code that cannot be
        reported on the date (its own finding says why) is never suggested."""
        message = (
            f"{first} and {second} are never coded together ({note}): report the one the "
            "documentation supports, unless the provider documents the two conditions as "
            "unrelated"
        )
        source = f"Tabular {note}; {self.guideline} I.A.12.a"
        suggest = [code for code in (first, second) if _reportable(by_code.get(code))]
        return finding(second, Rule.excludes1, message, source, suggest)

    def _unrelated(self, first: str, second: str) -> str | None:
        """The I.A.12.a reason two codes may stand together: never when one explains the
        other at its site (a sequela explains nothing: its residual is coded beside it,
        I.C.19.a); the rule file's, or two regions the codes' own titles name that do not
        meet (a lumbar radiculopathy, M54.16, beside a cervical spondylosis with
        radiculopathy, M47.22)."""
        for symptom, cause in ((first, second), (second, first)):
            if self.explanation(symptom, cause) and self.is_definitive(cause):
                return None
        allowed = self.rules.excludes1_exception(first, second)
        if allowed is not None:
            return allowed
        one, other = self._title_regions(first), self._title_regions(second)
        if one and other and not any(self.rules.sites_meet(a, b) for a in one for b in other):
            return "the codes name different regions, so the conditions are unrelated"
        return None

    def _title_regions(self, code: str) -> frozenset[str]:
        """The spinal regions a code's title names ("..., lumbar region"), as values of the
        site question; none for a title that names no region."""
        info = self.index.info(code)
        title = info.title.lower() if info is not None else ""
        return frozenset(TITLE_REGIONS[found] for found in TITLE_REGION.findall(title))

    def _gives_way(self, first: str, second: str) -> tuple[str, str]:
        """(the code to leave out, the code to keep): the symptom before the definitive
        diagnosis; otherwise the code whose note names the other, the broader one (M54.5
        excludes lumbago with sciatica, M54.4-, which includes it)."""
        for one, other in ((first, second), (second, first)):
            if self.is_definitive(other) and not self.is_definitive(one):
                return one, other
        names, named_by = self.notes.note(first, second), self.notes.note(second, first)
        if names and named_by and _only_nos(names) != _only_nos(named_by):
            # Each note names the other (M80 excludes collapsed vertebra NOS, M48.5; M48.5
            # excludes the fracture due to osteoporosis, M80.-): the note that names the
            # other only as NOS does not hold once the claim gives the cause, so the code
            # the unqualified note names is kept, whatever the claim's order (I.C.13.d.2).
            return (second, first) if _only_nos(names) else (first, second)
        if names:
            return first, second
        return second, first

    def _excluded(self, loser: str, code: str) -> bool:
        return self.notes.conflict(loser, code) is not None

    def _kept(
        self, keep: str, by_code: Mapping[str, CodeJudgement], still: Callable[[str], bool]
    ) -> list[str]:
        """The codes to report for `keep`: itself when it is billable on the date; otherwise
        the codes its own finding suggests (S39.012: S39.012A, S39.012D, S39.012S; M51.36 in
        2025: M51.360 ...), those for which the pair still holds first, so that a finding
        never suggests a code that cannot be reported that day."""
        judged = by_code.get(keep)
        if judged is None or judged.billable:
            return [keep]
        codes = [
            code
            for item in judged.findings
            for code in item.suggest
            if " " not in code and code != keep
        ]
        return [code for code in codes if still(code)] or codes or [keep]

    def _symptoms(
        self,
        codes: Sequence[str],
        by_code: Mapping[str, CodeJudgement],
        flagged: set[tuple[str, str]],
        documented: frozenset[str] = frozenset(),
    ) -> list[AuditFinding]:
        """A pain symptom beside the diagnosis or injury that explains it at its site; not
        when the claim's documentation, coded, reports both: its problems stand at
        different documented sites, which the codes alone cannot show. Nor when the
        documentation reports beside the diagnosis, in the place of an unspecified symptom,
        a pain code of its own family that the claim lacks (M54.59 where the claim has
        M54.9): the record puts that pain apart from the diagnosis, and the unspecified code
        is then judged as one (I.B.18), naming the documented code."""
        found = []
        claimed = frozenset(codes)
        for symptom in dict.fromkeys(codes):
            for cause in dict.fromkeys(codes):
                if cause == symptom or (symptom, cause) in flagged:
                    continue
                if cause in documented and (
                    symptom in documented
                    or self._documented_instead(by_code[symptom], documented, claimed)
                ):
                    continue
                entry = self.explanation(symptom, cause)
                if entry is None or not self.is_definitive(cause):
                    continue
                message = (
                    f"{symptom} is a symptom that {cause} explains at the same site, and is not "
                    f"coded beside it: {entry.why}"
                )
                sources = "; ".join([f"{self.guideline} I.B.5", f"{self.guideline} I.B.4"])
                instead = self._kept(
                    cause,
                    by_code,
                    lambda code, symptom=symptom: bool(self.explanation(symptom, code)),
                )
                found.append(
                    finding(symptom, Rule.symptom_with_definitive, message, sources, instead)
                )
                break
        return found

    def _documented_instead(
        self, symptom: CodeJudgement, documented: frozenset[str], claimed: frozenset[str]
    ) -> bool:
        """Whether the symptom is an unspecified code and the documentation, coded, reports a
        code of its own family (beneath its parent: M54.59 for M54.9 or M54.50) that the
        claim does not carry. A specified symptom (M54.2) stands for its own site: the
        diagnosis beside it still explains it."""
        if not UNSPECIFIED.search(symptom.title or ""):
            return False
        info = self.index.info(symptom.code)
        parent = info.parent if info is not None and info.parent else symptom.code
        return any(
            other != symptom.code and other.startswith(parent) and other not in claimed
            for other in documented
        )

    def _combinations(
        self, codes: Sequence[str], by_code: Mapping[str, CodeJudgement]
    ) -> list[AuditFinding]:
        """A code beside the combination code that identifies the same condition fully, from
        the rule file's `combinations`, the table the encounter applies across problems."""
        named = [code for code in dict.fromkeys(codes) if code in self.combined]
        if len(named) < 2:
            return []
        found = []
        for part in named:
            whole = next((c for c in named if self.rules.combination(part, c)), None)
            if whole is None:
                continue
            entry = self.rules.combination(part, whole)
            assert entry is not None
            message = (
                f"{part} is not coded beside the combination code {whole}, which identifies "
                f"the condition fully: {entry.why}"
            )
            instead = self._kept(whole, by_code, lambda code: True)
            source = f"{self.guideline} I.B.9"
            found.append(finding(part, Rule.combination_code, message, source, instead))
        return found

    def _g89(
        self,
        judged: Sequence[CodeJudgement],
        record: Result | None,
        documented: frozenset[str] = frozenset(),
    ) -> list[AuditFinding]:
        """G89 first-listed outside a pain-management encounter (I.C.6.b.1.a), unless a
        sequela is on the claim (chronic pain as the residual condition comes first,
        I.C.19.a); G89 after another code when the documentation makes the encounter one for
        pain management; G89 beside a known definitive diagnosis when the encounter is not for
        pain management (I.C.6.b), unless the documentation, coded, reports the G89 code
        beside every such diagnosis on the claim (its chronic pain is at another documented
        site). First-listed is the claim's first code, whatever it is: an invalid code before
        G89 is still listed before it."""
        codes = [one.code for one in judged if one.known]
        pain = [code for code in dict.fromkeys(codes) if code.startswith(PAIN_CATEGORY)]
        if not pain:
            return []
        managed = record is not None and _pain_managed(record)
        found = []
        first = judged[0].code
        residual = any(is_sequela(self.index, code) for code in codes)
        if first in pain and not managed and not residual:
            found.append(self._g89_first(first, codes, record is not None))
        if managed and first not in pain:
            found.append(self._g89_not_first(pain[0], first))
            return found
        definitive = [code for code in codes if self.is_definitive(code)]
        if definitive and self._pain_left(codes, definitive):
            definitive = []  # a site's pain no diagnosis explains: the G89 code may be its
        for code in pain:
            if code in (first, NEOPLASM_PAIN) or not definitive:
                continue
            if code in documented and documented.issuperset(definitive):
                continue
            message = (
                f"{code} is coded beside the definitive diagnosis {definitive[0]} and is not "
                "first-listed, so the encounter is not coded as one for pain management: a G89 "
                "code is not assigned when the underlying diagnosis is known"
            )
            step = f"remove {code}, or list it first if the encounter is for pain management"
            source = f"{self.guideline} I.C.6.b"
            found.append(finding(code, Rule.g89_sequencing, message, source, [step]))
        return found

    def _pain_left(self, codes: Sequence[str], definitive: Sequence[str]) -> bool:
        """Whether a pain symptom on the claim stands unexplained by every diagnosis on it
        (M54.50 beside a thoracic strain, S29.012A): its chronic pain is the G89 code's, and
        no known diagnosis underlies it (I.C.6.b.1)."""
        return any(
            self.roles(code)[0]
            and not code.startswith(PAIN_CATEGORY)
            and not any(self.explanation(code, cause) for cause in definitive)
            for code in codes
        )

    def _g89_not_first(self, pain: str, first: str) -> AuditFinding:
        """The documentation makes the encounter one for pain control or management, and the
        claim lists another code before its G89 code (I.C.6.b.1.a)."""
        message = (
            f"{pain} is not first-listed, but the documentation makes this an encounter for "
            f"pain control or management: the G89 code comes first, then the site code or the "
            f"underlying condition ({first})"
        )
        source = f"{self.guideline} I.C.6.b.1.a"
        return finding(pain, Rule.g89_sequencing, message, source, [f"list {pain} first"])

    def _g89_first(self, first: str, codes: Sequence[str], documented: bool) -> AuditFinding:
        said = (
            "the documentation does not make this an encounter for pain control or management"
            if documented
            else "correct only when the encounter is for pain control or management"
        )
        others = [code for code in codes if not code.startswith(PAIN_CATEGORY)]
        step = (
            f"list {others[0]} first unless the encounter is for pain control or management"
            if others
            else "confirm the encounter is for pain control or management"
        )
        message = (
            f"{first} is first-listed: {said}; otherwise the site code or the underlying "
            "condition comes first"
        )
        source = f"{self.guideline} I.C.6.b.1"
        return finding(first, Rule.g89_sequencing, message, source, [step])

    def _unspecified(
        self,
        judged: Sequence[CodeJudgement],
        record: Result | None,
        when: ReleaseForDate,
        day: date | None,
        leave_out: set[str],
    ) -> list[AuditFinding]:
        """Unspecified codes of the back-pain rules, once each; not a code already found to
        be left out (Excludes1, a symptom beside its diagnosis)."""
        found = []
        claimed = {one.code for one in judged}
        unique: dict[str, CodeJudgement] = {}
        for one in judged:
            unique.setdefault(one.code, one)
        for one in unique.values():
            if (
                one.code in leave_out
                or not one.billable
                or not self.in_scope(one.code)
                or not UNSPECIFIED.search(one.title or "")
            ):
                continue
            found.append(self._unspecified_finding(one, claimed, record, when, day))
        return found

    def _unspecified_finding(
        self,
        one: CodeJudgement,
        claimed: set[str],
        record: Result | None,
        when: ReleaseForDate,
        day: date | None,
    ) -> AuditFinding:
        code = one.code
        source = f"{self.guideline} I.B.18"
        risk = self._audit_risk(code)
        if record is not None:
            documented = self._replacements(code, [c for c in record.code_list if c not in claimed])
            if code not in record.code_list and documented:
                message = (
                    f"{code} ({one.title}) is unspecified, but the documentation supports "
                    f"{_one_of(documented)}: code to the highest specificity documented"
                )
                return AuditFinding(
                    code, Rule.unspecified, Severity.warning, message, source, tuple(documented)
                )
        siblings = self._siblings(code, when, day)
        message = f"{code} ({one.title}) is an unspecified code, which draws audit scrutiny"
        message += (
            ": the documentation supports nothing more specific; query the provider when the "
            "record suggests more"
            if record is not None
            else ": check the record supports nothing more specific, or query the provider"
        )
        if risk:
            message += f". {risk}"
        return finding(code, Rule.unspecified, message, source, siblings)

    def _less_specific(
        self,
        judged: Sequence[CodeJudgement],
        by_code: Mapping[str, CodeJudgement],
        record: Result | None,
        leave_out: set[str],
    ) -> list[AuditFinding]:
        """With answers or a note: a code of the back-pain rules, not unspecified, that the
        documentation, coded, replaces with a more specific code it names: the diagnosis
        that explains a symptom (M54.2 where a C5-C6 disc displacement is documented:
        M50.222), the combination code (M47.816 beside documented radiculopathy: M47.26),
        or another code beneath the same parent (M48.061 where neurogenic claudication is
        documented: M48.062; M54.41 where the sciatica is left: M54.42); and an injury code
        for a fracture the documentation puts down to disease (S32.010A where osteoporosis
        and a fall from standing height are documented: M80.08XA)."""
        if record is None:
            return []
        documented = record.code_list
        claimed = {one.code for one in judged}
        found = []
        for code in dict.fromkeys(one.code for one in judged):  # claim order, each code once
            one = by_code[code]
            if (
                code in documented
                or code in leave_out
                or code.startswith(PAIN_CATEGORY)
                or not one.billable
                or not self.in_scope(code)
                or UNSPECIFIED.search(one.title or "")
            ):
                continue
            instead = [c for c in documented if c not in claimed and self._instead(code, c)]
            if instead:
                found.append(self._less_specific_finding(one, instead))
        return found

    def _instead(self, code: str, other: str) -> tuple[str, ...]:
        """The guideline sections by which the documented `other` takes the place of the
        claimed `code`, or none."""
        if self.explanation(code, other) is not None:
            return ("I.B.4", "I.B.5")
        if self.rules.combination(code, other) is not None:
            return ("I.B.9",)
        info, theirs = self.index.info(code), self.index.info(other)
        if info and theirs and info.parent and info.parent == theirs.parent:
            return ("I.B.18",)
        if disease_fracture_for_injury(self.index, code, other):
            return ("I.C.13.d.2",) if other.startswith(OSTEOPOROSIS_FRACTURE) else ("I.C.13.c",)
        return ()

    def _less_specific_finding(self, one: CodeJudgement, instead: list[str]) -> AuditFinding:
        sections = dict.fromkeys(s for other in instead for s in self._instead(one.code, other))
        message = (
            f"{one.code} ({one.title}) is not what the documentation supports: it supports "
            f"{_one_of(instead)} instead; code what is documented, to its highest specificity"
        )
        source = "; ".join(f"{self.guideline} {section}" for section in sections)
        return AuditFinding(
            one.code, Rule.less_specific, Severity.warning, message, source, tuple(instead)
        )

    def _replacements(self, code: str, documented: Sequence[str]) -> list[str]:
        """The documented codes that take the place of an unspecified one: a code beneath
        the same parent (M54.50 -> M54.51), a diagnosis that explains it (M54.50 -> M51.26),
        or one an Excludes1 note forbids beside it (M54.9 -> F45.41). A G89 code or a code
        for another site (M54.2 for M54.50) is documented too, but replaces nothing; when no
        documented code relates to it, all of them are named."""
        info = self.index.info(code)
        parent = info.parent if info is not None and info.parent else code
        related = [
            other
            for other in documented
            if other.startswith(parent)
            or self.explanation(code, other) is not None
            or self.notes.conflict(code, other) is not None
        ]
        return related or list(documented)

    def _audit_risk(self, code: str) -> str:
        if self.knowledge is None:
            return ""
        found = self.knowledge.for_code(code)
        return found[1].audit_risk.strip() if found is not None else ""

    def _siblings(self, code: str, when: ReleaseForDate, day: date | None) -> list[str]:
        """The more specific codes beside an unspecified one, billable on the date."""
        key = (code, self.span(day))
        found = self._siblings_on.get(key)
        if found is None:
            found = self._siblings_on[key] = self._siblings_then(code, day)
        return found

    def _siblings_then(self, code: str, day: date | None) -> list[str]:
        info = self.index.info(code)
        parent = self.index.info(info.parent) if info is not None and info.parent else None
        if parent is None:
            return []
        return [
            other
            for other in parent.children
            if other != code
            and not UNSPECIFIED.search(_title(self.index, other))
            and self.releases.judge(other, day).billable
        ]


@cache
def shared_auditor(rules: Path | None = None) -> Auditor:
    """One auditor per process and rule file: loading takes about a second, and a worker
    audits many partitions."""
    return Auditor(rules)


# ------------------------------------------------------------------ reading a claim


def check_keys(claim: Mapping[str, Any]) -> None:
    unknown = [key for key in claim if key[:1] != "_" and key not in CLAIM_KEYS]
    if unknown:
        raise ClaimError(
            f"unknown key {unknown[0]!r}: a claim has codes, date_of_service, answers, note, "
            "and keys beginning with _ (copied to the result)"
        )


def read_codes(raw: Any) -> list[str]:
    """A claim's codes: a list of texts, or one text separated by spaces, semicolons or
    commas (a comma is never part of a code, and exports often write codes that way)."""
    if isinstance(raw, str):
        raw = [part for part in _SEPARATORS.split(raw) if part]
    if not isinstance(raw, list) or not raw:
        raise ClaimError(
            'a claim needs "codes": its ICD-10-CM codes in reporting order '
            '(e.g. "codes": ["M54.50", "G89.29"])'
        )
    bad = [item for item in raw if not isinstance(item, str)]
    if bad:
        raise ClaimError(f'codes are texts ("M54.50"), not {bad[0]!r}')
    return raw


def read_date(raw: Any) -> tuple[str | None, date | None]:
    """The date of service (ISO, YYYY-MM-DD), or None when the claim has none."""
    if raw is None or raw == "":
        return None, None
    if isinstance(raw, str) and _ISO_DATE.match(raw.strip()):
        try:
            return raw.strip(), date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise ClaimError(f"date_of_service {raw!r} is not a date: write it as YYYY-MM-DD (2025-03-01)")


# ------------------------------------------------------------------ helpers


def _date_breaks(releases: Releases) -> list[date]:
    """Every date on which a verdict can change: a release's first day, the day after its
    last certain day, and each addenda entry's effective date."""
    days = {entry.effective for entry in releases.addenda}
    for release in releases.releases:
        days.add(release.effective)
        days.add(release.until + timedelta(days=1))
    return sorted(days)


def _covers_any(patterns: Sequence[str], code: str) -> bool:
    return any(
        code.startswith(pattern[:-1]) if pattern.endswith("-") else code == pattern
        for pattern in patterns
    )


def _pain_managed(record: Result) -> bool:
    """The documentation makes the encounter one for pain management: the tree coded a G89
    code first-listed."""
    return bool(record.codes) and (
        record.codes[0].code.startswith(PAIN_CATEGORY)
        and record.codes[0].sequence is Sequencing.first
    )


def _seventh_table(code: str, table: Mapping[str, str]) -> str:
    """The 7th-character table as the tabular gives it."""
    return f"Tabular {code}, 7th characters: " + "; ".join(f"{k} {v}" for k, v in table.items())


def _one_of(codes: Sequence[str]) -> str:
    if len(codes) == 1:
        return codes[0]
    return ", ".join(codes[:-1]) + " or " + codes[-1]


def _title(index: TabularIndex, code: str) -> str:
    info = index.info(code)
    return info.title if info is not None else ""
