"""Painting: every line frame's closed areas filled with the exact palette colours of painted keys.

areas.py splits a line frame into closed areas (closing small gaps), palette.py reads each painted key's
area colours, match.py carries the keys' areas over to other frames by motion and regions.py matches them
region to region (with a confidence per area), fill.py fills and puts the lines back on top. `paint_frames`
runs them along a sequence, each frame from the frame just painted.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import Cancelled
from ..inbetween.represent import KeyStyle, analyse_keys
from ..progress import Progress
from .areas import Areas, find_areas
from .fill import compose, fill_layer
from .match import (
    AreaMatches,
    Reference,
    combine,
    fill_unmatched,
    flow_to_reference,
    identity_matches,
    rescue,
    vote,
)
from .palette import KeyPalette, read_palette
from .regions import key_mixes
from .settings import PaintSettings

__all__ = ["PaintResult", "PaintSettings", "PaintedFrame", "paint_frames"]

# Style (ink levels) is measured on at most this many line frames, spread over the sequence.
STYLE_SAMPLE = 8
# Areas found on the way back through a segment are kept for the forward pass only for the frames this near
# its start (about 20 MB a 1080p frame); the rest are found again (about 0.15 s each).
KEEP_AREAS = 8


@dataclass
class PaintedFrame:
    image: np.ndarray | None      # HxWx4 float32, straight alpha (None once handed to on_frame)
    painted_share: float          # share of the frame's area pixels (not line) that got a colour
    confidence: float             # mean match confidence over the area pixels
    unmatched: list[dict[str, Any]]  # {"bbox": [x, y, w, h], "size": px} for each area left in the marker colour
    keys: list[int]               # indices (into the line frames) of the keys that gave colours
    matches: AreaMatches | None = None
    areas: Areas | None = None


@dataclass
class PaintResult:
    frames: list[PaintedFrame]
    palettes: dict[int, KeyPalette] = field(default_factory=dict)

    def palette_colours(self) -> set[int]:
        """Every colour code of every key's palette (the output's fills are drawn from these only)."""
        return {int(c) for p in self.palettes.values() for c in p.codes[1:]}


def paint_frames(lines: Sequence[np.ndarray], painted: Mapping[int, np.ndarray],
                 settings: PaintSettings | None = None, progress: Progress | None = None,
                 cancel: Callable[[], bool] | None = None, keep_details: bool = False,
                 on_frame: Callable[[int, PaintedFrame], None] | None = None) -> PaintResult:
    """Paint every line frame (HxWx4 float32 RGBA) from ``painted`` (line-frame index → painted frame).

    A painted frame is the finished colour of the line frame with the same index (lines drawn on it or not).
    Frames between two keys are painted from both sides and each area takes the surer side. With
    ``settings.chain`` colours travel frame by frame from each key (small motion per step); without, each
    frame is matched to the keys directly. ``on_frame(index, frame)`` receives frames in order as they are
    done; the returned frames then keep no image (long sequences need not fit in memory).
    """
    if not painted:
        raise ValueError("no painted key")
    settings = settings or PaintSettings()
    n = len(lines)
    step = max(1, n // STYLE_SAMPLE)
    style: KeyStyle = analyse_keys([lines[i] for i in range(0, n, step)][:STYLE_SAMPLE])
    keys = sorted(painted)
    key_refs: dict[int, Reference] = {}
    palettes: dict[int, KeyPalette] = {}
    key_areas: dict[int, Areas] = {}
    for index in keys:
        key_areas[index] = find_areas(lines[index], style, settings)
        palettes[index] = read_palette(painted[index], key_areas[index], settings)
        key_refs[index] = Reference.of_key(key_areas[index], palettes[index])
    # Colours the keys put in one area without a line between them: no other pair may share one (drift).
    mixes: set[tuple[int, int]] | None = None
    if settings.key_mixes:
        mixes = set()
        for index in keys:
            a = key_areas[index]
            patch = settings.minor_patch * a.labels.size if settings.minor_patch > 0 else np.inf
            mixes |= key_mixes(a.labels, a.line_distance, palettes[index].pixel_codes, a.count,
                               settings.minor_vote, patch, settings.min_rescue, settings.edge_band / 3.0)

    frames: list[PaintedFrame] = []
    done = 0

    def emit(index: int, areas: Areas, matches: AreaMatches, used: list[int]) -> None:
        nonlocal done
        fill = fill_layer(areas, matches, settings)
        image = compose(lines[index], areas, fill, style, settings)
        frame = _describe(image, areas, matches, used, keep_details)
        if on_frame is not None:
            on_frame(index, frame)
            frame.image = None
        frames.append(frame)
        done += 1
        if progress is not None:
            progress(done, n, f"painted frame {done} of {n}")

    def check_cancel() -> None:
        if cancel is not None and cancel():
            raise Cancelled()

    # Segments: before the first key, between each pair of keys, after the last.
    for position, key in enumerate([None, *keys]):
        check_cancel()
        if key is not None:
            emit(key, key_areas[key], identity_matches(key_areas[key], palettes[key]), [key])
        start = 0 if key is None else key + 1
        after = keys[position] if position < len(keys) else None
        stop = n if after is None else after
        if start >= stop:
            continue
        segment = range(start, stop)
        areas = {}
        # Backward from the key after the segment (stored, compact), then forward from the key before it.
        backward: dict[int, _Stored] = {}
        if after is not None:
            back_ref = key_refs[after]
            for index in reversed(segment):
                check_cancel()
                areas[index] = find_areas(lines[index], style, settings)
                source = back_ref if settings.chain else key_refs[after]
                match = _match(areas[index], source, settings, mixes)
                back_ref = match.as_reference(areas[index], settings.min_rescue)
                backward[index] = _Stored.of(match)
                if index - start >= KEEP_AREAS:  # long segment: find these areas again going forward
                    del areas[index]
        ref = key_refs[key] if key is not None else None
        before: Reference | None = None  # the chain's reference before the latest (see _recall)
        for index in segment:
            check_cancel()
            if index not in areas:
                areas[index] = find_areas(lines[index], style, settings)
            candidates, used = [], []
            if key is not None and ref is not None:  # ref is None exactly where key is
                source = ref if settings.chain else key_refs[key]
                forward = _match(areas[index], source, settings, mixes)
                if settings.chain:
                    if settings.recall and before is not None:
                        forward = _recall(areas[index], forward, before, settings, mixes)
                    before = source
                candidates.append(forward)
                used.append(key)
                ref = forward.as_reference(areas[index], settings.min_rescue)
            if after is not None and index in backward:  # backward holds frames only where after is a key
                back = backward.pop(index).restore()
                # The nearer key goes first: it wins ties.
                if after is not None and key is not None and after - index < index - key:
                    candidates.insert(0, back)
                    used.insert(0, after)
                else:
                    candidates.append(back)
                    used.append(after)
            matches, picked = combine(candidates, areas[index].labels)
            chosen = np.unique(picked[1:][(areas[index].sizes[1:] > 0) & matches.matched[1:]])
            emit(index, areas.pop(index), matches, sorted({used[i] for i in chosen.tolist()}))
    return PaintResult(frames=frames, palettes=palettes)  # in frame order: keys sit between their segments


def _match(areas: Areas, ref: Reference, settings: PaintSettings,
           mixes: set[tuple[int, int]] | None = None) -> AreaMatches:
    """Motion votes, then a shape search for the areas they left unmatched."""
    flow = flow_to_reference(areas, ref.areas, settings)
    return rescue(areas, ref, vote(areas, ref, flow, settings, mixes), flow, settings)


def _recall(areas: Areas, matches: AreaMatches, before: Reference, settings: PaintSettings,
            mixes: set[tuple[int, int]] | None) -> AreaMatches:
    """Areas the chain left unmatched, looked up in the frame before the latest.

    One unsure frame (a hand blurred into the sleeve, a leg whose lines changed) would otherwise leave the
    area unpainted for the rest of the shot, while the frame before it still holds the area painted. Its
    motion is estimated afresh: chaining the two steps' flows would carry the noise that lost the area."""
    if matches.from_lost is None:
        return matches
    # Worth a look: unmatched areas that landed in areas the latest frame lost although the frame before
    # had them painted. A thing never painted (new in the shot) costs nothing.
    worth = ~matches.matched & (areas.sizes >= settings.min_rescue) & (matches.from_lost >= 0.5)
    worth[0] = False
    if not worth.any():
        return matches
    found = _match(areas, before, settings, mixes)
    found.matched &= worth
    return fill_unmatched(matches, found, areas.labels)


@dataclass
class _Stored:
    """AreaMatches kept compact while the other direction is computed (16-bit colour index per pixel)."""

    matches: AreaMatches

    @staticmethod
    def of(matches: AreaMatches) -> _Stored:
        if len(matches.table) < 65536:
            matches.pixel_index = matches.pixel_index.astype(np.uint16)
        return _Stored(matches)

    def restore(self) -> AreaMatches:
        self.matches.pixel_index = self.matches.pixel_index.astype(np.int32)
        return self.matches


def _describe(image: np.ndarray, areas: Areas, matches: AreaMatches, used: list[int],
              keep_details: bool) -> PaintedFrame:
    sizes = areas.sizes.astype(np.float64)
    total = max(float(sizes[1:].sum()), 1.0)
    painted_px = float(sizes[matches.matched].sum())
    confidence = float((sizes * matches.confidence).sum() / total)
    unmatched: list[dict[str, Any]] = [{"bbox": [int(v) for v in areas.bboxes[i]], "size": int(areas.sizes[i]),
                                        "confidence": round(float(matches.confidence[i]), 3)}
                                       for i in np.flatnonzero(~matches.matched) if i > 0 and areas.sizes[i] > 0]
    unmatched.sort(key=lambda u: -u["size"])
    return PaintedFrame(image=image, painted_share=painted_px / total, confidence=confidence, unmatched=unmatched,
                        keys=used, matches=matches if keep_details else None,
                        areas=areas if keep_details else None)
