"""Inbetweens of finished colour frames (``mode="frames"``): characters over painted backgrounds.

  motion.py    DIS both ways on the colour frames, forward-backward occlusion, camera pan/zoom, flows at t
  cut.py       a cut between the keys → hold the nearer key
  timing.py    the timing hedge: each key's warp averaged over the likely timings around t (real timing eases),
               with a share of the keys' blend for the chance that the drawing holds a key (limited animation)
  fuse.py      warp both keys, blend by visibility, crisp where they disagree, copy held pixels,
               fall back to the cross-fade block by block where the warp did not help
  refine.py    the learned refinement: a small network mixes the frame, the warped keys and the fade
  kind.py      whether keys are finished frames (auto mode's test)
  settings.py  every setting, with its reason
Each frame comes with its ``FrameCheck``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ...frame_check import FrameCheck
from ...progress import Progress
from ...timing import gap_of
from ..each_frame import each_frame
from .cut import CutCheck, check_cut
from .fuse import fallback_boxes, fuse
from .motion import PairMotion, estimate_motion, flows_at, work_scale
from .refine import FramesRefiner, refiner_for
from .settings import FramesSettings

__all__ = ["FramesInbetweener", "FramesSettings", "inbetween_frames"]

# Confidence lost per share of the frame that fell back to the cross-fade (a third fell back → ~0.5).
DOUBT_COST = 1.5
# When nearly all of what moves fell back, the frame is the cross-fade (held pixels still copied), said so.
WHOLE_FADE_DOUBT = 0.85
# Confidence of a frame held over a cut: the artist must look at it.
CUT_CONFIDENCE = 0.2


class FramesInbetweener:
    """Frames between one pair of colour keys; the motion is estimated once, on first use."""

    def __init__(self, key0: np.ndarray, key1: np.ndarray, settings: FramesSettings | None = None) -> None:
        if key0.shape != key1.shape:
            raise ValueError(f"keys differ in size: {key0.shape} and {key1.shape}")
        self.key0, self.key1 = key0, key1
        self.settings = settings or FramesSettings()
        self._motion: PairMotion | None = None
        self._cut: CutCheck | None = None
        self.refiner: FramesRefiner | None = refiner_for(self.settings.refine)

    @property
    def motion(self) -> PairMotion:
        if self._motion is None:
            self._motion = estimate_motion(self.key0, self.key1, self.settings)
        return self._motion

    @property
    def cut(self) -> CutCheck:
        if self._cut is None:
            self._cut = check_cut(self.key0, self.key1, self.motion, self.settings)
        return self._cut

    def render(self, t: float) -> tuple[np.ndarray, FrameCheck]:
        """The frame at fraction ``t`` in (0, 1) of the way from key 0 to key 1, and its self-check."""
        if self.cut.cut:
            held = self.key0 if t <= 0.5 else self.key1
            note = (f"the keys look like a cut (colours {self.cut.histogram:.2f} apart, "
                    f"{self.cut.unmatched:.0%} unmatched): held the {'first' if t <= 0.5 else 'second'} key")
            return held.copy(), FrameCheck(confidence=CUT_CONFIDENCE, fallback="hold", note=note)
        scale = work_scale(self.motion.full_size, self.settings)
        fused = fuse(self.key0, self.key1, flows_at(self.motion, t, self.settings), t, scale, self.settings,
                     self.refiner)
        confidence = float(np.clip(1.0 - DOUBT_COST * fused.doubt, 0.0, 1.0))
        if fused.doubt >= WHOLE_FADE_DOUBT:
            note = f"{fused.doubt:.0%} of the moving picture could not be matched: cross-faded the keys"
            return fused.fade, FrameCheck(confidence=confidence, fallback="cross-fade", note=note)
        regions = fallback_boxes(fused)
        if not regions:
            return fused.frame, FrameCheck(confidence=confidence)
        note = f"{fused.doubt:.0%} of the moving picture could not be matched: cross-faded there"
        return fused.frame, FrameCheck(confidence=confidence, fallback="parts", regions=regions, note=note)


def inbetween_frames(keys: Sequence[np.ndarray], key_times: Sequence[float], times: Sequence[float], *,
                     settings: FramesSettings | None = None,
                     progress: Progress | None = None,
                     cancel: Callable[[], bool] | None = None) -> tuple[list[np.ndarray], list[FrameCheck]]:
    """Frames and self-checks at ``times`` between colour ``keys`` at ``key_times`` (validated by the caller)."""
    pairs: dict[int, FramesInbetweener] = {}

    def make(t: float) -> tuple[np.ndarray, FrameCheck]:
        if t in key_times:
            return np.array(keys[list(key_times).index(t)], dtype=np.float32, copy=True), FrameCheck()
        i = gap_of(key_times, t)
        if i not in pairs:
            pairs[i] = FramesInbetweener(keys[i], keys[i + 1], settings)
        return pairs[i].render((t - key_times[i]) / (key_times[i + 1] - key_times[i]))

    return each_frame(times, make, progress, cancel)
