"""Loading a rule bundle: the rule file and its knowledge file, validated, or their built form.

A validation error is reported as one line naming the file, the line and the field.

A rule file's built form (`NAME.built.json`, written by `backcoder rules build`) holds the
validated rules and the extract of the tabular they need; it is used whenever it matches
the source file byte for byte, which keeps start-up fast.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from backcoder.coding.bundle import RuleBundle
from backcoder.errors import RuleFileError
from backcoder.files.reading import parse_json, parse_yaml, read_bytes
from backcoder.icd.tabular import CodeIndex, OfficialTabular
from backcoder.language.compiled import Derived, construct_knowledge, construct_rules
from backcoder.language.knowledge import Knowledge, knowledge_adapter
from backcoder.language.model import (
    NODE_CLASS_NAMES,
    NODE_CLASSES,
    RuleSet,
    dump_rules,
    node_kind,
    validate_rules,
)

SHIPPED_RULES = "back_pain.yaml"
BUILT_SUFFIX = ".built.json"
KNOWLEDGE_SUFFIX = ".knowledge.yaml"
BUILT_FORMAT = 1


def shipped_rules_path() -> Path:
    """The rule file backcoder ships: inside the installed package, or rules/ in a checkout."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package / "rules", package.parents[1] / "rules"):
        if (folder / SHIPPED_RULES).is_file():
            return folder / SHIPPED_RULES
    raise RuleFileError(f"the shipped rule file {SHIPPED_RULES} is missing from the installation")


def built_path(path: Path) -> Path:
    return path.with_name(path.stem + BUILT_SUFFIX)


def load_bundle(path: Path | None = None) -> RuleBundle:
    """The rules at `path` (the shipped rules when None), from the built form when current."""
    path = path or shipped_rules_path()
    sources = read_sources(path)
    built = _read_current_built(path, sources)
    if built is not None:
        knowledge = built.get("knowledge")
        return RuleBundle(
            construct_rules(built["rules"]),
            CodeIndex.from_json(built["codes"]),
            path,
            Derived.from_json(built["derived"]),
            construct_knowledge(knowledge) if knowledge is not None else None,
        )
    rules = parse_rules(path, sources[0])
    refuse_unrunnable(path, rules)
    return RuleBundle(rules, OfficialTabular(), path, knowledge=parse_knowledge(path))


def refuse_unrunnable(path: Path, rules: RuleSet) -> None:
    """A rule file with a dangling reference or a cycle cannot be walked: say so, once.

    (Built rule files passed the whole of `rules check` when they were built.)"""
    from backcoder.language.graph import runnability_defects

    problems = runnability_defects(rules)
    if problems:
        first = problems[0].line(str(path))
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise RuleFileError(f"{first}{more}; `backcoder rules check {path}` lists them all")


def source_files(path: Path | None) -> list[Path]:
    """Every file loading these rules reads: the rule file, its knowledge file, its built
    form (the ones that exist or not alike: the caller compares them with its outputs)."""
    path = path or shipped_rules_path()
    return [path, knowledge_path(path), built_path(path)]


def knowledge_path(path: Path) -> Path:
    return path.with_name(path.stem + KNOWLEDGE_SUFFIX)


def read_sources(path: Path) -> tuple[bytes, bytes | None]:
    """The rule file's bytes, and its knowledge file's when there is one."""
    knowledge = knowledge_path(path)
    extra = read_bytes(knowledge, RuleFileError) if knowledge.is_file() else None
    return read_bytes(path, RuleFileError), extra


def sources_sha256(sources: tuple[bytes, bytes | None]) -> str:
    rules, knowledge = sources
    return sha256(rules + b"\0" + knowledge) if knowledge is not None else sha256(rules)


def has_current_build(path: Path) -> bool:
    return _read_current_built(path, read_sources(path)) is not None


def _read_current_built(path: Path, sources: tuple[bytes, bytes | None]) -> dict[str, Any] | None:
    try:
        built = json.loads(read_bytes(built_path(path), RuleFileError))
    except (RuleFileError, ValueError, RecursionError):
        return None  # a built form that cannot be read is not used: the sources are
    if not isinstance(built, dict):
        return None
    current = built.get("format") == BUILT_FORMAT and built.get("source_sha256") == sources_sha256(
        sources
    )
    return built if current else None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def built_document(
    path: Path,
    rules: RuleSet,
    codes: CodeIndex,
    derived: Derived,
    knowledge: Knowledge | None,
    release: str,
) -> dict[str, Any]:
    """The built form: validated rules and knowledge, the tabular extract, derived facts, and
    the release of the tabular the extract was read from."""
    return {
        "format": BUILT_FORMAT,
        "source": path.name,
        "source_sha256": sources_sha256(read_sources(path)),
        "icd10cm": release,
        "rules": dump_rules(rules),
        "knowledge": knowledge_adapter().dump_python(knowledge, mode="json") if knowledge else None,
        "codes": codes.as_json(),
        "derived": derived.as_json(),
    }


def parse_knowledge(path: Path) -> Knowledge | None:
    """The knowledge file beside a rule file, validated; None when there is none."""
    from pydantic import ValidationError

    source = knowledge_path(path)
    if not source.is_file():
        return None
    data, lines = parse_yaml(source, read_bytes(source, RuleFileError), RuleFileError)
    try:
        return knowledge_adapter().validate_python(data)
    except ValidationError as exc:
        raise RuleFileError(_validation_line(source, exc.errors(), {}, lines)) from None


def parse_rules(path: Path, source: bytes | None = None) -> RuleSet:
    """Parse and validate a rule file; every failure is one line naming file and line."""
    source = read_bytes(path, RuleFileError) if source is None else source
    if path.suffix == ".json":
        data, lines = parse_json(path, source, RuleFileError), {}
    else:
        data, lines = parse_yaml(path, source, RuleFileError)
    if not isinstance(data, dict):
        raise RuleFileError(f"{path}: a rule file is a mapping with name, start, questions, nodes")
    from pydantic import ValidationError

    try:
        return validate_rules(data)
    except ValidationError as exc:
        raise RuleFileError(_validation_line(path, exc.errors(), data, lines)) from None


def _validation_line(
    path: Path, errors: list[Any], data: dict[str, Any], lines: dict[tuple[Any, ...], int]
) -> str:
    """The first error, as `file:line: where: what`; for a node, only the errors of the
    kind of node it is (ask, decide, each or outcome) count."""
    relevant = [located for error in errors if (located := _locate(error, data)) is not None]
    location, message = relevant[0] if relevant else (tuple(errors[0]["loc"]), errors[0]["msg"])
    where = ".".join(str(part) for part in location) or "(top)"
    found = (lines.get(location[:n]) for n in range(len(location), -1, -1))
    line = next((number for number in found if number), None)
    at = f"{path}:{line}" if line else str(path)
    more = f" (and {len(relevant) - 1} more)" if len(relevant) > 1 else ""
    return f"{at}: {where}: {message}{more}"


def _locate(error: Any, data: dict[str, Any]) -> tuple[tuple[Any, ...], str] | None:
    location = tuple(error["loc"])
    if len(location) >= 3 and location[0] == "nodes":
        nodes = data.get("nodes")
        raw = nodes.get(location[1]) if isinstance(nodes, dict) else None
        if location[2] in NODE_CLASS_NAMES:
            if location[2] != NODE_CLASSES[node_kind(raw)].__name__:
                return None
            location = location[:2] + location[3:]
    return location, error["msg"]
