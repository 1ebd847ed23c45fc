"""Timing and spacing: when inbetweens happen and where each lies between its keys.

Every mode uses this module. Two numbers describe a generated frame:
- its *time*: where it sits on the timeline, in key units (keys at 0, 1, 2, … or `--key-times`);
- its *position*: how far the drawing has travelled from the previous key to the next, as a time in the
  same units. With linear spacing both are equal; easing and animator spacing move the position.

Ease names follow motion-graphics usage: `ease-in` starts slowly (drawings crowd near the first key),
`ease-out` ends slowly (they crowd near the second key). Animator spacing from a timing chart:
`favour-first` / `favour-last` / `favour-both` place drawings by halves towards the favoured key(s)
(1/2, 1/4, 1/8, …), as an animator marks "halves" on a chart.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

CONTINUOUS_EASES = ("linear", "ease-in", "ease-out", "ease-in-out")
HALVES_SPACINGS = ("favour-first", "favour-last", "favour-both")
EASE_NAMES = CONTINUOUS_EASES + HALVES_SPACINGS
DEFAULT_STRENGTH = 2.0


@dataclass(frozen=True)
class Ease:
    """An easing curve or timing-chart spacing; `strength` ≥ 1 shapes the continuous curves."""

    name: str = "linear"
    strength: float = DEFAULT_STRENGTH

    def __post_init__(self) -> None:
        if self.name not in EASE_NAMES:
            raise ValueError(f"unknown ease '{self.name}'; choose one of {', '.join(EASE_NAMES)}")
        if not (math.isfinite(self.strength) and self.strength >= 1.0):
            raise ValueError(f"ease strength must be a number ≥ 1, got {self.strength}")

    def curve(self, u: float) -> float:
        """Continuous easing of a gap fraction u in [0, 1] → position fraction in [0, 1]."""
        p = self.strength
        if self.name == "ease-in":
            return u ** p
        if self.name == "ease-out":
            return 1.0 - (1.0 - u) ** p
        if self.name == "ease-in-out":
            a, b = u ** p, (1.0 - u) ** p
            return a / (a + b)
        return u  # linear; halves spacings are defined per drawing count, see `gap_positions`

    def gap_positions(self, count: int) -> list[float]:
        """Positions (fractions of the gap, strictly between 0 and 1) of `count` evenly timed inbetweens."""
        if count < 1:
            raise ValueError(f"the inbetween count must be at least 1, got {count}")
        if self.name == "favour-first":
            return [0.5 ** (count + 1 - i) for i in range(1, count + 1)]
        if self.name == "favour-last":
            return [1.0 - 0.5 ** i for i in range(1, count + 1)]
        if self.name == "favour-both":
            return _halves_both(count)
        return [self.curve(i / (count + 1)) for i in range(1, count + 1)]


def _halves_both(count: int) -> list[float]:
    """Symmetric halves towards both keys: …, 1/8, 1/4, [1/2 for an odd count], 3/4, 7/8, …"""
    side = count // 2
    firsts = [0.5 ** (side + 2 - i) for i in range(1, side + 1)]   # …, 1/8, 1/4
    lasts = [1.0 - 0.5 ** (i + 1) for i in range(1, side + 1)]     # 3/4, 7/8, …
    middle = [0.5] if count % 2 else []
    return firsts + middle + lasts


def parse_ease(text: str) -> Ease:
    """`ease-in-out` or `ease-in-out:3` (name, optional strength)."""
    name, _, strength = text.strip().partition(":")
    try:
        value = float(strength) if strength else DEFAULT_STRENGTH
    except ValueError:
        raise ValueError(f"ease strength must be a number, got '{strength}'") from None
    return Ease(name.strip().replace("favor", "favour"), value)


@dataclass(frozen=True)
class Slot:
    """One generated frame: where it sits (`time`) and how far its drawing has travelled (`position`)."""

    time: float
    position: float
    gap: int  # index of the key pair it lies between


def check_key_times(key_times: Sequence[float]) -> None:
    """Keys must be at finite, strictly increasing times."""
    if len(key_times) < 2:
        raise ValueError("at least two keys are needed")
    if not all(math.isfinite(t) for t in key_times):
        raise ValueError("key times must be finite numbers")
    if any(b <= a for a, b in zip(key_times, key_times[1:])):
        raise ValueError("key times must be strictly increasing")


def gap_of(key_times: Sequence[float], t: float) -> int:
    """Index of the key pair whose gap holds time t (the last gap for the last key, the first before it)."""
    return min(max(bisect_right(key_times, t) - 1, 0), len(key_times) - 2)


def plan_count(key_times: Sequence[float], count: int, ease: Ease = Ease()) -> list[Slot]:
    """`count` inbetweens in every gap, evenly timed, placed by `ease`."""
    check_key_times(key_times)
    positions = ease.gap_positions(count)
    slots = []
    for gap, (start, end) in enumerate(zip(key_times, key_times[1:])):
        span = end - start
        for i, fraction in enumerate(positions, start=1):
            slots.append(Slot(start + span * i / (count + 1), start + span * fraction, gap))
    return slots


def plan_times(key_times: Sequence[float], times: Sequence[float]) -> list[Slot]:
    """Frames at explicit times (position = time), sorted; a time equal to a key time gives that key."""
    check_key_times(key_times)
    first, last = key_times[0], key_times[-1]
    slots = []
    for t in sorted(set(times)):
        if not (math.isfinite(t) and first <= t <= last):
            raise ValueError(f"time {t:g} is outside the key range {first:g}..{last:g}")
        slots.append(Slot(t, t, gap_of(key_times, t)))
    return slots
