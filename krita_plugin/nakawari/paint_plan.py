"""What *Paint from keys* does: which layer holds the painted keys, which line drawings are painted from which
keys, the engine request, and what the manifest says about areas left unpainted. Plain Python (no Krita,
no Qt) so it is tested without Krita."""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from .host_kit import PaintManifest, PaintParams, UserError

AUTO = ""  # the colour-layer choice "automatic": a neighbour of the line layer named like a colour layer
# Names artists give the layer of fills under the line art (English, and the Japanese shiage/iro terms).
PAINT_TARGETS = {"empty_frames": "empty frames of the colour layer", "new_layer": "a new layer above the colour layer"}
COLOUR_NAME = re.compile(r"colou?r|paint|fill|iro|shiage|彩色|色|仕上", re.IGNORECASE)


@dataclass(frozen=True)
class PaintPlan:
    lines: tuple[int, ...]            # the line layer's drawings (key times) sent to the engine
    painted: dict[int, int]           # line drawing time → time of the colour key painted over it
    targets: tuple[int, ...]          # line drawings whose fill goes onto the colour layer (no key there)
    left_empty: tuple[int, ...] = ()  # line drawings with an empty colour key: an existing key, left alone


def choose_colour_layer(line: str, above: str | None, below: str | None, chosen: str,
                        candidates: list[str]) -> str:
    """The colour layer's name: the artist's choice when it exists, else the neighbour (above first, then
    below) named like a colour layer; with neither, the artist is asked to choose one."""
    if chosen and chosen != line and chosen in candidates:
        return chosen
    for name in (above, below):
        if name is not None and name != line and name in candidates and COLOUR_NAME.search(name):
            return name
    others = [name for name in candidates if name != line]
    listed = f" ({', '.join(repr(n) for n in others[:6])})" if others else ""
    raise UserError(f"Which layer holds the painted keys? Choose it under 'Colour layer' in the nakawari "
                    f"docker{listed}; no layer next to '{line}' is named like a colour layer (colour, paint, fill).")


def plan_paint(line_keys: list[int], colour_keys: list[int], line_name: str, colour_name: str,
               empty: Collection[int] = ()) -> PaintPlan:
    """Each colour key paints the line drawing shown at its time (the line key at or before it; a drawing held
    under several colour keys takes the first); every line drawing without a colour key of its own time gets
    a fill. `empty` colour keys (nothing painted) paint nothing, but are keys: never written over."""
    if not line_keys:
        raise UserError(f"The line layer '{line_name}' has no keyframes in the animation's clip range.")
    painted: dict[int, int] = {}
    for time in colour_keys:
        shown = [t for t in line_keys if t <= time]
        if time in empty or not shown:
            continue  # colour before the first drawing paints nothing the engine could match
        painted.setdefault(shown[-1], time)
    if not painted:
        found = f"its first key is at frame {colour_keys[0]}" if colour_keys else "it has no keyframes"
        if colour_keys and set(colour_keys) <= set(empty):
            found = "its keys are empty"
        raise UserError(f"Paint at least one frame of '{line_name}' on the colour layer '{colour_name}' first "
                        f"({found}; the first line drawing is at frame {line_keys[0]}).")
    targets = tuple(t for t in line_keys if t not in painted and t not in colour_keys)
    left_empty = tuple(t for t in line_keys if t not in painted and t in empty)
    if not targets:
        raise UserError(f"Every line drawing of '{line_name}' already has a key on '{colour_name}'; "
                        "nothing was left to paint." + (f" (Empty keys at frames {_listed(left_empty)}: delete "
                                                        "them to have them painted.)" if left_empty else ""))
    return PaintPlan(tuple(line_keys), painted, targets, left_empty)


def _listed(frames: Collection[int]) -> str:
    return ", ".join(str(t) for t in sorted(frames))


def paint_request(plan: PaintPlan, line_files: dict[int, str], painted_files: dict[int, str], out: str,
                  gap: float) -> PaintParams:
    """The engine's `paint` params: fills only (the colour layer sits under the lines), files numbered by
    the line drawing's time, so a painted key belongs to its line drawing."""
    return {"lines": [line_files[t] for t in plan.lines], "painted": [painted_files[t] for t in plan.painted],
            "out": out, "layer": "fill", "name": "fill", "gap": float(gap), "unmatched": "transparent"}


def fill_files(plan: PaintPlan, manifest: PaintManifest, out: str | Path) -> list[tuple[int, Path]]:
    """(frame, fill file) for every target drawing, from the engine's manifest."""
    by_frame = {int(entry["frame"]): entry for entry in manifest.get("frames", [])}
    missing = [t for t in plan.targets if t not in by_frame]
    if missing:
        raise RuntimeError(f"the engine returned no fill for frames {missing}")
    return [(t, Path(out) / by_frame[t]["file"]) for t in plan.targets]


def empty_note(plan: PaintPlan, colour_name: str) -> str:
    """The drawings whose empty colour key was left alone, for the status line ('' when none)."""
    if not plan.left_empty:
        return ""
    many = len(plan.left_empty) > 1
    return (f"Frame{'s' if many else ''} {_listed(plan.left_empty)} of '{colour_name}' hold{'' if many else 's'} "
            f"an empty key, left alone (delete {'them' if many else 'it'} to have {'them' if many else 'it'} "
            "painted).")


def unmatched_note(plan: PaintPlan, manifest: PaintManifest) -> str:
    """The areas left unpainted on the written frames, for the status line ('' when none)."""
    left = {int(e["frame"]): len(e.get("unmatched", [])) for e in manifest.get("frames", [])
            if int(e["frame"]) in plan.targets and e.get("unmatched")}
    if not left:
        return ""
    return (f"{sum(left.values())} area(s) left unpainted (no sure match in the keys) on frame"
            f"{'s' if len(left) > 1 else ''} {_listed(left)}: paint them by hand.")
