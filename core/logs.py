"""Where the engine writes failure logs (one file per failure): the folder and the file."""
from __future__ import annotations

import datetime
import os
import tempfile
from pathlib import Path

from .host_kit import log_folder  # one folder for the engine, its client and the add-ons


def write_failure_log(prefix: str, text: str) -> Path:
    """A new log file `<prefix>-<time>-<pid>-….log` holding ``text``; its path. One file per failure: failures in
    the same second (the engine's jobs, a batch's workers) never share one."""
    folder = log_folder()
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f"{prefix}-{datetime.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}-",
                                    suffix=".log", dir=folder)
    with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace") as log:
        log.write(text)
    return Path(name)
