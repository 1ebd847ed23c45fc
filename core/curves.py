"""Curve pieces the engine's paths share."""
from __future__ import annotations

from typing import TypeVar

import numpy as np

Time = TypeVar("Time", float, np.ndarray)


def hermite_basis(t: Time) -> tuple[Time, Time, Time, Time]:
    """The cubic Hermite basis at t in [0, 1] (a float or an array of them): the weights of the start value,
    the start tangent, the end value and the end tangent."""
    return 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t, -2 * t**3 + 3 * t**2, t**3 - t**2
