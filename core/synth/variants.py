"""Ways real line art differs from the mannequin's black lines, applied to a whole case (keys and truth alike).

Each variant is a function of a case returning a new case with exact truth: pencil grey on off-white paper
(with paper grain), and a camera zoom (every frame scaled about the frame's centre, the scale interpolated
geometrically in time, as a zoom lens does). Turns up to 90° come from the suites' ``max_rotation``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from ..image import LUMA
from .suite import SynthCase


@dataclass(frozen=True)
class Pencil:
    """Grey strokes on off-white, grainy paper (levels in [0, 1])."""

    line: float = 0.62
    paper: float = 0.93
    grain: float = 0.015   # standard deviation of the paper's texture


def pencil(case: SynthCase, look: Pencil = Pencil(), seed: int = 0) -> SynthCase:
    """The case redrawn as pencil: ink (darkness over white) scaled onto ``look``'s line and paper levels."""
    rng = np.random.default_rng(seed)
    h, w = case.keys[0].shape[:2]
    grain = rng.normal(0.0, look.grain, (h, w)).astype(np.float32)  # one sheet of paper under every frame

    def redraw(frame: np.ndarray) -> np.ndarray:
        alpha = frame[..., 3]
        ink = 1.0 - (frame[..., :3] @ LUMA) * alpha - (1.0 - alpha)  # over white paper
        grey = np.clip(look.paper + grain + (look.line - look.paper) * np.clip(ink, 0.0, 1.0), 0.0, 1.0)
        out = np.ones_like(frame)
        out[..., :3] = grey[..., None]
        return out

    return replace(case, name=f"{case.name}-pencil", keys=[redraw(k) for k in case.keys],
                   gt_frames=[redraw(f) for f in case.gt_frames], motion=None)


def zoom(case: SynthCase, factor: float = 1.4) -> SynthCase:
    """The case seen through a zoom from 1 to ``factor`` over the keys' span, about the frame's centre."""
    t0, t1 = case.key_times[0], case.key_times[-1]

    def scaled(frame: np.ndarray, t: float) -> np.ndarray:
        s = factor ** ((t - t0) / (t1 - t0))
        h, w = frame.shape[:2]
        matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), 0.0, s)
        paper = (1.0, 1.0, 1.0, 1.0) if frame[..., 3].min() >= 1.0 else (0.0, 0.0, 0.0, 0.0)
        return cv2.warpAffine(frame, matrix, (w, h), flags=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=paper)

    return replace(case, name=f"{case.name}-zoom{factor:g}",
                   keys=[scaled(k, t) for k, t in zip(case.keys, case.key_times)],
                   gt_frames=[scaled(f, t) for f, t in zip(case.gt_frames, case.gt_times)],
                   line_width=case.line_width * float(np.sqrt(factor)), motion=None)
