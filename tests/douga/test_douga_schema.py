"""Douga classes: order and colours of DESIGN.md, encode/decode round trips, artists' colour variants, PNGs."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from nakawari.douga import schema as S


def test_classes_follow_the_design_table():
    assert [c.name for c in S.CLASSES] == [
        "flat area", "visible line", "shading line", "color edge", "highlight line", "book line",
        "shading fill", "color fill", "highlight fill", "book fill"]
    assert S.CLASSES[2].rgb == (96, 32, 128) and S.CLASSES[7].rgb == (180, 235, 200)
    assert S.LINE_CLASSES == (1, 2, 3, 4, 5)


def test_encode_decode_round_trip():
    classes = np.random.default_rng(0).integers(0, S.N_CLASSES, (37, 53)).astype(np.uint8)
    assert np.array_equal(S.decode(S.encode(classes)), classes)
    assert np.array_equal(S.decode(S.encode(classes).astype(np.float32) / 255.0), classes)


def test_decode_accepts_slightly_off_colours_and_the_usual_variants():
    rng = np.random.default_rng(1)
    classes = rng.integers(0, S.N_CLASSES, (20, 20))
    jitter = rng.integers(-12, 13, (20, 20, 3))
    noisy = np.clip(S.encode(classes).astype(int) + jitter, 0, 255).astype(np.uint8)
    assert np.array_equal(S.decode(noisy), classes)
    variants = np.array([[[110, 65, 35], [0, 210, 230], [175, 145, 250], [165, 135, 215]]], np.uint8)
    assert S.decode(variants).tolist() == [[S.VISIBLE_LINE, S.COLOR_EDGE, S.SHADING_FILL, S.SHADING_FILL]]


def test_encode_rejects_unknown_indices():
    with pytest.raises(ValueError):
        S.encode(np.array([[10]]))


def test_pngs_hold_palette_colours_and_class_indices():
    classes = np.arange(S.N_CLASSES, dtype=np.uint8).reshape(2, 5)
    with Image.open(io.BytesIO(S.palette_png(classes))) as image:
        assert image.mode == "P"
        assert np.array_equal(np.asarray(image.convert("RGB")), S.encode(classes))
    with Image.open(io.BytesIO(S.index_png(classes))) as image:
        assert image.mode == "L"
        assert np.array_equal(np.asarray(image), classes)
