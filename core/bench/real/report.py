"""Tables and the Markdown report of `nakawari bench real`.

Ratios and differences against a baseline are taken over the cases where both methods made a frame, so a
mode that refuses the hard cases does not look better for it.
"""
from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from ...table import format_table
from .cases import COLOUR, LINE_ART, Case, FrameSet
from .methods import FADE, OK, UNAVAILABLE, WARP, is_ours

BELOW_FADE_DB = 0.5   # a colour frame this much below the cross-fade's PSNR lost to the simplest baseline

LINE_HEADER = ["method", "triplets", "mean CD px", "CD / warp-avg", "clean", "pieces / ref", "specks/frame",
               "ink / ref", "blank", "fell back", "not run", "s/frame"]
COLOUR_HEADER = ["method", "triplets", "mean PSNR dB", "mean SSIM", "dB vs warp-avg", "dB vs fade",
                 f"> {BELOW_FADE_DB} dB below fade", "harm", "fell back", "not run", "s/frame"]


@dataclass
class Scored:
    """One method on one case: its status and scores (the frame itself is not kept)."""

    status: str
    seconds: float = 0.0
    note: str = ""
    values: dict[str, float] = field(default_factory=dict)
    fallback: str = ""      # ours: what the engine's self-check substituted for its frame, "" for nothing


@dataclass
class CaseResult:
    case: Case
    kind: str
    sheet: str = ""
    ref_pieces: float = 0.0                 # the truth's pieces, else the keys' mean
    scores: dict[str, Scored] = field(default_factory=dict)
    note: str = ""                          # why the case could not be run


_NONE = Scored(UNAVAILABLE)  # a case that could not be loaded has no scores at all


def summary_table(title: str, kind: str, results: Sequence[CaseResult], methods: Sequence[str]) -> str:
    results = [r for r in results if r.kind == kind and r.scores]
    rows = [(_line_row if kind == LINE_ART else _colour_row)(method, results) for method in methods]
    return format_table(title, LINE_HEADER if kind == LINE_ART else COLOUR_HEADER, rows)


def _ok(results: Sequence[CaseResult], method: str, key: str | None = None) -> list[CaseResult]:
    return [r for r in results if r.scores[method].status == OK and (key is None or key in r.scores[method].values)]


def _values(results: Sequence[CaseResult], method: str, key: str) -> list[float]:
    return [r.scores[method].values[key] for r in _ok(results, method, key)]


def _mean(values: Sequence[float]) -> float | str:
    return statistics.fmean(values) if values else "-"


def _paired(results: Sequence[CaseResult], method: str, other: str, key: str) -> list[tuple[float, float]]:
    both = [r for r in _ok(results, method, key) if r.scores[other].status == OK and key in r.scores[other].values]
    return [(r.scores[method].values[key], r.scores[other].values[key]) for r in both]


def _common(method: str, results: Sequence[CaseResult]) -> list[object]:
    done = _ok(results, method)
    not_run = Counter(r.scores[method].status for r in results if r.scores[method].status != OK)
    seconds = [r.scores[method].seconds for r in done]
    label = ", ".join(f"{n} {status}" for status, n in sorted(not_run.items())) or "0"
    if not_run.get(UNAVAILABLE) == len(results) and results:
        label = UNAVAILABLE
    fell_back = f"{sum(bool(r.scores[method].fallback) for r in done)}/{len(done)}" if is_ours(method) else "-"
    return [fell_back, label, _mean(seconds)]


def _line_row(method: str, results: Sequence[CaseResult]) -> list[object]:
    cd = _values(results, method, "cd")
    pairs = _paired(results, method, WARP, "cd")
    ratio = sum(a for a, _ in pairs) / max(sum(b for _, b in pairs), 1e-9) if pairs else "-"
    clean = _values(results, method, "clean")
    pieces = [r.scores[method].values["pieces"] / max(r.ref_pieces, 1.0) for r in _ok(results, method, "pieces")]
    blank = _values(results, method, "blank")
    return [method, len(cd), _mean(cd), ratio, f"{int(sum(clean))}/{len(clean)}", _mean(pieces),
            _mean(_values(results, method, "specks")), _mean(_values(results, method, "ink")),
            f"{int(sum(blank))}/{len(blank)}", *_common(method, results)]


def _colour_row(method: str, results: Sequence[CaseResult]) -> list[object]:
    psnr = _values(results, method, "psnr")
    vs_warp = [a - b for a, b in _paired(results, method, WARP, "psnr")]
    vs_fade = [a - b for a, b in _paired(results, method, FADE, "psnr")]
    harm = _values(results, method, "harm")
    return [method, len(psnr), _mean(psnr), _mean(_values(results, method, "ssim")), _mean(vs_warp), _mean(vs_fade),
            f"{sum(d < -BELOW_FADE_DB for d in vs_fade)}/{len(vs_fade)}", f"{int(sum(harm))}/{len(harm)}",
            *_common(method, results)]


def kind_titles(results: Sequence[CaseResult]) -> list[tuple[str, str]]:
    """(kind, title) for each kind that has cases."""
    kinds = [kind for kind in (LINE_ART, COLOUR) if any(r.kind == kind and r.scores for r in results)]
    return [(kind, f"{kind}: {_count(results, kind)}") for kind in kinds]


def _count(results: Sequence[CaseResult], kind: str) -> str:
    mine = [r for r in results if r.kind == kind and r.scores]
    triplets = sum(r.case.truth is not None for r in mine)
    return f"{triplets} triplets, {len(mine) - triplets} pairs"


def summary_text(results: Sequence[CaseResult], methods: Sequence[str]) -> str:
    return "\n\n".join(summary_table(title, kind, results, methods) for kind, title in kind_titles(results))


def render_report(header: Sequence[str], sets: Sequence[FrameSet], results: Sequence[CaseResult],
                  methods: Sequence[str]) -> str:
    out = ["# nakawari bench real", "", *header, ""]
    for kind, title in kind_titles(results):
        out += [f"## Summary, {title}", "", "```", summary_table(title, kind, results, methods), "```", ""]
    missing = [m for m in methods if results and all(r.scores.get(m, _NONE).status == UNAVAILABLE for r in results)]
    if missing:
        out += [f"Not available in this engine: {', '.join(missing)}.", ""]
    out += [_LEGEND, "", "## Sets", ""]
    for frame_set in sets:
        out += _set_section(frame_set, [r for r in results if r.case.set_name == frame_set.name], methods)
    return "\n".join(out) + "\n"


_LEGEND = """How to read: *triplets* frames scored against a true inbetween (pairs have none and count only in the
no-truth columns). Line art: *CD* chamfer distance of the ink (ink read relative to the truth's paper and
darkest marks), *CD / warp-avg* against the DIS warp-average on the same cases, *clean* frames with ≥ 95 % of
their ink within 2 px of the truth's and vice versa and no more pieces than the truth, *pieces / ref* connected
ink pieces (≥ 4 px²) over the truth's (pairs: the keys' mean), *specks* smaller ink dust per frame, *ink / ref*
ink amount over the truth's (pairs: the keys' mean), *blank* frames that lost the drawing. Colour: PSNR/SSIM
against the truth, mean dB difference to the baselines on the same cases, *harm* frames further from both keys
than the keys are from each other (worse than a dissolve). *fell back*: our frames the engine's self-check
replaced in whole or part (hold, cross-fade, parts), as the manifest records them. *not run*: cases a method
refused, failed on, or could not run (unavailable). *s/frame*: seconds per inbetween, one process, CPU unless a
device was given."""


def _set_section(frame_set: FrameSet, results: Sequence[CaseResult], methods: Sequence[str]) -> list[str]:
    triplets = sum(r.case.truth is not None for r in results)
    facts = [frame_set.kind, f"{triplets} triplets", f"{len(results) - triplets} pairs"]
    if frame_set.held:
        facts.append(f"{frame_set.held} held triplets skipped")
    out = [f"### {frame_set.name}", "", f"{', '.join(facts)}", ""]
    if frame_set.note or not results:
        return out + [f"No cases: {frame_set.note or 'every triplet holds a key'}", ""]
    scored = [r for r in results if r.scores]
    if scored:
        out += ["```", summary_table(frame_set.name, frame_set.kind, scored, methods), "```", ""]
    for method in methods:
        chosen = Counter(r.scores[method].note for r in scored if is_ours(method) and r.scores[method].status == OK)
        if method == "nakawari auto" and chosen:
            out.append(f"- auto chose: {', '.join(f'{mode} ×{n}' for mode, n in chosen.most_common())}")
        fell_back = Counter(r.scores[method].fallback for r in scored if r.scores[method].fallback)
        if fell_back:
            out.append(f"- {method}: the self-check fell back to "
                       f"{', '.join(f'{kind} ×{n}' for kind, n in fell_back.most_common())}")
        for r in scored:
            if r.scores[method].status not in (OK, UNAVAILABLE):  # unavailable: said once, under the summary
                out.append(f"- {method} {r.scores[method].status} on {r.case.label}: {r.scores[method].note}")
    for r in results:
        out.append(f"- {r.case.label}: " + (f"not run ({r.note})" if r.note else _case_line(r, methods)))
    return out + [""]


def _case_line(result: CaseResult, methods: Sequence[str]) -> str:
    key = {(LINE_ART, True): "cd", (LINE_ART, False): "pieces", (COLOUR, True): "psnr",
           (COLOUR, False): "harm"}[(result.kind, result.case.truth is not None)]
    digits = 2 if key in ("cd", "psnr") else 0  # pieces and harm are counts
    values = ", ".join(f"{m.removeprefix('nakawari ')} {result.scores[m].values[key]:.{digits}f}" for m in methods
                       if result.scores[m].status == OK)
    reference = f" (ref {result.ref_pieces:.0f})" if key == "pieces" else ""
    return f"{key}{reference}: {values}; [sheet]({result.sheet})"
