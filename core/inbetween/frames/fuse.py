"""One frame at time t from two warped colour keys: visibility blend, crisp choice, held pixels, do-no-harm.

The frame checks itself against the cross-fade block by block: where warping did not bring the two keys
closer together than they already were, the motion there is not to be trusted and the cross-fade (feathered)
takes over. Every output pixel is a convex mix of key pixels, so nothing gets darker or whiter than the keys.
Full-size work is kept to per-pixel cv2/numpy operations; the block statistics are read at working size.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..boxes import boxes_of
from .motion import FlowsAt, smooth
from .refine import FramesRefiner
from .settings import FramesSettings
from .timing import path_velocity, spread_warp, timing_offsets, with_holds


@dataclass
class Fused:
    frame: np.ndarray       # HxWxC float32 in [0, 1]
    fade: np.ndarray        # the keys' cross-fade, held pixels copied exactly (the whole-frame fallback)
    fallback: np.ndarray    # HxW float32 in [0, 1]: how much of the cross-fade replaced the warp
    held: np.ndarray        # HxW bool: copied from the keys unchanged
    doubt: float            # share of the frame (outside held pixels) that fell back


def channel_gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Largest per-channel difference of the colour (alpha ignored), HxW float32."""
    r, g, b_, *_ = cv2.split(cv2.absdiff(a, b))
    return cv2.max(cv2.max(r, g), b_)


def blend_weight(warped0: np.ndarray, warped1: np.ndarray, gap: np.ndarray, flows: FlowsAt, t: float,
                 settings: FramesSettings) -> np.ndarray:
    """Per-pixel weight of key 0: by time and visibility, leaning to one key where the two disagree."""
    floor = 0.02  # both unseen (a pixel new in both): fall back to the time weights rather than divide by 0
    w0 = (1.0 - t) * (flows.seen0 + floor)
    w1 = t * (flows.seen1 + floor)
    weight = w0 / (w0 + w1)
    # Averaging two different pictures of a line draws it twice: where they disagree, take the one the
    # visibility and time favour (key 0 on a tie at t = 0.5).
    lean = np.clip((gap - settings.crisp_from) * (1.0 / (settings.crisp_full - settings.crisp_from)), 0.0, 1.0)
    choice = (weight >= 0.5).astype(np.float32)
    return (weight + lean * (choice - weight)).astype(np.float32)


def _soft_gap(a: np.ndarray, b: np.ndarray, sigma: float) -> np.ndarray:
    """Mean colour difference of a and b after a Gaussian blur of ``sigma`` px, HxW."""
    diff = cv2.GaussianBlur(np.ascontiguousarray(a[..., :3] - b[..., :3]), (0, 0), sigma)
    return np.abs(diff).mean(axis=2)


def _shrink(image: np.ndarray, factor: int) -> np.ndarray:
    """Area-average by a whole factor (cv2's fast path; the block statistics need no exact working size)."""
    if factor <= 1:
        return image
    h, w = image.shape[:2]
    return cv2.resize(image, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)


def block_fallback(key0: np.ndarray, key1: np.ndarray, warped0: np.ndarray, warped1: np.ndarray, gap: np.ndarray,
                   flows: FlowsAt, scale: float, settings: FramesSettings) -> np.ndarray:
    """HxW float32 in [0, 1]: blocks where the warp did not bring the keys closer than they are unwarped, and
    pixels matched in neither key where the two warps disagree (a guess either way: smears, debris)."""
    h, w = key0.shape[:2]
    factor = max(1, round(1.0 / scale))
    small = [_shrink(image, factor) for image in (key0, key1, warped0, warped1)]
    wh, ww = small[0].shape[:2]
    block = settings.block_px / (scale * factor)  # the block side in shrunk px
    grid = (max(1, round(ww / block)), max(1, round(wh / block)))
    # Compared a little blurred: bilinear warping smooths fine grain, which alone would look like agreement.
    sigma = settings.compare_blur_px / (scale * factor)
    apart = cv2.resize(_soft_gap(small[0], small[1], sigma), grid, interpolation=cv2.INTER_AREA)
    warped = cv2.resize(_soft_gap(small[2], small[3], sigma), grid, interpolation=cv2.INTER_AREA)
    bad = ((warped > settings.block_gain * apart) & (apart > settings.block_noise)).astype(np.float32)
    mask = cv2.resize(bad, (w, h), interpolation=cv2.INTER_NEAREST)
    unseen = 1.0 - cv2.max(flows.seen0, flows.seen1)
    guess = (unseen > 0.5) & (gap > settings.crisp_from)
    mask = cv2.max(mask, guess.astype(np.float32))
    if not mask.any():
        return mask
    return np.clip(smooth(mask, settings.feather_px / scale) * 2.0, 0.0, 1.0)


@dataclass
class Drawn:
    """What the frame at t is drawn from: each key warped to t and the keys' cross-fade (HxWxC float32), the
    frame mixed of them, where the warped keys disagree and where the keys themselves differ (HxW)."""
    frame: np.ndarray
    warped0: np.ndarray
    warped1: np.ndarray
    fade: np.ndarray
    gap: np.ndarray
    apart: np.ndarray

    @property
    def candidates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The pictures the learned refinement mixes, in its order (refine.CANDIDATES)."""
        return self.frame, self.warped0, self.warped1, self.fade


def draw(key0: np.ndarray, key1: np.ndarray, flows: FlowsAt, t: float, scale: float,
         settings: FramesSettings) -> Drawn:
    """Both keys warped to t and mixed by visibility, with the timing hedge and the chance of a hold."""
    # Edges replicated: no holes where the camera brings in new picture. Each key is averaged over the
    # likely timings around t (timing.py): the path from key 0 to key 1 through a pixel is to1 − to0.
    offsets = timing_offsets(t, settings)
    velocity = path_velocity(flows, offsets, scale, settings) if len(offsets) > 1 else flows.to0
    warped0 = spread_warp(key0, flows.to0, velocity, offsets)
    warped1 = spread_warp(key1, flows.to1, velocity, offsets)
    gap = channel_gap(warped0, warped1)
    weight = blend_weight(warped0, warped1, gap, flows, t, settings)
    frame = cv2.blendLinear(warped0, warped1, weight, 1.0 - weight)
    fade = cv2.addWeighted(key0, 1.0 - t, key1, t, 0.0)
    apart = channel_gap(key0, key1)
    # Limited animation may hold either key's picture at t (timing.py): part of the fade belongs in the frame.
    frame = with_holds(frame, fade, apart, scale, settings)
    return Drawn(frame=frame, warped0=warped0, warped1=warped1, fade=fade, gap=gap, apart=apart)


def fuse(key0: np.ndarray, key1: np.ndarray, flows: FlowsAt, t: float, scale: float,
         settings: FramesSettings, refiner: FramesRefiner | None = None) -> Fused:
    """The frame at t (refined by the learned mix when ``refiner`` is given), checked against the
    cross-fade block by block, held pixels copied exactly."""
    drawn = draw(key0, key1, flows, t, scale, settings)
    frame, fade, warped0, warped1, apart = drawn.frame, drawn.fade, drawn.warped0, drawn.warped1, drawn.apart
    if refiner is not None:
        frame = refiner.refine(drawn.candidates, flows.seen0, flows.seen1, t)
    fallback = block_fallback(key0, key1, warped0, warped1, drawn.gap, flows, scale, settings)
    if fallback.any():
        frame = cv2.blendLinear(fade, frame, fallback, 1.0 - fallback)
    # Unchanged pixels (held cels, a still background) are copied, unless something moves across them by t.
    same = apart <= settings.held_tolerance
    held = same & (channel_gap(frame, fade) <= settings.held_passing)
    exact = np.where(key0 == key1, key0, fade)
    np.copyto(frame, exact, where=held[..., None])
    np.copyto(fade, exact, where=same[..., None])
    free = ~held
    doubt = float(fallback[free].mean()) if free.any() else 0.0
    return Fused(frame=np.clip(frame, 0.0, 1.0, out=frame), fade=np.clip(fade, 0.0, 1.0, out=fade),
                 fallback=fallback, held=held, doubt=doubt)


def fallback_boxes(fused: Fused, min_share: float = 0.001) -> tuple[tuple[int, int, int, int], ...]:
    """Boxes of the regions that fell back (pieces smaller than ``min_share`` of the frame left out)."""
    mask = fused.fallback > 0.5
    return boxes_of(mask, min_area=max(1, round(min_share * mask.size)))
