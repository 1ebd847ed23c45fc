"""Which engine jobs this nakawari has: the batch runs them through their job APIs in `nakawari.jobs`."""
from __future__ import annotations

import importlib
from types import ModuleType

from .shot import JOBS


def job_module(name: str) -> ModuleType | None:
    """`nakawari.jobs.<name>` when it exists and offers `run_<name>`; None for a job not built yet."""
    if name not in JOBS:
        return None
    try:
        module = importlib.import_module(f"nakawari.jobs.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"nakawari.jobs.{name}":
            raise  # the job exists but something it needs is missing: say so, don't call it "not built"
        return None
    return module if hasattr(module, f"run_{name}") else None
