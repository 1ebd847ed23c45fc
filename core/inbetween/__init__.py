"""Inbetweening: frames between key drawings.

``inbetween()`` is the public entry; ``PairInbetweener`` renders any number of
frames between one pair of keys with the motion estimated once.

Flow mode, in short (details in the modules):
  ink_reading.py  ink read relative to the keys' paper and darkest marks (pencil, pale layers)
  represent.py  keys → distance-field images at ~480 px (what flow sees)
  flow.py       DIS flow both ways, forward-backward occlusion, flow reversal
  align.py      a zoom of the whole drawing (one similarity) found by chamfer search; parts ride on it
  regions.py    closed areas matched one-to-one between keys: part motions, part tree
  hinge.py      parts the flow lost, turned about the joint where they touch held ink (a swung forearm)
  rigid.py      rigid-part motions chosen per pixel; they move on (composed) arcs
  settings.py   what all of these tune (``InbetweenSettings``, one frozen group per module), passed down
  hold.py       (off by default) a stretch whose two warped copies disagree drawn whole from one key
  warp.py       full-size backward warps (cv2.remap)
  fuse.py       line art: blend → one ridge → fixed-width redraw (fills kept); cels: per-pixel choice
  torch_backend.py  the same warping and fusion on torch (CUDA when available)
Every frame then checks itself (selfcheck.py): specks erased, torn lines mended, a failed frame replaced by
the nearer key's pieces moved whole (fallback.py) or the key held; the ``FrameCheck`` says which.

Learned mode is nakawari.learned (``learned.runtime.inbetween_learned``, the same self-check), above this
package: the jobs layer picks it. Frames mode (``mode="frames"``): finished colour frames (painted
backgrounds, shading), the frames package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import Cancelled
from ..frame_check import FrameCheck
from ..progress import Cancel, Progress
from ..timing import gap_of
from .device import resolve_device
from .each_frame import each_frame
from .fallback import moved_pieces
from .frames import inbetween_frames
from .pair import KeyBank, PairInbetweener, gap_width
from .selfcheck import FrameChecker, check_frames
from .settings import DEFAULT_INBETWEEN, InbetweenSettings

__all__ = ["Cancelled", "FrameCheck", "InbetweenResult", "InbetweenSettings", "PairInbetweener", "inbetween", "MODES"]

MODES = ("flow", "frames")  # learned mode: nakawari.learned


@dataclass
class InbetweenResult:
    frames: list[np.ndarray]   # RGBA float32, one per requested time, in the order given
    mode: str                  # "flow", "frames", or "learned" (nakawari.learned)
    device: str                # "cpu" or "cuda": where warping/fusion actually ran
    backend: str = ""          # learned mode: what ran the model, e.g. "onnxruntime CPUExecutionProvider"
    checks: list[FrameCheck] = field(default_factory=list)  # one per frame (empty: nothing checked)

    def check(self, n: int) -> FrameCheck:
        """Frame n's self-check (a plain, unchecked pass when the path reported none)."""
        return self.checks[n] if n < len(self.checks) else FrameCheck()


def inbetween(keys: Sequence[np.ndarray], key_times: Sequence[float], times: Sequence[float], *,
              mode: str = "flow", device: str = "auto", line_width: float | None = None,
              progress: Progress | None = None,
              cancel: Cancel | None = None,
              settings: InbetweenSettings = DEFAULT_INBETWEEN) -> InbetweenResult:
    """Frames at ``times`` between ``keys`` drawn at ``key_times`` (strictly increasing).

    Every t must lie within [key_times[0], key_times[-1]]; a t equal to a key
    time returns a copy of that key. ``line_width`` None: measured on the keys.
    ``progress(done, total, message)`` is called after each frame and
    ``cancel()`` checked before each (→ ``Cancelled``). ``settings``: flow mode's tuning (settings.py).
    """
    if mode not in MODES:
        raise ValueError(f"unknown inbetween mode {mode!r}; available: {', '.join(MODES)}")
    resolved = resolve_device(device) if mode == "flow" else device
    keys_f = [np.ascontiguousarray(k, dtype=np.float32) for k in keys]
    kt = [float(x) for x in key_times]
    if len(keys_f) < 2 or len(keys_f) != len(kt):
        raise ValueError("inbetween needs at least two keys and one time per key")
    if any(b <= a for a, b in zip(kt, kt[1:])):
        raise ValueError("key_times must be strictly increasing")
    for t in times:
        if not kt[0] <= float(t) <= kt[-1]:
            raise ValueError(f"time {t} is outside the keys' range [{kt[0]}, {kt[-1]}]")
    if mode == "frames":  # CPU only: DIS flow and cv2 warps
        made, checks = inbetween_frames(keys_f, kt, [float(t) for t in times], progress=progress, cancel=cancel)
        return InbetweenResult(frames=made, mode=mode, device="cpu", checks=checks)
    bank = KeyBank.of(keys_f, kt, settings=settings)
    checker = FrameChecker(bank.keys, bank.style, settings.check)
    pairs: dict[int, PairInbetweener] = {}
    width_of_gap, mover = gap_width(bank, pairs, line_width), _mover(pairs)  # they read `pairs` as it grows

    def make(t: float) -> tuple[np.ndarray, FrameCheck]:
        return check_frames(checker, [_frame_at(t, bank, pairs, resolved, line_width)], kt, [t], width_of_gap,
                            mover)[0]

    frames, checks = each_frame(times, make, progress, cancel)
    return InbetweenResult(frames=frames, mode=mode, device="cuda" if resolved == "cuda" else "cpu", checks=checks)


def _frame_at(t: float, bank: KeyBank, pairs: dict[int, PairInbetweener], device: str,
              line_width: float | None) -> np.ndarray:
    kt = bank.times
    for i, k in enumerate(kt):
        if t == k:
            return bank.keys[i].copy()
    i = gap_of(kt, t)
    if i not in pairs:
        pairs[i] = PairInbetweener(bank.keys[i], bank.keys[i + 1], device=device, line_width=line_width,
                                   _bank=bank, _index=i)
    return pairs[i].render((t - kt[i]) / (kt[i + 1] - kt[i]))


def _mover(pairs: dict[int, PairInbetweener]) -> Callable[[int, float], np.ndarray]:
    """The self-check's fall-back for gap i at local time t: the nearer key's ink pieces moved whole along
    the pair's own motion (arcs and rigid parts included)."""
    def move(i: int, t: float) -> np.ndarray:
        pair = pairs[i]
        near_first = t <= 0.5
        # The nearer key's pixels' whole motion onto the other key: a's at t = 1, b's (run backwards) at t = 0.
        whole = pair.displacements(1.0)[0] if near_first else pair.displacements(0.0)[1]
        near, other = (i, i + 1) if near_first else (i + 1, i)
        drawing = pair.bank.alignment(near, other)     # a zoom of the whole drawing, if the keys show one
        return moved_pieces(pair.bank.ink(near), pair.bank.ink(other), whole, t if near_first else 1.0 - t,
                            pair.bank.scale, max(pair.line_width, 1.0), 1.0 if drawing is None else abs(drawing.a),
                            pair.bank.settings.fallback)
    return move
