"""Errors the engine raises on purpose; the CLI turns them into one-line messages and exit codes."""
from __future__ import annotations

from pathlib import Path


class BadInput(Exception):
    """Input the user can fix: a missing, corrupt or mismatched file, a bad option. Exit status 2."""

    def __init__(self, problem: str, path: str | Path | None = None) -> None:
        self.problem = problem
        self.path = str(path) if path is not None else None
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


class Cancelled(Exception):
    """Raised by an engine entry point when its ``cancel`` callback returns True; nothing is written."""
