"""Motion between two finished colour frames: DIS both ways on the colour image, occlusion, the camera.

Unlike flow.py (distance fields of the line art at ~480 px) this reads the painted frame itself, at up to
``FramesSettings.work_side``: textured backgrounds and shading give dense flow something to hold on to.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..flow import consistency
from ..warp import upsample_flow, warp_field
from .settings import FramesSettings

# DIS refuses images smaller than its patches: pad to this many px on each side.
MIN_FLOW_SIDE = 16
# Landing density is read over this radius (px): a slight zoom spreads pixels apart without hiding anything.
LANDED_SIGMA = 1.0
# Holes in a splatted flow take their neighbours' motion, looked for from this radius (px) outwards.
FILL_SIGMA = 2.0
# Blurs up to this sigma run directly; wider ones on a copy shrunk so that this is their sigma there.
SMOOTH_DIRECT_SIGMA = 3.0


@dataclass
class PairMotion:
    """Flows between keys 0 and 1 at working size (HxWx2 float32, working px) and what to trust of them."""

    f01: np.ndarray
    f10: np.ndarray
    valid0: np.ndarray           # HxW float32 in [0, 1]: key 0's pixel has a consistent match in key 1
    valid1: np.ndarray
    camera: np.ndarray | None    # 2x3 similarity key 0 → key 1 (working px) the background follows, or None
    camera_share: float          # share of key 0's pixels that follow the camera
    full_size: tuple[int, int]   # (width, height) of the keys

    @property
    def unmatched(self) -> float:
        """Share of pixels without a consistent match either way (≈1 for unrelated frames)."""
        return float(1.0 - 0.5 * (self.valid0.mean() + self.valid1.mean()))


def work_scale(size: tuple[int, int], settings: FramesSettings) -> float:
    return min(1.0, settings.work_side / max(size))


def flow_gray(key: np.ndarray, scale: float) -> np.ndarray:
    """uint8 luminance at working size: what DIS sees."""
    h, w = key.shape[:2]
    # cv2's RGB→gray weights are LUMA's (Rec. 601) and it reads RGBA directly: no 3-channel copy.
    luma = cv2.cvtColor(key, cv2.COLOR_RGBA2GRAY if key.shape[2] == 4 else cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        luma = cv2.resize(luma, (max(round(w * scale), 8), max(round(h * scale), 8)), interpolation=cv2.INTER_AREA)
    return np.clip(luma * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _dis() -> cv2.DISOpticalFlow:
    # MEDIUM: coarse-to-fine with variational refinement at each level down to half the working size (a
    # full-size last level costs 4x the time for <0.1 dB on real frames).
    return cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)


def dense_flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """DIS flow a → b (uint8 images); tiny images are padded to the size DIS accepts, the flow cropped back."""
    h, w = a.shape
    pad_y, pad_x = max(0, MIN_FLOW_SIDE - h), max(0, MIN_FLOW_SIDE - w)
    if pad_y or pad_x:
        a, b = (cv2.copyMakeBorder(x, 0, pad_y, 0, pad_x, cv2.BORDER_REPLICATE) for x in (a, b))
    flow = _dis().calc(a, b, None)  # type: ignore[call-overload]  # stubs lack the optional output flow
    return np.ascontiguousarray(flow[:h, :w])


def _length(flow: np.ndarray) -> np.ndarray:
    return cv2.magnitude(np.ascontiguousarray(flow[..., 0]), np.ascontiguousarray(flow[..., 1]))


def _grid(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    h, w = shape[:2]
    return np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))


def affine_flow(matrix: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The displacement x → matrix·x − x on a grid of ``shape``."""
    gx, gy = _grid(shape)
    return np.dstack([matrix[0, 0] * gx + matrix[0, 1] * gy + matrix[0, 2] - gx,
                      matrix[1, 0] * gx + matrix[1, 1] * gy + matrix[1, 2] - gy]).astype(np.float32)


def fit_camera(flow: np.ndarray, valid: np.ndarray, settings: FramesSettings) -> tuple[np.ndarray | None, np.ndarray]:
    """Global similarity (pan, zoom, roll) from the consistent part of ``flow``, by RANSAC.

    Returns (matrix or None, HxW bool of the pixels that follow it). None when too few pixels follow it or it
    is the identity (a locked-off camera needs no model: the flow is ~0 there anyway).
    """
    h, w = flow.shape[:2]
    step = max(2, round(max(h, w) / 160))  # ~160 samples across: enough for RANSAC, cheap
    gx, gy = _grid(flow.shape)
    sample = (slice(0, h, step), slice(0, w, step))
    good = valid[sample] > 0.5
    if int(good.sum()) < 16:
        return None, np.zeros((h, w), bool)
    src = np.stack([gx[sample][good], gy[sample][good]], axis=1)
    moved = flow[sample][good]
    # Long motions (a fast pan, a zoom's far corners) are measured less precisely: the same allowance as the
    # forward-backward check.
    threshold = settings.camera_inlier_px + settings.occlusion_share * float(np.median(np.hypot(*moved.T)))
    matrix, _ = cv2.estimateAffinePartial2D(src, src + moved, method=cv2.RANSAC,
                                            ransacReprojThreshold=threshold, maxIters=500)
    if matrix is None:
        return None, np.zeros((h, w), bool)
    model = affine_flow(matrix, flow.shape)
    allowance = settings.camera_inlier_px + settings.occlusion_share * _length(model)
    follows = (_length(flow - model) < allowance) & (valid > 0.5)
    moving = float(np.abs(model).max()) > 0.5  # below half a pixel everywhere: no camera move worth modelling
    if not moving or float(follows.mean()) < settings.camera_min_share:
        return None, follows
    return matrix, follows


def estimate_motion(key0: np.ndarray, key1: np.ndarray, settings: FramesSettings) -> PairMotion:
    h, w = key0.shape[:2]
    scale = work_scale((w, h), settings)
    g0, g1 = flow_gray(key0, scale), flow_gray(key1, scale)
    f01, f10 = dense_flow(g0, g1), dense_flow(g1, g0)
    valid0 = consistency(f01, f10, settings.occlusion_px, settings.occlusion_share)
    valid1 = consistency(f10, f01, settings.occlusion_px, settings.occlusion_share)
    camera, follows = fit_camera(f01, valid0, settings)
    if camera is not None:
        # The background that follows the camera takes the exact model: no DIS noise on it, and regions
        # where DIS found nothing (flat sky, the frame's edges) still move with the camera.
        inverse = cv2.invertAffineTransform(camera)
        back = affine_flow(inverse, f10.shape)
        allowance = settings.camera_inlier_px + settings.occlusion_share * _length(back)
        follows1 = (_length(f10 - back) < allowance) & (valid1 > 0.5)
        f01 = np.where(follows[..., None] | (valid0[..., None] < 0.5), affine_flow(camera, f01.shape), f01)
        f10 = np.where(follows1[..., None] | (valid1[..., None] < 0.5), back, f10)
        valid0 = np.maximum(valid0, follows.astype(np.float32))
        valid1 = np.maximum(valid1, follows1.astype(np.float32))
    return PairMotion(f01=f01, f10=f10, valid0=valid0, valid1=valid1, camera=camera,
                      camera_share=float(follows.mean()), full_size=(w, h))


@dataclass
class FlowsAt:
    """Full-size backward flows from the frame at t to each key, and how visible each key is there."""

    to0: np.ndarray    # HxWx2: sample key 0 at x + to0(x)
    to1: np.ndarray
    seen0: np.ndarray  # HxW float32 in [0, 1]: the pixel at t is visible (consistently matched) in key 0
    seen1: np.ndarray


def flows_at(motion: PairMotion, t: float, settings: FramesSettings) -> FlowsAt:
    """Flows from time t back to both keys: each key's pixels splatted forward by their share of the motion
    (exact at moving edges, unlike −t·F sampled at the wrong place), weighted by consistency."""
    to0, landed0 = splat_back(t * motion.f01, 0.05 + motion.valid0)
    to1, landed1 = splat_back((1.0 - t) * motion.f10, 0.05 + motion.valid1)
    # Seen from a key: its pixel there is consistently matched, and some of its pixels land there at t (where
    # none land, the key's picture is hidden behind something that moved: disocclusion).
    seen0 = warp_field(motion.valid0, to0) * landed0
    seen1 = warp_field(motion.valid1, to1) * landed1
    w, h = motion.full_size
    wh, ww = motion.f01.shape[:2]
    if (ww, wh) != (w, h):
        to0, to1 = upsample_flow(to0, (w, h)), upsample_flow(to1, (w, h))
        seen0 = cv2.resize(seen0, (w, h), interpolation=cv2.INTER_LINEAR)
        seen1 = cv2.resize(seen1, (w, h), interpolation=cv2.INTER_LINEAR)
    return FlowsAt(to0=to0, to1=to1, seen0=_inside(seen0, to0), seen1=_inside(seen1, to1))


def smooth(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur; wide ones on a smaller copy (same result to the eye, a fraction of the time)."""
    factor = int(sigma // SMOOTH_DIRECT_SIGMA)
    if factor < 2:
        return cv2.GaussianBlur(image, (0, 0), sigma)
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    return cv2.resize(cv2.GaussianBlur(small, (0, 0), sigma / factor), (w, h), interpolation=cv2.INTER_LINEAR)


def splat_back(displacement: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flow from time t back to the key, given how far each key pixel moves by t, and where key pixels land.

    Each key pixel lands at x + d (nearest pixel) carrying −d, weighted (consistent pixels win where several
    land); pixels nothing lands on take the weighted mean of their neighbourhood, wider until all are filled.
    ``landed`` (HxW in [0, 1]) is the local density of landed pixels: ~1 where the key's picture arrives.
    """
    h, w = displacement.shape[:2]
    gx, gy = _grid(displacement.shape)
    tx = np.rint(gx + displacement[..., 0]).astype(np.int64)
    ty = np.rint(gy + displacement[..., 1]).astype(np.int64)
    ok = ((tx >= 0) & (tx < w) & (ty >= 0) & (ty < h)).ravel()
    index = (ty * w + tx).ravel()[ok]
    wt = weight.ravel()[ok].astype(np.float64)
    den = np.bincount(index, weights=wt, minlength=h * w).reshape(h, w).astype(np.float32)
    hits = np.bincount(index, minlength=h * w).reshape(h, w).astype(np.float32)
    landed = np.clip(cv2.GaussianBlur(hits, (0, 0), LANDED_SIGMA) * 2.0, 0.0, 1.0)
    num = [np.bincount(index, weights=wt * -displacement[..., c].ravel()[ok], minlength=h * w)
           .reshape(h, w).astype(np.float32) for c in (0, 1)]
    out = np.dstack([n / np.maximum(den, 1e-6) for n in num])
    missing = den <= 1e-3
    sigma = FILL_SIGMA
    while missing.any() and sigma < 4 * max(h, w):
        d = smooth(den, sigma)
        filled = missing & (d > 1e-6)
        for c in (0, 1):
            out[..., c][filled] = smooth(num[c], sigma)[filled] / d[filled]
        missing &= ~filled
        sigma *= 3.0
    out[missing] = 0.0
    return out, landed


def _inside(seen: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Pixels whose source lies outside the key are not seen in it (the other key may hold them: a pan)."""
    h, w = flow.shape[:2]
    gx, gy = _grid(flow.shape)
    x, y = gx + flow[..., 0], gy + flow[..., 1]
    margin = 0.5  # half a pixel: bilinear sampling at the very edge still reads the key
    inside = (x >= -margin) & (x <= w - 1 + margin) & (y >= -margin) & (y <= h - 1 + margin)
    return np.where(inside, seen, 0.0).astype(np.float32)
