"""`nakawari demo` on the bundled keys writes real frames, contact sheets and GIF previews."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from nakawari.cli import main
from nakawari.image import ink, read_image


def test_demo_writes_sequences_sheets_and_previews(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quiet", "--device", "cpu"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    for name, keys in (("figure", 3), ("cel", 2)):
        frames = manifest["sets"][name]["frames"]
        assert sum(f["key"] for f in frames) == keys and len(frames) == keys + 5 * (keys - 1)
        for frame in frames:
            image = read_image(out / frame["file"])
            assert image.size == (960, 540)
            assert ink(image.rgba).max() > 0.5, f"{frame['file']} is empty"
        with Image.open(out / f"{name}.preview.gif") as gif:
            assert gif.n_frames == 2 * len(frames) - 2
        with Image.open(out / f"{name}.sheet.png") as sheet:
            assert sheet.width >= 4 * 320
    # Inbetweens are new drawings, not copies of a key.
    figure = manifest["sets"]["figure"]["frames"]
    middle = read_image(out / figure[3]["file"]).rgba
    assert all(np.abs(middle - read_image(out / f["file"]).rgba).mean() > 1e-3 for f in figure if f["key"])


def test_demo_refuses_to_overwrite(tmp_path: Path, capsys) -> None:
    out = tmp_path / "demo"
    out.mkdir()
    (out / "figure.sheet.png").write_bytes(b"mine")
    assert main(["demo", "--out", str(out), "--quiet"]) == 2
    assert "figure.sheet.png: already exists" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["figure.sheet.png"]
