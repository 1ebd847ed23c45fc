"""Transactional output: results appear in the output folder all together, or not at all.

Files are staged in a hidden folder inside the output folder (same file system, so moving them in is a
rename), then moved into place by `commit`. An error, a cancel or a crash before commit leaves the output
folder as it was; an existing file is never replaced unless `overwrite` was asked for.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any, Iterable

import numpy as np

from .errors import BadInput
from .image import write_image

MANIFEST = "manifest.json"


class StagedOutput:
    """Use as a context manager; call `commit()` at the end of the `with` block."""

    def __init__(self, out_dir: str | Path, *, overwrite: bool = False) -> None:
        self.out_dir = Path(out_dir)
        self.overwrite = overwrite
        self._stage: Path | None = None
        self._names: list[str] = []
        self._created_dir = False

    def __enter__(self) -> "StagedOutput":
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise BadInput("output path exists and is not a folder", self.out_dir)
        if not self.out_dir.exists():
            try:
                self.out_dir.mkdir(parents=True)
            except OSError as error:
                raise BadInput(f"cannot create output folder ({error.strerror})", self.out_dir) from None
            self._created_dir = True
        try:
            self._stage = Path(tempfile.mkdtemp(prefix=".nakawari-", dir=self.out_dir))
        except OSError as error:
            self._remove_created_dir()
            raise BadInput(f"output folder is not writable ({error.strerror})", self.out_dir) from None
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
            self._stage = None
        if kind is not None:
            self._remove_created_dir()

    def _remove_created_dir(self) -> None:
        if self._created_dir:
            try:
                self.out_dir.rmdir()  # only when still empty
            except OSError:
                pass

    def refuse_existing(self, names: Iterable[str]) -> None:
        """Fail before any work when a result would replace an existing file."""
        if self.overwrite:
            return
        for name in [*names, MANIFEST]:
            if (self.out_dir / name).exists():
                raise BadInput("already exists (use --overwrite to replace it)", self.out_dir / name)

    def write_image(self, name: str, rgba: np.ndarray, *, transparent: bool, bit_depth: int) -> None:
        write_image(self._staged(name), rgba, transparent=transparent, bit_depth=bit_depth)

    def write_bytes(self, name: str, data: bytes) -> None:
        self._staged(name).write_bytes(data)

    def _staged(self, name: str) -> Path:
        assert self._stage is not None, "StagedOutput used outside its with-block"
        if name in self._names:
            raise ValueError(f"{name} staged twice")
        self._names.append(name)
        return self._stage / name

    def commit(self, manifest: dict[str, Any]) -> list[Path]:
        """Move every staged file into place, manifest last; undo the moves if one fails."""
        assert self._stage is not None
        (self._stage / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        self.refuse_existing(self._names)
        moved: list[tuple[Path, Path | None]] = []  # (target, backup of what it replaced)
        try:
            for name in [*self._names, MANIFEST]:
                target = self.out_dir / name
                backup = None
                if target.exists():
                    backup = self._stage / f".replaced.{name}"
                    os.replace(target, backup)
                os.replace(self._stage / name, target)
                moved.append((target, backup))
        except BaseException:
            for target, backup in reversed(moved):
                target.unlink(missing_ok=True)
                if backup is not None:
                    os.replace(backup, target)
            raise
        return [target for target, _ in moved]
