"""`nakawari bench paint [DIR]`: painting line frames from one painted key, against holding the key and a
DIS flow warp of the painted key, all run in this process on the same frames.

Synthetic (core/synth/paintseq.py, exact truth): tuned families and seeds, held-out seeds, held-out
families, each reported apart. A folder laid out as `line/<name>.####.png` and `colour/<name>.####.png`
(matching numbers): the first colour frame is the only painted key, the other colour frames are truth;
scored painted from that key and, frame by frame, each frame from the truth of the one before
("consecutive"), with the ceiling from that key (paint pixels whose colour is in its palette at all) and the
studio loop (frame by frame from the frame just painted, the artist painting what is left unpainted).
A folder with a single colour frame reports painted share and unmatched share only.

Metrics (docs/paint.md):
* paint px: exact colour on truth paint pixels: fill pixels (a palette colour, not paper) where the line frame
  is bare paper (synthetic) or at least `REAL_MARGIN` px from any line pixel (real: anti-aliased rims do not
  count; nor do truth pixels whose colour is no palette colour of the truth frame: blends, its own lines);
* areas: BasicPBC's measure: share of the line frame's closed areas (components of non-line pixels of at
  least `MIN_AREA` px, paper included) whose most common output colour is their most common truth colour;
* of painted: the same share among the paint pixels the method did paint (how often a colour is a wrong guess);
* unmatched: share of truth paint pixels left in the marker colour (transparent);
* off-palette: output pixels away from lines whose colour is not one of the key's palette colours (colours
  with pixels equal to their 4 neighbours in the painted key: blends across rims never are);
* removed: share of the warp's wrong paint pixels that this method gets right (issue 23 wants ≥ 0.5);
* s/frame: seconds per 1080p frame painted, wall clock and CPU time of this process (on a machine shared
  with other work the CPU time is the fairer figure; the load average is printed beside it).
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..baselines import dis_flow
from ..errors import BadInput
from ..image import parse_frame_name, read_image
from ..inbetween.warp import warp_field
from ..paint import PaintSettings, paint_frames
from ..synth.paintseq import (
    FAMILIES,
    HELD_OUT_FAMILIES,
    HELD_OUT_SEEDS,
    TUNED_SEEDS,
    paint_case,
    paint_suite,
)
from ..table import format_table

TARGET_ACCURACY = 0.96
TARGET_REMOVED = 0.5
TARGET_SECONDS = 1.0
REAL_MARGIN = 2.0    # px from the nearest line pixel: real truth is anti-aliased next to the lines
REAL_INK = 235       # a real line frame's pixel darker than this (any channel, 0-255) is line
BARE = 250           # ... and one at least this light in every channel has no mark at all
MIN_AREA = 8         # closed areas smaller than this are specks between lines, not areas
PALETTE_MIN_PX = 2   # a key colour with fewer pixels like its 4 neighbours is a blend, not a palette colour
UNMATCHED = -1       # colour code of a transparent (unpainted) output pixel

# method name → paints frames 1.. of a shot from frame 0's painted key: (lines, key) → outputs for frames 1..
Method = Callable[[Sequence[np.ndarray], np.ndarray], list[np.ndarray]]


def paint_method(lines: Sequence[np.ndarray], key: np.ndarray) -> list[np.ndarray]:
    result = paint_frames(lines, {0: key}, PaintSettings())
    images = []
    for frame in result.frames[1:]:
        assert frame.image is not None  # no on_frame given: every frame keeps its image
        images.append(frame.image)
    return images


def hold_method(lines: Sequence[np.ndarray], key: np.ndarray) -> list[np.ndarray]:
    return [key.copy() for _ in lines[1:]]


def warp_method(lines: Sequence[np.ndarray], key: np.ndarray) -> list[np.ndarray]:
    """The painted key pulled along DIS flow from each line frame to the key's line frame (bilinear)."""
    return [warp_field(key, dis_flow(line, lines[0])) for line in lines[1:]]


METHODS: dict[str, Method] = {"nakawari paint": paint_method, "hold key": hold_method, "DIS warp of key": warp_method}


def codes(rgba: np.ndarray) -> np.ndarray:
    """HxW int64 exact 8-bit colour code of each pixel; UNMATCHED where (mostly) transparent."""
    u8 = np.round(np.clip(rgba[..., :3], 0, 1) * 255).astype(np.int64)
    out = (u8[..., 0] << 16) | (u8[..., 1] << 8) | u8[..., 2]
    if rgba.shape[2] == 4:
        out[rgba[..., 3] < 0.5] = UNMATCHED
    return out


@dataclass
class Frame:
    """What a frame is scored on: the truth colour codes, its paint pixels and the line frame's open pixels."""

    truth: np.ndarray     # HxW int64 codes
    paint: np.ndarray     # HxW bool: truth paint pixels
    bare: np.ndarray      # HxW bool: away from the lines (where off-palette colours are counted)
    open_: np.ndarray     # HxW bool: not line (closed areas are its components)


@dataclass
class Tally:
    """Pixel and area counts of one method over many frames."""

    right: int = 0
    paint: int = 0
    unmatched: int = 0
    areas_right: int = 0
    areas: int = 0
    off_palette: int = 0
    right_where_warp_wrong: int = 0
    warp_wrong: int = 0

    def add(self, frame: Frame, out: np.ndarray, palette: set[int], warp: np.ndarray | None) -> None:
        got = codes(out)
        ok = (got == frame.truth) & frame.paint
        self.right += int(ok.sum())
        self.paint += int(frame.paint.sum())
        self.unmatched += int(((got == UNMATCHED) & frame.paint).sum())
        right, total = area_score(frame.open_, frame.truth, got)
        self.areas_right += right
        self.areas += total
        away = got[frame.bare]
        self.off_palette += int((~np.isin(away, list(palette)) & (away != UNMATCHED)).sum())
        if warp is not None:
            wrong = frame.paint & (codes(warp) != frame.truth)
            self.warp_wrong += int(wrong.sum())
            self.right_where_warp_wrong += int((ok & wrong).sum())

    def row(self, name: str) -> list[Any]:  # the name, then numbers
        removed = self.right_where_warp_wrong / self.warp_wrong if self.warp_wrong else float("nan")
        return [name, self.right / max(self.paint, 1), self.right / max(self.paint - self.unmatched, 1),
                self.areas_right / max(self.areas, 1), self.unmatched / max(self.paint, 1), self.off_palette, removed]


def area_score(open_: np.ndarray, truth: np.ndarray, got: np.ndarray) -> tuple[int, int]:
    """(areas whose most common output colour is their most common truth colour, areas counted)."""
    n, labels = cv2.connectedComponents(open_.astype(np.uint8), connectivity=4)
    lab = labels[open_]
    sizes = np.bincount(lab, minlength=n)
    counted = sizes >= MIN_AREA
    counted[0] = False
    return int((_mode(lab, truth[open_], n) == _mode(lab, got[open_], n))[counted].sum()), int(counted.sum())


def _mode(labels: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """(n,) the most common value per label."""
    order = np.lexsort((values, labels))
    lab, val = labels[order], values[order]
    start = np.flatnonzero(np.r_[True, (lab[1:] != lab[:-1]) | (val[1:] != val[:-1])])
    run = np.diff(np.r_[start, len(lab)])
    best = np.lexsort((-run, lab[start]))
    first = np.r_[True, lab[start][best][1:] != lab[start][best][:-1]]
    out = np.full(n, np.iinfo(np.int64).min, np.int64)
    out[lab[start][best][first]] = val[start][best][first]
    return out


# --- synthetic ---------------------------------------------------------------------------------------

def _synthetic_frame(truth_rgb: np.ndarray, paint: np.ndarray, line: np.ndarray) -> Frame:
    bare = (np.round(line[..., :3] * 255) == 255).all(axis=2)
    return Frame(truth=codes(truth_rgb.astype(np.float32) / 255.0), paint=paint, bare=bare, open_=bare)


def bench_synthetic(quick: bool) -> tuple[list[list[object]], dict[str, dict[str, Tally]]]:
    seeds_tuned = TUNED_SEEDS[:1] if quick else TUNED_SEEDS
    seeds_held = HELD_OUT_SEEDS[:1] if quick else HELD_OUT_SEEDS
    frames = 4 if quick else 6
    groups = {
        "tuned families, tuned seeds": paint_suite(seeds_tuned, FAMILIES, frames=frames),
        "tuned families, held-out seeds": paint_suite(seeds_held, FAMILIES, frames=frames),
        "held-out families": paint_suite(seeds_tuned + seeds_held, HELD_OUT_FAMILIES, frames=frames),
    }
    tallies: dict[str, dict[str, Tally]] = {}
    rows: list[list[object]] = []
    for group, cases in groups.items():
        tallies[group] = {name: Tally() for name in METHODS}
        for case in cases:
            palette = key_palette(case.key)
            outputs = {name: method(case.lines, case.key) for name, method in METHODS.items()}
            for i, (truth_rgb, paint) in enumerate(case.truth[1:]):
                frame = _synthetic_frame(truth_rgb, paint, case.lines[i + 1])
                warp = outputs["DIS warp of key"][i]
                for name in METHODS:
                    tallies[group][name].add(frame, outputs[name][i], palette, warp)
        rows += [[f"{group}: {name}", *tally.row(name)[1:]] for name, tally in tallies[group].items()]
    return rows, tallies


def bench_speed() -> list[tuple[str, float, float]]:
    """Seconds per 1080p frame of a synthetic shot painted from one key (its setup shared by the shot's frames),
    wall clock and CPU time of this process (CPU time says more on a shared machine), paint and the warp."""
    case = paint_case("slide", 0, size=(1920, 1080), frames=6)  # quick too: one key shared by 5 frames
    rows = []
    for name in ("nakawari paint", "DIS warp of key"):
        wall, cpu = time.perf_counter(), time.process_time()
        METHODS[name](case.lines, case.key)
        painted = len(case.lines) - 1
        rows.append((name, (time.perf_counter() - wall) / painted, (time.process_time() - cpu) / painted))
    return rows


# --- real folders ------------------------------------------------------------------------------------

def _numbered(folder: Path) -> dict[int, Path]:
    out = {}
    for path in sorted(folder.glob("*.png")):
        parsed = parse_frame_name(path)
        if parsed is not None:
            out[parsed[1]] = path
    return out


def _rgba(path: Path) -> np.ndarray:
    return np.ascontiguousarray(read_image(path).rgba, dtype=np.float32)


def _real_frame(line: np.ndarray, truth: np.ndarray, paper: int) -> Frame:
    u8 = np.round(line[..., :3] * 255)
    ink: np.ndarray = np.any(u8 < REAL_INK, axis=2)
    away = cv2.distanceTransform((~ink).astype(np.uint8), cv2.DIST_L2, 3) >= REAL_MARGIN
    truth_codes = codes(truth)
    # Off-palette colours are counted where the line frame has no mark at all (a faint mark is drawn over the fill).
    bare = away & (u8 >= BARE).all(axis=2)
    # Paint pixels hold one of the truth's own palette colours (as on the synthetic truth): blends and the
    # colour frame's own line pixels are no fill any method could be asked to reproduce.
    paint = away & (truth_codes != paper) & np.isin(truth_codes, list(key_palette(truth)))
    return Frame(truth=truth_codes, paint=paint, bare=bare, open_=~ink)


def key_palette(key: np.ndarray) -> set[int]:
    """The painted key's palette: colours with at least `PALETTE_MIN_PX` pixels equal to their 4 neighbours.

    Read off the painted frame alone (no line frame, no engine): anti-aliased blends at line rims and soft
    edges change across the rim, so they never fill a plus-shaped patch; fills, thin sashes and eyes do."""
    c = codes(key)
    centre = c[1:-1, 1:-1]
    flat = ((c[:-2, 1:-1] == centre) & (c[2:, 1:-1] == centre) & (c[1:-1, :-2] == centre)
            & (c[1:-1, 2:] == centre))
    values, counts = np.unique(centre[flat], return_counts=True)
    return {int(v) for v in values[counts >= PALETTE_MIN_PX]}


def paper_colour(key: np.ndarray) -> int:
    """The most common colour on the painted key's border."""
    c = codes(key)
    border = np.concatenate([c[0], c[-1], c[:, 0], c[:, -1]])
    values, counts = np.unique(border, return_counts=True)
    return int(values[counts.argmax()])


def bench_real(folder: Path, quick: bool) -> list[str]:
    """Tables for one folder (`line/`, `colour/`)."""
    lines_at, colour_at = _numbered(folder / "line"), _numbered(folder / "colour")
    if not lines_at or not colour_at:
        raise BadInput("needs line/<name>.####.png and colour/<name>.####.png frames", folder)
    numbers = sorted(lines_at)
    key_number = min(colour_at)
    if key_number not in lines_at:
        raise BadInput(f"colour frame {key_number} has no line frame", folder)
    numbers = [n for n in numbers if n >= key_number][: 8 if quick else None]
    lines = [_rgba(lines_at[n]) for n in numbers]
    key = _rgba(colour_at[key_number])
    palette, paper = key_palette(key), paper_colour(key)
    out = []
    truths = {n: _rgba(colour_at[n]) for n in numbers[1:] if n in colour_at}
    if not truths:  # nothing to score against: what got painted
        start = time.perf_counter()
        result = paint_frames(lines, {0: key}, PaintSettings())
        seconds = (time.perf_counter() - start) / max(len(lines) - 1, 1)
        rows = []
        for n, painted in zip(numbers[1:], result.frames[1:]):
            unmatched = sum(u["size"] for u in painted.unmatched)
            rows.append([f"frame {n}", painted.painted_share, unmatched])
        out.append(format_table(f"{folder.name}: painted from frame {key_number} (no truth: painted share only; "
                                f"{seconds:.2f} s/frame at {lines[0].shape[1]}x{lines[0].shape[0]})",
                                ["frame", "painted share", "unmatched px"], rows))
        return out
    # Painted from the one key.
    tallies = {name: Tally() for name in METHODS}
    outputs = {name: method(lines, key) for name, method in METHODS.items()}
    for i, n in enumerate(numbers[1:]):
        if n not in truths:
            continue
        frame = _real_frame(lines[i + 1], truths[n], paper)
        for name in METHODS:
            tallies[name].add(frame, outputs[name][i], palette, outputs["DIS warp of key"][i])
    out.append(_real_table(f"{folder.name}: frames {numbers[1]}-{numbers[-1]} painted from frame {key_number} only",
                           tallies))
    out.append(_ceiling(lines, truths, numbers, paper, palette))
    out.append(_artist_loop(lines, key, truths, numbers, paper, palette))
    # Consecutive: each frame from the truth of the one before (the next-frame case, as painters go).
    tallies = {name: Tally() for name in METHODS}
    for i, n in enumerate(numbers[1:]):
        previous = numbers[i]
        if n not in truths or (previous != key_number and previous not in truths):
            continue
        source = key if previous == key_number else truths[previous]
        pair = [lines[i], lines[i + 1]]
        src_palette = key_palette(source)
        frame = _real_frame(pair[1], truths[n], paper)
        results = {name: method(pair, source)[0] for name, method in METHODS.items()}
        for name in METHODS:
            tallies[name].add(frame, results[name], src_palette, results["DIS warp of key"])
    out.append(_real_table(f"{folder.name}: each frame painted from the truth of the frame before", tallies))
    return out


def _ceiling(lines: list[np.ndarray], truths: dict[int, np.ndarray], numbers: list[int], paper: int,
             palette: set[int]) -> str:
    """The share of truth paint pixels whose colour is in the key's palette: no method that paints with the
    key's colours only (and leaves what is new to the artist) can score more from that key."""
    inside = total = 0
    for i, n in enumerate(numbers[1:]):
        if n in truths:
            frame = _real_frame(lines[i + 1], truths[n], paper)
            inside += int((frame.paint & np.isin(frame.truth, list(palette))).sum())
            total += int(frame.paint.sum())
    return (f"ceiling from the key alone: {inside / max(total, 1):.3f} of the paint pixels have a colour of the "
            f"key's palette (the rest are things the key does not hold: left for the artist)")


def _artist_loop(lines: list[np.ndarray], key: np.ndarray, truths: dict[int, np.ndarray], numbers: list[int],
                 paper: int, palette: set[int]) -> str:
    """Painting as a studio does it: frame by frame from the frame just painted, the artist painting the
    areas left unpainted (here: their truth) before the next frame is painted from it. Scored before the
    artist's fix: how right the automatic colours are, and how much the artist had to paint."""
    tally, flagged, previous, known = Tally(), 0, key, set(palette)
    for i, n in enumerate(numbers[1:]):
        if n not in truths:
            break
        painted = paint_frames([lines[i], lines[i + 1]], {0: previous}, PaintSettings()).frames[1]
        assert painted.image is not None
        frame = _real_frame(lines[i + 1], truths[n], paper)
        tally.add(frame, painted.image, known, None)
        known |= key_palette(truths[n])  # the artist's colours join the palette for the frames after
        flagged += len(painted.unmatched)
        left = painted.image[..., 3] < 0.5
        previous = np.where(left[..., None], truths[n], painted.image)
    return format_table(f"frame by frame from frame {numbers[0]}, the artist painting what is left unpainted "
                        f"({flagged} areas over {len(numbers) - 1} frames; scored before the artist's fix)",
                        HEADER[:6], [tally.row("nakawari paint + artist")[:6]])


def _real_table(title: str, tallies: dict[str, Tally]) -> str:
    return format_table(title, HEADER, [tally.row(name) for name, tally in tallies.items()])


HEADER = ["method", "paint px", "of painted", "areas", "unmatched", "off-palette px", "warp's wrong px removed"]


def bench_paint(quick: bool = False, device: str = "auto", real: str | Path | None = None) -> int:
    """Print the tables and whether the held-out synthetic groups meet issue 23's targets (exit 0 either way)."""
    del device  # CPU only
    if real is not None:
        folder = Path(real)
        if not folder.is_dir():
            raise BadInput("is not a folder", folder)
        for table in bench_real(folder, quick):
            print(table + "\n", flush=True)
        return 0
    rows, tallies = bench_synthetic(quick)
    print(format_table("bench paint: synthetic shots painted from frame 0 only (core/synth/paintseq.py)",
                       HEADER, rows) + "\n", flush=True)
    speed = bench_speed()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(format_table(f"seconds per 1080p frame ({os.cpu_count()} cores, load average {load:.1f}, same process)",
                       ["method", "wall s/frame", "CPU s/frame"], speed), flush=True)
    met = True
    for group in ("tuned families, held-out seeds", "held-out families"):
        ours = tallies[group]["nakawari paint"].row("")
        met &= ours[1] >= TARGET_ACCURACY and ours[6] >= TARGET_REMOVED and ours[5] == 0
    met &= min(speed[0][1], speed[0][2]) <= TARGET_SECONDS  # CPU time where the machine is shared
    print(f"\ntargets (held-out: paint px ≥ {TARGET_ACCURACY}, ≥ {TARGET_REMOVED:.0%} of the warp's wrong pixels "
          f"removed, 0 off-palette; ≤ {TARGET_SECONDS} s a 1080p frame): {'met' if met else 'NOT met'}")
    return 0
