"""`nakawari bench cels`, real-looking part: composites with exact masks, and a folder of real frames.

Real composites: our figures over `scene_background` scenes with grade, glow and JPEG (`synth.composite`),
on seeds no threshold was tuned on (the held-out seeds below; development used others). Real frames
(`nakawari bench cels DIR --out SHEETS`): every sequence folder under DIR (numbered frames) gets a contact
sheet — each frame beside its single-frame and shot masks, background dimmed blue — and its cel shares.
There is no truth there: the sheets are for looking.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

from ..cels import cel_mask, separate_shot
from ..cels.score import Confusion
from ..cels.settings import DEFAULT_CELS, CelSettings
from ..errors import BadInput
from ..image import parse_frame_name, read_image
from ..synth.celframes import CelFrame, to_u8
from ..synth.composite import CompositeShot, composite_shot_suite, composite_suite
from ..table import format_table

HELD_OUT_FRAMES = 900   # seeds never used while tuning (development: 100-199)
HELD_OUT_SHOTS = 901
TARGET_ACCURACY = 0.95
TARGET_IOU = 0.85
TARGET_SHOT = 0.97
SHEET_WIDTH = 1500      # px, a contact sheet's width at most

FrameMethod = Callable[[np.ndarray], np.ndarray]


def score_cases(cases: Sequence[CelFrame], method: FrameMethod) -> Confusion:
    total = Confusion.empty()
    for case in cases:
        total += Confusion.of(method(case.rgb), case.mask)
    return total


def score_composite_shots(shots: Sequence[CompositeShot], settings: CelSettings = DEFAULT_CELS) -> Confusion:
    total = Confusion.empty()
    for shot in shots:
        result = separate_shot(shot.frames, settings=settings)
        for mask, truth in zip(result.masks, shot.masks):
            total += Confusion.of(mask, truth)
    return total


def score_shot_frames(shots: Sequence[CompositeShot], method: FrameMethod) -> Confusion:
    total = Confusion.empty()
    for shot in shots:
        for frame, truth in zip(shot.frames, shot.masks):
            total += Confusion.of(method(frame), truth)
    return total


def bench_composites(methods: dict[str, FrameMethod], shot_name: str, quick: bool,
                     settings: CelSettings = DEFAULT_CELS) -> None:
    """Print the real-composite table and its targets."""
    size = (960, 540)
    n_frames, n_shots, length = (8, 4, 6) if quick else (24, 8, 10)
    frames = composite_suite(size, n_frames, seed=HELD_OUT_FRAMES)
    shots = composite_shot_suite(size, n_shots, length, seed=HELD_OUT_SHOTS)
    rows = []
    single: Confusion | None = None
    for name, method in methods.items():
        f, s = score_cases(frames, method), score_shot_frames(shots, method)
        rows.append([name, f"{100 * f.accuracy:.1f}%", f"{100 * f.iou:.1f}%", f"{100 * s.accuracy:.1f}%",
                     f"{100 * s.iou:.1f}%"])
        if name == "nakawari single-frame":
            single = f
    shot = score_composite_shots(shots, settings)
    rows.append([shot_name, "—", "—", f"{100 * shot.accuracy:.1f}%", f"{100 * shot.iou:.1f}%"])
    print(format_table(f"real composites (held-out seeds), 960x540: {n_frames} frames (scenes: day, dusk, night, "
                       f"interior; grade, glow, JPEG 60-95); {n_shots} shots x {length} frames (static, pan, zoom, "
                       "rotate; held figures, a walker that stops)",
                       ["method", "frames acc", "frames cel IoU", "shots acc", "shots cel IoU"], rows))
    if single is not None:
        print("nakawari single-frame, real composites:")
        print(single.table())
        for label, value, target in (("accuracy", single.accuracy, TARGET_ACCURACY),
                                     ("cel IoU", single.iou, TARGET_IOU)):
            print(f"  single-frame {label}: {100 * value:.1f}% (target ≥ {100 * target:.0f}%): "
                  f"{'met' if value >= target else 'MISSED'}")
    print(f"  shot accuracy: {100 * shot.accuracy:.1f}% (target ≥ {100 * TARGET_SHOT:.0f}%): "
          f"{'met' if shot.accuracy >= TARGET_SHOT else 'MISSED'}")


def sequences(folder: Path) -> list[tuple[str, list[Path]]]:
    """Folders under ``folder`` (itself included) holding numbered frames, with those frames in order."""
    found = []
    for directory in sorted({folder, *(p for p in folder.rglob("*") if p.is_dir())}):
        parsed = ((parse_frame_name(p), p) for p in directory.iterdir() if p.is_file())
        numbered = sorted((name[1], p) for name, p in parsed if name is not None)
        if numbered:
            found.append((str(directory.relative_to(folder)) or directory.name, [p for _, p in numbered]))
    return found


def _dimmed(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = rgb.copy()
    out[~mask] = out[~mask] * 0.3 + np.array([0.06, 0.06, 0.25], np.float32)
    return out


def contact_sheet(frames: Sequence[np.ndarray], singles: Sequence[np.ndarray],
                  shots: Sequence[np.ndarray] | None) -> np.ndarray:
    """One row per frame: the frame, its single-frame mask, its shot mask (background dimmed blue)."""
    rows = []
    for i, frame in enumerate(frames):
        row = [frame, _dimmed(frame, singles[i])] + ([_dimmed(frame, shots[i])] if shots is not None else [])
        rows.append(np.concatenate(row, axis=1))
    sheet = np.concatenate(rows, axis=0)
    if sheet.shape[1] > SHEET_WIDTH:
        scale = SHEET_WIDTH / sheet.shape[1]
        sheet = cv2.resize(sheet, (SHEET_WIDTH, max(1, round(sheet.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    return sheet


def check_real_folder(folder: Path) -> list[tuple[str, list[Path]]]:
    """The sequences under ``folder``; BadInput when it is no folder or holds no numbered frames."""
    if not folder.is_dir():
        raise BadInput("not a folder of frame sequences", folder)
    found = sequences(folder)
    if not found:
        raise BadInput("no numbered frames (name.0001.png) in it or its sub-folders", folder)
    return found


def bench_real_folder(folder: Path, out: Path, max_frames: int = 4, settings: CelSettings = DEFAULT_CELS) -> None:
    """Contact sheets and cel shares for every sequence under ``folder``; at most ``max_frames`` per sequence
    (evenly spread)."""
    found = check_real_folder(folder)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, paths in found:
        picks = [paths[round(k)] for k in np.linspace(0, len(paths) - 1, min(max_frames, len(paths)))]
        frames = [read_image(p).rgba[..., :3] for p in picks]
        if len({f.shape for f in frames}) > 1:
            rows.append([name, len(frames), "frames differ in size", "", ""])
            continue
        singles = [cel_mask(f, settings) for f in frames]
        shot = separate_shot(frames, settings=settings) if len(frames) > 1 else None
        sheet = contact_sheet(frames, singles, shot.masks if shot else None)
        target = out / (name.replace("/", "_") + ".png")
        cv2.imwrite(str(target), to_u8(sheet)[..., ::-1])
        rows.append([name, len(frames), " ".join(f"{100 * m.mean():.0f}%" for m in singles),
                     " ".join(f"{100 * m.mean():.0f}%" for m in shot.masks) if shot else "—",
                     shot.camera if shot else "—"])
    print(format_table(f"real frames under {folder} (no truth: look at the sheets in {out})",
                       ["sequence", "frames", "single-frame cel share", "shot cel share", "camera"], rows))
