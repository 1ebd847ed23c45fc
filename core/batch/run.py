"""Run a batch: every shot published in its own process (a local pool, or Ray tasks with `ray_address`).

Each worker gets its share of the cores: OpenCV's thread count set in the worker, and the BLAS/OpenMP limits in
the environment it starts with. Those must be there before numpy loads, and unpickling the worker's first
task imports numpy (this package reads images), so setting them inside the worker came too late: each of two
workers then ran two BLAS threads on two cores, and the second worker's frames waited on the first's.
"""
from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from ..errors import BadInput
from ..jobs.registry import SHOT_JOBS
from ..progress import Progress
from .farm import run_on_ray
from .result import ShotResult, unexpected
from .worker import inherited_thread_limits, publish_in_worker, start_worker


def check_batch(shot_dirs: Sequence[str | Path], publish_root: str | Path, jobs: Sequence[str]) -> list[Path]:
    """Refuse, before any work, what would fail every shot or mix two shots up."""
    if not jobs or any(job not in SHOT_JOBS for job in jobs):
        raise BadInput(f"--jobs takes names from {', '.join(SHOT_JOBS)}, separated by commas; got {','.join(jobs)}")
    root = Path(publish_root)
    if root.exists() and not root.is_dir():
        raise BadInput("publish root exists and is not a folder", root)
    folders = [Path(d).absolute() for d in shot_dirs]
    seen: dict[str, Path] = {}
    for folder in folders:
        if not folder.is_dir():
            raise BadInput("shot folder not found" if not folder.exists() else "is a file, not a shot folder", folder)
        if folder.name in seen:
            raise BadInput(f"has the same shot name as {seen[folder.name]}; both would publish to "
                           f"{root / folder.name}", folder)
        seen[folder.name] = folder
    return folders


def run_batch(shot_dirs: Sequence[str | Path], publish_root: str | Path, *, jobs: Sequence[str] = ("inbetween",),
              workers: int | None = None, ray_address: str | None = None, device: str = "auto",
              progress: Progress | None = None) -> list[ShotResult]:
    """Results in the order of `shot_dirs`. `workers`: processes (default: CPU cores, at most one per shot);
    with Ray, the CPUs of a local Ray (`ray_address="local"`)."""
    folders = check_batch(shot_dirs, publish_root, jobs)
    publish_root = Path(publish_root).absolute()  # workers (Ray's too) may start elsewhere
    if workers is not None and workers < 1:
        raise BadInput(f"--workers must be at least 1, got {workers}")
    if progress is not None:
        progress(0, len(folders), "starting")
    if ray_address is not None:
        return run_on_ray(ray_address, folders, publish_root, jobs, device, workers, progress)
    workers = workers or max(1, min(len(folders), os.cpu_count() or 1))
    threads = max(1, (os.cpu_count() or 1) // workers)
    results: list[ShotResult | None] = [None] * len(folders)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=start_worker, initargs=(threads,))
    try:
        with inherited_thread_limits(threads):  # the pool starts every worker at the first submit
            futures = {pool.submit(publish_in_worker, str(folder), str(publish_root), list(jobs), device): index
                       for index, folder in enumerate(folders)}
        for done, future in enumerate(as_completed(futures), 1):
            index = futures[future]
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001 - a worker that died takes only its shot down
                result = unexpected(folders[index].name, error, "".join(
                    traceback.format_exception(error)))
            results[index] = result
            if progress is not None:
                progress(done, len(folders), f"{result.shot} {result.status}")
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return [result for result in results if result is not None]
