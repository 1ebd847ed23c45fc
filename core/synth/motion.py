"""A keyed motion of a rig: pose at any time, framing, rendering.

Ground-truth convention: the pose at time ``t`` is the *linear* interpolation of
the pose vectors of the two neighbouring keys by the local fraction
``(t - t_k) / (t_{k+1} - t_k)`` (linear per gap, also for 3+ keys). Because the
pose vector holds joint angles, linear interpolation moves every part on an arc
around its joint. With ``smooth=True`` (3+ keys) the pose follows a Catmull-Rom
spline through the key poses instead, as an animator's arcs pass through
breakdown keys without a kink. Easing/timing is deliberately not applied here: a timing module
maps chart positions to ``t`` before asking for ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .figures import mannequin_rig, sample_key_poses
from .rig import Camera, Palette, Rig, bbox, render_pose

# Frame margin (fraction of height/width) the whole motion must stay inside.
MARGIN = 0.04


@dataclass(frozen=True)
class Motion:
    rig: Rig
    key_poses: tuple[np.ndarray, ...]
    key_times: tuple[float, ...]
    line_width: float
    palette: Palette | None = None
    fill_height: float = 0.58  # target height of the motion's bounding box, fraction of frame
    shift: tuple[float, float] = (0.5, 0.5)  # where the figure sits in the leftover room, 0..1
    smooth: bool = False  # Catmull-Rom through the keys instead of linear per gap
    bounds: tuple[float, float, float, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.key_poses) != len(self.key_times) or len(self.key_times) < 1:
            raise ValueError("need one key time per key pose")
        if any(b <= a for a, b in zip(self.key_times, self.key_times[1:])):
            raise ValueError("key times must be strictly increasing")
        # Union bounding box over keys and dense samples of every gap, so the
        # framing (fixed for the whole case) keeps every frame inside the image.
        ts = list(self.key_times)
        for a, b in zip(self.key_times, self.key_times[1:]):
            ts += list(np.linspace(a, b, 10)[1:-1])
        boxes = np.array([bbox(self.rig, self.pose_at(t)) for t in ts])
        object.__setattr__(self, "bounds", (float(boxes[:, 0].min()), float(boxes[:, 1].min()),
                                            float(boxes[:, 2].max()), float(boxes[:, 3].max())))

    def pose_at(self, t: float) -> np.ndarray:
        """Pose vector at time ``t`` (linear per gap; clamped outside the keys)."""
        kt = self.key_times
        if t <= kt[0]:
            return self.key_poses[0].copy()
        if t >= kt[-1]:
            return self.key_poses[-1].copy()
        k = int(np.searchsorted(kt, t, side="right")) - 1
        f = (t - kt[k]) / (kt[k + 1] - kt[k])
        if not self.smooth or len(kt) < 3:
            return (1.0 - f) * self.key_poses[k] + f * self.key_poses[k + 1]
        # Cubic Hermite with Catmull-Rom tangents (one-sided at the first and last key).
        span = kt[k + 1] - kt[k]
        h00, h10 = 2 * f**3 - 3 * f**2 + 1, f**3 - 2 * f**2 + f
        h01, h11 = -2 * f**3 + 3 * f**2, f**3 - f**2
        return (h00 * self.key_poses[k] + h10 * span * self._tangent(k)
                + h01 * self.key_poses[k + 1] + h11 * span * self._tangent(k + 1))

    def _tangent(self, i: int) -> np.ndarray:
        kt, poses = self.key_times, self.key_poses
        lo, hi = max(i - 1, 0), min(i + 1, len(kt) - 1)
        return (poses[hi] - poses[lo]) / (kt[hi] - kt[lo])

    def camera(self, aspect: float) -> Camera:
        """Fixed framing for a frame of the given width/height ratio."""
        x0, y0, x1, y1 = self.bounds
        bw, bh = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
        scale = self.fill_height / bh
        scale = min(scale, (aspect - 2 * MARGIN) / bw, (1.0 - 2 * MARGIN) / bh)
        room_x = aspect - 2 * MARGIN - bw * scale
        room_y = 1.0 - 2 * MARGIN - bh * scale
        ox = MARGIN + self.shift[0] * room_x - x0 * scale
        oy = MARGIN + self.shift[1] * room_y - y0 * scale
        return Camera(scale, (ox, oy))

    def render(self, t: float, size: tuple[int, int] = (960, 540), transparent: bool = False,
               line_width: float | None = None) -> np.ndarray:
        """RGBA float32 (H, W, 4) frame at time ``t``; ``size`` is (width, height)."""
        w, h = size
        lw = self.line_width if line_width is None else line_width
        return render_pose(self.rig, self.pose_at(t), self.camera(w / h), size, lw,
                           self.palette, transparent)


def random_motion(rig: Rig, rng: np.random.Generator, n_keys: int, max_rotation: float,
                  line_width: float, palette: Palette | None = None,
                  key_times: list[float] | None = None) -> Motion:
    """Sample key poses and framing for ``rig`` (shared by line-art and cel cases)."""
    if n_keys < 2:
        raise ValueError("n_keys must be >= 2")
    poses = sample_key_poses(rig, rng, n_keys, max_rotation)
    times = tuple(float(k) for k in range(n_keys)) if key_times is None else tuple(key_times)
    fill = float(rng.uniform(0.5, 0.66))
    shift = (float(rng.uniform(0.2, 0.8)), float(rng.uniform(0.3, 0.7)))
    return Motion(rig, tuple(poses), times, float(line_width), palette, fill, shift)


def articulated_motion(seed: int, index: int = 0, n_keys: int = 2, max_rotation: float = 1.0,
                       line_width: float = 2.0, key_times: list[float] | None = None):
    """Line-art mannequin motion for case ``index`` of seed ``seed``.

    The generator is seeded with ``(seed, index)`` so a case does not depend on
    how many cases the suite asks for.
    """
    rng = np.random.default_rng([seed, index, 0])
    return random_motion(mannequin_rig(), rng, n_keys, max_rotation, line_width, None, key_times)
