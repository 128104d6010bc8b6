"""`backcoder code`: code one record, asking only what the path still needs."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from backcoder.cli.common import (
    STDIN,
    Format,
    FormatOption,
    JsonOption,
    RulesOption,
    environment,
    exits_cleanly,
    guard_outputs,
    output_format,
    rules_inputs,
)
from backcoder.cli.complete import complete_answer
from backcoder.coding.coder import Coder
from backcoder.coding.records import Record
from backcoder.coding.result import Result, problems_of
from backcoder.errors import BackcoderError
from backcoder.files.bundle import load_bundle
from backcoder.files.json_writer import replay_answers, result_text
from backcoder.files.reading import load_answers_file, load_answers_stream
from backcoder.files.writing import write_whole

if TYPE_CHECKING:
    from backcoder.cli.notes import NoteInput

AnswerOption = Annotated[
    list[str] | None,
    typer.Option(
        "-a",
        "--answer",
        metavar="ID=VALUE",
        help="An answer (repeatable); several values comma-separated: -a region=cervical,lumbar.",
        show_default=False,
        autocompletion=complete_answer,
    ),
]
NoteOption = Annotated[
    str | None,
    typer.Option(
        "--note",
        metavar="FILE|-",
        help="Code from a clinical note (UTF-8 text; - reads standard input): every answer it "
        "settles is taken and quoted; -a and --answers override it. Needs backcoder[notes].",
        show_default=False,
    ),
]
AnswersFileOption = Annotated[
    Path | None,
    typer.Option(
        "--answers",
        metavar="FILE",
        help="Answers from a YAML or JSON file (or a saved result, or a FHIR "
        "QuestionnaireResponse; - for standard input); -a flags win over it.",
        dir_okay=False,
        show_default=False,
    ),
]


@exits_cleanly
def code(
    answer: AnswerOption = None,
    answers_file: AnswersFileOption = None,
    note: NoteOption = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Never prompt: a missing answer exits 2.")
    ] = False,
    json_output: JsonOption = False,
    form: FormatOption = None,
    save: Annotated[
        Path | None,
        typer.Option(
            "--save", metavar="FILE", help="Write the answers to FILE for replay.", dir_okay=False
        ),
    ] = None,
    template: Annotated[
        bool,
        typer.Option("--template", help="Also print a documentation template for the note."),
    ] = False,
    rules: RulesOption = None,
) -> None:
    """Code one record: answers from flags or a file, the rest asked at the prompt."""
    env = environment()
    guard_outputs(_inputs(rules, answers_file, note), [(str(save), save)] if save else [])
    chosen = output_format(form, json_output)
    if chosen is Format.fhir:
        from backcoder.fhir import require_fhir

        require_fhir()  # before any question is asked
    if note == STDIN and answers_file is not None and str(answers_file) == STDIN:
        raise BackcoderError(
            "--note - and --answers - both read standard input, which holds one of them: "
            "give the other as a file"
        )
    coder = Coder(load_bundle(rules))
    noted = _read_note(note, coder) if note is not None else None
    file_answers = read_answers(answers_file, coder) if answers_file is not None else None
    record = coder.gather(answer or [], file_answers, noted.record if noted else None)
    piped = STDIN in (note, str(answers_file))
    prompting = not no_input and env.stdin_isatty and not piped
    result = _coded(coder, record, noted, prompting)
    if save is not None:
        write_answers(save, replay_answers(result))
    if chosen is Format.json:
        env.stdout.write(result_text(result))
    elif chosen is Format.fhir:
        from backcoder.fhir.conditions import result_bundle
        from backcoder.fhir.questionnaire import to_json

        env.stdout.write(to_json(result_bundle(result, coder.rules)))
    else:
        from backcoder.cli.render import show_any

        show_any(env.console(), result)
    if template:
        from backcoder.coding.codebook import CodeBook

        fields: dict[str, str] = {}
        for problem in problems_of(result):
            for step in problem.path:
                fields.setdefault(step.question, ",".join(step.answer.values))
        text = CodeBook(coder.bundle).render_template(result.code_list, fields)
        (env.stdout if chosen is Format.text else env.stderr).write("\n" + text)


def _coded(coder: Coder, record: Record, noted: NoteInput | None, prompting: bool) -> Result:
    """The record coded: by the walker when it may prompt (after the review of what the note
    settled), else at once, the note's silence settling what it leaves open."""
    if not prompting:
        if noted is not None:
            from backcoder.notes.records import settle_silence

            record = settle_silence(coder, record, noted.notes)
        result = coder.code_record(record)
    else:
        from backcoder.cli.walker import Walker

        env = environment()
        if noted is not None:
            from backcoder.cli.notes import NoteReview

            record = NoteReview(coder, env).run(record, noted.reading)
        result = Walker(coder, env).run(record)
    if noted is None:
        return result
    from backcoder.notes.records import with_findings

    return with_findings(result, noted.reading)


def _inputs(rules: Path | None, answers_file: Path | None, note: str | None) -> list[Any]:
    """The files `code` reads, which no output may overwrite."""
    inputs: list[Any] = [*rules_inputs(rules)]
    if answers_file is not None and str(answers_file) != STDIN:
        inputs.append((str(answers_file), answers_file))
    if note is not None and note != "-":
        inputs.append((note, Path(note)))
    return inputs


def _read_note(source: str, coder: Coder) -> NoteInput:
    """The note read (medspaCy is imported here, and only here, for `code`)."""
    from backcoder.cli.notes import read_note

    return read_note(source, coder, environment())


def read_answers(path: Path, coder: Coder) -> dict[str, Any]:
    """An answers file (`-`: standard input): YAML or JSON answers, a saved result, or a
    FHIR QuestionnaireResponse to the Questionnaire of `questions --format fhir`."""
    if str(path) == STDIN:
        stdin = environment().stdin
        data = load_answers_stream(getattr(stdin, "buffer", None) or BytesIO(stdin.read().encode()))
    else:
        data = load_answers_file(path)
    if "resourceType" not in data:
        return data
    from backcoder.fhir.response import response_answers

    return response_answers(data, coder.rules, str(path))


def write_answers(path: Path, answers: dict[str, Any]) -> None:
    """JSON for a .json file, YAML otherwise; either replays with --answers."""
    if path.suffix == ".json":
        text = json.dumps(answers, indent=2) + "\n"
    else:
        import yaml

        text = yaml.safe_dump(answers, sort_keys=False)
    write_whole(path, text, named=True)
