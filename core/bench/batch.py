"""`nakawari bench batch`: shots a minute through the pyblish batch with 1 and 2 pool workers, and on a
local Ray with 2 CPUs. Bench shots: articulated line-art suite keys written as shot folders.

Each run starts its own workers (as a `nakawari batch` run does), so times include their start-up; the
Ray row excludes starting Ray itself (a farm's cluster is already up) but not its worker processes.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from pathlib import Path

from ..batch import run_batch
from ..batch.result import FAILED
from ..image import write_image
from ..synth import articulated_suite
from ..table import format_table

KEY_FRAMES = (1, 9, 17)


def write_bench_shots(root: Path, *, shots: int, size: tuple[int, int], count: int) -> list[Path]:
    """One shot folder per suite case: keys `pose.0001.png`, `pose.0009.png`, `pose.0017.png`, a shot.json."""
    folders = []
    for index, case in enumerate(articulated_suite(size=size, n_cases=shots, n_keys=len(KEY_FRAMES))):
        folder = root / f"sh{index + 1:02d}0"
        folder.mkdir(parents=True)
        for frame, key in zip(KEY_FRAMES, case.keys):
            write_image(folder / f"pose.{frame:04d}.png", key)
        (folder / "shot.json").write_text(json.dumps({"timing": {"count": count}}), encoding="utf-8")
        folders.append(folder)
    return folders


def bench_batch(*, quick: bool = False, device: str = "auto") -> int:
    shots, size, count = (6, (480, 270), 3) if quick else (8, (960, 540), 3)
    load = os.getloadavg()[0]  # other work on the machine takes cores from the workers: say how busy it was
    with tempfile.TemporaryDirectory(prefix="nakawari-bench-batch-") as temp:
        root = Path(temp)
        folders = write_bench_shots(root / "shots", shots=shots, size=size, count=count)
        runs: list[tuple[str, int, float, int]] = []  # (how, workers, seconds, failed shots)
        for workers in (1, 2):
            runs.append(_timed("process pool", workers, lambda w=workers: run_batch(
                folders, root / f"pool{w}", workers=w, device=device)))
        ray_note = _ray_run(folders, root / "ray", device, runs)
    one = runs[0][2]
    rows = [(how, workers, shots, seconds, 60 * shots / seconds, one / seconds)
            for how, workers, seconds, _ in runs]
    print(format_table(f"batch: {shots} shots of {len(KEY_FRAMES)} keys at {size[0]}x{size[1]}, {count} inbetweens "
                       f"a gap ({shots * (len(KEY_FRAMES) - 1) * count} inbetweens)",
                       ("run", "workers", "shots", "seconds", "shots/min", "speed-up vs 1"), rows))
    print(f"speed-up of 2 workers over 1 (process pool): {one / runs[1][2]:.2f}x "
          f"({os.cpu_count()} CPU cores, load average {load:.1f} before the runs, {os.getloadavg()[0]:.1f} after)")
    if ray_note:
        print(ray_note)
    failed = sum(f for *_, f in runs)
    if failed:
        print(f"{failed} bench shot publishes failed")
    return 1 if failed else 0


def _timed(how: str, workers: int, run) -> tuple[str, int, float, int]:
    started = time.perf_counter()
    results = run()
    return how, workers, time.perf_counter() - started, sum(r.status == FAILED for r in results)


def _ray_run(folders: list[Path], publish: Path, device: str, runs: list) -> str | None:
    """Adds the Ray row; returns a note when Ray is not installed."""
    try:
        import ray
    except ImportError:
        return "Ray row left out: the farm extra is not installed (pip install 'nakawari[farm]')"
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    try:
        runs.append(_timed("Ray (local, 2 CPUs)", 2, lambda: run_batch(folders, publish, ray_address="local",
                                                                          device=device)))
    finally:
        ray.shutdown()
    return None
