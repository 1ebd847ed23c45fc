"""Baselines a user would otherwise reach for, kept plain and fair for the benchmark.

* :func:`hold_nearer` - doing nothing: the nearer key stays on screen.
* :func:`crossfade` - the "dissolve" every compositor offers.
* :func:`dis_warp_average` - textbook optical-flow inbetweening: dense flow
  between the raw keys, flow at time t approximated by scaling the key-to-key
  flows, backward-warp both keys and blend. No occlusion reasoning.

Blending is done on premultiplied colour so transparent layers behave (a
transparent pixel's undefined colour must not bleed into its neighbour's ink);
for opaque images this is exactly the straight linear blend.
"""

from __future__ import annotations

import cv2
import numpy as np

from .inbetween.warp import warp_field
from .metrics import to_gray_u8


def _check_pair(key0: np.ndarray, key1: np.ndarray) -> None:
    if key0.shape != key1.shape or key0.ndim != 3 or key0.shape[2] != 4:
        raise ValueError(f"expected two RGBA images of equal shape, got {key0.shape} and {key1.shape}")


def blend_rgba(img0: np.ndarray, img1: np.ndarray, t: float) -> np.ndarray:
    """``(1-t)*img0 + t*img1`` on premultiplied colour, returned straight, float32."""
    a0, a1 = img0[..., 3:4].astype(np.float32), img1[..., 3:4].astype(np.float32)
    w0, w1 = np.float32(1.0 - t), np.float32(t)
    alpha = w0 * a0 + w1 * a1
    premul = w0 * a0 * img0[..., :3] + w1 * a1 * img1[..., :3]
    straight_mix = w0 * img0[..., :3] + w1 * img1[..., :3]  # where both are fully transparent
    rgb = np.where(alpha > 1e-6, premul / np.maximum(alpha, 1e-6), straight_mix)
    out = np.concatenate([rgb, alpha], axis=2).astype(np.float32)
    return np.clip(out, 0.0, 1.0)


def hold_nearer(key0: np.ndarray, key1: np.ndarray, t: float) -> np.ndarray:
    """What an artist gets by doing nothing: the nearer key as drawn (key 0 at t = 0.5)."""
    return (key0 if t <= 0.5 else key1).copy()


def crossfade(key0: np.ndarray, key1: np.ndarray, t: float) -> np.ndarray:
    """Linear dissolve between two RGBA keys at time fraction ``t`` in [0, 1]."""
    _check_pair(key0, key1)
    return blend_rgba(key0, key1, t)


def dis_flow(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """OpenCV DIS (medium preset) flow from ``src`` to ``dst``: HxWx2 float32, (dx, dy)."""
    dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    # The stubs lack the optional output flow (None) that OpenCV accepts.
    return dis.calc(to_gray_u8(src), to_gray_u8(dst), None)  # type: ignore[call-overload]


def dis_warp_average(key0: np.ndarray, key1: np.ndarray, t: float) -> np.ndarray:
    """Plain flow-based inbetween: warp both keys to time ``t`` with DIS flow, blend.

    With forward flow F01 and backward flow F10 on the 8-bit gray keys, the flow
    from the target frame back to key0 is approximated by ``-t*F01`` and to key1
    by ``-(1-t)*F10`` (both sampled at the target pixel); the two warped keys are
    blended with weights ``(1-t)`` and ``t``.
    """
    _check_pair(key0, key1)
    f01 = dis_flow(key0, key1)
    f10 = dis_flow(key1, key0)
    w0 = warp_field(key0.astype(np.float32), -t * f01)
    w1 = warp_field(key1.astype(np.float32), -(1.0 - t) * f10)
    return blend_rgba(w0, w1, t)
