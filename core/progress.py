"""A terminal progress bar for long runs; silent when stderr is not a terminal or when asked to be quiet."""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

Progress = Callable[[int, int, str], None]  # progress(done, total, message): every engine entry point takes one
Cancel = Callable[[], bool]                 # True once the artist asked to stop


class TerminalProgress:
    """Callable as `progress(done, total, message)`, the signature every engine entry point takes."""

    def __init__(self, label: str, *, enabled: bool | None = None, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.label = label
        self.started = time.perf_counter()
        self._drawn = False

    def __call__(self, done: int, total: int, message: str = "") -> None:
        if not self.enabled or total <= 0:
            return
        width = 28
        filled = int(width * done / total)
        elapsed = time.perf_counter() - self.started
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} {elapsed:5.1f}s {message[:30]:<30}")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
