"""Scale-out on Ray (extra `farm`): each shot one Ray task, given a GPU when the cluster has GPUs."""
from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..progress import Progress
from .result import ShotResult, unexpected
from .worker import limit_threads, publish_in_worker


def run_on_ray(address: str, folders: Sequence[Path], publish_root: str | Path, jobs: Sequence[str], device: str,
               workers: int | None, progress: Progress | None) -> list[ShotResult]:
    """`address`: "local" starts a Ray on this machine (`workers` CPUs, default all); anything else is a
    running cluster's address ("auto", "ray://head:10001", …), where nakawari must be installed too."""
    try:
        import ray
    except ImportError:
        raise BadInput("--ray needs Ray: pip install 'nakawari[farm]'") from None
    started = not ray.is_initialized()
    if started:
        options: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.ERROR, "log_to_driver": False}
        if address == "local":
            ray.init(num_cpus=workers, **options)
        else:
            _check_reachable(address)
            try:
                ray.init(address=address, **options)
            except ConnectionError as error:
                raise BadInput(f"cannot reach the Ray cluster ({error})", address) from None
    try:
        task = ray.remote(_publish_task).options(**task_resources(ray.cluster_resources()), max_retries=0)
        refs = {task.remote(str(folder), str(publish_root), list(jobs), device): index
                for index, folder in enumerate(folders)}
        results: list[ShotResult | None] = [None] * len(folders)
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            index = refs[ready[0]]
            try:
                result: ShotResult = ray.get(ready[0])
            except Exception as error:  # noqa: BLE001 - a task or its worker died: only its shot fails
                result = unexpected(folders[index].name, type(error).__name__, "".join(
                    traceback.format_exception(error)))
            results[index] = result
            if progress is not None:
                progress(len(folders) - len(pending), len(folders), f"{result.shot} {result.status}")
    finally:
        if started:
            ray.shutdown()
    return [result for result in results if result is not None]


def _check_reachable(address: str) -> None:
    """Ray retries an unreachable head for minutes; a plain connect says so in seconds."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # "auto" and other forms: Ray finds the cluster itself
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as error:
        raise BadInput(f"cannot reach the Ray cluster ({error.strerror or error})", address) from None


def task_resources(cluster: dict[str, float]) -> dict[str, float]:
    """One CPU per shot; one GPU per shot only where the cluster has GPUs (else Ray would never schedule it)."""
    return {"num_cpus": 1, "num_gpus": 1 if cluster.get("GPU", 0) > 0 else 0}


def _publish_task(shot_dir: str, publish_root: str, jobs: list[str], device: str) -> ShotResult:
    limit_threads(1)  # one CPU per task, as scheduled
    return publish_in_worker(shot_dir, publish_root, jobs, device)
