"""`nakawari bench real DIR`: nakawari's modes against hold, cross-fade and a DIS warp-average on a folder of
real drawings (`<set>/<name>.####.png`), scored where a true inbetween exists and checked for harm where
none does; a Markdown report, per-case contact sheets and the numbers as JSON land in the output folder."""
from __future__ import annotations

import datetime
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ... import __version__
from ...errors import BadInput
from ...image import read_image
from ...jobs.keys import load_keys
from ...output import StagedOutput
from .cases import LINE_ART, Case, FrameSet, find_sets
from .methods import OK, Made, Method, is_ours, methods_for
from .report import CaseResult, Scored, render_report, summary_text
from .score import Reference, colour_scores, line_scores, over_white
from .sheets import contact_sheet, overlay

REPORT = "report.md"
QUICK_CASES = 2
DEFAULT_MODES = ("auto", "flow")
DEFAULT_OUT = "nakawari-bench-real"


@dataclass(frozen=True)
class RealSettings:
    folder: Path
    out: Path
    modes: tuple[str, ...] = DEFAULT_MODES
    quick: bool = False
    overwrite: bool = False
    device: str = "auto"


def bench_real(*, quick: bool = False, device: str = "auto", folder: str | None = None, out: str | None = None,
               modes: Sequence[str] | None = None, overwrite: bool = False) -> int:
    """The `bench` suite entry point (quick=, device= like every suite; the rest from `bench real`'s options)."""
    if folder is None:
        raise BadInput("bench real needs a folder of numbered frame sequences: nakawari bench real DIR")
    modes = tuple(m.strip() for m in (modes or DEFAULT_MODES) if m.strip())
    if not modes:
        raise BadInput("--modes names no mode; e.g. --modes auto,flow")
    return run_real(RealSettings(Path(folder), Path(out or DEFAULT_OUT), modes, quick, overwrite, device))


def run_real(settings: RealSettings) -> int:
    sets = find_sets(settings.folder, QUICK_CASES if settings.quick else None)
    cases = [case for frame_set in sets for case in frame_set.cases]
    if not cases:
        raise BadInput("holds no inbetween cases (every sequence is unreadable or only held drawings)",
                       settings.folder)
    methods = methods_for(settings.modes, settings.device)
    kinds = {frame_set.name: frame_set.kind for frame_set in sets}
    with StagedOutput(settings.out, overwrite=settings.overwrite) as output:
        output.refuse_existing([REPORT, *(sheet_name(case) for case in cases)])  # before the work, not after
        results = []
        for number, case in enumerate(cases, 1):
            print(f"[{number}/{len(cases)}] {case.set_name} {case.label}", file=sys.stderr, flush=True)
            results.append(run_case(case, kinds[case.set_name], methods, output))
        report = render_report(_header(settings, sets, cases), sets, results, list(methods))
        output.write_bytes(REPORT, report.encode("utf-8"))
        output.commit(_manifest(settings, results))
    print(summary_text(results, list(methods)))
    print(f"\nreport: {settings.out / REPORT}")
    return 0


def run_case(case: Case, kind: str, methods: dict[str, Method], output: StagedOutput) -> CaseResult:
    """Every method on one case; scores kept, frames only long enough to draw the contact sheet."""
    try:
        keys = [raster.rgba for raster in load_keys(case.keys)]
        truth = read_image(case.truth).rgba if case.truth is not None else None
    except BadInput as error:
        return CaseResult(case, kind, note=str(error))
    if truth is not None and truth.shape != keys[0].shape:
        return CaseResult(case, kind, note=f"truth is {truth.shape[1]}x{truth.shape[0]}, keys are "
                                           f"{keys[0].shape[1]}x{keys[0].shape[0]}")
    ref = Reference.of(keys, truth)
    made = {name: method(case, keys) for name, method in methods.items()}
    score = line_scores if kind == LINE_ART else colour_scores
    result = CaseResult(case, kind, sheet_name(case),
                        ref_pieces=float(ref.truth_pieces) if truth is not None else ref.key_pieces)
    for name, m in made.items():
        values = score(m.frame, ref) if m.status == OK and m.frame is not None else {}
        result.scores[name] = Scored(m.status, m.seconds, m.note, values, m.fallback)
    output.write_image(result.sheet, _sheet(keys, truth, made, ref, kind), transparent=False, bit_depth=8)
    return result


def _sheet(keys: list[np.ndarray], truth: np.ndarray | None, made: dict[str, Made], ref: Reference,
           kind: str) -> np.ndarray:
    levels = ref.levels if kind == LINE_ART else None
    tiles = [("key a", over_white(keys[0])), ("key b", over_white(keys[1]))]
    done: dict[str, tuple[Made, np.ndarray]] = {}
    for name, m in made.items():
        if m.status == OK and m.frame is not None:
            done[name] = (m, m.frame)
    tiles += [(_label(name, m), over_white(frame)) for name, (m, frame) in done.items()]
    if truth is not None:
        tiles.append(("truth", over_white(truth)))
    against = "truth" if truth is not None else "keys"
    tiles += [(f"{name.removeprefix('nakawari ')} (red) / {against}",
               overlay(frame, [truth] if truth is not None else keys, levels))
              for name, (_, frame) in done.items() if is_ours(name)]
    return contact_sheet(tiles)


def _label(name: str, made: Made) -> str:
    label = f"{name} -> {made.note}" if name == "nakawari auto" and made.note else name
    return f"{label} [{made.fallback}]" if made.fallback else label  # the self-check replaced (part of) it


def sheet_name(case: Case) -> str:
    """A flat, safe file name: the staged output writes into one folder."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", case.set_name).strip("-")
    return f"sheet-{safe}-{case.label}.png"


def _header(settings: RealSettings, sets: Sequence[FrameSet], cases: Sequence[Case]) -> list[str]:
    held = sum(frame_set.held for frame_set in sets)
    quick = " (--quick: at most 2 per set)" if settings.quick else ""
    now = datetime.datetime.now(datetime.UTC)
    return [f"- folder: `{settings.folder}`; {len(sets)} sets, {len(cases)} cases{quick}, {held} held triplets skipped",
            f"- nakawari {__version__}, modes {', '.join(settings.modes)}, device {settings.device}, "
            f"{now:%Y-%m-%d %H:%M} UTC",
            "- every inbetween at t = 0.5; each method run in this one process"]


def _manifest(settings: RealSettings, results: Sequence[CaseResult]) -> dict[str, object]:
    """The numbers behind the report, for scripts comparing runs."""
    return {
        "command": "bench real",
        "engine": __version__,
        "folder": str(settings.folder),
        "modes": list(settings.modes),
        "quick": settings.quick,
        "cases": [{
            "set": r.case.set_name, "keys": [str(p) for p in r.case.keys], "frames": list(r.case.frames),
            "truth": str(r.case.truth) if r.case.truth else None, "kind": r.kind, "sheet": r.sheet, "note": r.note,
            "methods": {name: {"status": s.status, "seconds": s.seconds, "note": s.note, "fallback": s.fallback,
                               **s.values}
                        for name, s in r.scores.items()},
        } for r in results],
    }
