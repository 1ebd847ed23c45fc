"""What one shot's publish came to (picklable: it travels back from pool workers and Ray tasks)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..logs import write_failure_log

PUBLISHED, UP_TO_DATE, FAILED = "published", "up to date", "failed"


def version_name(number: int) -> str:
    return f"v{number:03d}"


@dataclass
class ShotResult:
    shot: str
    status: str                  # PUBLISHED, UP_TO_DATE or FAILED
    version: int | None = None   # the version written, or the one found up to date
    seconds: float = 0.0
    problem: str | None = None   # one line, for the summary table
    bad_input: bool = False      # a problem the artist fixes in the shot (else unexpected; see `log`)
    log: str | None = None       # path of the traceback log for an unexpected failure
    warnings: list[str] = field(default_factory=list)  # the plugins' warnings (stray files, …)


def unexpected(shot: str, error: BaseException | str, details: str, seconds: float = 0.0) -> ShotResult:
    """A failure nobody can fix in the shot: the details go to a log, the table names the log."""
    log = write_failure_log(f"nakawari-batch-{shot}", f"shot {shot}\n\n{details}")
    return ShotResult(shot, FAILED, seconds=seconds, problem=f"unexpected error: {error} (details in {log})",
                      log=str(log))
