"""Flow mode's motion for the strokes that stroke matching cannot vouch for.

On line art of occluding shapes the keys' strokes break at T-junctions that move between keys, so many
strokes are matched to a piece of another length or to the wrong part (low confidence). Interpolating such a
pair bends the stroke towards a wrong shape. Flow mode (`nakawari.inbetween`) estimates a motion for every
pixel instead: rigid parts matched as closed areas, moving on arcs. A stroke whose match is not confident is
therefore drawn from the nearer key and carried to the frame's time by that motion; so are strokes without a
partner, which keep their fade. Confident matches keep the stroke interpolation (more exact than the flow).
The flow is checked first: a stroke it carries to the gap's other key must land on that key's ink; most of a
gap's strokes must, and half of its confident matches must land on their partners, or the gap keeps the
stroke interpolation throughout (far jumps defeat the flow).
"""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from scipy.ndimage import map_coordinates
from scipy.spatial import cKDTree

from ..inbetween.pair import KeyBank, PairInbetweener
from ..inbetween.represent import KeyStyle
from ..lines import INK_THRESHOLD
from .interpolate import Frame, StrokeInbetweener
from .model import Drawing, Stroke

# A matched pair is trusted below this confidence only as far as the flow (match.py's confidences: 0..1).
TRUSTED = 0.5
# The flow is believed for a stroke when the stroke, carried to the gap's other key, lands within this many
# line widths (plus LAND_PX) of that key's ink on average; for a gap, when TRUST_SHARE of its strokes land
# and AGREE_SHARE of its confident matches land on their partners.
LAND_WIDTHS, LAND_PX = 1.0, 1.5
TRUST_SHARE, AGREE_SHARE = 0.75, 0.5


class FlowGuide:
    """Flow mode's per-gap motion, estimated once per gap on first use."""

    def __init__(self, keys: Sequence[np.ndarray], key_times: Sequence[float], style: KeyStyle,
                 line_width: float | None) -> None:
        arrays = [np.ascontiguousarray(k, dtype=np.float32) for k in keys]
        self.bank = KeyBank.of(arrays, key_times, style)
        self.line_width = line_width
        self._pairs: dict[int, PairInbetweener] = {}
        self._fields: dict[tuple[int, float], tuple[np.ndarray, np.ndarray]] = {}
        self._to_ink: dict[int, np.ndarray] = {}
        self._trusted: dict[int, bool] = {}
        self._landing: dict[int, dict[tuple[int, int], bool]] = {}  # gap → (key, stroke) → `lands`

    def lands(self, stroke: Stroke, gap: int, from_first: bool, width: float) -> bool:
        """Whether the stroke, carried by the flow all the way to the gap's other key, lands on its ink."""
        end = self.carry(stroke, gap, from_first, 1.0 if from_first else 0.0)
        other = gap + 1 if from_first else gap
        if other not in self._to_ink:
            paper = self.bank.style.ink(self.bank.keys[other]) <= INK_THRESHOLD
            self._to_ink[other] = cv2.distanceTransform(paper.astype(np.uint8), cv2.DIST_L2, 3)
        dist = map_coordinates(self._to_ink[other], end.points[:, [1, 0]].T, order=1, mode="nearest")
        return float(dist.mean()) <= LAND_WIDTHS * width + LAND_PX

    def lands_on(self, stroke: Stroke, partner: Stroke, gap: int, width: float) -> bool:
        """Whether key gap's stroke, carried to key gap + 1, lies along its partner there."""
        end = self.carry(stroke, gap, True, 1.0).points[:, :2]
        dist = cKDTree(partner.points[:, :2]).query(end)[0]
        return float(dist.mean()) <= LAND_WIDTHS * width + LAND_PX

    def trusted(self, engine: StrokeInbetweener, frame: Frame, gap: int, width: float) -> bool:
        """Whether the flow found the gap's motion: most strokes land on ink where it carries them, and at
        least half of the confidently matched ones land on their partners. Far jumps defeat the flow: it
        may then carry pieces of one shape to different places, onto ink of another shape. With no
        confident match to check it against, the flow is not believed."""
        if gap not in self._trusted:
            keys = engine.drawings
            ends = ((True, gap), (False, gap + 1))
            self._landing[gap] = {(k, n): self.lands(s, gap, first, width)
                                  for first, k in ends for n, s in enumerate(keys[k].strokes)}
            votes = list(self._landing[gap].values())
            sure = [(engine.line(*src["from"]), engine.line(*src["to"])) for src in frame.sources
                    if src["state"] == "matched" and src["confidence"] >= TRUSTED]
            agree = [self.lands_on(keys[a[0]].strokes[a[1]], keys[b[0]].strokes[b[1]], gap, width)
                     for a, b in sure]
            self._trusted[gap] = (bool(votes) and bool(agree) and float(np.mean(votes)) >= TRUST_SHARE
                                  and float(np.mean(agree)) >= AGREE_SHARE)
        return self._trusted[gap]

    def landed(self, gap: int, key: int, stroke: int) -> bool:
        """`lands` of a stroke of the gap's keys, as `trusted` found it (with the same width)."""
        return self._landing[gap][(key, stroke)]

    def carry(self, stroke: Stroke, gap: int, from_first: bool, u: float) -> Stroke:
        """The stroke of key `gap` (from_first) or `gap + 1` moved to fraction u of the gap."""
        disp = self._displacements(gap, u)[0 if from_first else 1]
        scale = self.bank.scale
        # Working-resolution pixel centres sit at (x + 0.5)·scale − 0.5 of the full-size ones.
        where = (stroke.points[:, [1, 0]] + 0.5) * scale - 0.5
        moved = stroke.copy()
        for axis in (0, 1):  # displacement (dx, dy) in working pixels, bilinear at each point
            moved.points[:, axis] += map_coordinates(disp[..., axis], where.T, order=1, mode="nearest") / scale
        return moved

    def _displacements(self, gap: int, u: float) -> tuple[np.ndarray, np.ndarray]:
        """Both keys' displacement fields to fraction u (kept for the frame's other strokes)."""
        if (gap, u) not in self._fields:
            if gap not in self._pairs:
                self._pairs[gap] = PairInbetweener(self.bank.keys[gap], self.bank.keys[gap + 1], device="cpu",
                                                   line_width=self.line_width, _bank=self.bank, _index=gap)
            # Keep the keys' own ends (every landing check asks for them) and the frame being drawn.
            for old in [key for key in self._fields if key[1] not in (0.0, 1.0)]:
                del self._fields[old]
            self._fields[(gap, u)] = self._pairs[gap].displacements(u)
        return self._fields[(gap, u)]


def guided(frame: Frame, engine: StrokeInbetweener, gap: int, u: float, guide: FlowGuide, width: float
           ) -> Drawing:
    """The frame's drawing with every stroke not confidently matched replaced by its nearer key's stroke
    (a vanishing or appearing one: its own key's, keeping its fade) carried by the flow, where the flow
    holds: in a gap it explains, and for a matched stroke, only if that stroke lands too. Strokes are the
    engine's lines (pieces of one line joined)."""
    if not guide.trusted(engine, frame, gap, width):
        return frame.drawing
    keys = engine.drawings
    strokes = []
    for stroke, source in zip(frame.drawing.strokes, frame.sources):
        state = source["state"]
        if state == "key" or (state == "matched" and source["confidence"] >= TRUSTED):
            strokes.append(stroke)
            continue
        if state == "matched":
            k, s = engine.line(*(source["from"] if u <= 0.5 else source["to"]))
            lands = guide.landed(gap, k, s)
            strokes.append(guide.carry(keys[k].strokes[s], gap, k == gap, u) if lands else stroke)
            continue
        k, s = engine.line(*(source["from"] if state == "vanishing" else source["to"]))
        moved = guide.carry(keys[k].strokes[s], gap, k == gap, u)
        if len(stroke.opacity) == moved.n:
            moved.opacity = stroke.opacity.copy()
        strokes.append(moved)
    return Drawing(strokes)


