"""The note reader's speed, side by side with the floor of any spaCy-based reader.

    python benchmarks/notes_bench.py [--rounds 15] [--notes DIR] [--join 3] [--repeat 2]

1. batch: after loading once, read the notes of the corpus (tests/cases/notes/*.txt, each
   three in a row joined into one visit of about 150-250 words, the size of real office and
   consult notes; `--repeat` times per round so a round lasts long enough to time), against
   spaCy's blank English pipeline with its rule-based `sentencizer` over the same texts. Rounds
   alternate floor, reader, floor, reader...; the figure is the median of the per-round ratios.
   Targets: at least 50 notes a second on one core, at most 6 times the floor.
   Also `batch` end to end: the same notes as JSON lines (`{"_id": ..., "note": ...}`) read,
   coded and written as result lines by the batch coder, after the reader's load.
2. one note end to end: `backcoder code --note NOTE --no-input --json` in a fresh process
   (start-up, medspaCy's load, reading, coding; median and worst of five runs). Target: under
   2 seconds.

Run it with the interpreter of the venv where backcoder[notes] is installed. Both sides run
in one process on one thread. Exit status: 0 when every target passes, 1 when any fails.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTES = ROOT / "tests" / "cases" / "notes"

MIN_NOTES_PER_SECOND = 50.0
MAX_RATIO = 6.0
MAX_SINGLE_SECONDS = 2.0


def load_notes(folder: Path, join: int, repeat: int) -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.txt"))]
    if not texts:
        sys.exit(f"notes_bench: no *.txt notes in {folder}")
    joined = ["\n".join(texts[i : i + join]) for i in range(0, len(texts), join)]
    return joined * repeat


def timed(function, texts: list[str]) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for text in texts:
        function(text)
    return time.perf_counter() - start


def batch(texts: list[str], rounds: int) -> tuple[bool, list[str]]:
    warnings.simplefilter("ignore")
    import spacy

    from backcoder.coding.coder import Coder
    from backcoder.files.batch import BatchCoder
    from backcoder.files.bundle import load_bundle
    from backcoder.files.notes import load_reader

    start = time.perf_counter()
    reader = load_reader()
    load_seconds = time.perf_counter() - start
    floor = spacy.blank("en")
    floor.add_pipe("sentencizer")
    timed(floor, texts)  # warm-up of each side
    timed(reader.read, texts)
    floors, readers, ratios, batches = [], [], [], []
    distinct = list(dict.fromkeys(texts))  # a repeated line would be answered from the cache
    lines = [json.dumps({"_id": str(n), "note": t}).encode() for n, t in enumerate(distinct)]
    batch_coder = BatchCoder(Coder(load_bundle()))
    list(batch_coder.run(lines[:1]))  # the batch's reader is the one loaded above
    for _ in range(rounds):
        floor_seconds = timed(floor, texts)
        reader_seconds = timed(reader.read, texts)
        floors.append(floor_seconds)
        readers.append(reader_seconds)
        ratios.append(reader_seconds / floor_seconds)
        start = time.perf_counter()
        out = list(BatchCoder(batch_coder.coder).run(lines))
        batches.append(time.perf_counter() - start)
        # three unrelated notes joined may contradict each other: an error line is a result too
        errors = sum(b'"error"' in line for line in out)
    count = len(texts)
    floor_rate = count / statistics.median(floors)
    reader_rate = count / statistics.median(readers)
    batch_rate = len(lines) / statistics.median(batches)
    ratio = statistics.median(ratios)
    words = statistics.median(len(text.split()) for text in texts)
    lines_out = [
        f"notes: {count} per round ({count // max(1, len(set(texts)))}x {len(set(texts))} "
        f"distinct, median {words:.0f} words), {rounds} alternating rounds",
        f"reader load (medspaCy import, rules, pipeline): {load_seconds:.2f} s",
        f"floor  (blank 'en' + sentencizer): {floor_rate:8.1f} notes/s",
        f"reader (backcoder.notes):          {reader_rate:8.1f} notes/s  "
        f"(target >= {MIN_NOTES_PER_SECOND:.0f})",
        f"batch lines with a note, coded to JSON: {batch_rate:8.1f} notes/s  "
        f"(target >= {MIN_NOTES_PER_SECOND:.0f}; {errors} of {len(lines)} lines were error lines)",
        f"ratio reader/floor, median of rounds: {ratio:.2f}x  "
        f"(min {min(ratios):.2f}x, max {max(ratios):.2f}x; target <= {MAX_RATIO:.0f}x)",
    ]
    passed = min(reader_rate, batch_rate) >= MIN_NOTES_PER_SECOND and ratio <= MAX_RATIO
    return passed, lines_out


def single(note: Path, runs: int = 5) -> tuple[bool, list[str]]:
    """`backcoder code --note NOTE --no-input --json` in a fresh process: start-up, the
    library's load, the reading and the coding."""
    walls, cpus = [], []
    command = [sys.executable, "-m", "backcoder", "code", "--no-input", "--json", "--note"]
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([*command, str(note)], check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    median, worst = statistics.median(walls), max(walls)
    line = (
        f"one note end to end (backcoder code --note, fresh process, {runs} runs): "
        f"median {median:.2f} s, worst {worst:.2f} s wall; median {statistics.median(cpus):.2f} s "
        f"CPU (target < {MAX_SINGLE_SECONDS:.0f} s)"
    )
    return median < MAX_SINGLE_SECONDS, [line]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--join", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--notes", type=Path, default=NOTES)
    options = parser.parse_args()
    texts = load_notes(options.notes, options.join, options.repeat)
    passed_batch, batch_lines = batch(texts, options.rounds)
    passed_single, single_lines = single(sorted(options.notes.glob("*.txt"))[0])
    for line in [*single_lines, *batch_lines]:
        print(line)
    sys.exit(0 if passed_batch and passed_single else 1)


if __name__ == "__main__":
    main()
