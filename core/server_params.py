"""The type of the engine protocol's request ids: a wrong one is answered with JSON-RPC invalid request, never
an internal error. (A job's own parameters are checked by the job: `jobs.params`.)"""
from __future__ import annotations

import math
from typing import Any


def id_problem(value: Any) -> str | None:
    """JSON-RPC ids are strings, numbers or null; anything else cannot be answered by id."""
    if value is None or isinstance(value, str) or (
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)):
        return None
    return "must be a string, a number or null"
