"""Finding inbetween cases in a folder of real drawings for `nakawari bench real`.

A set is one folder's numbered frames of one name (`walk.0001.png`, `walk.0002.png`…), found anywhere
under the root. Wherever frames i, i+1 and i+2 all exist, i and i+2 are keys and i+1 is their true
inbetween, unless it repeats a key: animation held on twos or threes repeats a drawing, and a held
drawing is no inbetween. A set without any such triplet gives key pairs, which have no truth.
"""
from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np

from ...errors import BadInput
from ...image import LUMA, READ_SUFFIXES, parse_frame_name, read_image
from ...inbetween.represent import analyse_keys
from ...jobs.keys import load_keys

LINE_ART, COLOUR = "line art", "colour"
CHROMA = 0.12           # max - min of R, G, B: above it a pixel is coloured, not grey (the threshold auto uses)
COLOURED_SHARE = 0.02   # a frame with at least this share of coloured pixels is in colour
PAPER_LEVEL = 75.0      # percentile of gray taken as the paper's tone (scanned or photographed paper is not white)
PAPER_BAND = 0.12       # gray within this of the paper's tone is paper (lighting gradients of a photo stay inside)
HELD_STEP = 0.1        # a pixel that changed by more than this (of 1) was redrawn, not re-encoded
HELD_SHARE = 1e-4       # fewer changed pixels than this share: the same drawing (held frames from video measure ~0)
PAPER_SHARE = 0.8       # drawings on paper measure ≥ 0.94 of bare paper, film frames ≤ 0.72 on the development set


@dataclass(frozen=True)
class Case:
    """Two keys and, for a triplet, the true drawing halfway between them."""

    set_name: str
    keys: tuple[Path, Path]
    frames: tuple[int, int]     # the keys' frame numbers
    truth: Path | None = None   # None: a pair, judged without truth

    @property
    def label(self) -> str:
        a, b = self.frames
        return f"{a:04d}-{b:04d}"


@dataclass
class FrameSet:
    name: str                   # folder relative to the root ('/'-joined), plus the stem when a folder holds several
    kind: str = LINE_ART
    cases: list[Case] = field(default_factory=list)
    held: int = 0               # triplets skipped because the middle repeats a key
    note: str = ""              # why a set gives no cases (unreadable, mismatched sizes)


def find_sets(root: Path, max_cases: int | None = None) -> list[FrameSet]:
    """Every numbered sequence under `root` with its cases; `max_cases` keeps that many per set, spread
    over the sequence. BadInput when the root is missing or holds no sequence of two or more frames."""
    if not root.is_dir():
        raise BadInput("no such folder", root)
    groups = _numbered_groups(root)
    if not groups:
        raise BadInput("holds no numbered frame sequences (name.####.png, two or more frames)", root)
    return [_frame_set(name, frames, max_cases) for name, frames in groups.items()]


def _numbered_groups(root: Path) -> dict[str, dict[int, Path]]:
    found: dict[tuple[Path, str, str], dict[int, Path]] = defaultdict(dict)
    for walked, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            parsed = parse_frame_name(name)
            if parsed and parsed[2].lower() in READ_SUFFIXES:
                found[(Path(walked), parsed[0], parsed[2])][parsed[1]] = Path(walked) / name
    stems_in: dict[Path, int] = defaultdict(int)
    for folder, _, _ in found:
        stems_in[folder] += 1
    groups = {}
    for (folder, stem, _), frames in sorted(found.items(), key=lambda item: str(item[0])):
        if len(frames) < 2:
            continue
        relative = folder.relative_to(root).as_posix()
        name = root.name if relative == "." else relative
        groups[f"{name}/{stem}" if stems_in[folder] > 1 else name] = dict(sorted(frames.items()))
    return groups


def _frame_set(name: str, frames: dict[int, Path], max_cases: int | None) -> FrameSet:
    frame_set = FrameSet(name)
    try:
        triplets = [n for n in frames if n + 1 in frames and n + 2 in frames]
        cases = []
        loaded: dict[int, np.ndarray] = {}  # the three frames in view: triplets overlap, so each is read once
        for n in triplets:
            loaded = {k: loaded[k] if k in loaded else read_image(frames[k]).rgba for k in (n, n + 1, n + 2)}
            a, middle, b = loaded[n], loaded[n + 1], loaded[n + 2]
            if same_drawing(middle, a) or same_drawing(middle, b):
                frame_set.held += 1
                continue
            cases.append(Case(name, (frames[n], frames[n + 2]), (n, n + 2), frames[n + 1]))
        if not triplets:
            numbers = list(frames)
            cases = [Case(name, (frames[a], frames[b]), (a, b)) for a, b in pairwise(numbers)]
        if cases:
            frame_set.kind = classify(cases[0])
    except BadInput as error:
        frame_set.note = str(error)
        return frame_set
    frame_set.cases = _spread(cases, max_cases)
    return frame_set


def same_drawing(x: np.ndarray, y: np.ndarray) -> bool:
    """Equal arrays, or equal up to encoding noise: a held drawing saved from video or a lossy source is not
    bit-identical, yet holds the same lines (almost no pixel differs by more than HELD_STEP)."""
    if x.shape != y.shape:
        return False
    if np.array_equal(x, y):
        return True
    return float(np.mean(np.abs(x - y).max(axis=2) > HELD_STEP)) < HELD_SHARE


def classify(case: Case) -> str:
    """Line art or finished colour, judged on the keys as `--mode auto` judges them; frames with alpha are
    layers (line art or cels), and grey drawings on paper that auto takes for fills (rough, hatched
    sketches) are still drawings of lines: all suit the line-art checks. The rest is colour, including dark,
    desaturated film frames (grey, but not paper)."""
    keys = [raster.rgba for raster in load_keys(case.keys)]
    style = analyse_keys(keys)
    return LINE_ART if style.lineart or style.transparent or all(map(_grey_on_paper, keys)) else COLOUR


def _grey_on_paper(rgba: np.ndarray) -> bool:
    rgb = rgba[::2, ::2, :3]  # subsampled: the decision needs no full resolution
    coloured = float(np.mean(rgb.max(axis=2) - rgb.min(axis=2) > CHROMA))
    gray = rgb @ LUMA
    paper = float(np.mean(np.abs(gray - np.percentile(gray, PAPER_LEVEL)) < PAPER_BAND))
    return coloured < COLOURED_SHARE and paper >= PAPER_SHARE


def _spread(cases: list[Case], limit: int | None) -> list[Case]:
    """At most `limit` cases, evenly spread from the first to the last (a shot's start and end differ most)."""
    if limit is None or len(cases) <= limit:
        return cases
    picks = np.linspace(0, len(cases) - 1, limit).round().astype(int)
    return [cases[i] for i in sorted(set(picks.tolist()))]
