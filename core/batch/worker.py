"""What runs in each batch worker process (a pool worker or a Ray task): its share of the cores, then one shot."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import cv2

from .orphan import exit_with_parent
from .publish import publish_shot
from .result import ShotResult


def start_worker(threads: int) -> None:
    """Each pool worker: its share of the cores, and it ends when the batch process does (`orphan`)."""
    limit_threads(threads)
    exit_with_parent()


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def inherited_thread_limits(threads: int) -> Iterator[None]:
    """Processes started inside the block read these thread limits when they load numpy; this process's own
    environment is put back afterwards (its numpy is loaded already, and later children are not workers)."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update({name: str(threads) for name in THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def limit_threads(threads: int) -> None:
    """Share the cores between workers: OpenCV's threads now, and the BLAS/OpenMP variables for a numpy
    not loaded yet (a Ray task's process may be fresh; pool workers already start with them)."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    cv2.setNumThreads(threads)


def publish_in_worker(shot_dir: str, publish_root: str, jobs: list[str], device: str) -> ShotResult:
    return publish_shot(shot_dir, publish_root, jobs, device)
