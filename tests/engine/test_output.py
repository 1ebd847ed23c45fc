"""The output transaction: all files or none, never replacing what was there."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nakawari.errors import BadInput
from nakawari.output import StagedOutput


def test_commit_moves_everything_and_cleans_the_stage(tmp_path: Path) -> None:
    with StagedOutput(tmp_path / "out") as output:
        output.write_image("a.png", np.ones((4, 4, 4), np.float32), transparent=False, bit_depth=8)
        output.write_bytes("b.txt", b"b")
        output.commit({"ok": True})
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.txt", "manifest.json"]


def test_error_before_commit_leaves_no_trace(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        with StagedOutput(tmp_path / "out") as output:
            output.write_bytes("b.txt", b"b")
            raise RuntimeError("boom")
    assert not (tmp_path / "out").exists()


def test_failed_commit_rolls_back_and_restores_replaced_files(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("old a")
    import nakawari.output as module

    real_replace = module.os.replace
    moves = []

    def flaky_replace(src: str, dst: str) -> None:
        moves.append(dst)
        if Path(dst).name == "c.txt":
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(module.os, "replace", flaky_replace)
    with pytest.raises(BadInput, match="No space left on device"):  # a full disk is the user's to fix
        with StagedOutput(out, overwrite=True) as output:
            for name in ("a.txt", "b.txt", "c.txt"):
                output.write_bytes(name, name.encode())
            output.commit({})
    assert sorted(p.name for p in out.iterdir()) == ["a.txt"]
    assert (out / "a.txt").read_text() == "old a"


def test_refuses_existing_without_overwrite(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(BadInput, match="manifest.json: already exists"):
        with StagedOutput(tmp_path) as output:
            output.refuse_existing([])
