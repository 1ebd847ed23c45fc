"""The loop every inbetweening path shares: one frame per time, cancel checked before each, progress after."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..errors import Cancelled
from ..frame_check import FrameCheck
from ..progress import Cancel, Progress


def each_frame(times: Sequence[float], make: Callable[[float], tuple[np.ndarray, FrameCheck]],
               progress: Progress | None = None,
               cancel: Cancel | None = None) -> tuple[list[np.ndarray], list[FrameCheck]]:
    """``make(t)`` for every t in order: the frames and their checks (→ ``Cancelled`` when asked to stop)."""
    frames: list[np.ndarray] = []
    checks: list[FrameCheck] = []
    total = len(times)
    for n, t in enumerate(times):
        if cancel is not None and cancel():
            raise Cancelled(f"cancelled after {n} of {total} frames")
        frame, check = make(float(t))
        frames.append(frame)
        checks.append(check)
        if progress is not None:
            progress(n + 1, total, f"frame {n + 1}/{total} at t={float(t):g}")
    return frames, checks
