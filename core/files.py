"""Files written whole: a temporary file beside the target, renamed into place, so nobody sees half a file;
and files' checksums."""
from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import BadInput
from .output_guard import user_fixable

UMASK = os.umask(0o022)
os.umask(UMASK)  # read once at import: umask can only be read by setting it


def write_atomically(path: Path, write: Callable[[str], object]) -> None:
    """`write(temp_name)` fills a temporary file beside `path`, which then replaces `path` in one rename;
    on any failure the temporary file is removed and `path` is left as it was. A folder where no file can be
    made is the user's to fix (BadInput)."""
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    except OSError as error:
        raise BadInput(f"output folder is not writable ({error.strerror})", path) from None
    os.close(handle)
    try:
        write(temp_name)
        os.chmod(temp_name, 0o666 & ~UMASK)  # mkstemp makes files private; results are ordinary files
        os.replace(temp_name, path)
    except OSError as error:
        Path(temp_name).unlink(missing_ok=True)
        fixable = user_fixable(error, path)  # a full disk, a read-only folder: the user's to fix
        if fixable is None:
            raise
        raise fixable from None
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def sha256_file(path: Path) -> str:
    """The file's sha256 (hex), read a megabyte at a time. Only a plain file is read: a pipe named like a key
    would block the reader forever (OSError instead)."""
    digest = hashlib.sha256()
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError(errno.EINVAL, "not a plain file", str(path))
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
