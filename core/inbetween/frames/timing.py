"""The timing hedge: an animator's inbetween is rarely at the linear midpoint of the motion.

Real animation eases in and out, anticipates and overshoots, so the drawing at fraction t of the way between
two keys sits somewhere around t, and the keys alone do not say where. Drawn at exactly t, a wrong guess puts
every moving edge in the wrong place twice over; the frame that is closest on average to all the likely
timings is the warped frame averaged over them: moving parts get a short blur along their path (longer for
faster motion), still ones are untouched. The spread of the timing is largest halfway and vanishes at the keys
(like a path pinned at both ends, its standard deviation grows as sqrt(t(1-t))). The blur is capped in length
(``timing_blur_max_px``) so that fast action keeps a readable picture.

Limited animation also holds: the drawing between may keep one key's head, body or whole picture and change
only a mouth (on the development set 2 of 9 lip-sync inbetweens sit at a key's position, and no two keys tell
which). The prior gives that a chance (``hold_share``), each key held with its time weight; the frame closest on
average is then that share of the keys' blend, softened where something moves, mixed into the hedged warp
(``with_holds``).
"""
from __future__ import annotations

import cv2
import numpy as np

from .motion import FlowsAt, smooth
from .settings import FramesSettings


def timing_offsets(t: float, settings: FramesSettings) -> list[tuple[float, float]]:
    """(offset in t, weight) pairs sampling a Gaussian timing around ``t`` evenly across ±2 std. dev. (even
    steps: fewer, wider-spaced nodes such as Gauss-Hermite's leave separate ghosts, 0.1-0.15 dB worse on real
    frames), kept inside the keys' interval; the weights sum to 1. A single (0, 1) when the hedge is off."""
    sigma = 2.0 * settings.timing_spread * float(np.sqrt(max(t * (1.0 - t), 0.0)))
    n = settings.timing_samples
    if sigma <= 0.0 or n < 2:
        return [(0.0, 1.0)]
    nodes = np.linspace(-2.0, 2.0, n)
    weights = np.exp(-0.5 * nodes ** 2)
    offsets = np.clip(t + sigma * nodes, 0.0, 1.0) - t
    weights = weights / weights.sum()
    return [(float(d), float(w)) for d, w in zip(offsets, weights)]


def spread_warp(key: np.ndarray, flow: np.ndarray, velocity: np.ndarray,
                offsets: list[tuple[float, float]]) -> np.ndarray:
    """``key`` warped by ``flow`` (sample at x + flow(x)), averaged over the frames at t + offset: there the
    picture has moved on by offset × ``velocity`` (px per whole interval), so it is sampled that much behind."""
    h, w = flow.shape[:2]
    grid = np.dstack(np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)))
    base = cv2.add(grid, flow)  # HxWx2 float32: cv2.remap reads a two-channel map directly
    source = np.ascontiguousarray(key)
    out = np.zeros(key.shape, np.float32)
    for offset, weight in offsets:
        where = base if offset == 0.0 else cv2.scaleAdd(velocity, -offset, base)
        sample = cv2.remap(source, where, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        cv2.scaleAdd(sample, weight, out, dst=out)
    return out


def path_velocity(flows: FlowsAt, offsets: list[tuple[float, float]], scale: float,
                  settings: FramesSettings) -> np.ndarray:
    """Each pixel's path from key 0 to key 1 (to1 − to0, full px), shortened where the hedge would blur it
    over more than ``timing_blur_max_px`` (working px) to each side: fast action keeps a readable picture."""
    velocity = cv2.subtract(flows.to1, flows.to0)
    reach = max(abs(offset) for offset, _ in offsets)
    limit = settings.timing_blur_max_px / scale
    if reach <= 0.0 or not np.isfinite(limit):
        return velocity
    length = cv2.magnitude(np.ascontiguousarray(velocity[..., 0]), np.ascontiguousarray(velocity[..., 1]))
    shrink = np.minimum(1.0, limit / np.maximum(reach * length, 1e-6)).astype(np.float32)
    return velocity * shrink[..., None]


def with_holds(frame: np.ndarray, fade: np.ndarray, moved: np.ndarray, scale: float,
               settings: FramesSettings) -> np.ndarray:
    """The least-squares frame when, with chance ``hold_share``, the drawing at t holds key 0's picture (chance
    1 − t) or key 1's (chance t): that share of the keys' blend by time (``fade``) mixed into the hedged
    ``frame``. A held picture is rarely put back exactly where the key had it (a head redrawn, re-registered):
    where something moves (``moved``: HxW, how far the keys are apart) the held share is blurred over
    the hedge's reach, ``timing_blur_max_px``, which also turns its faint ghosts into soft shading. Every
    pixel stays a convex mix of key pixels; still pixels beyond that reach of anything moving are unchanged."""
    share = settings.hold_share
    if share <= 0.0:
        return frame
    reach = settings.timing_blur_max_px / scale
    moving = np.clip(smooth(moved, reach) * (1.0 / settings.held_passing), 0.0, 1.0)
    held = cv2.blendLinear(smooth(fade, reach), fade, moving, 1.0 - moving)
    return cv2.addWeighted(frame, 1.0 - share, held, share, 0.0)
