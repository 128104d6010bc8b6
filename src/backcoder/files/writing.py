"""Writing outputs without losing anything: same-file refusal, whole lines, partial files.

Every command that writes asks `refuse_same_file` first, with the files it reads and the
files it will write (standard output included): files are compared by device and inode,
so a path, a symlink, a hard link and an already open descriptor are all caught before a
byte is written. `LineSink` writes whole lines and knows how many reached the target;
`PartialFile` is rsync's partial-file discipline: results go to a hidden temporary file
in the target's folder, which replaces the target only when the run completes.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from backcoder.errors import OutputError, SameFileError

STDOUT_NAME = "standard output"
PARTIAL_SUFFIX = ".partial"

Target = Path | int
"""A file by its path, or an open descriptor (standard input, standard output)."""


def _identity(target: Target) -> tuple[int, int] | None:
    """(device, inode) of a regular file; None for anything that cannot be overwritten in
    place (a terminal, a pipe, /dev/null) or that does not exist yet."""
    try:
        info = os.fstat(target) if isinstance(target, int) else os.stat(target)
    except (OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISREG(info.st_mode) else None


def stream_fd(stream: Any) -> int | None:
    """The descriptor behind a stream, or None (a test's StringIO, a closed stream)."""
    try:
        return int(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return None


def refuse_same_file(
    inputs: Iterable[tuple[str, Target]], outputs: Iterable[tuple[str, Target]]
) -> None:
    """SameFileError when an output is the same file as an input, whatever it is called."""
    read = {}
    for name, target in inputs:
        identity = _identity(target)
        if identity is not None:
            read.setdefault(identity, name)
    for name, target in outputs:
        identity = _identity(target)
        if identity is not None and identity in read:
            source = read[identity]
            also = "" if source == name else f" ({source})"
            raise SameFileError(
                f"{name}: is the same file as the input{also}; "
                "writing to it would destroy what is being read: write to another file"
            )


LINE_BREAKS = (
    (b"\xc2\x85", b"\\u0085"),
    (b"\xe2\x80\xa8", b"\\u2028"),
    (b"\xe2\x80\xa9", b"\\u2029"),
)
"""Characters JSON leaves unescaped that many line readers (Python's str.splitlines, older
JavaScript) take for the end of a line: next line, line separator, paragraph separator."""


def escape_line_breaks(data: bytes) -> bytes:
    """JSON lines with those characters written as escapes: one line stays one line for
    every reader. They can stand only inside JSON strings, where the escape means the same."""
    for raw, escaped in LINE_BREAKS:
        data = data.replace(raw, escaped)
    return data


class LineSink:
    """Whole lines to a binary target, counting the lines that reached it.

    On a real descriptor each chunk goes out with os.write until all of it is written, so
    after a failure the count is exact; a regular file is then cut back to its last whole
    line. Errors become OutputError naming the target. JSON lines (`json`) have the
    characters other readers take for line ends escaped; CSV rows are written as they are."""

    def __init__(self, stream: IO[bytes], name: str, *, named: bool, json: bool = True) -> None:
        self.stream = stream
        self.name = name
        self.named = named
        self.json = json
        self.lines = 0
        self.fd = stream_fd(stream)
        self._good_end = self._offset()

    def _offset(self) -> int | None:
        if self.fd is None:
            return None
        try:
            info = os.fstat(self.fd)
            return os.lseek(self.fd, 0, os.SEEK_CUR) if stat.S_ISREG(info.st_mode) else None
        except OSError:
            return None

    def write_lines(self, lines: list[bytes]) -> None:
        data = b"\n".join(lines) + b"\n"
        if self.json and not data.isascii():  # results are ASCII but for answers' text
            data = escape_line_breaks(data)
        sent = 0
        try:
            if self.fd is None:
                self.stream.write(data)
                self.stream.flush()
            else:
                while sent < len(data):
                    sent += os.write(self.fd, memoryview(data)[sent:])
        except OSError as exc:
            whole = data.rfind(b"\n", 0, sent) + 1  # the lines that went out in full
            self._count(data[:whole].count(b"\n"), whole)
            self._cut_back()
            raise self.error(exc) from None
        self._count(len(lines), len(data))

    def _count(self, lines: int, size: int) -> None:
        self.lines += lines
        if self._good_end is not None:
            self._good_end += size

    def _cut_back(self) -> None:
        """Never half a line: a regular file loses the tail of a chunk that failed."""
        if self.fd is not None and self._good_end is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, self._good_end)
                os.lseek(self.fd, self._good_end, os.SEEK_SET)

    def error(self, exc: OSError) -> OutputError:
        return output_error(self.name, exc, named=self.named)


def output_error(name: str, exc: OSError, *, named: bool) -> OutputError:
    reason = exc.strerror or type(exc).__name__
    gone = isinstance(exc, BrokenPipeError)
    return OutputError(f"{name}: cannot be written ({reason})", named=named, reader_gone=gone)


class PartialFile:
    """A hidden temporary file beside the target, renamed over it when the run completes.

    The target is never seen half-written: until `commit` it keeps its old content (or does
    not exist). `keep_partial` keeps what was finished under TARGET.partial instead."""

    def __init__(self, target: Path) -> None:
        self.given = target
        self.target = Path(os.path.realpath(target))  # through a symlink, as sort -o writes
        self.temporary = self.target.with_name(f".{self.target.name}.{os.getpid()}.tmp")
        try:
            descriptor = os.open(self.temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            if self.target.exists():
                os.chmod(descriptor, stat.S_IMODE(self.target.stat().st_mode))
        except OSError as exc:
            raise output_error(str(target), exc, named=True) from None
        self.stream: IO[bytes] = os.fdopen(descriptor, "wb", buffering=0)
        self.renamed = False

    @staticmethod
    def suits(target: Path) -> bool:
        """A regular file or a new one; a device or a pipe (-o /dev/null) is written as it
        is, since it cannot be replaced, and so is a file whose folder takes no new file."""
        try:
            regular = stat.S_ISREG(os.stat(target).st_mode)
        except FileNotFoundError:
            return True
        except OSError:
            return False
        # a writable file in a folder that is not: written in place, as before
        return regular and os.access(Path(os.path.realpath(target)).parent, os.W_OK)

    def commit(self) -> None:
        self._close()
        self._rename(self.target)

    def keep_partial(self) -> Path:
        """The finished lines, kept where a rerun will not mistake them for the result."""
        self._close()
        partial = self.given.with_name(self.given.name + PARTIAL_SUFFIX)
        self._rename(partial)
        return partial

    def discard(self) -> None:
        """The temporary file removed, unless it was already renamed (then nothing)."""
        self._close()
        if not self.renamed:
            with contextlib.suppress(OSError):
                self.temporary.unlink()

    def _close(self) -> None:
        if not self.stream.closed:
            with contextlib.suppress(OSError):
                os.fsync(self.stream.fileno())
            self.stream.close()

    def _rename(self, to: Path) -> None:
        try:
            os.replace(self.temporary, to)
            self.renamed = True
        except OSError as exc:
            self.discard()
            raise output_error(str(to), exc, named=True) from None


def write_whole(target: Path, text: str, *, named: bool) -> None:
    """A whole file written beside its target and renamed over it: a full disk or an
    interruption leaves the old file as it was, never a half-written one."""
    if not PartialFile.suits(target):
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise output_error(str(target), exc, named=named) from None
        return
    partial = PartialFile(target)
    try:
        partial.stream.write(text.encode("utf-8"))
    except OSError as exc:
        partial.discard()
        raise output_error(str(target), exc, named=named) from None
    except BaseException:
        partial.discard()
        raise
    partial.commit()


def open_line_sink(
    output: Path | None, partial: PartialFile | None, stdout: IO[str], *, json: bool = True
) -> LineSink:
    """Whole lines to a command's target: the hidden file renamed over `-o FILE` when the
    run completes (`partial`), `-o FILE` itself, or standard output as it is; a failure to
    open names the target."""
    if partial is not None:
        return LineSink(partial.stream, str(output), named=True, json=json)
    if output is None:
        stdout.flush()
        return LineSink(getattr(stdout, "buffer", stdout), STDOUT_NAME, named=False, json=json)
    try:
        stream = open(output, "wb")  # noqa: SIM115  (closed by the caller)
    except OSError as exc:
        raise output_error(str(output), exc, named=True) from None
    return LineSink(stream, str(output), named=True, json=json)
