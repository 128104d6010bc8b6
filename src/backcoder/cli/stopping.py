"""Stopping between lines: SIGINT and SIGTERM end `batch` and `audit` at a line's end.

A signal while a chunk of lines is being written waits until the write is done, so the
output never ends in half a line; at any other moment it stops the run at once.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from backcoder.files.writing import LineSink


class Stop(BaseException):
    """SIGINT or SIGTERM, raised between lines (never inside a write)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class Signals:
    """SIGINT and SIGTERM stop the batch: at once while it reads or codes (the line in hand
    is dropped, the finished ones kept), or right after a write that is under way."""

    def __init__(self) -> None:
        self.writing = False
        self.pending: int | None = None
        self._saved: dict[int, Any] = {}

    def __enter__(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._saved[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: object) -> None:
        if self.writing:
            self.pending = signum
        else:
            raise Stop(signum)

    def write(self, sink: LineSink, chunk: list[bytes]) -> None:
        self.writing = True
        try:
            sink.write_lines(chunk)
            chunk.clear()
        finally:
            self.writing = False
        if self.pending is not None:
            raise Stop(self.pending)
