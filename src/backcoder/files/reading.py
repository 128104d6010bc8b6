"""Reading YAML and JSON files safely, with line numbers for the messages.

YAML is read with the safe loader (a tag such as `!!python/object` is refused, never
run), and with `yes`/`no` kept as text, since they are answer values here, not booleans.
Every failure is one line naming the file (and the line where there is one).

Every reader has limits, checked before the work they bound, so hostile input is refused
in a moment instead of filling memory or the stack: the size of a file, the length of a
batch line, how deeply values nest, how far YAML aliases expand (answer files refuse
aliases outright). The same key twice in one mapping is refused, never resolved silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from backcoder.errors import AnswersFileError

MIB = 1024 * 1024
MAX_ANSWERS_FILE = 1 * MIB
"""An answers file (or a saved result replayed as one)."""
MAX_RULE_FILE = 16 * MIB
"""A rule file, its knowledge file, its built form: the shipped ones are well under 1 MiB."""
MAX_BATCH_LINE = 1 * MIB
"""One batch line; a longer line is an error line and the batch goes on."""
MAX_DEPTH = 64
"""How deeply mappings and lists may nest: answers need 3 levels, rule files about 8."""
MAX_YAML_NODES = 1_000_000
"""How many values a YAML document may stand for once its aliases are expanded."""


UTF8_BOM = b"\xef\xbb\xbf"


def open_binary(path: Path, error: type[Exception]) -> BinaryIO:
    """The file opened for reading, or `error` with one line saying why it cannot be."""
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror})") from None


def read_bytes(path: Path, error: type[Exception], limit: int = MAX_RULE_FILE) -> bytes:
    """The whole file, refused when larger than `limit` (read so a device such as
    /dev/zero is refused too, not read forever)."""
    with open_binary(path, error) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise error(f"{path}: cannot be read ({exc.strerror})") from None
    if len(data) > limit:
        raise error(f"{path}: larger than {_size(limit)}, the most this file may be")
    return data


def _size(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit} bytes"


READ_CHUNK = 64 * 1024


def bounded_lines(source: BinaryIO, limit: int = MAX_BATCH_LINE) -> Iterator[bytes]:
    """The lines of `source`, without their newline, read in blocks as they arrive (a
    typed line at once). A line longer than `limit` comes as its first limit + 1 bytes or
    more, never much more, so the caller refuses it by its length: its rest is skipped, not
    held in memory."""
    read = getattr(source, "read1", source.read)
    pending = b""
    head: bytes | None = None  # the start of a line too long, while its rest is skipped
    while block := read(READ_CHUNK):
        parts = block.split(b"\n")
        last = parts.pop()
        if parts:
            if head is not None:
                parts[0] = head  # the long line ends here: its start stands for it
                head = None
            elif pending:
                parts[0] = pending + parts[0]
            pending = b""
            yield from parts
        if head is None:
            pending += last
            if len(pending) > limit:
                head, pending = pending[: limit + 1], b""
    if head is not None or pending:
        yield head if head is not None else pending


def refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object_pairs_hook: the same key twice in one object is an error, not a choice."""
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return found


def carried_despite_duplicates(text: str) -> list[tuple[str, Any]]:
    """The `_` keys (a record id) of a JSON object refused for a key given twice, where they
    can still be read unchanged: each given once at the top level, no key given twice inside
    its value. A batch's error line then still carries its record id, so results join back
    to their records; where an id itself is in doubt, nothing is carried."""
    doubtful: set[int] = set()
    last: list[list[tuple[str, Any]]] = []

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found = dict(pairs)
        if len(found) != len(pairs):
            doubtful.add(id(found))
        last[:] = [pairs]
        return found

    try:
        data = json.JSONDecoder(object_pairs_hook=hook, parse_constant=_no_constant).decode(text)
    except (ValueError, RecursionError):
        return []
    if type(data) is not dict or too_deep(data):
        return []
    pairs = last[0]  # the outermost object closes last
    names = [key for key, _ in pairs]
    return [
        (key, value)
        for key, value in pairs
        if key[:1] == "_" and names.count(key) == 1 and not _holds(value, doubtful)
    ]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _holds(value: Any, doubtful: set[int]) -> bool:
    """Whether `value` is or holds one of the objects in `doubtful` (iteratively)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if id(item) in doubtful:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class DuplicateKey(ValueError):
    """A key given twice in one JSON object."""

    def __init__(self, key: str) -> None:
        super().__init__(f"key {key!r} given twice in one object")
        self.key = key


def json_kind(value: Any) -> str:
    """What a JSON value is, in the words of JSON rather than Python's (`text`, not `str`)."""
    names = {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")


def too_deep(data: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and mappings nest more than `limit` deep (iteratively: no recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def load_json(text: str | bytes) -> Any:
    """json.loads refusing repeated keys and anything nested deeper than MAX_DEPTH; raises
    ValueError (DuplicateKey for a repeated key) with the reason."""
    try:
        data = json.loads(text, object_pairs_hook=refuse_duplicates)
    except RecursionError:
        data = None
        deep = True
    else:
        deep = too_deep(data)
    if deep:
        raise TooDeep(f"nested more than {MAX_DEPTH} levels deep")
    return data


class TooDeep(ValueError):
    """Values nested beyond MAX_DEPTH."""


def parse_json(path: Path, source: bytes, error: type[Exception]) -> Any:
    try:
        return load_json(source)
    except DuplicateKey as exc:
        raise error(f"{path}: {exc}{_lines_of_key(source, exc.key)}") from None
    except TooDeep as exc:
        raise error(f"{path}: refused: {exc}") from None
    except ValueError as exc:
        raise error(f"{path}: not valid JSON ({exc})") from None


def _lines_of_key(source: bytes, key: str) -> str:
    """Where a repeated key is written (JSON parsers give no positions: found by its text)."""
    pattern = re.compile(re.escape(json.dumps(key)).encode() + rb"\s*:")
    found = [source.count(b"\n", 0, match.start()) + 1 for match in pattern.finditer(source)]
    lines = list(dict.fromkeys(found))
    if len(lines) == 1:
        return f" (line {lines[0]})"
    return f" (lines {', '.join(map(str, lines[:4]))})" if lines else ""


def _text_yes_no_loader() -> type:
    """The safe loader, except that only true/false are booleans (yes/no stay text), and a
    key given twice in one mapping is an error naming the lines of both."""
    import yaml

    class TextYesNoLoader(_fast_loader()):  # type: ignore[misc]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                _refuse_repeated_keys(node)
            return super().construct_mapping(node, deep=deep)

    boolean = "tag:yaml.org,2002:bool"
    TextYesNoLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != boolean]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    TextYesNoLoader.add_implicit_resolver(
        boolean, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return TextYesNoLoader


def _fast_loader() -> Any:
    """libyaml's safe loader where PyYAML was built with it (about twenty times faster on a
    large rule file), else the pure-Python one: the same documents, the same errors."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLimit(Exception):
    """A YAML document beyond a reader's limits; the message says which, at which line."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line


def _refuse_repeated_keys(node: Any) -> None:
    first_seen: dict[Any, int] = {}
    for key, _ in node.value:
        if not hasattr(key, "value") or not isinstance(key.value, str):
            continue
        line = key.start_mark.line + 1
        if key.value in first_seen:
            raise YamlLimit(
                line,
                f"{key.value!r} given twice in one mapping (lines {first_seen[key.value]} "
                f"and {line}): keep one",
            )
        first_seen[key.value] = line


def _check_events(source: bytes, *, aliases: bool) -> None:
    """Nesting depth and alias expansion, bounded from the parser's events before anything
    is built (the composer recurses, and an alias bomb is small until it is expanded)."""
    import yaml

    counter = _Expansion(aliases)
    loader = _fast_loader()(source)
    try:
        while loader.check_event():
            counter.see(loader.get_event())
    except yaml.YAMLError as exc:
        if "nesting depth" not in str(getattr(exc, "problem", "")):
            raise
        mark = getattr(exc, "problem_mark", None)  # libyaml's own bound, met before ours
        line = mark.line + 1 if mark else None
        raise YamlLimit(line, f"refused: nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()


class _Expansion:
    """How many values each open collection stands for, its aliases expanded."""

    def __init__(self, aliases: bool) -> None:
        self.aliases = aliases
        self.sizes: dict[str, int] = {}  # anchor -> values it stands for
        self.open: list[list[Any]] = []  # per open collection: [anchor, values so far]
        self.total = 0

    def see(self, event: Any) -> None:
        import yaml

        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.CollectionStartEvent):
            self.open.append([event.anchor, 1])
            if len(self.open) > MAX_DEPTH:
                raise YamlLimit(line, f"refused: nested more than {MAX_DEPTH} levels deep")
            return
        if isinstance(event, yaml.AliasEvent):
            if not self.aliases:
                raise YamlLimit(line, "refused: aliases (*name) are not read in this file")
            size, anchor = self.sizes.get(event.anchor, 1), None
        elif isinstance(event, yaml.ScalarEvent):
            size, anchor = 1, event.anchor
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, size = self.open.pop()
        else:
            return
        if anchor:
            self.sizes[anchor] = size
        self._add(size, line)

    def _add(self, size: int, line: int | None) -> None:
        if self.open:
            self.open[-1][1] += size
            size = self.open[-1][1]
        else:
            self.total += size
        if max(size, self.total) > MAX_YAML_NODES:
            raise YamlLimit(
                line, f"refused: its aliases expand to more than {MAX_YAML_NODES:,} values"
            )


def parse_yaml(
    path: Path, source: bytes, error: type[Exception], *, aliases: bool = True
) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """The document and the line of each key; beyond the limits, one line and `error`."""
    import yaml

    try:
        _check_events(source, aliases=aliases)
        loader = _text_yes_no_loader()(source)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except YamlLimit as exc:
        line = f":{exc.line}" if exc.line else ""
        raise error(f"{path}{line}: {exc}") from None
    except yaml.constructor.ConstructorError as exc:  # an unsafe or unknown tag
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark else ""
        raise error(f"{path}{line}: refused: {exc.problem} (only plain YAML is read)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{path}{line}: not valid YAML ({problem})") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    if _contains_itself(data):
        raise error(f"{path}: refused: an anchor that contains itself (recursive YAML)")
    return data, _line_numbers(node) if node is not None else {}


def _contains_itself(data: Any) -> bool:
    """Whether a list or mapping is inside itself (an anchor used within its own value)."""
    stack: list[tuple[Any, frozenset[int]]] = [(data, frozenset())]
    while stack:
        value, above = stack.pop()
        if not isinstance(value, dict | list):
            continue
        if id(value) in above:
            return True
        inner = above | {id(value)}
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, inner) for child in children)
    return False


def _line_numbers(node: Any, at: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Where each key of a YAML document starts, so errors can name the line."""
    import yaml

    lines = {at: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines.update(_line_numbers(value, (*at, key.value)))
            lines[(*at, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_line_numbers(item, (*at, index)))
    return lines


def load_answers_file(path: Path) -> dict[str, Any]:
    """Answers from YAML or JSON: a plain mapping, or a saved result (its `answers` key)."""
    source = read_bytes(path, AnswersFileError, MAX_ANSWERS_FILE)
    return answers_from(path, source, json_text=path.suffix == ".json")


def load_answers_stream(stream: BinaryIO) -> dict[str, Any]:
    """Answers piped in (`--answers -`): JSON when they open as an object, else YAML, as
    a file of either would be read."""
    try:
        source = stream.read(MAX_ANSWERS_FILE + 1)
    except OSError as exc:
        raise AnswersFileError(f"standard input: cannot be read ({exc.strerror})") from None
    if len(source) > MAX_ANSWERS_FILE:
        raise AnswersFileError(
            f"standard input: larger than {_size(MAX_ANSWERS_FILE)}, the most answers may be"
        )
    opening = source.removeprefix(UTF8_BOM).lstrip()[:1]
    return answers_from(Path("standard input"), source, json_text=opening == b"{")


def answers_from(path: Path, source: bytes, *, json_text: bool) -> dict[str, Any]:
    """The answers of `source` (read from `path`, which names it in any error)."""
    if json_text:
        data = parse_json(path, source, AnswersFileError)
    else:
        data, _ = parse_yaml(path, source, AnswersFileError, aliases=False)
    if isinstance(data, dict) and isinstance(data.get("answers"), dict):
        data = data["answers"]
    if not isinstance(data, dict):
        raise AnswersFileError(f"{path}: an answers file is a mapping of question id to value")
    answers = {str(key): value for key, value in data.items() if not str(key).startswith("_")}
    problems = answers.get("problems")
    if isinstance(problems, list):  # YAML keys may be numbers, true or null: ids are text
        answers["problems"] = [
            {str(key): value for key, value in problem.items()}
            if isinstance(problem, dict)
            else problem
            for problem in problems
        ]
    return answers
