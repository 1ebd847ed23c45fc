"""Transactional output: results appear in the output folder all together, or not at all.

Files are staged in a hidden folder inside the output folder (same file system, so moving them in is a
rename), then moved into place by `commit`. An error, a cancel or a crash before commit leaves the output
folder as it was; an existing file is never replaced unless `overwrite` was asked for, and even then only a
plain file this command writes (never a folder, another kind of file, an input of the command, or a
manifest.json nakawari did not write: `output_guard`). Replaced files wait in the stage until every move
succeeded, so a failed commit puts them back. A refused run removes the folders it created.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from .errors import BadInput
from .image import write_image
from .output_guard import (
    BACKUP_PREFIX,
    JOURNAL,
    MANIFEST,
    OWNER_FILE,
    STAGE_PREFIX,
    interrupts_deferred,
    owner_mark,
    refuse_inputs,
    refuse_other_kinds,
    refuse_unreplaceable,
    remove_stale_stages,
    user_fixable,
    write_journal,
)

__all__ = ["MANIFEST", "StagedOutput", "committed"]
_COMMITTED: list[Path] = []  # output folders whose commit finished in this process


def committed() -> list[Path]:
    """The output folders this process has finished writing (the CLI's Ctrl-C message must not say "nothing
    was written" after one)."""
    return list(_COMMITTED)


class StagedOutput:
    """Use as a context manager; call `commit()` at the end of the `with` block."""

    def __init__(self, out_dir: str | Path, *, overwrite: bool = False) -> None:
        self.out_dir = Path(out_dir)
        self.overwrite = overwrite
        self._stage: Path | None = None
        self._names: list[str] = []
        self._created: list[Path] = []  # folders this run made, outermost first
        self._inputs: list[Path] = []   # files the command reads: never written over

    def __enter__(self) -> StagedOutput:
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise BadInput("output path exists and is not a folder", self.out_dir)
        missing = [folder for folder in [self.out_dir, *self.out_dir.parents] if not folder.exists()]
        for folder in reversed(missing):
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            except OSError as error:
                self._remove_created_dir()
                raise BadInput(f"cannot create output folder ({error.strerror})", self.out_dir) from None
            self._created.append(folder)
        remove_stale_stages(self.out_dir)
        try:
            self._stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=self.out_dir))
            (self._stage / OWNER_FILE).write_text(owner_mark(), encoding="utf-8")
        except OSError as error:
            if self._stage is not None:
                shutil.rmtree(self._stage, ignore_errors=True)
                self._stage = None
            self._remove_created_dir()
            raise BadInput(f"output folder is not writable ({error.strerror})", self.out_dir) from None
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._stage is not None:
            if kind is not None and any(entry.name.startswith(BACKUP_PREFIX) for entry in self._stage.iterdir()):
                # A failed commit could not put a replaced file back: the stage keeps it (and its journal, so
                # the next run in this folder restores it); never delete what it holds.
                print(f"nakawari: replaced files could not be put back; they are kept in {self._stage}",
                      file=sys.stderr)
            else:
                shutil.rmtree(self._stage, ignore_errors=True)
            self._stage = None
        if kind is not None:
            self._remove_created_dir()

    def _remove_created_dir(self) -> None:
        for folder in reversed(self._created):
            try:
                folder.rmdir()  # only when still empty
            except OSError:
                break
        self._created = []

    def protect(self, inputs: Iterable[str | Path]) -> None:
        """The command's inputs: no output may land on one of them, with or without overwrite."""
        self._inputs += [Path(path) for path in inputs]

    def refuse_existing(self, names: Iterable[str], inputs: Iterable[str | Path] = ()) -> None:
        """Fail before any work when a result would land on an input, on something that is not a plain file
        nakawari writes, or (without overwrite) on any existing file."""
        self.protect(inputs)
        names = [*names, MANIFEST]
        refuse_inputs(self.out_dir, names, self._inputs)
        for name in names:
            target = self.out_dir / name
            refuse_other_kinds(target)
            if self.overwrite:
                refuse_unreplaceable(target)
            elif target.exists():
                raise BadInput("already exists (use --overwrite to replace it)", target)

    def write_image(self, name: str, rgba: np.ndarray, *, transparent: bool, bit_depth: int) -> None:
        with self._writing():
            write_image(self._staged(name), rgba, transparent=transparent, bit_depth=bit_depth)

    def write_bytes(self, name: str, data: bytes) -> None:
        with self._writing():
            self._staged(name).write_bytes(data)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """A full disk or a forbidden folder is the user's to fix: exit 2 naming the output folder."""
        try:
            yield
        except OSError as error:
            fixable = user_fixable(error, self.out_dir)
            if fixable is None:
                raise
            raise fixable from None

    def _staged(self, name: str) -> Path:
        assert self._stage is not None, "StagedOutput used outside its with-block"
        if Path(name).name != name or name in (".", "..") or "\\" in name or name.startswith(BACKUP_PREFIX) \
                or name in (OWNER_FILE, JOURNAL):
            raise BadInput(f"output name '{name}' must be a plain file name inside the output folder")
        if name in self._names:
            raise ValueError(f"{name} staged twice")
        self._names.append(name)
        return self._stage / name

    def commit(self, manifest: dict[str, Any]) -> list[Path]:
        """Move every staged file into place, manifest last; undo the moves if one fails."""
        assert self._stage is not None
        with self._writing():
            (self._stage / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        self.refuse_existing(self._names)
        moved: list[tuple[Path, Path | None]] = []  # (target, backup of what it replaced)
        try:
            with self._writing(), interrupts_deferred() as interrupts:
                write_journal(self._stage, [*self._names, MANIFEST])
                for name in [*self._names, MANIFEST]:
                    target = self.out_dir / name
                    backup = None
                    if target.exists() or target.is_symlink():
                        refuse_unreplaceable(target)  # checked again: it may have appeared during the work
                        backup = self._stage / f"{BACKUP_PREFIX}{name}"
                        os.replace(target, backup)
                    os.replace(self._stage / name, target)
                    moved.append((target, backup))
                _COMMITTED.append(self.out_dir)
        except BaseException:
            with interrupts_deferred():
                for target, backup in reversed(moved):
                    target.unlink(missing_ok=True)
                    if backup is not None:
                        os.replace(backup, target)
                (self._stage / JOURNAL).unlink(missing_ok=True)
            raise
        if signal.SIGINT in interrupts:  # Ctrl-C came while the files moved: too late, the results are complete
            print(f"nakawari: interrupted after the results were complete; they are kept in {self.out_dir}",
                  file=sys.stderr)
        if signal.SIGTERM in interrupts:  # held back during the moves: delivered now, the results complete
            signal.raise_signal(signal.SIGTERM)
        return [target for target, _ in moved]
