"""Nothing lost, nothing hangs, no traceback: each fault class through the public commands.

Real processes, real files, a real /dev/full, real signals: what a hostile week brings.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

GOOD = {
    "trauma": "no",
    "attribution": "none",
    "nerve": "none",
    "region": "thoracic",
    "pain_course": "acute",
}
LOW_BACK = ["-a", "trauma=no", "-a", "attribution=none", "-a", "nerve=none"]
LOW_BACK += ["-a", "region=lumbar", "-a", "lumbar_cause=other", "-a", "pain_course=acute"]
TINY_RULES = """\
name: tiny
version: "0.1"
icd10cm: "2026-04-01"
start: site
questions:
  site:
    text: "Site:"
    choices:
      neck: {label: Neck}
      mid: {label: Mid back}
nodes:
  site:
    ask: site
    branches: {neck: neck, mid: mid}
  neck:
    report:
      - {code: M54.2, kind: symptom, why: Neck pain., cite: [{guideline: I.B.18}]}
  mid:
    report:
      - {code: M54.6, kind: symptom, why: Thoracic pain., cite: [{guideline: I.B.18}]}
"""


def run(*args: str, **options: Any) -> subprocess.CompletedProcess[str]:
    """`backcoder ARGS` in its own process; `shell` runs a command line with redirections."""
    shell = options.pop("shell", None)
    command = ["bash", "-c", shell] if shell else [sys.executable, "-m", "backcoder", *args]
    options.setdefault("timeout", 120)
    return subprocess.run(command, capture_output=True, text=True, **options)


BACKCODER = f"{sys.executable} -m backcoder"


def one_clean_line(result: subprocess.CompletedProcess[str], status: int, *words: str) -> str:
    """The run ended with `status` and said why in one line, without a traceback."""
    assert result.returncode == status, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("backcoder: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def write_batch(path: Path, count: int) -> Path:
    regions = ["thoracic", "cervical", "lumbar"]
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            record = {"_id": number, **GOOD, "region": regions[number % 3]}
            out.write(json.dumps({**record, "lumbar_cause": "other"}) + "\n")
    return path


def whole_lines(data: bytes) -> list[dict[str, Any]]:
    """Every line of an output, each a complete JSON result (never half a line)."""
    assert data == b"" or data.endswith(b"\n")
    return [json.loads(line) for line in data.splitlines()]


# ------------------------------------------------------------------ same file


@pytest.fixture
def batch_input(tmp_path: Path) -> Path:
    return write_batch(tmp_path / "in.jsonl", 20)


@pytest.mark.parametrize("kind", ["path", "symlink", "hard link"])
def test_an_output_that_is_the_input_is_refused(batch_input: Path, kind: str) -> None:
    before = batch_input.read_bytes()
    alias = batch_input.with_name("alias.jsonl")
    if kind == "path":
        alias = batch_input.parent / "." / batch_input.name
    elif kind == "symlink":
        alias.symlink_to(batch_input.name)
    else:
        os.link(batch_input, alias)
    result = run("batch", str(batch_input), "-o", str(alias))
    one_clean_line(result, 2, "is the same file as the input")
    assert batch_input.read_bytes() == before


@pytest.mark.parametrize(
    "command",
    [
        "batch - -o in.jsonl < in.jsonl",  # the same open file, by its descriptor
        "batch in.jsonl >> in.jsonl",  # standard output appended to the input
        "batch - < in.jsonl >> alias.jsonl",  # a hard link, through both descriptors
    ],
)
def test_redirections_onto_the_input_are_refused(batch_input: Path, command: str) -> None:
    os.link(batch_input, batch_input.with_name("alias.jsonl"))
    before = batch_input.read_bytes()
    result = run(shell=f"{BACKCODER} {command}", cwd=batch_input.parent, timeout=60)
    one_clean_line(result, 2, "is the same file as the input")
    assert batch_input.read_bytes() == before


def test_every_writing_command_compares_its_outputs_with_its_inputs(tmp_path: Path) -> None:
    rules = tmp_path / "tiny.yaml"
    rules.write_text(TINY_RULES, encoding="utf-8")
    (tmp_path / "tiny.built.json").symlink_to("tiny.yaml")  # build would write over the rules
    result = run("rules", "build", str(rules))
    one_clean_line(result, 2, "tiny.built.json: is the same file as the input")
    assert rules.read_text(encoding="utf-8") == TINY_RULES
    (tmp_path / "tiny.built.json").unlink()
    answers = tmp_path / "answers.yaml"
    answers.write_text("site: neck\n", encoding="utf-8")
    saved = run("code", "--no-input", "--rules", str(rules), "--answers", str(answers), "--save",
                str(answers))  # fmt: skip
    one_clean_line(saved, 2, "is the same file as the input")
    for command in ("questions", "explain M54.2", "code --no-input -a site=neck", "rules check",
                    "rules graph"):  # fmt: skip
        shell = f"{BACKCODER} {command} --rules tiny.yaml >> tiny.yaml"
        if command.startswith("rules"):
            shell = f"{BACKCODER} {command} tiny.yaml >> tiny.yaml"
        one_clean_line(run(shell=shell, cwd=tmp_path), 2, "standard output: is the same file")
    assert rules.read_text(encoding="utf-8") == TINY_RULES
    assert answers.read_text(encoding="utf-8") == "site: neck\n"


# ------------------------------------------------------------------ reader limits

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
)
BOMB = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + BOMB


def test_an_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    started = time.monotonic()
    one_clean_line(run("code", "--no-input", "--answers", str(path)), 2, "aliases", ":2:")
    one_clean_line(run("rules", "check", str(path)), 2, "expand to more than 1,000,000 values")
    assert time.monotonic() - started < 30  # two start-ups; before, minutes and gigabytes


def test_deep_nesting_is_refused_in_every_reader(tmp_path: Path) -> None:
    deep = "[" * 5000 + "]" * 5000
    yaml_answers = tmp_path / "deep.yaml"
    yaml_answers.write_text(f"region: {deep}\n", encoding="utf-8")
    json_answers = tmp_path / "deep.json"
    json_answers.write_text(f'{{"region": {deep}}}', encoding="utf-8")
    for path in (yaml_answers, json_answers):
        one_clean_line(run("code", "--no-input", "--answers", str(path)), 2, "nested more than 64")
        one_clean_line(run("rules", "check", str(path)), 2, "nested more than 64")


def test_a_deep_line_is_an_error_line_and_the_batch_goes_on(tmp_path: Path) -> None:
    lines = [json.dumps(GOOD), '{"_meta": ' + "[" * 50_000 + "]" * 50_000 + "}"]
    lines += [json.dumps({"_id": n, **GOOD}) for n in range(100)]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("batch", str(source))
    one_clean_line(result, 1, "1 of 102 lines had an error")
    out = whole_lines(result.stdout.encode())
    assert [r["line"] for r in out] == list(range(1, 103))
    assert "nested more than 64 levels" in out[1]["error"] and "codes" in out[-1]


def test_the_fhir_batch_keeps_the_same_guarantees(tmp_path: Path) -> None:
    pytest.importorskip("fhir.resources")
    lines = ['{"trauma": "no", "trauma": "yes"}', '{"a": ' + "[" * 50_000 + "]" * 50_000 + "}"]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join([*lines, json.dumps(GOOD)]) + "\n", encoding="utf-8")
    result = run("batch", "--format", "fhir", str(source))
    one_clean_line(result, 1, "2 of 3 lines had errors")
    out = whole_lines(result.stdout.encode())
    problems = [bundle["entry"][0]["resource"].get("issue") for bundle in out]
    assert "given twice" in problems[0][0]["diagnostics"]
    assert "nested more than 64" in problems[1][0]["diagnostics"] and problems[2] is None


def test_sizes_are_bounded(tmp_path: Path) -> None:
    one_clean_line(run("code", "--no-input", "--answers", "/dev/zero"), 2, "larger than 1 MiB")
    long = '{"_id": "long", "_pad": "' + "x" * (1024 * 1024 + 10) + '"}'
    source = tmp_path / "in.jsonl"
    source.write_text(f"{json.dumps(GOOD)}\n{long}\n{json.dumps(GOOD)}\n", encoding="utf-8")
    result = run("batch", str(source))
    out = whole_lines(result.stdout.encode())
    assert [r["line"] for r in out] == [1, 2, 3] and result.returncode == 1
    assert "longer than 1,048,576 bytes" in out[1]["error"] and "codes" in out[2]


def deep_rule_file(path: Path, count: int) -> Path:
    """A chain of `count` nodes (ask, decide, note in turn) ending in one code."""
    nodes = []
    for n in range(count - 1):
        step = n % 3
        if step == 0:
            nodes.append(f"  n{n}:\n    ask: site\n    next: n{n + 1}\n")
        elif step == 1:
            nodes.append(f"  n{n}:\n    decide:\n      - {{when: {{site: neck}}, then: n{n + 1}}}\n"
                         f"      - {{then: n{n + 1}}}\n")  # fmt: skip
        else:
            nodes.append(
                f"  n{n}:\n    note: {{text: Step {n}., cite: [{{guideline: I.B.18}}]}}\n"
                f"    next: n{n + 1}\n"
            )
    last = (
        f"  n{count - 1}:\n    report:\n      - {{code: M54.6, kind: symptom, why: Mid back., "
        "cite: [{guideline: I.B.18}]}\n"
    )
    head = TINY_RULES.split("nodes:")[0].replace("start: site", "start: n0")
    path.write_text(head + "nodes:\n" + "".join(nodes) + last, encoding="utf-8")
    return path


@pytest.mark.slow
def test_a_rule_file_of_ten_thousand_nodes_is_checked(tmp_path: Path) -> None:
    path = deep_rule_file(tmp_path / "deep.yaml", 10_000)
    checked = run("rules", "check", str(path), timeout=300)
    assert checked.returncode == 0 and checked.stdout.startswith(f"{path}: ok"), checked.stderr


# ------------------------------------------------------------------ duplicates


def test_a_key_twice_in_a_batch_line_is_an_error_line_on_every_path(tmp_path: Path) -> None:
    fields = json.dumps(GOOD)[1:]
    twice = '"trauma": "yes", ' + fields  # trauma twice: the later one would have won
    lines = [
        '{"_id": "a", ' + fields,
        '{"_id": "b", ' + twice,
        '{"_id": "c", ' + twice,  # same text after the id: the fast path must refuse it too
        "{" + twice,
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("batch", str(source))
    out = whole_lines(result.stdout.encode())
    assert result.returncode == 1 and "codes" in out[0]
    for line in out[1:]:
        assert line["error"].startswith("key 'trauma' given twice in one object")


def test_a_key_twice_in_an_answers_file_is_refused_with_its_lines(tmp_path: Path) -> None:
    as_yaml = tmp_path / "a.yaml"
    as_yaml.write_text("trauma: no\nregion: lumbar\ntrauma: yes\n", encoding="utf-8")
    one_clean_line(run("code", "--no-input", "--answers", str(as_yaml)), 2,
                   "a.yaml:3: 'trauma' given twice in one mapping (lines 1 and 3)")  # fmt: skip
    as_json = tmp_path / "a.json"
    as_json.write_text('{"trauma": "no",\n "region": "lumbar",\n "trauma": "yes"}', "utf-8")
    one_clean_line(run("code", "--no-input", "--answers", str(as_json)), 2,
                   "key 'trauma' given twice in one object (lines 1, 3)")  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (("  mid:\n    report:", "  neck:\n    ask: site\n    next: mid\n  mid:\n    report:"),
         "'neck' given twice in one mapping (lines 15 and 18)"),
        (("nodes:", "  site:\n    text: Again\n    choices: {neck: {label: N}}\nnodes:"),
         "'site' given twice in one mapping (lines 6 and 11)"),
        (("      mid: {label: Mid back}", "      mid: {label: Mid back}\n      neck: {label: N}"),
         "'neck' given twice in one mapping (lines 9 and 11)"),
    ],
    ids=["node", "question", "choice"],
)  # fmt: skip
def test_a_repeated_id_in_a_rule_file_names_both_lines(
    tmp_path: Path, edit: tuple[str, str], where: str
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(TINY_RULES.replace(*edit), encoding="utf-8")
    one_clean_line(run("rules", "check", str(path)), 2, where)


def test_an_answer_given_twice_on_the_command_line() -> None:
    twice = run("code", "--no-input", *LOW_BACK, "-a", "trauma=yes")
    one_clean_line(twice, 2, "trauma is given 2 times (-a trauma=no, -a trauma=yes)")
    same = run("code", "--no-input", "--json", *LOW_BACK, "-a", "trauma=no")
    assert same.returncode == 0  # the same value twice leaves nothing to choose
    merged = run("code", "--no-input", "--json", *LOW_BACK, "-a", "region=cervical")
    assert merged.returncode == 0, merged.stderr
    result = json.loads(merged.stdout)
    region = next(step for step in result["path"] if step["question"] == "region")
    assert region["answer"] == ["lumbar", "cervical"] and region["merged"] == ["lumbar", "cervical"]
    assert [code["code"] for code in result["codes"]] == ["M54.59", "M54.2"]
    shown = run("code", "--no-input", *LOW_BACK, "-a", "region=cervical")
    assert "merged from lumbar + cervical" in shown.stdout


# ------------------------------------------------------------------ output errors

COMMANDS = [
    "code --no-input " + " ".join(LOW_BACK),
    "code --no-input --json " + " ".join(LOW_BACK),
    "batch in.jsonl",
    "questions",
    "questions --json",
    "explain M54.9",
    "compare M54.9 M54.6",
    "template M54.50",
    "rules schema",
    "rules schema --result",
    "rules graph",
    "rules graph --format dot",
    "--help",
    "batch --help",
    "--version",
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("faults")
    write_batch(folder / "in.jsonl", 100)
    (folder / "tiny.yaml").write_text(TINY_RULES, encoding="utf-8")
    return folder


# `rules check` writes its verdict only after the proof; what is tested here is that writing,
# the same for any sound file, so it checks the tiny one: proving the shipped tree takes
# seconds and is tested on its own (tests/test_cli_rules.py).
@pytest.mark.parametrize("command", [*COMMANDS, "rules check tiny.yaml"])
def test_a_full_disk_on_standard_output(workdir: Path, command: str) -> None:
    result = run(shell=f"{BACKCODER} {command} > /dev/full", cwd=workdir)
    one_clean_line(result, 1, "standard output: cannot be written (No space left on device)")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_closed_standard_output(workdir: Path, command: str) -> None:
    result = run(shell=f"{BACKCODER} {command} >&-", cwd=workdir)
    one_clean_line(result, 1, "standard output: cannot be written (standard output is closed)")


def test_a_named_output_that_cannot_be_written_exits_2(workdir: Path, tmp_path: Path) -> None:
    result = run("batch", "in.jsonl", "-o", "/dev/full", cwd=workdir)
    one_clean_line(result, 2, "/dev/full: cannot be written", "0 lines written")
    missing = tmp_path / "no" / "such" / "out.jsonl"
    one_clean_line(run("batch", "in.jsonl", "-o", str(missing), cwd=workdir), 2, str(missing))
    save = run("code", "--no-input", *LOW_BACK, "--save", "/dev/full")
    one_clean_line(save, 2, "/dev/full: cannot be written")


def test_rules_build_into_a_folder_it_cannot_write(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    rules = tmp_path / "tiny.yaml"
    rules.write_text(TINY_RULES, encoding="utf-8")
    tmp_path.chmod(0o555)
    try:
        one_clean_line(run("rules", "build", str(rules)), 1, "tiny.built.json")
    finally:
        tmp_path.chmod(0o755)


def test_a_batch_reader_that_stops_early_hears_how_far_it_got(workdir: Path) -> None:
    result = run(shell=f"{BACKCODER} batch in.jsonl | head -c 1000 > /dev/null; "
                 "exit ${PIPESTATUS[0]}", cwd=workdir)  # fmt: skip
    line = one_clean_line(result, 1, "standard output: cannot be written (Broken pipe)")
    assert "lines written to standard output; resume at input line" in line


def limit_file_size(limit: int) -> Any:
    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limited


def test_a_disk_that_fills_mid_batch_keeps_only_whole_lines(workdir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with out.open("wb") as stdout:  # standard output is the file: cut back to its last line
        result = subprocess.run(
            [sys.executable, "-m", "backcoder", "batch", str(workdir / "in.jsonl")],
            stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120,
            preexec_fn=limit_file_size(100_000),
        )  # fmt: skip
    line = one_clean_line(result, 1, "standard output: cannot be written (File too large)")
    kept = whole_lines(out.read_bytes())
    assert 0 < len(kept) < 100 and [r["line"] for r in kept] == list(range(1, len(kept) + 1))
    assert (
        f"{len(kept)} lines written to standard output; resume at input line {len(kept) + 1}"
        in (line)
    )
    named = tmp_path / "named.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "backcoder", "batch", str(workdir / "in.jsonl"), "-o", str(named)],
        capture_output=True, text=True, timeout=120, preexec_fn=limit_file_size(100_000),
    )  # fmt: skip
    line = one_clean_line(result, 2, f"{named}: cannot be written (File too large)")
    partial = named.with_name("named.jsonl.partial")
    assert not named.exists() and f"written to {partial}" in line
    assert len(whole_lines(partial.read_bytes())) == int(
        line.split(" lines written")[0].split()[-1]
    )


# ------------------------------------------------------------------ interruption


@pytest.fixture(scope="module")
def long_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_batch(tmp_path_factory.mktemp("long") / "long.jsonl", 100_000)


def interrupt(args: list[str], signum: int, folder: Path, **options: Any) -> Any:
    """Start a batch, wait until it has written results into `folder`, send it `signum`."""
    child = subprocess.Popen(
        [sys.executable, "-m", "backcoder", *args], stderr=subprocess.PIPE, text=True, **options
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _largest(folder) < 200_000:
        time.sleep(0.1)
    child.send_signal(signum)
    _, stderr = child.communicate(timeout=60)
    return subprocess.CompletedProcess(child.args, child.returncode, "", stderr)


def _largest(folder: Path) -> int:
    sizes = [0]
    for path in folder.iterdir():
        try:
            sizes.append(path.stat().st_size)
        except FileNotFoundError:
            continue
    return max(sizes)


@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["INT", "TERM"]
)
def test_an_interrupted_batch_keeps_every_finished_line(
    long_input: Path, tmp_path: Path, signum: int, status: int
) -> None:
    out = tmp_path / "out.jsonl"
    with out.open("wb") as stdout:
        result = interrupt(["batch", str(long_input)], signum, tmp_path, stdout=stdout)
    line = one_clean_line(result, status, "batch: interrupted")
    kept = whole_lines(out.read_bytes())
    assert 0 < len(kept) < 100_000
    assert [r["line"] for r in kept] == list(range(1, len(kept) + 1))
    assert line.endswith(
        f"{len(kept)} lines written to standard output; resume at input line {len(kept) + 1}"
    )


def test_an_interrupted_batch_to_a_file_leaves_the_target_alone(
    long_input: Path, tmp_path: Path
) -> None:
    target = tmp_path / "results.jsonl"
    target.write_text("the previous results\n", encoding="utf-8")
    result = interrupt(["batch", str(long_input), "-o", str(target)], signal.SIGINT, tmp_path)
    line = one_clean_line(result, 130, "batch: interrupted")
    assert target.read_text(encoding="utf-8") == "the previous results\n"
    partial = tmp_path / "results.jsonl.partial"
    kept = whole_lines(partial.read_bytes())
    assert line.endswith(f"{len(kept)} lines written to {partial}; resume at input line "
                         f"{len(kept) + 1}")  # fmt: skip
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_completed_batch_replaces_its_target_whole(workdir: Path, tmp_path: Path) -> None:
    target = tmp_path / "results.jsonl"
    target.write_text("the previous results\n", encoding="utf-8")
    target.chmod(0o640)
    result = run("batch", "in.jsonl", "-o", str(target), cwd=workdir)
    assert result.returncode == 0 and "100 lines coded" in result.stderr
    assert len(whole_lines(target.read_bytes())) == 100
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.jsonl"]


# ------------------------------------------------------------------ environments


@pytest.fixture(scope="module")
def bare_environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """NO_COLOR, TERM=dumb, LANG=C, HOME unset, a working folder nobody may write."""
    folder = tmp_path_factory.mktemp("readonly")
    write_batch(folder / "in.jsonl", 10)
    folder.chmod(0o555)
    env = {key: value for key, value in os.environ.items() if key not in ("HOME", "LC_ALL")}
    env.update(NO_COLOR="1", TERM="dumb", LANG="C", PYTHONPATH=str(ROOT / "src"))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return {"cwd": folder, "env": env}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_in_a_bare_environment(
    bare_environment: dict[str, Any], command: str
) -> None:
    result = run(shell=f"{BACKCODER} {command}", **bare_environment)
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_faults_in_a_bare_environment(bare_environment: dict[str, Any]) -> None:
    full = run(shell=f"{BACKCODER} explain M54.9 > /dev/full", **bare_environment)
    one_clean_line(full, 1, "standard output: cannot be written")
    same = run(shell=f"{BACKCODER} batch - < in.jsonl >> in.jsonl", **bare_environment)
    one_clean_line(same, 2, "is the same file as the input")
    unwritable = run("batch", "in.jsonl", "-o", "out.jsonl", **bare_environment)
    if os.geteuid() != 0:
        one_clean_line(unwritable, 2, "out.jsonl: cannot be written")
    bad = run("code", "--no-input", "-a", "trauma=maybe", **bare_environment)
    one_clean_line(bad, 2, "trauma: 'maybe' is not one of")


def test_the_walker_in_a_bare_environment(bare_environment: dict[str, Any]) -> None:
    """The prompt on a real terminal, with nothing to lean on: answered, then interrupted."""
    import pexpect

    flags = [flag for flag in LOW_BACK if flag != "region=lumbar" and flag != "-a"]
    args = [part for flag in flags for part in ("-a", flag)]
    options = {"cwd": str(bare_environment["cwd"]), "env": bare_environment["env"]}
    walked = ["-a", "red_flags=none", "-a", "fracture_cause=none", "-a", "condition=none", *args]
    child = pexpect.spawn(sys.executable, ["-m", "backcoder", "code", *walked],
                          encoding="utf-8", timeout=30, **options)  # fmt: skip
    child.expect(r"\(region\)")
    child.expect(r"> ")
    child.sendline("lumbar")
    if child.expect([r"\(y / N; < back\) ", "M54.59"]) == 0:  # another problem? no
        child.sendline("")
        child.expect("M54.59")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and "Traceback" not in (child.before or "")
    child = pexpect.spawn(sys.executable, ["-m", "backcoder", "code"], encoding="utf-8",
                          timeout=30, **options)  # fmt: skip
    child.expect(r"> ")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130 and "backcoder: interrupted" in child.before
    assert "Traceback" not in child.before and "\x1b[" not in child.before


# ------------------------------------------------------------------ audit's outputs


@pytest.fixture
def claims(tmp_path: Path) -> Path:
    path = tmp_path / "claims.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for number in range(300):
            out.write(json.dumps({"_id": f"c{number}", "codes": ["M54.50"]}) + "\n")
    return path


@pytest.mark.parametrize(
    "command",
    [
        "audit claims.jsonl -o alias.jsonl",  # a hard link: the input would be emptied
        "audit claims.jsonl --summary alias.jsonl",
        "audit claims.jsonl >> claims.jsonl",  # the audit would read its own results
        "audit - < claims.jsonl >> alias.jsonl",
        "audit - -o claims.jsonl < claims.jsonl",
    ],
)
def test_audit_outputs_onto_its_input_are_refused(claims: Path, command: str) -> None:
    os.link(claims, claims.with_name("alias.jsonl"))
    before = claims.read_bytes()
    result = run(shell=f"{BACKCODER} {command}", cwd=claims.parent, timeout=60)
    one_clean_line(result, 2, "is the same file as the input")
    assert claims.read_bytes() == before


def test_audit_output_faults_are_one_line(claims: Path) -> None:
    folder = claims.parent
    full = run(shell=f"{BACKCODER} audit claims.jsonl > /dev/full", cwd=folder)
    one_clean_line(full, 1, "standard output: cannot be written (No space left on device)")
    closed = run(shell=f"{BACKCODER} audit claims.jsonl >&-", cwd=folder)
    one_clean_line(closed, 1, "standard output: cannot be written (standard output is closed)")
    named = run("audit", "claims.jsonl", "-o", "/dev/full", cwd=folder)
    one_clean_line(named, 2, "/dev/full: cannot be written (No space left on device)")
    summary = run("audit", "claims.jsonl", "-o", "out.jsonl", "--summary", "/dev/full", cwd=folder)
    one_clean_line(summary, 2, "/dev/full: cannot be written")
    both = run("audit", "claims.jsonl", "-o", "out.jsonl", "--summary", "./out.jsonl", cwd=folder)
    one_clean_line(both, 2, "out.jsonl: is the output too")
    head = run(shell=f"{BACKCODER} audit claims.jsonl | head -c 100 > /dev/null; "
               "exit ${PIPESTATUS[0]}", cwd=folder)  # fmt: skip
    assert head.returncode == 0 and head.stderr == ""  # a report: its reader may stop early


def test_audit_replaces_its_target_whole(claims: Path) -> None:
    target = claims.with_name("results.jsonl")
    target.write_text("the previous results\n", encoding="utf-8")
    target.chmod(0o640)
    result = run("audit", str(claims), "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert [line["_id"] for line in whole_lines(target.read_bytes())] == [
        f"c{number}" for number in range(300)
    ]
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in claims.parent.iterdir()) == ["claims.jsonl", "results.jsonl"]


# ------------------------------------------------------------------ a visit's problems


@pytest.mark.parametrize(
    ("flag", "words"),
    [
        ("\u0661.region=lumbar", "-a \u0661.region=...: a problem's number is written in ASCII"),
        ("\uff11\uff12.region=lumbar", "in ASCII digits (-a 12.region=...)"),  # full-width 12
        ("0.region=lumbar", "problems are numbered from 1 (-a 1.region=...)"),
        ("3.region=lumbar", "problem 1 has no answers of its own"),
        ("1._id=v1", "problem 1: '_id' is not a question: keys beginning with _"),
        ("_id=v1", "'_id' is not a question"),
    ],
)
def test_a_problem_flag_that_cannot_be_read_is_one_line(flag: str, words: str) -> None:
    """A digit from another script is never read as a problem's number (`\\d` and int()
    take them), and a record key among the answers says where it belongs."""
    one_clean_line(run("code", "--no-input", *LOW_BACK, "-a", flag), 2, words)


def test_a_record_key_inside_a_problem_names_the_problem_on_either_batch_path() -> None:
    problem = {"trauma": "no", "region": "lumbar", "nerve": "none", "lumbar_cause": "other"}
    lines = [
        {"_id": "v1", "pain_course": "acute", "problems": [problem, {**problem, "_id": "p2"}]},
        {"pain_course": "acute", "problems": [problem, {**problem, "_id": "p2"}]},
    ]
    result = run("batch", "-", input="".join(json.dumps(line) + "\n" for line in lines))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    out = whole_lines(result.stdout.encode())
    assert [line.get("_id") for line in out] == ["v1", None]
    for line in out:
        assert line["error"].startswith("problem 2: '_id' is not a question")


@pytest.mark.parametrize(
    ("problem", "words"),
    [("1: lumbar", "problem 1: unknown question id '1'"), ("true: yes", "id 'True'")],
)
def test_a_yaml_problem_whose_key_is_no_text_is_one_line(
    tmp_path: Path, problem: str, words: str
) -> None:
    """YAML reads `1:` as a number and `true:` as true: ids are text, as at the top level."""
    answers = tmp_path / "visit.yaml"
    answers.write_text(f"pain_course: acute\nproblems:\n  - {problem}\n", encoding="utf-8")
    one_clean_line(run("code", "--no-input", "--answers", str(answers)), 2, words)


@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["INT", "TERM"]
)
def test_an_interrupted_audit_never_ends_in_half_a_line(signum: int, status: int) -> None:
    """A signal while a chunk is being written (standard output is a pipe nobody reads
    yet) waits for the write to end: the output stops at a line's end."""
    claims = b"".join(
        json.dumps({"_id": f"c{n}", "codes": ["M54.50"]}).encode() + b"\n" for n in range(3000)
    )
    child = subprocess.Popen(
        [sys.executable, "-m", "backcoder", "audit", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None

    def feed() -> None:  # the input stays open: the audit waits for more
        try:
            child.stdin.write(claims)  # type: ignore[union-attr]
            child.stdin.flush()  # type: ignore[union-attr]
        except OSError:
            pass

    threading.Thread(target=feed, daemon=True).start()
    first = child.stdout.read(1)  # it writes; the pipe then fills, and the write waits
    time.sleep(1)
    child.send_signal(signum)
    out = first + child.stdout.read()
    stderr = child.stderr.read().decode()
    child.wait(timeout=60)
    result = subprocess.CompletedProcess(child.args, child.returncode, "", stderr)
    line = one_clean_line(result, status, "audit: interrupted;")
    kept = whole_lines(out)
    assert 0 < len(kept) < 3000 and [r["line"] for r in kept] == list(range(1, len(kept) + 1))
    assert line.endswith(f"{len(kept)} claims written to standard output")


def test_a_record_of_too_many_problems_is_one_line(tmp_path: Path) -> None:
    one_clean_line(
        run("code", "--no-input", *LOW_BACK, "-a", "101.region=lumbar"),
        2,
        "-a 101.region=...: a record holds at most 100 problems",
    )
    answers = tmp_path / "visit.json"
    problem = {"trauma": "no", "region": "lumbar", "nerve": "none", "lumbar_cause": "other"}
    answers.write_text(json.dumps({"pain_course": "acute", "problems": [problem] * 5000}))
    result = run("code", "--no-input", "--answers", str(answers), timeout=60)
    one_clean_line(result, 2, "problems lists 5,000; a record holds at most 100 problems")
