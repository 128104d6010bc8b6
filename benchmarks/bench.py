"""backcoder's performance targets, measured as ratios against same-interpreter baselines.

    python benchmarks/bench.py [--runs 15] [--lines 100000] [--backcoder PATH]

1. start-up: one scripted `backcoder code --no-input --json -a ...` against
   `python -c "import typer; from rich.console import Console; from pydantic import BaseModel"`:
   median of the per-pair ratios at most 1.2 (runs alternate A B A B after a warm-up of each).
2. batch: `backcoder batch FILE -o /dev/null` over a generated file of JSON lines against a
   `python -c` that json.loads every line of the same file: median ratio at most 3, and the
   batch's peak memory (max RSS of the child) under 150 MB.

Standard library only. Run it with the interpreter of the venv backcoder is installed in:
the baselines use sys.executable, and backcoder defaults to the `backcoder` next to it.
Exit status: 0 when every target passes, 1 when any fails, 2 when it cannot run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NoReturn

SEED = 20260401
MB = 1_000_000  # peak memory is reported and limited in MB of 10**6 bytes

STARTUP_LIMIT = 1.2
BATCH_LIMIT = 3.0
ENCOUNTER_LIMIT = 2.0
ENCOUNTER_PAIRS = 3
BATCH_MEMORY_LIMIT_MB = 150.0
BATCH_PAIRS = 5

# A complete answer set: nothing is asked, nothing is left to a missing-answer error.
CODE_ANSWERS = {
    "trauma": "no",
    "attribution": "none",
    "nerve": "none",
    "region": "lumbar",
    "lumbar_cause": "not_documented",
    "pain_course": "acute",
}
IMPORT_BASELINE = "import typer; from rich.console import Console; from pydantic import BaseModel"
JSON_BASELINE = """\
import json, sys
with open(sys.argv[1], "rb") as lines:
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            pass
"""

REGIONS = [
    "occipito_atlanto_axial",
    "cervical",
    "cervicothoracic",
    "thoracic",
    "thoracolumbar",
    "lumbar",
    "lumbosacral",
    "sacral",
    "sacroiliac",
    "coccygeal",
]
REGION_PAIRS = [
    ["cervical", "lumbar"],
    ["cervical", "thoracic"],
    ["thoracic", "lumbar"],
    ["lumbar", "sacroiliac"],
    ["cervical", "thoracic", "lumbar"],
]
VERTEBRAE = [f"T{n}" for n in range(1, 13)] + [f"L{n}" for n in range(1, 6)]
VERTEBRAE_BY_REGION = {
    "thoracic": VERTEBRAE[:12],
    "thoracolumbar": ["T11", "T12", "L1", "L2"],
    "lumbar": VERTEBRAE[12:],
}
PAIN_COURSES = ["acute", "chronic", "chronic_pain_syndrome", "not_documented"]
# How often each kind of record appears in the generated batch (a coding queue's mix).
FAMILY_WEIGHTS = {"pain": 45, "nerve": 22, "injury": 20, "chronic": 13}
SETS_PER_FAMILY = 100


# --------------------------------------------------------------------------- running


@dataclass
class Run:
    seconds: float
    status: int
    peak_mb: float
    stderr: str


# Both sides run as an installed tool runs for its users: with Python's bytecode cache
# (the warm-up writes it where a development shell turned it off).
CHILD_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}

_runner: subprocess.Popen | None = None


def run(cmd: list[str], stdout_path: str | None = None) -> Run:
    """Run cmd to completion, through the runner process once it is started."""
    if _runner is None:
        return spawn(cmd, stdout_path)
    assert _runner.stdin and _runner.stdout
    _runner.stdin.write(json.dumps([cmd, stdout_path]) + "\n")
    _runner.stdin.flush()
    reply = _runner.stdout.readline()
    if not reply:
        fail("the runner process stopped")
    return Run(**json.loads(reply))


def start_runner() -> None:
    """Run every command from a fresh, small process that holds none of the data.

    On Linux a child's max RSS starts at its parent's high-water mark (exec records the
    memory map it replaces), so children started from this process, once it has generated
    and checked the data, would report this process's peak instead of their own. Started
    from an idle interpreter, they report at least its 10 MB or so, below anything measured.
    """
    global _runner
    _runner = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def stop_runner() -> None:
    global _runner
    if _runner is not None:
        assert _runner.stdin
        _runner.stdin.close()
        _runner.wait()
        _runner = None


def serve() -> int:
    """The runner: one JSON request [cmd, stdout_path] a line in, one Run a line out."""
    for request in sys.stdin:
        cmd, stdout_path = json.loads(request)
        print(json.dumps(asdict(spawn(cmd, stdout_path))), flush=True)
    return 0


def spawn(cmd: list[str], stdout_path: str | None = None) -> Run:
    """Run cmd to completion: wall time, exit status and the child's max RSS."""
    with tempfile.TemporaryFile() as err:
        out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            start = time.perf_counter()
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=CHILD_ENV
            )
            _, wait_status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
        finally:
            if stdout_path:
                out.close()
        proc.returncode = os.waitstatus_to_exitcode(wait_status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return Run(seconds, proc.returncode, peak / MB, stderr)


def fail(message: str) -> NoReturn:
    """The benchmark cannot run as set up: exit 2, apart from a target's failure (1)."""
    print(f"bench: {message}", file=sys.stderr)
    sys.exit(2)


def expect(result: Run, statuses: tuple[int, ...], what: str) -> Run:
    if result.status not in statuses:
        tail = result.stderr.strip().splitlines()[-3:]
        fail(f"{what} exited {result.status}: {' / '.join(tail)}")
    return result


def alternate(baseline: list[str], subject: list[str], pairs: int, subject_ok: tuple[int, ...]):
    """Warm up each once, then time pairs of (baseline, subject) runs, alternating."""
    expect(run(baseline), (0,), "baseline warm-up")
    expect(run(subject), subject_ok, "backcoder warm-up")
    base_runs, subject_runs = [], []
    for _ in range(pairs):
        base_runs.append(expect(run(baseline), (0,), "baseline"))
        subject_runs.append(expect(run(subject), subject_ok, "backcoder"))
    return base_runs, subject_runs


@dataclass
class Row:
    target: str
    baseline: float
    subject: float
    ratio: float
    limit: str
    ok: bool
    peak_mb: float

    @classmethod
    def of(cls, target: str, base_runs: list[Run], subject_runs: list[Run], limit: float):
        ratios = [s.seconds / b.seconds for b, s in zip(base_runs, subject_runs, strict=True)]
        ratio = statistics.median(ratios)
        return cls(
            target,
            statistics.median(r.seconds for r in base_runs),
            statistics.median(r.seconds for r in subject_runs),
            ratio,
            f"<= {limit:g}x",
            ratio <= limit,
            max(r.peak_mb for r in subject_runs),
        )


# --------------------------------------------------------------------------- answer sets


def candidate(family: str, rng: random.Random) -> dict:
    """An over-supplied answer set of one family: every answer its path could ask for.

    The answers the path does not use are found by coding it (see `answer_sets`) and
    split off, so each answer set is minimal and its extras become realistic unused answers.
    """
    pick = rng.choice
    pain_course = pick(PAIN_COURSES)
    common = {
        "pain_course": pain_course,
        "reason": pick(["pain_management", "other"]),
        "side": pick(["right", "left", "bilateral", "not_documented"]),
    }
    if family == "injury":
        injury = pick(["strain", "sprain", "fracture", "contusion", "not_documented"])
        if injury == "fracture":
            region = pick(
                ["cervical", "thoracic", "thoracolumbar", "lumbar", "sacral", "coccygeal"]
            )
        else:
            region = pick(REGIONS + ["not_documented"])
        return {
            "trauma": "yes",
            "injury": injury,
            "region": region,
            "vertebra": pick(VERTEBRAE_BY_REGION.get(region, VERTEBRAE))
            if rng.random() < 0.9
            else "not_documented",
            "fracture_type": pick(
                ["wedge_compression", "stable_burst", "unstable_burst", "other", "not_documented"]
            ),
            "fracture_open": pick(["no", "no", "no", "yes", "not_documented"]),
            "encounter": pick(["initial", "initial", "subsequent", "sequela"]),
            "healing": pick(["routine", "routine", "delayed", "nonunion"]),
            **common,
        }
    answers = {
        "trauma": pick(["no", "no", "no", "not_documented"]),
        "attribution": "none",
        "nerve": pick(["none", "none", "not_documented"]),
        "lumbar_cause": pick(
            ["disc_displacement", "disc_degeneration", "vertebrogenic", "other", "not_documented"]
        ),
        "leg_pain": pick(["yes", "no"]),
        **common,
    }
    if family == "pain":  # non-traumatic pain by region, one region or several
        regions = pick([[r] for r in REGIONS] * 2 + REGION_PAIRS + [["not_documented"]])
        answers["region"] = regions if len(regions) > 1 else regions[0]
    elif family == "nerve":  # radiculopathy and sciatica, with or without a cause
        nerve = pick(["radiculopathy", "radiculopathy", "sciatica"])
        answers.update(
            nerve=nerve,
            cause=pick(["disc", "spondylosis", "none"]),
            lumbago=pick(["yes", "no"]),
            disc_level=pick(["C3-C4", "C4-C5", "C5-C6", "C6-C7", "C7-T1", "not_documented"]),
            region=pick(["lumbar", "lumbosacral"])
            if nerve == "sciatica"
            else pick(
                [
                    "cervical",
                    "cervicothoracic",
                    "thoracic",
                    "thoracolumbar",
                    "lumbar",
                    "lumbosacral",
                ]
            ),
        )
    else:  # chronic pain, with the reason for the encounter; a few attributed pains
        answers.update(
            pain_course=pick(["chronic", "chronic", "chronic_pain_syndrome"]),
            attribution=pick(["none", "none", "none", "psychological", "neoplasm"]),
            region=pick(REGIONS[:6] + [["cervical", "lumbar"]]),
        )
    return answers


@dataclass
class AnswerSet:
    family: str
    answers: dict  # what the path needs
    extras: dict  # answers a record may carry that the path does not use


def answer_sets(backcoder: str, rng: random.Random, tmp: Path, per_family: int = 450):
    """A few hundred distinct, valid answer sets, checked by coding them all once.

    At most SETS_PER_FAMILY of each family are kept, in the order they were drawn.
    """
    candidates = [
        (family, candidate(family, rng)) for family in FAMILY_WEIGHTS for _ in range(per_family)
    ]
    path = tmp / "candidates.jsonl"
    out = tmp / "candidates.out.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for _, c in candidates), encoding="utf-8")
    expect(run([backcoder, "batch", str(path), "-o", str(out)]), (0, 1), "answer-set check")
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    if len(results) != len(candidates):
        fail(f"{len(candidates)} candidate lines gave {len(results)} results")
    sets: dict[str, AnswerSet] = {}
    rejected = []
    for (family, answers), result in zip(candidates, results, strict=True):
        if "error" in result:
            rejected.append(result["error"])
            continue
        unused = result.get("unused") or {}
        needed = {k: v for k, v in answers.items() if k not in unused}
        extras = {k: v for k, v in answers.items() if k in unused}
        sets.setdefault(json.dumps(needed, sort_keys=True), AnswerSet(family, needed, extras))
    kept: list[AnswerSet] = []
    for family in FAMILY_WEIGHTS:
        kept += [s for s in sets.values() if s.family == family][:SETS_PER_FAMILY]
    if len(rejected) > len(candidates) // 20 or len(sets) < 200:
        fail(
            f"generated answer sets are not valid enough ({len(rejected)} of "
            f"{len(candidates)} rejected, {len(sets)} distinct); first: {rejected[:3]}"
        )
    return kept, len(candidates), len(rejected)


def check_with_code(backcoder: str, sets: list[AnswerSet]) -> int:
    """A few answer sets, one per family, through `backcoder code --no-input --json`."""
    checked = 0
    for family in FAMILY_WEIGHTS:
        for answer_set in [s for s in sets if s.family == family][:2]:
            cmd = [backcoder, "code", "--no-input", "--json", *flags(answer_set.answers)]
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                expect(run(cmd, out.name), (0,), f"code check {answer_set.answers}")
                if not json.load(out).get("codes"):
                    fail(f"no codes for {answer_set.answers}")
            checked += 1
    return checked


def flags(answers: dict) -> list[str]:
    args = []
    for key, value in answers.items():
        args += ["-a", f"{key}={','.join(value) if isinstance(value, list) else value}"]
    return args


# --------------------------------------------------------------------------- the batch file


def bad_line(number: int, answer_set: AnswerSet, rng: random.Random) -> tuple[str, bool]:
    """A line that cannot be coded; the bool says whether it is valid JSON at all."""
    record = {"_id": f"rec-{number:07d}", **answer_set.answers}
    kind = rng.randrange(3)
    if kind == 0:  # unknown question id: a typo of a real one
        key = rng.choice([k for k in record if not k.startswith("_")])
        record[key[:-1] + key[-1] * 2] = record.pop(key)
    elif kind == 1:  # a value not among the choices
        key = rng.choice([k for k in record if not k.startswith("_")])
        record[key] = rng.choice(["unknown", "lumbr", "chronc", "maybe", "L6"])
    else:  # not JSON: cut short, as when an export is truncated
        text = json.dumps(record)
        return text[: rng.randrange(5, len(text) - 1)], False
    return json.dumps(record), True


def write_batch(path: Path, lines: int, sets: list[AnswerSet], rng: random.Random) -> dict:
    by_family: dict[str, list[AnswerSet]] = {}
    for answer_set in sets:
        by_family.setdefault(answer_set.family, []).append(answer_set)
    families = list(by_family)
    weights = [FAMILY_WEIGHTS[f] for f in families]
    stats = {"bad": 0, "extras": 0}
    with open(path, "w", encoding="utf-8") as out:
        for number in range(1, lines + 1):
            family = rng.choices(families, weights)[0]
            answer_set = rng.choice(by_family[family])
            roll = rng.random()
            if roll < 0.01:
                line, _ = bad_line(number, answer_set, rng)
                stats["bad"] += 1
            else:
                record = {"_id": f"rec-{number:07d}", **answer_set.answers}
                if roll < 0.13 and answer_set.extras:  # a fuller record than the path needs
                    names = sorted(answer_set.extras)
                    extra = rng.sample(names, min(len(names), rng.randint(1, 2)))
                    record.update({k: answer_set.extras[k] for k in extra})
                    stats["extras"] += 1
                if roll > 0.97 and isinstance(record.get("region"), list):
                    record["region"] = ",".join(record["region"])  # the comma form
                if roll > 0.95:
                    record["_source"] = rng.choice(["ed", "clinic", "ortho"])
                line = json.dumps(record)
            out.write(line + "\n")
    return stats


def write_encounters(
    path: Path, lines: int, sets: list[AnswerSet], rng: random.Random, *, distinct: bool
) -> int:
    """Visits: records of one to three problems drawn from the answer sets, with visit
    answers at the top. The realistic mix is mostly one-problem records (as most visits
    are) and repeats; with `distinct`, no two records are alike, so no cache of records
    can carry the batch: each is walked and assembled afresh (its paths are known)."""
    seen: set[tuple[int, ...]] = set()
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        while written < lines:
            count = rng.choices([1, 2, 3], [1, 2, 1] if distinct else [13, 5, 2])[0]
            picked = tuple(rng.randrange(len(sets)) for _ in range(count))
            flag = rng.randrange(4)
            if distinct and (picked + (flag,)) in seen:
                continue
            seen.add(picked + (flag,))
            written += 1
            problems = [dict(sets[i].answers) for i in picked]
            record: dict = {"_id": f"visit-{written:07d}"}
            if flag == 1:
                record["red_flags"] = "night_pain"
            if count == 1 and not distinct and flag != 2:
                record.update(problems[0])  # a flat record, as before encounters
            else:
                record["problems"] = problems
            out.write(json.dumps(record) + "\n")
    return written


def check_batch_output(path: Path, lines: int, bad: int, result: Run) -> None:
    """The warm-up run's output: one line per input line, the errors only where expected."""
    count = errors = 0
    with open(path, encoding="utf-8") as out:
        for count, line in enumerate(out, start=1):  # noqa: B007
            record = json.loads(line)
            if record.get("line") != count:
                fail(f"batch output line {count} says line {record.get('line')}")
            errors += "error" in record
    if count != lines or errors != bad or result.status != (1 if bad else 0):
        fail(
            f"batch gave {count} lines with {errors} errors, exit {result.status}; "
            f"expected {lines} lines with {bad} errors"
        )


# --------------------------------------------------------------------------- main


def default_backcoder() -> str:
    return str(Path(sys.executable).parent / ("backcoder.exe" if os.name == "nt" else "backcoder"))


def same_interpreter_note(backcoder: str) -> str | None:
    """A warning when backcoder's script runs under another interpreter than the baseline."""
    try:
        with open(backcoder, "rb") as script:
            first = script.readline().decode("utf-8", "replace")
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    interpreter = first[2:].strip().split()[0]
    if os.path.realpath(interpreter) != os.path.realpath(sys.executable):
        return f"note: {backcoder} runs under {interpreter}, the baselines under {sys.executable}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="start-up pairs (default 15)")
    parser.add_argument("--lines", type=int, default=100_000, help="batch lines (default 100000)")
    parser.add_argument("--backcoder", default=default_backcoder(), help="backcoder command")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve()
    if args.runs < 1 or args.lines < 100:
        parser.error("--runs must be at least 1 and --lines at least 100")
    if not os.access(args.backcoder, os.X_OK):
        parser.error(f"{args.backcoder}: not an executable; pass --backcoder PATH")
    if note := same_interpreter_note(args.backcoder):
        print(note, file=sys.stderr)
    start_runner()
    try:
        rows = measure(args.backcoder, args.runs, args.lines)
    finally:
        stop_runner()
    return report(rows)


def measure(backcoder: str, runs: int, lines: int) -> list[Row]:
    python = sys.executable
    rng = random.Random(SEED)
    print(f"backcoder: {backcoder}\npython:    {python} ({sys.version.split()[0]})\n")
    rows = []

    code_cmd = [backcoder, "code", "--no-input", "--json", *flags(CODE_ANSWERS)]
    print(f"1. start-up: {runs} alternating pairs ...", flush=True)
    base, subject = alternate([python, "-c", IMPORT_BASELINE], code_cmd, runs, (0,))
    rows.append(Row.of("code --json vs import", base, subject, STARTUP_LIMIT))

    with tempfile.TemporaryDirectory(prefix="backcoder-bench-") as tmp_name:
        tmp = Path(tmp_name)
        sets, tried, rejected = answer_sets(backcoder, rng, tmp)
        checked = check_with_code(backcoder, sets)
        counts = {f: sum(s.family == f for s in sets) for f in FAMILY_WEIGHTS}
        mix = ", ".join(f"{n} {f}" for f, n in counts.items())
        print(
            f"2. batch: {len(sets)} distinct answer sets ({mix}; {rejected} of {tried} "
            f"candidates rejected; {checked} checked with `code`)"
        )
        data = tmp / "batch.jsonl"
        stats = write_batch(data, lines, sets, rng)
        size = data.stat().st_size / MB
        print(
            f"   {lines} lines, {size:.1f} MB, {stats['bad']} bad, "
            f"{stats['extras']} with unused answers; "
            f"warm-up and {BATCH_PAIRS} alternating pairs ...",
            flush=True,
        )
        batch_cmd = [backcoder, "batch", str(data), "-o", os.devnull]
        json_cmd = [python, "-c", JSON_BASELINE, str(data)]
        out = tmp / "batch.out.jsonl"
        checked_run = expect(run([backcoder, "batch", str(data), "-o", str(out)]), (0, 1), "batch")
        check_batch_output(out, lines, stats["bad"], checked_run)
        out.unlink()
        ok = (1,) if stats["bad"] else (0,)
        base, subject = alternate(json_cmd, batch_cmd, BATCH_PAIRS, ok)
        rows.append(Row.of("batch vs json.loads", base, subject, BATCH_LIMIT))

        for label, distinct in (("visits, realistic mix", False), ("visits, all different", True)):
            visits = tmp / f"visits-{distinct}.jsonl"
            write_encounters(visits, lines, sets, rng, distinct=distinct)
            print(f"3. batch over {lines} {label} ({visits.stat().st_size / MB:.1f} MB) ...")
            out = tmp / "visits.out.jsonl"
            coded = run([backcoder, "batch", str(visits), "-o", str(out)])
            checked_run = expect(coded, (0,), label)
            check_batch_output(out, lines, 0, checked_run)
            out.unlink()
            base, subject = alternate(
                [python, "-c", JSON_BASELINE, str(visits)],
                [backcoder, "batch", str(visits), "-o", os.devnull],
                ENCOUNTER_PAIRS,
                (0,),
            )
            rows.append(Row.of(f"batch ({label}) vs json.loads", base, subject, ENCOUNTER_LIMIT))

    return rows


def report(rows: list[Row]) -> int:
    """Print the table; 0 when every target passes."""
    peak = max(row.peak_mb for row in rows[1:])
    memory_ok = peak < BATCH_MEMORY_LIMIT_MB
    print()
    header = ("target", "baseline", "backcoder", "ratio", "limit", "result", "peak MB")
    table = [header]
    for row in rows:
        table.append(
            (
                row.target,
                f"{row.baseline * 1000:.0f} ms",
                f"{row.subject * 1000:.0f} ms",
                f"{row.ratio:.2f}x",
                row.limit,
                "PASS" if row.ok else "FAIL",
                f"{row.peak_mb:.1f}",
            )
        )
    table.append(
        (
            "batch peak memory",
            "",
            "",
            "",
            f"< {BATCH_MEMORY_LIMIT_MB:g} MB",
            "PASS" if memory_ok else "FAIL",
            f"{peak:.1f}",
        )
    )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for i, r in enumerate(table):
        print(
            "  ".join(
                cell.ljust(w) if j == 0 else cell.rjust(w)
                for j, (cell, w) in enumerate(zip(r, widths, strict=True))
            ).rstrip()
        )
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(
        "\nbaseline and backcoder: median wall time; ratio: median of the per-pair ratios;"
        "\npeak MB: the largest max RSS of a timed backcoder run (10**6 bytes)."
    )
    return 0 if all(r.ok for r in rows) and memory_ok else 1


if __name__ == "__main__":
    sys.exit(main())
