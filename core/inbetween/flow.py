"""Bidirectional dense motion between two keys, occlusion, and flow at time t.

Estimated with OpenCV's DIS on the distance-field representation at reduced
resolution (see represent.py). Everything here works at that working
resolution; warp.py scales flows up to the key size.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .warp import warp_field


@dataclass(frozen=True)
class DenseFlowSettings:
    """DIS on the distance-field images, and when its forward and backward flows agree (working px).

    Large patches and a coarse start: limbs move by up to a quarter of the frame and the distance field is
    smooth, so big patches are both safe and needed to see the motion at the coarse levels."""

    patch_size: int = 12
    patch_stride: int = 4
    descent_iterations: int = 25
    refinement_iterations: int = 5
    refinement_alpha: float = 20.0
    refinement_delta: float = 5.0
    refinement_gamma: float = 10.0
    occlusion_tolerance: float = 1.5  # forward-backward mismatch above which a pixel counts as occluded ...
    occlusion_share: float = 0.05     # ... plus this share of the motion (long flows are less precise)


DEFAULT_DENSE_FLOW = DenseFlowSettings()


@dataclass
class PairFlow:
    """Flows between keys a and b at working resolution (HxWx2 float32, in working pixels)."""

    ab: np.ndarray
    ba: np.ndarray
    valid_a: np.ndarray   # HxW float32 in [0, 1]: a's pixel has a consistent match in b
    valid_b: np.ndarray


def _dis(settings: DenseFlowSettings, preset: int = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM) -> cv2.DISOpticalFlow:
    dis = cv2.DISOpticalFlow.create(preset)
    dis.setPatchSize(settings.patch_size)
    dis.setPatchStride(settings.patch_stride)
    dis.setGradientDescentIterations(settings.descent_iterations)
    dis.setVariationalRefinementIterations(settings.refinement_iterations)
    dis.setVariationalRefinementAlpha(settings.refinement_alpha)
    dis.setVariationalRefinementDelta(settings.refinement_delta)
    dis.setVariationalRefinementGamma(settings.refinement_gamma)
    dis.setUseMeanNormalization(True)
    dis.setUseSpatialPropagation(True)
    return dis


def estimate_flow(img_a: np.ndarray, img_b: np.ndarray, settings: DenseFlowSettings = DEFAULT_DENSE_FLOW
                  ) -> np.ndarray:
    """Dense flow a→b (uint8 single-channel inputs, same size)."""
    h, w = img_a.shape
    dis = _dis(settings)
    # Start at a level where the image is still ≥ ~16 px on its short side.
    dis.setFinestScale(0)
    return dis.calc(img_a, img_b, None)  # type: ignore[call-overload]  # stubs lack the optional output flow


def consistency(ab: np.ndarray, ba: np.ndarray, tolerance: float, share: float) -> np.ndarray:
    """Soft forward-backward check for a's pixels: 1 consistent, 0 occluded.

    Following a→b and then b→a should come back to the start; the tolerance (px)
    grows with the motion (``share`` of it) because long flows are less precise.
    """
    back = warp_field(ba, ab)
    err = np.linalg.norm(ab + back, axis=2)
    mag = np.linalg.norm(ab, axis=2) + np.linalg.norm(back, axis=2)
    tol = tolerance + share * mag
    return np.clip(2.0 - err / tol, 0.0, 1.0).astype(np.float32)


def pair_flow(img_a: np.ndarray, img_b: np.ndarray, settings: DenseFlowSettings = DEFAULT_DENSE_FLOW) -> PairFlow:
    ab = estimate_flow(img_a, img_b, settings)
    ba = estimate_flow(img_b, img_a, settings)
    return checked(ab, ba, settings)


def checked(ab: np.ndarray, ba: np.ndarray, settings: DenseFlowSettings) -> PairFlow:
    """The two flows with each side's forward-backward consistency."""
    tolerance, share = settings.occlusion_tolerance, settings.occlusion_share
    return PairFlow(ab=ab, ba=ba, valid_a=consistency(ab, ba, tolerance, share),
                    valid_b=consistency(ba, ab, tolerance, share))


def reverse_flow(displacement: np.ndarray, weight: np.ndarray, fill_sigma: float) -> np.ndarray:
    """Flow *from* time t back to the source key, given where each source pixel goes.

    ``displacement(x)``: how far source pixel x moves by time t. Each source
    pixel is splatted (bilinearly) to x + d carrying −d; ``weight`` favours
    reliable pixels (ink, consistent ones). Holes are filled by normalised
    Gaussian smoothing at growing scales so every output pixel gets a flow.
    This is exact at the moving strokes, unlike the −t·flow(x) shortcut that
    samples the flow where the stroke is *not* in the source.
    """
    h, w = displacement.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    tx = (gx + displacement[..., 0]).ravel()
    ty = (gy + displacement[..., 1]).ravel()
    wt = weight.ravel().astype(np.float32)
    x0 = np.floor(tx)
    y0 = np.floor(ty)
    fx = tx - x0
    fy = ty - y0
    acc = np.zeros((3, h * w), dtype=np.float64)
    values = (-displacement.reshape(-1, 2)).T.astype(np.float64)
    for dy, dx, k in ((0, 0, (1 - fx) * (1 - fy)), (0, 1, fx * (1 - fy)), (1, 0, (1 - fx) * fy), (1, 1, fx * fy)):
        xi = x0.astype(np.int64) + dx
        yi = y0.astype(np.int64) + dy
        ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        idx = (yi * w + xi)[ok]
        kw = (k * wt)[ok]
        acc[0] += np.bincount(idx, weights=kw, minlength=h * w)
        acc[1] += np.bincount(idx, weights=kw * values[0][ok], minlength=h * w)
        acc[2] += np.bincount(idx, weights=kw * values[1][ok], minlength=h * w)
    acc = acc.reshape(3, h, w).astype(np.float32)
    den, num_x, num_y = acc[0], acc[1], acc[2]
    out = np.zeros((h, w, 2), dtype=np.float32)
    filled = den > 1e-3
    out[filled, 0] = num_x[filled] / den[filled]
    out[filled, 1] = num_y[filled] / den[filled]
    # Fill holes from the neighbourhood, coarser until nothing is left.
    sigma = fill_sigma
    have = filled.copy()
    while not have.all() and sigma < 4 * max(h, w):
        d = cv2.GaussianBlur(den, (0, 0), sigma)
        nx = cv2.GaussianBlur(num_x, (0, 0), sigma)
        ny = cv2.GaussianBlur(num_y, (0, 0), sigma)
        ok = (~have) & (d > 1e-6)
        out[ok, 0] = nx[ok] / d[ok]
        out[ok, 1] = ny[ok] / d[ok]
        have |= ok
        sigma *= 3.0
    if not have.all():
        out[~have] = 0.0
    return out


def nearest_drawing(drawn: np.ndarray, keep_px: int = 2) -> np.ndarray | None:
    """Per pixel, the flat index of the nearest pixel within ``keep_px`` of the drawing (itself there);
    None when there is no paper or no drawing. Depends only on the key: computed once, used at every t."""
    zone = cv2.dilate(drawn.astype(np.uint8), np.ones((2 * keep_px + 1,) * 2, np.uint8)).astype(bool)
    if not zone.any() or zone.all():
        return None
    return nearest_pixel(zone)[1].ravel()


def nearest_pixel(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every pixel, the distance to the nearest set pixel of ``mask`` (not empty) and that
    pixel's flat index."""
    dist, labels = cv2.distanceTransformWithLabels((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_5,
                                                   labelType=cv2.DIST_LABEL_PIXEL)
    # With per-pixel labels, label k is the k-th set pixel in raster order (as np.flatnonzero lists them).
    return dist, np.flatnonzero(mask.ravel())[labels - 1]


def extend_from_drawing(displacement: np.ndarray, nearest: np.ndarray | None) -> np.ndarray:
    """Paper pixels take the motion of the nearest drawing (``nearest`` from `nearest_drawing`).

    Paper carries no motion of its own (flow there is ~0), so without this the paper where a drawing
    used to be stays put when the frame at time t is assembled, and the drawing is sampled again at its
    old place: a ball that jumps across the frame would stay at both keys.
    """
    if nearest is None:
        return displacement
    return displacement.reshape(-1, 2)[nearest].reshape(displacement.shape)
