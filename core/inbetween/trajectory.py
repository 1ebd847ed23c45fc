"""Where each key pixel is at time t: linear, arc (local rotation) or quadratic paths.

All functions work on working-resolution flows and return displacements
(HxWx2 float32) from the key's pixel to its position at the requested time.
"""

from __future__ import annotations

import cv2
import numpy as np

# Largest per-pixel rotation (rad) the arc model trusts; beyond it the
# Jacobian is noise (folds, occlusions) and the path degrades to linear.
MAX_ARC_ANGLE = 1.6


def local_rotation(flow: np.ndarray, sigma: float) -> np.ndarray:
    """Rotation angle (rad) of the best local rigid motion, from the smoothed flow Jacobian."""
    smooth = cv2.GaussianBlur(flow, (0, 0), sigma)
    fx, fy = smooth[..., 0], smooth[..., 1]
    dfx_dx = cv2.Sobel(fx, cv2.CV_32F, 1, 0, ksize=3, scale=1 / 8)
    dfx_dy = cv2.Sobel(fx, cv2.CV_32F, 0, 1, ksize=3, scale=1 / 8)
    dfy_dx = cv2.Sobel(fy, cv2.CV_32F, 1, 0, ksize=3, scale=1 / 8)
    dfy_dy = cv2.Sobel(fy, cv2.CV_32F, 0, 1, ksize=3, scale=1 / 8)
    # Local map A = I + J; its rotation part is atan2(A10 − A01, A00 + A11).
    return np.arctan2(dfy_dx - dfx_dy, 2.0 + dfx_dx + dfy_dy).astype(np.float32)


def arc_displacement(flow: np.ndarray, angle: np.ndarray, t: float) -> np.ndarray:
    """Displacement at fraction t along the circular arc that turns by ``angle`` and ends at ``flow``.

    A rigid motion x → R(θ)(x − c) + c that moves x by f has, in complex
    numbers, displacement f·(e^{itθ} − 1)/(e^{iθ} − 1) at fraction t; as θ → 0
    that ratio → t (straight line).
    """
    theta = np.clip(angle, -MAX_ARC_ANGLE, MAX_ARC_ANGLE).astype(np.float64)
    small = np.abs(theta) < 1e-3
    theta_safe = np.where(small, 1.0, theta)
    ratio = (np.exp(1j * t * theta_safe) - 1.0) / (np.exp(1j * theta_safe) - 1.0)
    ratio = np.where(small, t + 0j, ratio)
    f = flow[..., 0] + 1j * flow[..., 1]
    d = f * ratio
    return np.stack([d.real, d.imag], axis=-1).astype(np.float32)


def quadratic_displacement(to_next: np.ndarray, tau_next: float, to_prev: np.ndarray, tau_prev: float,
                           tau: float, trust: np.ndarray) -> np.ndarray:
    """Constant-acceleration path through three keys, at time ``tau`` (relative to this key).

    ``to_next`` / ``to_prev``: flows to the keys at relative times tau_next > 0
    and tau_prev < 0. ``trust`` (HxW in [0, 1]) fades the acceleration out
    where the flow to the previous key is unreliable, leaving the straight
    path. The acceleration's contribution is limited to half the step so a
    bad flow cannot throw strokes across the frame.
    """
    det = 0.5 * tau_next * tau_prev * (tau_prev - tau_next)
    vel = (to_next * (0.5 * tau_prev ** 2) - to_prev * (0.5 * tau_next ** 2)) / det
    acc = (tau_next * to_prev - tau_prev * to_next) / det
    linear = to_next * (tau / tau_next)
    quad = vel * tau + 0.5 * acc * tau ** 2
    extra = quad - linear
    limit = 0.5 * np.linalg.norm(to_next, axis=2, keepdims=True) + 1.0
    norm = np.linalg.norm(extra, axis=2, keepdims=True)
    extra = extra * np.minimum(1.0, limit / np.maximum(norm, 1e-6))
    return (linear + trust[..., None] * extra).astype(np.float32)
