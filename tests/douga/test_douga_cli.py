"""`nakawari douga` end to end: outputs and manifest, --raw, --list-classes, and bad input (exit 2, one line,
nothing written)."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from nakawari.cli import main
from nakawari.douga import schema as S
from nakawari.jobs import douga as douga_job
from nakawari.synth.douga import douga_case


@pytest.fixture(scope="module")
def frame_rgb() -> np.ndarray:
    case = douga_case(3, 0, size=(480, 270), backdrop="paper")
    return case.rgb


@pytest.fixture
def frame(tmp_path: Path, frame_rgb: np.ndarray) -> Path:
    path = tmp_path / "shot.0001.png"
    Image.fromarray(frame_rgb).save(path)
    return path


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_writes_douga_classes_and_manifest(tmp_path: Path, frame: Path):
    out = tmp_path / "out"
    assert main(["douga", str(frame), "--out", str(out), "--quiet"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "douga" and manifest["line_width"] == 3.0
    entry = manifest["frames"][0]
    assert entry["douga"] == "shot.0001.douga.png" and entry["classes"] == "shot.0001.classes.png"
    assert [c["name"] for c in manifest["classes"]] == [c.name for c in S.CLASSES]
    classes = np.asarray(Image.open(out / entry["classes"]))
    with Image.open(out / entry["douga"]) as image:
        colours = np.asarray(image.convert("RGB"))
    assert classes.shape == (270, 480)
    assert np.array_equal(S.decode(colours), classes)
    assert {S.FLAT, S.VISIBLE_LINE, S.SHADING_FILL} <= set(np.unique(classes).tolist())


def test_raw_skips_the_post_processor(tmp_path: Path, frame: Path):
    assert main(["douga", str(frame), "--out", str(tmp_path / "a"), "--quiet"]) == 0
    assert main(["douga", str(frame), "--out", str(tmp_path / "b"), "--raw", "--quiet"]) == 0
    assert main(["douga", str(frame), "--out", str(tmp_path / "c"), "--line-width", "5", "--quiet"]) == 0
    read = lambda folder: np.asarray(Image.open(tmp_path / folder / "shot.0001.classes.png"))  # noqa: E731
    assert not np.array_equal(read("a"), read("b"))
    assert S.IS_LINE[read("c")].sum() > S.IS_LINE[read("a")].sum()
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["raw"] is True


def test_list_classes_needs_no_frames(capsys):
    assert main(["douga", "--list-classes"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 10 and "shading fill" in lines[6] and "200,170,230" in lines[6]


def test_missing_out_and_existing_outputs(tmp_path: Path, frame: Path, capsys):
    assert main(["douga", str(frame)]) == 2
    assert "--out" in _one_line(capsys)
    out = tmp_path / "out"
    assert main(["douga", str(frame), "--out", str(out), "--quiet"]) == 0
    before = (out / "shot.0001.douga.png").stat().st_mtime_ns
    assert main(["douga", str(frame), "--out", str(out), "--quiet"]) == 2
    assert "already exists" in _one_line(capsys)
    assert (out / "shot.0001.douga.png").stat().st_mtime_ns == before
    assert main(["douga", str(frame), "--out", str(out), "--overwrite", "--quiet"]) == 0


@pytest.mark.parametrize("form", ["gray", "rgba", "palette", "16bit", "jpeg"])
def test_other_image_forms_are_normalised(tmp_path: Path, frame_rgb: np.ndarray, form: str):
    if form == "gray":
        path = tmp_path / "f.png"
        Image.fromarray(cv2.cvtColor(frame_rgb, cv2.COLOR_RGB2GRAY)).save(path)
    elif form == "rgba":
        path = tmp_path / "f.png"
        rgba = np.dstack([frame_rgb, np.full(frame_rgb.shape[:2], 255, np.uint8)])
        rgba[:20, :20, 3] = 0
        Image.fromarray(rgba, "RGBA").save(path)
    elif form == "palette":
        path = tmp_path / "f.png"
        Image.fromarray(frame_rgb).quantize(64).save(path)
    elif form == "16bit":
        path = tmp_path / "f.png"
        cv2.imwrite(str(path), frame_rgb[..., ::-1].astype(np.uint16) * 257)
    else:
        path = tmp_path / "f.jpg"
        Image.fromarray(frame_rgb).save(path, quality=80)
    out = tmp_path / "out"
    assert main(["douga", str(path), "--out", str(out), "--quiet"]) == 0
    classes = np.asarray(Image.open(out / "f.classes.png"))
    assert classes.shape == frame_rgb.shape[:2] and classes.max() < S.N_CLASSES
    assert (classes == S.VISIBLE_LINE).any()


@pytest.mark.parametrize("size", [(1, 1), (3, 2), (1, 50)])
def test_tiny_frames(tmp_path: Path, size):
    path = tmp_path / "tiny.png"
    Image.fromarray(np.full((*size, 3), 128, np.uint8)).save(path)
    assert main(["douga", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert np.asarray(Image.open(tmp_path / "out" / "tiny.classes.png")).shape == size


def test_corrupt_file_writes_nothing(tmp_path: Path, frame: Path, capsys):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    out = tmp_path / "out"
    assert main(["douga", str(frame), str(bad), "--out", str(out), "--quiet"]) == 2
    assert "bad.png" in _one_line(capsys)
    assert not out.exists()


def test_too_large_frames_are_refused_with_the_limit(tmp_path: Path, frame: Path, capsys, monkeypatch):
    monkeypatch.setattr(douga_job, "MAX_PIXELS", 100 * 100)
    out = tmp_path / "out"
    assert main(["douga", str(frame), "--out", str(out), "--quiet"]) == 2
    message = _one_line(capsys)
    assert "480x270" in message and "megapixels" in message
    assert not out.exists()


def test_bad_line_width_and_colliding_names(tmp_path: Path, frame: Path, capsys):
    assert main(["douga", str(frame), "--out", str(tmp_path / "o"), "--line-width", "0"]) == 2
    assert "--line-width" in _one_line(capsys)
    other = tmp_path / "sub"
    other.mkdir()
    twin = other / frame.name
    twin.write_bytes(frame.read_bytes())
    assert main(["douga", str(frame), str(twin), "--out", str(tmp_path / "o")]) == 2
    assert "collide" in _one_line(capsys)


def test_cancel_writes_nothing(tmp_path: Path, frame: Path):
    from nakawari.errors import Cancelled
    out = tmp_path / "out"
    with pytest.raises(Cancelled):
        douga_job.run_douga(douga_job.DougaJob([frame], out), cancel=lambda: True)
    assert not out.exists()


def test_book_layer_gives_book_classes(tmp_path: Path, capsys):
    case = douga_case(3, 1, size=(480, 270))
    assert case.book is not None
    frame, layer = tmp_path / "f.png", tmp_path / "book.png"
    Image.fromarray(case.rgb).save(frame)
    Image.fromarray(np.clip(case.book * 255 + 0.5, 0, 255).astype(np.uint8), "RGBA").save(layer)
    assert main(["douga", str(frame), "--out", str(tmp_path / "a"), "--book", str(layer), "--quiet"]) == 0
    assert main(["douga", str(frame), "--out", str(tmp_path / "b"), "--quiet"]) == 0
    with_book = np.asarray(Image.open(tmp_path / "a" / "f.classes.png"))
    without = np.asarray(Image.open(tmp_path / "b" / "f.classes.png"))
    covered = case.book[..., 3] >= 0.5
    assert np.isin(with_book[covered], (S.BOOK_LINE, S.BOOK_FILL)).mean() > 0.9
    assert (with_book == S.BOOK_LINE).any() and (with_book == S.BOOK_FILL).any()
    assert not np.isin(without, (S.BOOK_LINE, S.BOOK_FILL)).any()
    opaque = tmp_path / "opaque.png"
    Image.fromarray(case.rgb).save(opaque)
    assert main(["douga", str(frame), "--out", str(tmp_path / "c"), "--book", str(opaque)]) == 2
    assert "transparency" in _one_line(capsys)
    small = tmp_path / "small.png"
    Image.fromarray(np.zeros((10, 10, 4), np.uint8), "RGBA").save(small)
    assert main(["douga", str(frame), "--out", str(tmp_path / "d"), "--book", str(small)]) == 2
    assert "10x10" in _one_line(capsys) and not (tmp_path / "d").exists()
