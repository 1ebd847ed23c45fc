"""The summary table printed after a batch, and the batch's exit status."""
from __future__ import annotations

from collections.abc import Sequence

from ..table import format_table
from .result import FAILED, ShotResult, version_name


def summary_table(results: Sequence[ShotResult]) -> str:
    rows = [(r.shot, r.status, version_name(r.version) if r.version else "-", f"{r.seconds:.1f}", r.problem or "")
            for r in results]
    failed = sum(r.status == FAILED for r in results)
    title = f"batch: {len(results) - failed} of {len(results)} shots done" + (f", {failed} failed" if failed else "")
    table = format_table(title, ("shot", "result", "version", "seconds", "problem"), rows)
    return "\n".join([table, *(f"warning: {warning}" for r in results for warning in r.warnings)])


def exit_status(results: Sequence[ShotResult]) -> int:
    """0 every shot published or up to date; 2 some failed, each on its own bad input (fix the shot);
    1 some failed unexpectedly (see the log named in the table)."""
    failed = [r for r in results if r.status == FAILED]
    if not failed:
        return 0
    return 2 if all(r.bad_input for r in failed) else 1
