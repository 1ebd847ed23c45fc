"""Reading every supported form of key drawing, and atomic, non-destructive writing."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from nakawari.errors import BadInput
from nakawari.image import ink, parse_frame_name, read_image, sequence_stem, write_image


def _line_art(height: int = 40, width: int = 60) -> np.ndarray:
    """Gray uint8 paper with one black diagonal line."""
    gray = np.full((height, width), 255, np.uint8)
    cv2.line(gray, (5, 5), (width - 5, height - 5), 0, 2)
    return gray


def test_reads_gray_rgb_rgba_palette_and_16_bit(tmp_path: Path) -> None:
    gray = _line_art()
    Image.fromarray(gray).save(tmp_path / "gray.png")
    Image.fromarray(gray).convert("RGB").save(tmp_path / "rgb.jpg", quality=95)
    Image.fromarray(gray).convert("P").save(tmp_path / "palette.png")
    Image.fromarray(gray).convert("RGB").save(tmp_path / "rgb.webp", lossless=True)
    Image.fromarray(gray).save(tmp_path / "gray.tif")
    cv2.imwrite(str(tmp_path / "rgb16.png"), np.repeat((gray.astype(np.uint16) * 257)[..., None], 3, axis=2))
    cv2.imwrite(str(tmp_path / "gray16.tif"), gray.astype(np.uint16) * 257)
    for name in ("gray.png", "rgb.jpg", "palette.png", "rgb.webp", "gray.tif", "rgb16.png", "gray16.tif"):
        raster = read_image(tmp_path / name)
        assert raster.rgba.shape == (40, 60, 4) and raster.rgba.dtype == np.float32, name
        assert not raster.transparent, name
        assert np.abs(raster.rgba[..., 0] * 255 - gray).mean() < 2.0, name
    assert read_image(tmp_path / "rgb16.png").bit_depth == 16
    assert read_image(tmp_path / "gray16.tif").bit_depth == 16
    assert read_image(tmp_path / "gray.png").bit_depth == 8


def test_transparent_layer_keeps_its_form(tmp_path: Path) -> None:
    alpha = 255 - _line_art()
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[..., 3] = alpha
    Image.fromarray(rgba, "RGBA").save(tmp_path / "layer.png")
    raster = read_image(tmp_path / "layer.png")
    assert raster.transparent
    assert np.allclose(ink(raster.rgba), alpha / 255.0, atol=1e-3)
    write_image(tmp_path / "out.png", raster.rgba, transparent=True)
    back = np.asarray(Image.open(tmp_path / "out.png"))
    assert back.shape == (40, 60, 4) and np.array_equal(back[..., 3], alpha)


def test_opaque_alpha_channel_counts_as_paper(tmp_path: Path) -> None:
    Image.fromarray(_line_art()).convert("RGBA").save(tmp_path / "opaque.png")
    assert not read_image(tmp_path / "opaque.png").transparent


@pytest.mark.parametrize("content, problem", [
    (None, "file not found"),
    (b"", "empty file"),
    (b"\x89PNG\r\n\x1a\nthis is not really a png", "corrupt"),
])
def test_bad_files_name_the_file(tmp_path: Path, content: bytes | None, problem: str) -> None:
    path = tmp_path / "key.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(BadInput) as caught:
        read_image(path)
    assert str(path) in str(caught.value) and problem in str(caught.value)


def test_truncated_png_is_corrupt(tmp_path: Path) -> None:
    Image.fromarray(_line_art(200, 200)).save(tmp_path / "whole.png")
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInput, match="corrupt"):
        read_image(tmp_path / "cut.png")


def test_unsupported_suffix(tmp_path: Path) -> None:
    (tmp_path / "key.gif").write_bytes(b"GIF89a")
    with pytest.raises(BadInput, match="unsupported file type"):
        read_image(tmp_path / "key.gif")


def test_write_refuses_to_overwrite_and_leaves_no_temp(tmp_path: Path) -> None:
    rgba = np.ones((8, 8, 4), np.float32)
    target = tmp_path / "frame.png"
    target.write_bytes(b"artist's file")
    with pytest.raises(BadInput, match="already exists"):
        write_image(target, rgba)
    assert target.read_bytes() == b"artist's file"
    write_image(target, rgba, overwrite=True)
    assert read_image(target).rgba.shape == (8, 8, 4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frame.png"]


def test_sixteen_bit_round_trip(tmp_path: Path) -> None:
    ramp = np.linspace(0, 1, 64 * 4, dtype=np.float32).reshape(4, 64)
    rgba = np.stack([ramp, ramp, ramp, np.ones_like(ramp)], axis=2)
    write_image(tmp_path / "deep.png", rgba, bit_depth=16)
    back = read_image(tmp_path / "deep.png")
    assert back.bit_depth == 16
    assert np.abs(back.rgba - rgba).max() < 1.0 / 60000


def test_frame_names() -> None:
    assert parse_frame_name("shots/walk.0012.png") == ("walk", 12, ".png")
    assert parse_frame_name("walk.png") is None
    assert sequence_stem("a/walk.0001.png") == "walk" and sequence_stem("pose.png") == "pose"
