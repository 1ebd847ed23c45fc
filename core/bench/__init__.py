"""`nakawari bench SUITE`: quality and speed against baselines measured in the same process."""
from __future__ import annotations


def run_bench(suite: str, *, quick: bool = False, device: str = "auto") -> int:
    if suite == "inbetween":
        from .inbetween import bench_inbetween
        return bench_inbetween(quick=quick, device=device)
    raise ValueError(f"unknown bench suite {suite}")
