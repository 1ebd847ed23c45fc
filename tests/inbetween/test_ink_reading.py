"""Real line art reads as ink relative to its own paper and darkest marks: pencil grey, pale layers, off-white paper."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from nakawari.inbetween import inbetween
from nakawari.inbetween.ink_reading import InkReading, measure_ink_reading
from nakawari.inbetween.represent import analyse_keys
from nakawari.metrics import chamfer_distance


def drawn_circle(centre_x: int, *, line: float, paper: float = 1.0, size: tuple[int, int] = (200, 320),
                 transparent: bool = False, thickness: int = 2) -> np.ndarray:
    """An anti-aliased circle outline plus a stroke, in grey ``line`` on ``paper`` (or as alpha ``line``)."""
    h, w = size
    mask = np.zeros((h, w), np.float32)
    cv2.circle(mask, (centre_x, h // 2), 40, 1.0, thickness, cv2.LINE_AA)
    cv2.line(mask, (centre_x - 60, h - 30), (centre_x + 60, h - 40), 1.0, thickness, cv2.LINE_AA)
    key = np.zeros((h, w, 4), np.float32)
    if transparent:
        key[..., :3] = 0.3
        key[..., 3] = mask * line
    else:
        key[..., :3] = (paper + (line - paper) * mask)[..., None]
        key[..., 3] = 1.0
    return key


def ink_of(frame: np.ndarray, style_keys: list[np.ndarray]) -> np.ndarray:
    return analyse_keys(style_keys).ink(frame)


def test_black_ink_on_white_reads_as_before() -> None:
    keys = [drawn_circle(100, line=0.0), drawn_circle(140, line=0.0)]
    assert measure_ink_reading(keys, transparent=False) == InkReading()


@pytest.mark.parametrize("grey", [0.67, 0.75])
def test_pencil_grey_reads_as_full_ink(grey: float) -> None:
    keys = [drawn_circle(100, line=grey), drawn_circle(140, line=grey)]
    ink = ink_of(keys[0], keys)
    assert float(np.percentile(ink[ink > 0.05], 90)) > 0.9  # the strokes' cores read as ink, not as 0.3


def test_off_white_paper_reads_as_no_ink() -> None:
    keys = [drawn_circle(100, line=0.55, paper=0.88), drawn_circle(140, line=0.55, paper=0.88)]
    ink = ink_of(keys[0], keys)
    assert float(ink[5:20, 5:20].max()) < 0.05  # bare paper
    assert float(ink.max()) > 0.9


@pytest.mark.parametrize("form", ["pencil", "pale layer", "off-white paper"])
def test_inbetween_of_light_keys_is_never_blank_and_keeps_their_colour(form: str) -> None:
    make = {
        "pencil": lambda x: drawn_circle(x, line=0.67),
        "pale layer": lambda x: drawn_circle(x, line=0.35, transparent=True),
        "off-white paper": lambda x: drawn_circle(x, line=0.6, paper=0.9),
    }[form]
    a, b = make(120), make(170)
    truth = make(145)
    frame = inbetween([a, b], [0.0, 1.0], [0.5], mode="flow", device="cpu").frames[0]
    style = analyse_keys([a, b])
    drawn = style.ink(frame) > 0.5
    assert drawn.sum() > 0.5 * (style.ink(truth) > 0.5).sum()  # not blank, not faint
    # Lines keep the keys' colour: a grey pencil frame is not redrawn in black.
    if not style.transparent:
        assert abs(float(np.median(frame[..., :3][drawn])) - float(np.median(a[..., :3][style.ink(a) > 0.5]))) < 0.12
    # Where it drew, it drew the moved drawing (distances read with the same relative ink).
    as_black = lambda x: np.dstack([np.repeat(1.0 - style.ink(x)[..., None], 3, axis=2), np.ones(x.shape[:2])])  # noqa: E731
    assert chamfer_distance(as_black(frame), as_black(truth)) < 4.0


def test_off_white_paper_goes_on_to_the_frame_edge() -> None:
    # The drawing travels 50 px: the frame's left edge is pulled in from outside the first key, which must
    # bring its paper, not white (a white band that the cel self-check would rightly call astray).
    a, b = drawn_circle(120, line=0.6, paper=0.9), drawn_circle(170, line=0.6, paper=0.9)
    result = inbetween([a, b], [0.0, 1.0], [0.5], mode="flow", device="cpu")
    edges = np.concatenate([result.frames[0][:, :30, :3], result.frames[0][:, -30:, :3]], axis=1)
    assert float(np.abs(edges - 0.9).max()) < 0.02
    assert result.checks[0].fallback != "hold"


@pytest.mark.parametrize("colour", [(0.85, 0.1, 0.1), (0.1, 0.2, 0.9)])
def test_coloured_lines_keep_their_colour(colour: tuple[float, float, float]) -> None:
    def key(x: int) -> np.ndarray:
        mask = drawn_circle(x, line=0.0)[..., 0]  # 0 on the strokes, 1 on paper
        out = np.ones((*mask.shape, 4), np.float32)
        for c in range(3):
            out[..., c] = mask + (1.0 - mask) * colour[c]
        return out

    frame = inbetween([key(120), key(170)], [0.0, 1.0], [0.5], mode="flow", device="cpu").frames[0]
    drawn = frame[..., :3].min(axis=2) < 0.5
    assert drawn.sum() > 200
    assert np.abs(np.median(frame[..., :3][drawn], axis=0) - np.array(colour)).max() < 0.1
