"""One publish of a shot at a time, across processes and batches: two batches started on one shot would both
find it out of date and publish the same results as two versions. The second waits for the first, then finds
the shot up to date."""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # Windows: no advisory locks here; one batch per shot is the studio's to keep
    fcntl = None  # type: ignore[assignment]


def lock_name(shot: str) -> str:
    """Beside the shot's publish folder, not in it: a version folder's listing stays v001, v002, …"""
    return f".{shot}.publish-lock"


def lock_path(publish_root: Path, shot: str) -> Path:
    """In the publish root when it exists (shared by every machine publishing there); before the first
    publish, in this machine's temporary folder (a refused shot must not leave a publish root behind)."""
    if publish_root.is_dir():
        return publish_root / lock_name(shot)
    key = hashlib.sha256(str(publish_root / shot).encode("utf-8", "surrogateescape")).hexdigest()[:24]
    folder = Path(tempfile.gettempdir()) / "nakawari-publish-locks"
    folder.mkdir(exist_ok=True)
    return folder / f"{key}.lock"


@contextlib.contextmanager
def shot_lock(publish_root: Path, shot: str) -> Iterator[None]:
    """Hold the shot's publish lock (blocking) for the duration; where no lock file can be made, the
    validators report the unwritable publish root and nothing is published, so no lock is needed."""
    if fcntl is None:
        yield
        return
    try:
        handle = os.open(lock_path(publish_root, shot), os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock
