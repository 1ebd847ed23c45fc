"""What an output transaction may replace, and the traces dead runs leave: helpers of `output.StagedOutput`.

Nothing the artist has is ever lost: `--overwrite` replaces only plain files the command itself writes, never
a folder or another kind of file, never one of the command's own inputs, and never a `manifest.json` that
nakawari did not write.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import socket
import stat
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import BadInput

MANIFEST = "manifest.json"
STAGE_PREFIX = ".nakawari-"
OWNER_FILE = ".owner"          # "<host> <pid>" of the run that made a stage folder
JOURNAL = ".commit"            # written before the moves: name → inode of each file moved into place
BACKUP_PREFIX = ".replaced."   # a replaced file waiting in the stage until commit ends
MAX_NAME_BYTES = 200           # a name stem: file systems allow 255 bytes, the frame number and suffix need some
MANIFEST_READ_LIMIT = 1 << 20  # a manifest.json larger than this is not one nakawari wrote (and not read whole)
# Errors of the output place that the user fixes (space, permissions, a read-only disk): exit 2, not 1.
USER_FIXABLE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                                 errno.ENAMETOOLONG})


def check_plain_name(name: str, what: str = "name") -> str:
    """An output name must be one plain file name: no folders, no `..`, not absolute, not hidden."""
    bad = (not name or name in (".", "..") or name.startswith(".") or "\x00" in name
           or any(sep in name for sep in ("/", "\\")) or os.path.isabs(name))
    if bad:
        raise BadInput(f"{what} '{name}' must be a plain file name (no folders, no '..', not absolute)")
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise BadInput(f"{what} is {len(name)} characters long; at most {MAX_NAME_BYTES} bytes leave room for the "
                       "frame number and suffix within a file name")
    return name


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (links and `..` resolved)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def _identity(path: Path) -> tuple[int, int] | str:
    """What makes two paths one file: device and inode when it exists, else its resolved path."""
    try:
        info = path.stat()
    except OSError:
        return os.path.normcase(os.path.realpath(path))
    return info.st_dev, info.st_ino


def refuse_inputs(out_dir: Path, names: Iterable[str], inputs: Iterable[str | Path]) -> None:
    """An output that would land on one of the command's inputs is refused, with or without --overwrite."""
    sources = {_identity(Path(source)) for source in inputs}
    for name in names:
        target = out_dir / name
        if _identity(target) in sources:
            raise BadInput("is an input of this command; nakawari never writes over its inputs "
                           "(choose another --out)", target)


def is_nakawari_manifest(path: Path) -> bool:
    """A manifest.json nakawari wrote: a JSON object naming its `command`."""
    try:
        if path.stat().st_size > MANIFEST_READ_LIMIT:
            return False
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and isinstance(data.get("command"), str)


def refuse_other_kinds(target: Path) -> None:
    """Only a plain file is ever replaced: a folder, a link or a pipe named like an output is refused."""
    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as error:  # a name too long for the file system, say
        raise BadInput(f"cannot be written ({error.strerror})", target) from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a link" if stat.S_ISLNK(mode) else "not a plain file"
        raise BadInput(f"is {kind} named like an output; nakawari replaces only plain files it writes, even with "
                       "--overwrite (move it away or choose another --out)", target)


def refuse_unreplaceable(target: Path) -> None:
    """With --overwrite: only a plain file may be replaced, and a manifest.json only when nakawari wrote it."""
    refuse_other_kinds(target)
    if target.name == MANIFEST and target.exists() and not is_nakawari_manifest(target):
        raise BadInput("is not a manifest nakawari wrote; --overwrite will not replace it (move it away or "
                       "choose another --out)", target)


def user_fixable(error: OSError, place: Path) -> BadInput | None:
    """A full disk, a read-only or forbidden folder: the user's to fix (BadInput); None for anything else."""
    if error.errno in USER_FIXABLE_ERRNOS:
        return BadInput(f"cannot write the output ({error.strerror})", place)
    return None


def owner_mark() -> str:
    return f"{socket.gethostname()} {os.getpid()}"


def process_alive(pid: int) -> bool:
    """Whether a process of this machine with that pid runs (a process of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but another user's
        return True
    return True


def write_journal(stage: Path, names: list[str]) -> None:
    """Before the first move: which files the commit moves (a rename keeps the inode, so the moved file is
    recognised in place), so that a run killed mid-commit can be undone by the next one."""
    inodes = {name: (stage / name).stat().st_ino for name in names}
    (stage / JOURNAL).write_text(json.dumps(inodes), encoding="utf-8")


def _inode(path: Path) -> int | None:
    try:
        return path.lstat().st_ino
    except OSError:
        return None


def undo_dead_commit(out_dir: Path, stage: Path) -> None:
    """A run killed during its commit left some new files in place and the files they replaced in its stage.
    If its manifest (moved last) is in place the commit had finished; otherwise every file it moved in is
    taken out again and every file it replaced put back, as if it had never run."""
    inodes = json.loads((stage / JOURNAL).read_text(encoding="utf-8"))
    if _inode(out_dir / MANIFEST) == inodes.get(MANIFEST):
        return
    for name, inode in inodes.items():
        target, backup = out_dir / name, stage / f"{BACKUP_PREFIX}{name}"
        if _inode(target) == inode and not (stage / name).exists():
            target.unlink()
        if backup.exists() and not target.exists():
            os.replace(backup, target)


def remove_stale_stages(out_dir: Path) -> None:
    """Stage folders left by runs of this machine that died (their pid is gone) are removed, a commit they
    were killed in undone first; a stage still holding a replaced file is kept for the artist to recover."""
    host = socket.gethostname()
    try:
        children = [child for child in out_dir.iterdir() if child.name.startswith(STAGE_PREFIX)]
    except OSError:
        return
    for stage in children:
        try:
            owner_host, pid = (stage / OWNER_FILE).read_text(encoding="utf-8").split()
            if owner_host != host or process_alive(int(pid)):
                continue
            if (stage / JOURNAL).exists():
                undo_dead_commit(out_dir, stage)
            elif any(entry.name.startswith(BACKUP_PREFIX) for entry in stage.iterdir()):
                continue
        except (OSError, ValueError):
            continue  # no readable owner or journal: not ours to judge
        shutil.rmtree(stage, ignore_errors=True)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[list[int]]:
    """Ctrl-C (and SIGTERM) wait while files move into place: a commit is never left half done by them.
    Yields the signals that arrived (only the main thread can hold them back; elsewhere nothing changes)."""
    arrived: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield arrived
        return

    def hold(number: int, frame: Any) -> None:
        arrived.append(number)

    previous = {number: signal.signal(number, hold) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield arrived
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
