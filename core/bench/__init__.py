"""`nakawari bench SUITE`: quality and speed against baselines measured in the same process."""
from __future__ import annotations

import importlib

# suite name → "module:function" under nakawari.bench; each function takes (quick=, device=) and returns an exit code.
SUITES: dict[str, str] = {
    "inbetween": "inbetween:bench_inbetween",
    "batch": "batch:bench_batch",
    "strokes": "strokes:bench_strokes",
    "douga": "douga:bench_douga",
    "cels": "cels:bench_cels",
    "speed": "speed:bench_speed",  # whole command, engine start, vector matching, batch scaling
    "real": "real:bench_real",  # also takes folder=, out=, modes=, overwrite= (`nakawari bench real DIR`)
    "paint": "paint:bench_paint",  # also takes real= (`nakawari bench paint DIR`: line/ and colour/ frames)
}


def run_bench(suite: str, *, quick: bool = False, device: str = "auto", **options: object) -> int:
    """Run one suite; `options` go only to suites that take more than quick= and device= (real)."""
    if suite not in SUITES:
        raise ValueError(f"unknown bench suite {suite}")
    module, function = SUITES[suite].split(":")
    return getattr(importlib.import_module(f".{module}", __name__), function)(quick=quick, device=device, **options)
