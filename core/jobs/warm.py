"""Tiny keys `nakawari serve` inbetweens after `initialize`: the artist's first real job then finds every
library loaded and every lazy import done (a ring moved sideways: auto mode decides, flow runs, the frame
checks itself)."""
from __future__ import annotations

import numpy as np

from .inbetween import inbetween_in_mode

WARM_SIZE = (96, 64)


def warm_inbetween() -> None:
    width, height = WARM_SIZE
    yy, xx = np.mgrid[0:height, 0:width]
    keys = []
    for cx in (width * 0.35, width * 0.65):
        ring = np.abs(np.hypot(xx - cx, yy - height / 2) - height / 4) < 1.5
        key = np.ones((height, width, 4), np.float32)
        key[ring, :3] = 0.0
        keys.append(key)
    inbetween_in_mode("auto", keys, [0.0, 1.0], [0.5], device="auto")  # "auto": what jobs ask for
