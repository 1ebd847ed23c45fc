"""A shot folder: key drawings `name.####.png` plus an optional `shot.json`, read into effective settings.

shot.json (every entry optional):
    {"keys": [1, 9, 17],                                  key frame numbers that must have files
     "timing": {"count": 3, "ease": "ease-in-out:2"}      inbetweens per gap, spacing
               or {"step": 2},                            an inbetween every 2 frames (on twos);
                                                          default: every frame between the keys (on ones)
     "line_width": 2.5,                                   inbetween line width in px
     "jobs": ["inbetween", "douga", "cels"],              overrides `--jobs` for this shot
     "douga": {"line_width": 3, "raw": false},
     "paint": {"gap": 4, "unmatched": "transparent"}}    paint job: painted keys in painted/<name>.####.png
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..image import parse_frame_name
from ..jobs.paint import parse_colour
from ..jobs.registry import SHOT_JOBS as JOBS  # in run order: inbetweens feed douga, cels and paint
from ..timing import parse_ease

SHOT_FILE = "shot.json"
_TOP_KEYS = {"keys", "timing", "line_width", "jobs", "douga", "paint"}
_TIMING_KEYS = {"count", "step", "ease"}
_DOUGA_KEYS = {"line_width", "raw"}
_PAINT_KEYS = {"gap", "unmatched"}
PAINTED_DIR = "painted"  # the paint job's painted keys: <shot>/painted/<name>.####.png


class ShotProblem(BadInput):
    """A problem an artist fixes in one shot: names the shot, the file and what is wrong."""

    def __init__(self, shot: str, problem: str, file: str | None = None) -> None:
        super().__init__(problem, f"{shot}/{file}" if file else shot)  # "sh010/walk.0005.png: corrupt …"
        self.shot, self.file = shot, file


@dataclass(frozen=True)
class KeyFile:
    path: Path
    stem: str
    frame: int
    digits: int


def scan_keys(shot_dir: Path) -> tuple[list[KeyFile], list[str]]:
    """Key files in frame order, and the names of PNGs that do not follow `name.####.png`."""
    keys, strays = [], []
    for path in sorted(shot_dir.iterdir()):
        if path.name.startswith(".") or path.suffix.lower() != ".png":
            continue
        parsed = parse_frame_name(path)
        if parsed is None:
            strays.append(path.name)
            continue
        stem, frame, _ = parsed
        keys.append(KeyFile(path, stem, frame, digits=len(path.stem) - len(stem) - 1))  # "walk.0009" → 4
    keys.sort(key=lambda key: (key.frame, key.path.name))
    return keys, strays


def read_shot_json(shot: str, shot_dir: Path) -> dict[str, Any]:
    path = shot_dir / SHOT_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ShotProblem(shot, f"cannot be read ({error})", SHOT_FILE) from None
    except json.JSONDecodeError as error:
        raise ShotProblem(shot, f"is not valid JSON (line {error.lineno}: {error.msg})", SHOT_FILE) from None
    if not isinstance(data, dict):
        raise ShotProblem(shot, "must hold a JSON object {...}", SHOT_FILE)
    return data


def shot_settings(shot: str, data: dict[str, Any], default_jobs: tuple[str, ...]) -> dict[str, Any]:
    """Validated effective settings (plain JSON values, so they compare with a published manifest's)."""
    def problem(text: str) -> ShotProblem:
        return ShotProblem(shot, text, SHOT_FILE)

    _refuse_unknown(data, _TOP_KEYS, "", problem)
    timing = data.get("timing", {})
    douga = data.get("douga", {})
    paint = data.get("paint", {})
    for name, value, known in (("timing", timing, _TIMING_KEYS), ("douga", douga, _DOUGA_KEYS),
                               ("paint", paint, _PAINT_KEYS)):
        if not isinstance(value, dict):
            raise problem(f'"{name}" must be an object {{...}}')
        _refuse_unknown(value, known, f"{name}.", problem)

    keys = data.get("keys")
    if keys is not None and not (isinstance(keys, list) and len(keys) >= 2
                                 and all(_is_int(k) and k >= 0 for k in keys)):
        raise problem('"keys" must list at least two frame numbers, e.g. [1, 9]')
    if keys is not None and sorted(set(keys)) != keys:
        raise problem('"keys" must be frame numbers in increasing order, each once')

    count, step = timing.get("count"), timing.get("step")
    if count is not None and step is not None:
        raise problem('"timing" gives both "count" and "step"; give one')
    for name, value in (("count", count), ("step", step)):
        if value is not None and not (_is_int(value) and value >= 1):
            raise problem(f'"timing.{name}" must be a whole number ≥ 1, got {json.dumps(value)}')
    ease_text = timing.get("ease", "linear")
    try:
        ease = parse_ease(str(ease_text))
    except ValueError as error:
        raise problem(f'"timing.ease": {error}') from None
    if count is None and ease.name != "linear":
        raise problem('"timing.ease" applies to "count"; with "step" (or no timing, on ones) frames are evenly spaced')
    if count is None and step is None:
        step = 1  # keys sit at their frame numbers: by default every missing frame between them is drawn (on ones)

    line_width = data.get("line_width")
    douga_width = douga.get("line_width", 3.0)
    for name, value in (("line_width", line_width), ("douga.line_width", douga_width)):
        if value is not None and not (_is_number(value) and 0.5 <= value <= 50):
            raise problem(f'"{name}" must be a width in px between 0.5 and 50, got {json.dumps(value)}')
    if not isinstance(douga.get("raw", False), bool):
        raise problem('"douga.raw" must be true or false')
    gap = paint.get("gap", 4.0)
    if not (_is_number(gap) and 0 <= gap <= 64):
        raise problem(f'"paint.gap" must be a gap in px between 0 and 64, got {json.dumps(gap)}')
    unmatched = paint.get("unmatched", "transparent")
    try:
        parse_colour(unmatched if isinstance(unmatched, str) else "?")
    except BadInput:
        raise problem('"paint.unmatched" must be "transparent", "#rrggbb" or "r,g,b", '
                      f"got {json.dumps(unmatched)}") from None

    jobs = data.get("jobs", list(default_jobs))
    if not (isinstance(jobs, list) and jobs and all(isinstance(job, str) for job in jobs)):
        raise problem(f'"jobs" must list job names, e.g. ["inbetween"]; known jobs: {", ".join(JOBS)}')
    unknown = [job for job in jobs if job not in JOBS]
    if unknown:
        raise problem(f'unknown job "{unknown[0]}" in "jobs"; known jobs: {", ".join(JOBS)}')
    settings = {
        "jobs": [job for job in JOBS if job in jobs],  # run order is fixed: inbetweens feed douga, cels, paint
        "keys": keys,
        "count": count,
        "step": step,
        "ease": {"name": ease.name, "strength": ease.strength},
        "line_width": None if line_width is None else float(line_width),
        "douga": {"line_width": float(douga_width), "raw": bool(douga.get("raw", False))},
    }
    if "paint" in jobs:  # only then: shots published before the paint job stay up to date
        settings["paint"] = {"gap": float(gap), "unmatched": unmatched}
    return settings


def step_times(key_frames: list[int], step: int) -> list[float]:
    """Frames every `step` frames strictly between consecutive keys (animation on ones, twos, threes…)."""
    return [float(frame) for a, b in zip(key_frames, key_frames[1:]) for frame in range(a + step, b, step)]


def _refuse_unknown(data: dict[str, Any], known: set[str], prefix: str, problem) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise problem(f'unknown entry "{prefix}{unknown[0]}"; known: {", ".join(sorted(known))}')


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
