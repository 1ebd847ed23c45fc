"""What the learned model sees: keys turned into small representation images and full-size tensors.

numpy and OpenCV only (no torch): onnxruntime inference and the training data both go through here,
so the network is trained on exactly what it is given at run time.

Representation of a key at the network's working size (channels first, float32):
  0  distance field of the drawing (flow mode's `represent.flow_image`: smooth basins that
     let coarse levels lock onto strokes that moved far)
  1-3  colour composited over white paper (fills, for cels)
  4  ink (strokes; dark outlines for cels)
Full-size key: straight RGBA plus the same ink (5 channels), warped by the upsampled flows.
The ink channel is last in both, so one fusion rule handles both.

Prior: flow mode's own motion at the frame's time t — its backward flows into each key (rigid parts,
matched areas and arcs through neighbouring keys included: pair.PairInbetweener.working_backward_flows)
and how much each key's contribution is trusted — at the working size, flows in normalised units. The
network starts exactly at flow mode's frame and learns corrections (misplaced parts, occlusion, the
fusion weights) instead of motion estimation from nothing. It costs flow mode's preparation once per
gap and its flow reversal per frame, on the CPU.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..inbetween.pair import PairInbetweener
from ..inbetween.represent import KeyStyle, flow_image, outline_map

REP_CHANNELS = 5
PRIOR_CHANNELS = 6  # flows at t into key 0 and key 1 (normalised), and each key's reliability
KEY_CHANNELS = 5
# Sizes are multiples of this: the network halves the resolution four times.
SIZE_MULTIPLE = 16
# Distance-field reach as a fraction of the working long side (flow mode uses 0.04 at 480 px;
# a little wider here because the working size is smaller).
REACH_FRACTION = 0.06


def working_size(shape: tuple[int, ...], long_side: int) -> tuple[int, int]:
    """(width, height) of the network's input for a key of ``shape``: long side about ``long_side``,
    both rounded to SIZE_MULTIPLE. Flows are in normalised coordinates, so the slight change of
    aspect this rounding causes does not matter."""
    h, w = shape[:2]
    scale = long_side / max(h, w)

    def fit(n: int) -> int:
        return max(SIZE_MULTIPLE, int(round(n * scale / SIZE_MULTIPLE)) * SIZE_MULTIPLE)

    return fit(w), fit(h)


def key_ink(key: np.ndarray, style: KeyStyle) -> np.ndarray:
    """Full-size ink the line post-processor redraws: strokes for line art, dark outlines for cels."""
    return style.ink(key) if style.lineart else outline_map(key, style.transparent)


def represent(key: np.ndarray, style: KeyStyle, size: tuple[int, int], ink: np.ndarray | None = None) -> np.ndarray:
    """(REP_CHANNELS, h, w) float32 representation of one RGBA key at ``size`` = (width, height);
    channel 0 (×255, rounded) is the uint8 image `prior` estimates motion on."""
    h, w = key.shape[:2]
    scale = size[0] / w
    field = flow_image(key, style, scale, REACH_FRACTION * max(size))
    if field.shape[::-1] != size:
        field = cv2.resize(field, size, interpolation=cv2.INTER_LINEAR)
    field = field.astype(np.float32) / 255.0
    alpha = key[..., 3:4]
    over_white = key[..., :3] * alpha + (1.0 - alpha)
    rgb = cv2.resize(np.ascontiguousarray(over_white, dtype=np.float32), size, interpolation=cv2.INTER_AREA)
    ink = key_ink(key, style) if ink is None else ink
    small_ink = cv2.resize(ink, size, interpolation=cv2.INTER_AREA)
    # Area averaging dilutes thin strokes (a 2 px line at 1/8 scale is ~0.25): a gain keeps them visible.
    small_ink = np.clip(small_ink * max(1.0, 0.5 * w / size[0]), 0.0, 1.0)
    return np.concatenate([field[None], rgb.transpose(2, 0, 1), small_ink[None]]).astype(np.float32)


def full_key(key: np.ndarray, ink: np.ndarray) -> np.ndarray:
    """(KEY_CHANNELS, H, W) float32: straight RGBA and ink, channels first."""
    return np.concatenate([key.transpose(2, 0, 1), ink[None]]).astype(np.float32)


class FlowPrior:
    """Flow mode's motion for one gap (``pair``), at any t, as the network's prior at ``size``."""

    def __init__(self, pair: PairInbetweener, size: tuple[int, int]) -> None:
        self.pair, self.size = pair, size

    def at(self, t: float) -> np.ndarray:
        """(PRIOR_CHANNELS, h, w) float32: flows from the frame at t into each key in grid_sample units
        (x by w/2, y by h/2), then the two reliabilities."""
        back_a, back_b, valid_a, valid_b = self.pair.working_backward_flows(float(t))
        h, w = back_a.shape[:2]
        norm = np.array([2.0 / w, 2.0 / h], np.float32)
        stacked: np.ndarray = np.dstack([back_a * norm, back_b * norm, valid_a, valid_b]).astype(np.float32)
        if stacked.shape[1::-1] != self.size:
            stacked = cv2.resize(stacked, self.size, interpolation=cv2.INTER_LINEAR)
        return np.ascontiguousarray(stacked.transpose(2, 0, 1))
