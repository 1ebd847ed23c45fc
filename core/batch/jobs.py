"""Which engine jobs this nakawari has: the batch runs them through the job registry (`nakawari.jobs.registry`)."""
from __future__ import annotations

from types import ModuleType

from ..jobs.registry import JOBS, SHOT_JOBS


def job_module(name: str) -> ModuleType | None:
    """The job's module (`nakawari.jobs.<name>`) when it exists and offers its runner; None for a job not built
    yet."""
    if name not in SHOT_JOBS:
        return None
    spec = JOBS[name]
    try:
        module = spec.load()
    except ModuleNotFoundError as error:
        if error.name != spec.module:
            raise  # the job exists but something it needs is missing: say so, don't call it "not built"
        return None
    return module if hasattr(module, spec.runner) else None
