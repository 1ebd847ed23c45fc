"""A batch worker ends with its batch: if the batch process is killed (SIGKILL leaves its pool's workers
running), the worker must not publish a shot minutes later that nobody is waiting for and then block forever
on the dead parent's pipe. Version folders appear in one rename, so stopping a worker at any moment leaves at
most a hidden partial folder, never a half version."""
from __future__ import annotations

import os
import threading
import time

PARENT_POLL_SECONDS = 0.5  # how soon a worker notices that its batch is gone
ORPHAN_EXIT_STATUS = 70    # what an orphaned worker exits with (nobody reads it)


def exit_with_parent(parent_pid: int | None = None, interval: float = PARENT_POLL_SECONDS) -> threading.Thread:
    """Watch the parent from a daemon thread; when it is gone (this process was re-parented), exit at once."""
    parent = os.getppid() if parent_pid is None else parent_pid

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(ORPHAN_EXIT_STATUS)

    watcher = threading.Thread(target=watch, name="nakawari-orphan-watch", daemon=True)
    watcher.start()
    return watcher
