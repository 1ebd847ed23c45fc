"""One publish of a shot at a time, across processes and batches: two batches started on one shot would both
find it out of date and publish the same results as two versions. The second waits for the first, then finds
the shot up to date."""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks here; one batch per shot is the studio's to keep
    fcntl = None  # type: ignore[assignment]


def lock_name(shot: str) -> str:
    """Beside the shot's publish folder, not in it: a version folder's listing stays v001, v002, …"""
    return f".{shot}.publish-lock"


def lock_paths(publish_root: Path, shot: str) -> list[Path]:
    """This machine's lock for the shot (in the temporary folder: it exists before the first publish, and a
    refused shot must not leave a publish root behind), then, once the publish root exists, the lock in it
    (shared by every machine publishing there). Taken in this order, so the first publish is excluded too."""
    key = hashlib.sha256(str(publish_root / shot).encode("utf-8", "surrogateescape")).hexdigest()[:24]
    folder = Path(tempfile.gettempdir()) / "nakawari-publish-locks"
    folder.mkdir(exist_ok=True)
    paths = [folder / f"{key}.lock"]
    if publish_root.is_dir():
        paths.append(publish_root / lock_name(shot))
    return paths


@contextlib.contextmanager
def shot_lock(publish_root: Path, shot: str) -> Iterator[None]:
    """Hold the shot's publish locks (blocking) for the duration; where a lock file cannot be made, the
    validators report the unwritable publish root and nothing is published, so that lock is not needed."""
    if fcntl is None:
        yield
        return
    handles = []
    try:
        for path in lock_paths(publish_root, shot):
            try:
                handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError:
                continue
            handles.append(handle)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        for handle in reversed(handles):
            os.close(handle)  # releases the lock
