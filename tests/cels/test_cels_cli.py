"""`nakawari cels` end to end: outputs and manifest for a shot and a single frame, and every bad input
(exit 2, one line naming the file, nothing written)."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from nakawari.cli import main
from nakawari.jobs.cels import CelsJob, run_cels
from nakawari.synth.celframes import to_u8
from nakawari.synth.shots import make_shot

SIZE = (480, 270)


@pytest.fixture(scope="module")
def shot():
    return make_shot(8, 3, SIZE, n_frames=6, pan=True, held=True)


def _write_frames(folder: Path, frames, stem: str = "cut") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, frame in enumerate(frames):
        path = folder / f"{stem}.{i + 1:04d}.png"
        Image.fromarray(to_u8(frame)).save(path)
        paths.append(path)
    return paths


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out.strip(), captured.err.strip()


def test_shot_writes_masks_cels_plate_and_manifest(tmp_path: Path, shot, capsys) -> None:
    _write_frames(tmp_path / "in", shot.frames)
    out = tmp_path / "out"
    code, said, err = _run(capsys, "cels", tmp_path / "in" / "cut.####.png", "--out", out, "--quiet")
    assert code == 0, err
    assert "shot mode" in said and "1 held cel" in said
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["mode"] == "shot" and manifest["camera"] == "pan" and manifest["background"] == "background.png"
    assert len(manifest["held_cels"]) == 1 and manifest["held_cels"][0]["frames"] == list(range(6))
    names = {"manifest.json", "background.png"}
    for i, entry in enumerate(manifest["frames"]):
        assert entry["mask"] == f"cut.{i + 1:04d}.mask.png" and entry["cel"] == f"cut.{i + 1:04d}.cel.png"
        assert entry["offset"] == [float(v) for v in shot.offsets[i]]
        if "place" in entry:  # a pan's placement: no turn or zoom, its shift the offset
            place = np.array(entry["place"])
            assert np.allclose(place[:, :2], np.eye(2)) and np.allclose(place[:, 2], entry["offset"], atol=1e-5)
        names |= {entry["mask"], entry["cel"]}
        mask = cv2.imread(str(out / entry["mask"]), cv2.IMREAD_UNCHANGED)
        assert mask.ndim == 2 and set(np.unique(mask)) <= {0, 255}
        assert ((mask > 0) == shot.masks[i]).mean() >= 0.97
        cel = np.asarray(Image.open(out / entry["cel"]))
        assert cel.shape == (SIZE[1], SIZE[0], 4)
        np.testing.assert_array_equal(cel[..., 3] > 0, mask > 0)
        np.testing.assert_array_equal(cel[..., :3][mask > 0], to_u8(shot.frames[i])[mask > 0])
    assert {p.name for p in out.iterdir()} == names
    plate = np.asarray(Image.open(out / "background.png")).astype(np.float32) / 255
    assert plate.shape == shot.plate.shape
    seen_error = np.abs(plate - shot.plate).mean(axis=2) * 255
    assert np.median(seen_error) < 2.0


def test_one_frame_runs_single_mode_and_overwrite(tmp_path: Path, shot, capsys) -> None:
    (frame,) = _write_frames(tmp_path / "in", shot.frames[:1])
    out = tmp_path / "out"
    code, said, err = _run(capsys, "cels", frame, "--out", out)
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["mode"] == "single" and "background" not in manifest
    assert sorted(p.name for p in out.iterdir()) == ["cut.0001.cel.png", "cut.0001.mask.png", "manifest.json"]
    mask = cv2.imread(str(out / "cut.0001.mask.png"), cv2.IMREAD_UNCHANGED) > 0
    assert (mask == shot.masks[0]).mean() >= 0.97
    code, _, err = _run(capsys, "cels", frame, "--out", out)
    assert code == 2 and "already exists" in err
    code, _, err = _run(capsys, "cels", frame, "--out", out, "--overwrite")
    assert code == 0, err


def test_single_mode_over_many_frames_makes_no_plate(tmp_path: Path, shot) -> None:
    frames = _write_frames(tmp_path / "in", shot.frames[:2])
    manifest = run_cels(CelsJob(frames=frames, out=tmp_path / "out", mode="single"))
    assert manifest["mode"] == "single" and len(manifest["frames"]) == 2
    assert not (tmp_path / "out" / "background.png").exists()


def _bad(capsys, tmp_path: Path, frames: list, needle: str, *extra: str) -> None:
    out = tmp_path / "bad-out"
    code, _, err = _run(capsys, "cels", *frames, "--out", out, *extra)
    assert code == 2, err
    assert len(err.splitlines()) == 1 and needle in err and "Traceback" not in err, err
    assert not out.exists()  # nothing half-written, not even the folder


def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path: Path, shot, capsys) -> None:
    good = _write_frames(tmp_path / "in", shot.frames[:2])
    small = tmp_path / "small.png"
    Image.fromarray(to_u8(shot.frames[1])[:100, :200]).save(small)
    _bad(capsys, tmp_path, [good[0], small], "small.png: is 200x100")

    deep = tmp_path / "deep.png"
    cv2.imwrite(str(deep), (to_u8(shot.frames[1])[..., ::-1].astype(np.uint16) * 257))
    _bad(capsys, tmp_path, [good[0], deep], "16-bit")

    grey = tmp_path / "grey.png"
    Image.fromarray(to_u8(shot.frames[1]).mean(axis=2).astype(np.uint8)).save(grey)
    _bad(capsys, tmp_path, [good[0], grey], "grey.png: is grey")

    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((SIZE[1], SIZE[0], 3), 200, np.uint8)).save(blank)
    _bad(capsys, tmp_path, [good[0], blank], "blank.png: is blank")

    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(good[0].read_bytes()[:200])
    _bad(capsys, tmp_path, [good[0], corrupt], "corrupt.png")

    layer = tmp_path / "layer.png"
    rgba = np.dstack([to_u8(shot.frames[1]), np.full(shot.frames[1].shape[:2], 128, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(layer)
    _bad(capsys, tmp_path, [layer], "transparent")

    other = tmp_path / "other"
    twin = _write_frames(other, shot.frames[:1])[0]
    _bad(capsys, tmp_path, [good[0], twin], "share this name")

    _bad(capsys, tmp_path, [good[0]], "at least two frames", "--mode", "shot")
    _bad(capsys, tmp_path, [tmp_path / "missing.png"], "file not found")
