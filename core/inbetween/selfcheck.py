"""Do no harm for line art and cels: every generated frame checks itself against its keys and falls back when it
fails.

A frame fails where the motion was not found: its lines break into short pieces and specks (dust), its ink
comes out far lighter or heavier than the keys', or it is blank while the keys are not. Isolated specks that
no key has are removed (never dust) and torn lines mended; a frame that still fails is replaced by the nearer
key's pieces, each moved whole along the motion (fallback.py), or, when even those fail, by the nearer key as
drawn (an animator can always keep or redraw a held drawing), and says so, with the boxes where it broke, so
hosts flag it. A cel frame that paints new colour over what both keys agree on (dark masses, torn fills over
a still background) holds the nearer key whole.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np
from scipy.spatial import cKDTree

from ..frame_check import FrameCheck
from ..lines import INK_THRESHOLD, redraw_fixed_width, skeletonize
from ..timing import gap_of
from .boxes import boxes_of
from .fuse import ink_box
from .represent import KeyStyle, compose_lineart, outline_map

# A colour this far off (any channel, about 25 levels of 255) is another colour, not noise or anti-aliasing.
ASTRAY_STEP = 0.1
# New colour on this share of the frame is never astray (keys that barely differ).
ASTRAY_FLOOR = 0.005


@dataclass(frozen=True)
class SelfCheckSettings:
    """Limits of a frame that is as clean as its keys (counts relative to the keys', sizes in stroke widths)."""

    speck_widths: float = 2.5        # a piece smaller than (this × width)² (and ≥ 3 px²) is a speck
    short_widths: float = 8.0        # a piece shorter than this × width is a fragment of a broken line
    speck_company_widths: float = 3.0  # a speck this close to a key's speck (or dot) may be that dot: kept
    dust_allowed: float = 0.03       # this share of the ink more in specks and fragments than the keys' is fine...
    dust_span: float = 0.12          # ...and this much more takes the frame to a fall-back
    piece_slack: float = 1.15        # this many times the keys' pieces is still fine...
    piece_span: float = 1.0          # ...and this much more (relative) takes confidence to 0
    ink_slack: float = 1.3           # ink amount within this factor of the keys' is fine...
    ink_span: float = 2.0            # ...and a further factor of this takes confidence to 0
    speck_doubt: float = 0.5         # erased specks lower confidence by at most this much
    piece_extra: float = 3.0         # a few extra pieces are fine however few the keys have
    mend_widths: float = 3.0         # gaps of a dashed line up to about this many widths are closed
    break_doubt: float = 0.5         # lines broken into many more pieces than the keys' lower confidence this much
    bridge_widths: float = 4.0       # a line's end this close to another piece is joined to it
    moved_confidence: float = 0.4    # a frame of moved key pieces is clean but only an approximation
    crumbs: float = 0.15             # a key with more of its ink than this in specks and fragments (pencil grain,
                                     # texture) is not made of parts: its pieces each fit their own motion and
                                     # scatter, so it is held, never moved piece by piece (real pencil: 0.2–0.4;
                                     # inked drawings and our suites ≤ 0.06)
    fall_back_below: float = 0.35    # pieces or ink this far off: the frame is replaced by the nearer key
    astray: float = 0.35             # cels: new colour masses where the keys agree on more than this × the pixels
                                     # where they differ are not motion (true ≤ 0.19, torn ≥ 0.47): held instead


@dataclass(frozen=True)
class InkCensus:
    """Pieces of one ink map: how many, how many are specks or short fragments, how much ink, and the share
    of the ink that lies in specks and fragments (dust)."""

    pieces: float
    specks: float
    fragments: float
    ink: float
    dust: float

    @staticmethod
    def of(ink: np.ndarray, width: float, settings: SelfCheckSettings) -> InkCensus:
        labels, areas, lengths = _pieces(ink > INK_THRESHOLD)
        specks = areas < _speck_area(width, settings)
        fragments = ~specks & (lengths < settings.short_widths * max(width, 1.0))
        total = float(areas.sum())
        dust = float(areas[specks | fragments].sum()) / total if total > 0 else 0.0
        return InkCensus(pieces=len(areas), specks=int(specks.sum()), fragments=int(fragments.sum()),
                         ink=float(ink.sum()), dust=dust)


@dataclass(frozen=True)
class KeyInk:
    """A key's ink with what every check of a frame against it needs (computed once per key and width)."""

    ink: np.ndarray       # HxW float32 in [0, 1]
    census: InkCensus
    dots: np.ndarray      # HxW bool: the key's small pieces (dots, specks), which a frame's speck may be

    @staticmethod
    def of(ink: np.ndarray, width: float, settings: SelfCheckSettings) -> KeyInk:
        width = max(float(width), 1.0)
        labels, areas, _ = _pieces(ink > INK_THRESHOLD)
        dots = np.isin(labels, np.flatnonzero(areas < 4 * _speck_area(width, settings)) + 1)
        return KeyInk(ink, InkCensus.of(ink, width, settings), dots)

    def crop(self, box: tuple[slice, slice]) -> KeyInk:
        """The same key seen through ``box`` (which holds all its ink: the census stays the whole key's)."""
        return KeyInk(self.ink[box], self.census, self.dots[box])


class FrameChecker:
    """Checks the frames of one set of keys (inks and censuses of the keys computed once, then cached).

    Line art is judged and cleaned on its ink; cels are judged on their dark outlines and never erased
    (erasing would punch holes in the fills). Everything runs inside the box around the frame's and the
    keys' ink: line art is sparse, and the check costs little beside making the frame.
    """

    def __init__(self, keys: Sequence[np.ndarray], style: KeyStyle,
                 settings: SelfCheckSettings = SelfCheckSettings()) -> None:
        self.keys = keys
        self.style = style
        self.settings = settings
        self._key_inks: dict[tuple[int, float], KeyInk] = {}
        self._pair_colours: dict[int, KeyPairColours] = {}

    def ink(self, image: np.ndarray) -> np.ndarray:
        return self.style.ink(image) if self.style.lineart else outline_map(image, self.style.transparent)

    def pair_colours(self, gap: int) -> KeyPairColours:
        if gap not in self._pair_colours:
            self._pair_colours[gap] = KeyPairColours.of(self.keys[gap], self.keys[gap + 1])
        return self._pair_colours[gap]

    def key_ink(self, k: int, width: float) -> KeyInk:
        if (k, width) not in self._key_inks:
            self._key_inks[(k, width)] = KeyInk.of(self.ink(self.keys[k]), width, self.settings)
        return self._key_inks[(k, width)]

    def judge_full(self, frame_ink: np.ndarray, gap: int, t: float, width: float,
                   mend: bool) -> tuple[Verdict, tuple[slice, slice]]:
        """``judge`` of a full-size frame ink inside the box around its and the gap's keys' ink."""
        key_a, key_b = self.key_ink(gap, width), self.key_ink(gap + 1, width)
        box = ink_box(frame_ink, key_a.ink, key_b.ink, pad=int(4 * self.settings.short_widths * max(width, 1.0)))
        box = box or (slice(None), slice(None))  # nothing drawn anywhere: the whole (blank) frame
        return judge(frame_ink[box], key_a.crop(box), key_b.crop(box), t, width, self.settings, mend), box

    def check(self, frame: np.ndarray, gap: int, t: float, width: float,
              moved: Callable[[], np.ndarray] | None = None) -> tuple[np.ndarray, FrameCheck]:
        """The frame to use at local time ``t`` in (0, 1) of the gap after key ``gap`` and its check: specks
        no key has erased and broken lines mended; where the frame failed, the nearer key's pieces moved
        whole (``moved()``: that ink, line art only) when they pass and the key is drawn in parts, not crumbs
        (``SelfCheckSettings.crumbs``), else a copy of the nearer key."""
        if not self.style.lineart and astray(frame, self.pair_colours(gap), self.settings.astray):
            nearer, which = (gap, "first") if t <= 0.5 else (gap + 1, "second")
            note = f"it painted over what both keys agree on: held the {which} key"
            return self.keys[nearer].copy(), FrameCheck(0.0, "hold", (), note)
        frame_ink = self.ink(frame)
        verdict, box = self.judge_full(frame_ink, gap, t, width, mend=self.style.lineart)
        if verdict.hold:
            nearer = gap if t <= 0.5 else gap + 1
            in_parts = self.key_ink(nearer, width).census.dust <= self.settings.crumbs
            if moved is not None and self.style.lineart and in_parts:
                moved_ink = moved()
                again, _ = self.judge_full(moved_ink, gap, t, width, mend=False)
                if not again.hold:
                    which = "first" if nearer == gap else "second"
                    note = f"{verdict.check.note.split(': held')[0]}: moved the {which} key's pieces whole instead"
                    check = replace(verdict.check, fallback="moved", note=note,
                                    confidence=min(again.check.confidence, self.settings.moved_confidence))
                    return compose_lineart(moved_ink, self.style, frame.shape), _shifted(check, box)
            return self.keys[nearer].copy(), _shifted(verdict.check, box)
        if verdict.ink is None:
            return frame, _shifted(verdict.check, box)
        changed = verdict.ink != frame_ink[box]
        out = frame.copy()
        out[box][changed] = compose_lineart(verdict.ink, self.style, verdict.ink.shape)[changed]
        return out, _shifted(verdict.check, box)


def check_frames(checker: FrameChecker, frames: Sequence[np.ndarray], key_times: Sequence[float],
                 times: Sequence[float], width_of_gap: Callable[[int], float],
                 mover: Callable[[int, float], np.ndarray] | None = None) -> list[tuple[np.ndarray, FrameCheck]]:
    """Each frame at its time after its check (a frame at a key's own time is that key: nothing to check).
    ``mover(gap, local_t)``: the nearer key's pieces moved whole to that time (ink), for frames that fail."""
    checked = []
    for frame, t in zip(frames, times):
        if t in key_times:
            checked.append((frame, FrameCheck()))
            continue
        i = gap_of(key_times, t)
        local = (t - key_times[i]) / (key_times[i + 1] - key_times[i])
        moved = None if mover is None else (lambda i=i, local=local: mover(i, local))
        checked.append(checker.check(frame, i, local, width_of_gap(i), moved))
    return checked


def _premultiplied(image: np.ndarray) -> np.ndarray:
    """Every other pixel's colour, premultiplied (a transparent layer's hidden colours do not count)."""
    return image[::2, ::2, :3] * image[::2, ::2, 3:4]


@dataclass(frozen=True)
class KeyPairColours:
    """What `astray` compares a gap's frames with, once per gap: both keys' colours and where they differ."""

    a: np.ndarray          # (H/2, W/2, 3) premultiplied
    b: np.ndarray
    differ: np.ndarray     # (H/2, W/2) bool: the keys differ by more than ASTRAY_STEP

    @staticmethod
    def of(key_a: np.ndarray, key_b: np.ndarray) -> KeyPairColours:
        a, b = _premultiplied(key_a), _premultiplied(key_b)
        return KeyPairColours(a, b, np.abs(a - b).max(axis=2) > ASTRAY_STEP)


def astray(frame: np.ndarray, keys: KeyPairColours, factor: float) -> bool:
    """Does the frame (HxWx4 straight RGBA) paint over what both keys agree on, more than motion can explain?

    A true inbetween puts new colour only where a moving part passes, and a part covers at most about half of
    the pixels where the keys differ (it is at A in one key, at B in the other); a frame whose dark masses or
    torn fills cover the still background is new where the keys agree. Counted on every other pixel."""
    f = _premultiplied(frame)
    new = (np.abs(f - keys.a).max(axis=2) > ASTRAY_STEP) & (np.abs(f - keys.b).max(axis=2) > ASTRAY_STEP)
    new &= ~keys.differ
    # Masses, not lines: a line redrawn a pixel aside or a speck is new colour too, and thin (line art read as
    # cels, coloured lines on a layer); opening the mask keeps only what is wider than about 6 px.
    masses = cv2.morphologyEx(new.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return float(masses.mean()) > factor * float(keys.differ.mean()) + ASTRAY_FLOOR


@dataclass(frozen=True)
class Verdict:
    """What the check decided: hold the nearer key, or keep the frame, with ``ink`` (its repaired ink) where
    specks were erased or lines mended (None: the frame as it is)."""

    check: FrameCheck
    hold: bool = False
    ink: np.ndarray | None = None


def judge(frame_ink: np.ndarray, key_a: KeyInk, key_b: KeyInk, t: float, width: float,
          settings: SelfCheckSettings = SelfCheckSettings(), mend: bool = True) -> Verdict:
    """The check of a frame's ink at local time ``t`` against its keys' (HxW float32 in [0, 1], one reading
    for the three). ``mend`` (line art): erase strange specks before judging, and mend the broken lines
    of a frame that passed. Region boxes are in the given images' pixels."""
    width = max(float(width), 1.0)
    expected = _lerp(key_a.census, key_b.census, t)
    nearer_name = "first" if t <= 0.5 else "second"
    if expected.ink <= 0.0:
        return Verdict(FrameCheck())
    removed = 0
    mended: tuple[tuple[int, int, int, int], ...] = ()
    ink = frame_ink
    if mend:
        erase, removed = strange_specks(frame_ink, key_a.dots | key_b.dots, width, settings)
        ink = np.where(erase, np.float32(0.0), frame_ink)
    census = InkCensus.of(ink, width, settings)
    if census.ink <= 0.02 * expected.ink:
        return Verdict(FrameCheck(0.0, "hold", (), f"the frame came out blank: held the {nearer_name} key"), True)
    sound, broken, reason = _soundness(census, expected, settings, judge_dust=mend)
    if sound < settings.fall_back_below:
        return Verdict(FrameCheck(float(np.clip(sound, 0.0, 1.0)), "hold", _broken_places(ink, width, settings),
                                  f"{reason}: held the {nearer_name} key"), True)
    if mend and broken > 0.0:
        # Only a frame that passed is mended: mending must never be what makes a shattered frame pass.
        mended = _broken_places(ink, width, settings)
        healed = bridge_gaps(mend_lines(ink, mended, width, settings), width, settings)
        healed_sound, healed_broken, _ = _soundness(InkCensus.of(healed, width, settings), expected, settings)
        if healed_broken < broken and healed_sound >= sound - 0.1:
            ink, broken = healed, healed_broken
            mended = mended or _changed_places(frame_ink, ink)
        else:
            mended = ()
    # Erased specks and mended lines are fixed in the frame, but they show the motion was unsure there.
    doubt = settings.speck_doubt * min(1.0, removed / (expected.pieces + 10.0)) + 0.1 * bool(mended) + broken
    confidence = float(np.clip(sound - doubt, 0.0, 1.0))
    places = _broken_places(ink, width, settings) if confidence < 1.0 else ()
    notes = ([f"erased {removed} specks no key has"] if removed else []) + (
        [f"mended broken lines in {len(mended)} places"] if mended else []) + (
        ["some lines are broken"] if broken > 0.0 else [])
    repaired = ink if (removed or mended) else None
    return Verdict(FrameCheck(confidence, "parts" if repaired is not None else "", tuple(mended) or places,
                              "; ".join(notes)), False, repaired)


def _soundness(census: InkCensus, expected: InkCensus, settings: SelfCheckSettings,
               judge_dust: bool = True) -> tuple[float, float, str]:
    """(sound, doubt, failure): sound ≤ 0 where the frame turned to dust (specks and short fragments) or its
    ink amount is far off the keys' (these fail it); doubt in [0, 1] for lines broken into more pieces than the
    keys have (a frame with gaps is still one an artist can mend: it lowers confidence, never fails).
    ``judge_dust`` False (cels: their outlines are drawn over fills, specks there are paint): dust only doubts."""
    by_dust = 1.0 - (census.dust - expected.dust - settings.dust_allowed) / settings.dust_span
    off = abs(np.log(census.ink / max(expected.ink, 1e-6)))
    by_ink = 1.0 - (off - np.log(settings.ink_slack)) / np.log(settings.ink_span)
    base = expected.pieces + settings.piece_extra
    by_pieces = (census.pieces + settings.piece_extra - settings.piece_slack * base) / (settings.piece_span * base)
    doubt = float(np.clip(by_pieces, 0.0, 1.0)) * settings.break_doubt
    if not judge_dust:
        doubt = max(doubt, float(np.clip(1.0 - by_dust, 0.0, 1.0)) * settings.break_doubt)
        by_dust = 1.0
    failure = "its lines turned to dust" if by_dust <= by_ink else "its ink was far from the keys'"
    return float(min(by_dust, by_ink, 1.0)), doubt, failure


def mend_lines(ink: np.ndarray, places: Sequence[tuple[int, int, int, int]], width: float,
               settings: SelfCheckSettings) -> np.ndarray:
    """Inside each box, close the gaps of dashed lines (a closing a few widths across), redraw the lines at
    the frame's width, and drop the fragments that still stand alone (debris, not drawing)."""
    out = ink.copy()
    size = int(round(settings.mend_widths * width)) | 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    for x, y, w, h in places:
        box = (slice(y, y + h), slice(x, x + w))
        closed = cv2.morphologyEx((ink[box] > INK_THRESHOLD).astype(np.uint8), cv2.MORPH_CLOSE, disc)
        redrawn = redraw_fixed_width(closed.astype(np.float32), width)
        labels, areas, lengths = _pieces(redrawn > INK_THRESHOLD)
        debris = np.flatnonzero(lengths < settings.short_widths * width) + 1
        redrawn[np.isin(labels, debris)] = 0.0
        out[box] = redrawn
    return out


def strange_specks(frame_ink: np.ndarray, key_dots: np.ndarray, width: float,
                   settings: SelfCheckSettings) -> tuple[np.ndarray, int]:
    """Pixels of the frame's specks that have no speck or dot of a key (``key_dots``) nearby (with their
    anti-aliased rims), and how many specks that is."""
    speck_area = _speck_area(width, settings)
    labels, areas, _ = _pieces(frame_ink > INK_THRESHOLD)
    small = np.flatnonzero(areas < speck_area) + 1
    nothing = np.zeros(frame_ink.shape, dtype=bool)
    if small.size == 0:
        return nothing, 0
    reach = settings.speck_company_widths * width + 2.0
    far = cv2.distanceTransform((~key_dots).astype(np.uint8), cv2.DIST_L2, 3) > reach
    near_pixels = np.bincount(labels[~far], minlength=len(areas) + 1)
    strange = [int(n) for n in small if near_pixels[n] == 0]
    if not strange:
        return nothing, 0
    # The rim is below the threshold, so not in the label: grow by a pixel.
    grown = cv2.dilate(np.isin(labels, strange).astype(np.uint8), np.ones((3, 3), np.uint8))
    return grown.astype(bool) & (frame_ink > 0.0), len(strange)


def bridge_gaps(ink: np.ndarray, width: float, settings: SelfCheckSettings) -> np.ndarray:
    """Join each line end to the nearest other piece within a few widths (a straight stroke of the frame's
    width): the gaps a flow leaves where it tore a line."""
    mask = ink > INK_THRESHOLD
    labels, areas, _ = _pieces(mask)
    if len(areas) < 2:
        return ink
    skeleton = skeletonize(mask)
    neighbours = cv2.filter2D(skeleton.astype(np.uint8), -1, np.ones((3, 3), np.float32)) - skeleton
    ends = np.argwhere(skeleton & (neighbours == 1))
    points = np.argwhere(skeleton)
    if len(ends) == 0:
        return ink
    tree = cKDTree(points)
    reach = settings.bridge_widths * width + 1.0
    out = ink.copy()
    thickness = max(int(round(width)), 1)
    for y, x in ends:
        near = tree.query_ball_point((y, x), reach)
        others = [points[n] for n in near if labels[points[n][0], points[n][1]] != labels[y, x]]
        if not others:
            continue
        ty, tx = min(others, key=lambda p: (p[0] - y) ** 2 + (p[1] - x) ** 2)
        cv2.line(out, (int(x), int(y)), (int(tx), int(ty)), 1.0, thickness, cv2.LINE_AA)
    return out


def _changed_places(before: np.ndarray, after: np.ndarray) -> tuple[tuple[int, int, int, int], ...]:
    return boxes_of(np.abs(after - before) > INK_THRESHOLD, limit=8)


def _broken_places(ink: np.ndarray, width: float, settings: SelfCheckSettings) -> tuple[tuple[int, int, int, int], ...]:
    """Boxes around clusters of short fragments: where an artist should look."""
    labels, areas, lengths = _pieces(ink > INK_THRESHOLD)
    short = np.flatnonzero(lengths < settings.short_widths * width) + 1
    if short.size == 0:
        return ()
    grow = int(2 * settings.short_widths * width) | 1
    cluster = cv2.dilate(np.isin(labels, short).astype(np.uint8), np.ones((grow, grow), np.uint8))
    return boxes_of(cluster.astype(bool), min_area=grow * grow * 2, limit=8)


def _pieces(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, areas (px) and lengths (the longer side of each piece's box, px) of 8-connected pieces."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
    lengths = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]).astype(np.float64)
    return labels, areas, lengths


def _speck_area(width: float, settings: SelfCheckSettings) -> float:
    return max((settings.speck_widths * width) ** 2, 3.0)


def _lerp(a: InkCensus, b: InkCensus, t: float) -> InkCensus:
    """What the keys lead to expect at t (counts as floats)."""
    mix = lambda x, y: (1.0 - t) * x + t * y  # noqa: E731
    return InkCensus(pieces=mix(a.pieces, b.pieces), specks=mix(a.specks, b.specks),
                     fragments=mix(a.fragments, b.fragments), ink=mix(a.ink, b.ink), dust=mix(a.dust, b.dust))


def _shifted(check: FrameCheck, box: tuple[slice, slice]) -> FrameCheck:
    """The check with its region boxes moved from the crop ``box`` back into the frame's pixels."""
    dy, dx = box[0].start or 0, box[1].start or 0
    return replace(check, regions=tuple((x + dx, y + dy, w, h) for x, y, w, h in check.regions))
