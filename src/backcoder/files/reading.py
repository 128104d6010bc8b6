"""Reading YAML and JSON files safely, with line numbers for the messages.

YAML is read with the safe loader (a tag such as `!!python/object` is refused, never
run), and with `yes`/`no` kept as text, since they are answer values here, not booleans.
Every failure is one line naming the file (and the line where there is one).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, BinaryIO

from backcoder.errors import AnswersFileError


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


def read_bytes(path: Path, error: type[Exception]) -> bytes:
    with open_binary(path, error) as handle:
        try:
            return handle.read()
        except OSError as exc:
            raise error(f"{path}: cannot be read ({exc.strerror})") from None


def parse_json(path: Path, source: bytes, error: type[Exception]) -> Any:
    try:
        return json.loads(source)
    except ValueError as exc:
        raise error(f"{path}: not valid JSON ({exc})") from None


def _text_yes_no_loader() -> type:
    """The safe loader, except that only true/false are booleans (yes/no stay text)."""
    import yaml

    class TextYesNoLoader(yaml.SafeLoader):
        pass

    boolean = "tag:yaml.org,2002:bool"
    TextYesNoLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != boolean]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    TextYesNoLoader.add_implicit_resolver(
        boolean, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return TextYesNoLoader


def parse_yaml(
    path: Path, source: bytes, error: type[Exception]
) -> tuple[Any, dict[tuple[Any, ...], int]]:
    import yaml

    try:
        loader = _text_yes_no_loader()(source)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.constructor.ConstructorError as exc:  # an unsafe or unknown tag
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark else ""
        raise error(f"{path}{line}: refused: {exc.problem} (only plain YAML is read)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{path}{line}: not valid YAML ({problem})") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    try:
        json.dumps(data, default=str)
    except (ValueError, RecursionError):
        raise error(f"{path}: refused: an anchor that contains itself (recursive YAML)") from None
    return data, _line_numbers(node) if node is not None else {}


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
    source = read_bytes(path, AnswersFileError)
    if path.suffix == ".json":
        data = parse_json(path, source, AnswersFileError)
    else:
        data, _ = parse_yaml(path, source, AnswersFileError)
    if isinstance(data, dict) and isinstance(data.get("answers"), dict):
        data = data["answers"]
    if not isinstance(data, dict):
        raise AnswersFileError(f"{path}: an answers file is a mapping of question id to value")
    return {str(key): value for key, value in data.items() if not str(key).startswith("_")}
