"""What Generate inbetweens does, as plain Python (no bpy), so it is tested without Blender.

Reading the scene gives, per layer, its frames (number → keyframe type) and the strokes of its keys as
stroke dicts (`gp_data`); this module picks the gaps and frames to fill, builds the engine's
`strokes.inbetween` requests (the host kit's planner and message shapes), and turns the engine's answers
back into stroke dicts for the empty frames,
keeping what the engine does not carry (line width, vertex colours, fill colour) through the answer's
`source` (which key stroke each generated stroke came from and went to).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, cast

from .engine_job import EngineCall
from .gp_data import DEFAULT_WIDTH, per_point
from .host_kit import (
    STROKES_INBETWEEN,
    Stroke,
    StrokesFrame,
    StrokesParams,
    StrokesResult,
    UserError,
    gap_frames,
)

# Blender enum items: (identifier, label, description)
SCOPES = (("GAP", "Gap around current frame", "Fill the gap between the keys around the current frame"),
          ("RANGE", "Every gap in scene range", "Fill every gap between keys within the scene's frame range"))
LAYER_CHOICES = (("ACTIVE", "Active layer", "Only the active layer"),
                 ("ALL", "All layers", "Every visible, unlocked layer"))
FILLS = (("ONES", "Ones", "A drawing on every frame"),
         ("TWOS", "Twos", "A drawing every second frame"),
         ("THREES", "Threes", "A drawing every third frame"),
         ("COUNT", "Count", "A number of drawings per gap, evenly timed"))
EASES = (("linear", "Even", "Even spacing"),
         ("ease-in", "Ease in", "Slow out of the first key"),
         ("ease-out", "Ease out", "Slow into the next key"),
         ("ease-in-out", "Ease in and out", "Slow at both keys"),
         ("favour-first", "Favour first key", "Halves towards the first key"),
         ("favour-last", "Favour next key", "Halves towards the next key"),
         ("favour-both", "Favour both keys", "Halves towards both keys"))
SPACINGS = {"ONES": "ones", "TWOS": "twos", "THREES": "threes", "COUNT": "count"}  # FILLS → the kit's planner
GENERATED = "BREAKDOWN"        # keyframe type of the frames we make; such frames are not keys
ENGINE_FIELDS = ("points", "width", "opacity", "closed", "material", "vertex_color", "fill_color")  # the engine reads


@dataclass(frozen=True)
class Options:
    scope: str = "RANGE"
    fill: str = "ONES"
    count: int = 1
    ease: str = "linear"
    arcs: bool = True


@dataclass(frozen=True)
class Gap:
    first: int                 # key frame before the gap
    last: int                  # key frame after it
    slots: tuple[int, ...]     # frames the spacing asks for
    frames: tuple[int, ...]    # the slots that are empty: the only ones written (the artist's frames stay)


@dataclass(frozen=True)
class LayerPlan:
    layer: str
    keys: tuple[int, ...]      # key frames sent to the engine: the gaps' keys and, for arcs, one more each side
    gaps: tuple[Gap, ...]

    @property
    def frames(self) -> list[int]:
        return [frame for gap in self.gaps for frame in gap.frames]


@dataclass(frozen=True)
class Request:
    """One engine call of a layer: the request and the gaps whose frames it fills."""
    layer: str
    params: StrokesParams
    gaps: tuple[Gap, ...]


def spacing(fill: str) -> str:
    """The host kit's name of a Spacing choice (`gap_frames`)."""
    if fill not in SPACINGS:
        raise UserError(f"Unknown spacing '{fill}'; choose one of {', '.join(name for name, _, _ in FILLS)}")
    return SPACINGS[fill]


def key_frames(frame_types: dict[int, str]) -> list[int]:
    """Keys are the layer's frames that we did not generate (breakdowns are inbetweens, ours or the artist's)."""
    return sorted(number for number, kind in frame_types.items() if kind != GENERATED)


def plan_layer(layer: str, frame_types: dict[int, str], options: Options, current: int,
               scene_range: tuple[int, int]) -> LayerPlan:
    """The gaps of one layer to fill; UserError says why there is nothing to do."""
    keys = key_frames(frame_types)
    if len(keys) < 2:
        found = f"one, at frame {keys[0]}" if keys else "none"
        raise UserError(f"Layer '{layer}' needs two keyframes to inbetween (found {found})")
    pairs = list(pairwise(keys))
    if options.scope == "GAP":
        chosen = [(a, b) for a, b in pairs if a <= current < b]
        if not chosen:
            raise UserError(f"Frame {current} is not between two keys of layer '{layer}' "
                            f"(keys at {', '.join(map(str, keys))})")
    elif options.scope == "RANGE":
        start, end = scene_range
        chosen = [(a, b) for a, b in pairs if start <= a and b <= end]
        if not chosen:
            raise UserError(f"No two keys of layer '{layer}' lie within the scene range {start}–{end}")
    else:
        raise UserError(f"Unknown scope '{options.scope}'")
    gaps = []
    for a, b in chosen:
        slots = gap_frames(a, b, spacing(options.fill), options.count)
        gaps.append(Gap(a, b, slots, tuple(t for t in slots if t not in frame_types)))
    if not any(gap.frames for gap in gaps):
        raise UserError(f"Layer '{layer}' has no empty frame to fill between its keys "
                        f"{', '.join(f'{g.first}–{g.last}' for g in gaps)} with this spacing")
    gaps = [gap for gap in gaps if gap.frames]
    # Arcs go through the neighbouring keys, so send one more key on each side of the filled gaps.
    lo, hi = keys.index(gaps[0].first), keys.index(gaps[-1].last)
    if options.arcs:
        lo, hi = max(lo - 1, 0), min(hi + 1, len(keys) - 1)
    return LayerPlan(layer, tuple(keys[lo:hi + 1]), tuple(gaps))


def engine_stroke(stroke: dict[str, Any]) -> Stroke:
    """The fields the engine reads (the host's extras stay home and come back through `source`)."""
    return cast(Stroke, {name: stroke[name] for name in ENGINE_FIELDS if name in stroke})


def requests(plan: LayerPlan, key_strokes: dict[int, list[dict[str, Any]]], options: Options) -> list[Request]:
    """The engine calls for one layer. Even spacing asks for the exact frames (`times`); an ease is defined per
    drawing count, so eased gaps are asked for by `count`, one call per distinct count."""
    base: StrokesParams = {
        "format": "nakawari.strokes", "version": 1, "arcs": options.arcs,
        "keys": [{"time": float(k), "strokes": [engine_stroke(s) for s in key_strokes[k]]} for k in plan.keys]}
    if options.ease == "linear":
        return [Request(plan.layer, {**base, "times": [float(t) for t in plan.frames]}, plan.gaps)]
    by_count: dict[int, list[Gap]] = {}
    for gap in plan.gaps:
        by_count.setdefault(len(gap.slots), []).append(gap)
    return [Request(plan.layer, {**base, "count": count, "ease": options.ease}, tuple(gaps))
            for count, gaps in sorted(by_count.items())]


def engine_calls(requests: Sequence[Request]) -> list[EngineCall]:
    """The requests as the host kit's engine calls, their progress named after the layer."""
    return [EngineCall(STROKES_INBETWEEN, r.params, "inbetween strokes", f"layer '{r.layer}'") for r in requests]


def placements(request: Request, response: StrokesResult) -> list[tuple[int, StrokesFrame]]:
    """(frame number, engine frame) for every empty frame of the request's gaps. Asked by `times`, the engine
    made exactly the empty frames; asked by `count`, it made every slot of the gap, and its inbetweens in time
    order go to the slots in order (with an ease their times are fractions of the gap; the order is what
    counts), the occupied slots' ones dropped."""
    made = [f for f in response.get("frames", []) if not f.get("key")]
    out = []
    for gap in request.gaps:
        wanted = gap.slots if "count" in request.params else gap.frames
        inside = sorted((f for f in made if gap.first < f["time"] < gap.last), key=lambda f: f["time"])
        if len(inside) != len(wanted):
            raise RuntimeError(f"the engine returned {len(inside)} inbetweens for the {len(wanted)} frames "
                               f"between keys {gap.first} and {gap.last}")
        out += [(slot, frame) for slot, frame in zip(wanted, inside) if slot in gap.frames]
    return out


def host_strokes(frame: StrokesFrame, keys: Sequence[int], key_strokes: dict[int, list[dict[str, Any]]]
                 ) -> list[dict[str, Any]]:
    """The engine's strokes of one frame as stroke dicts for the host: points, width (pressure or radius),
    opacity, closed, material, vertex and fill colours from the engine (it blends the colours between the
    keys); the line width, which the engine does not carry, from the key stroke the frame's stroke came from."""
    out = []
    for stroke in frame["strokes"]:
        source = stroke.get("source") or {}
        ends = [(k, i) for k, i in (source.get("from") or (None, None), source.get("to") or (None, None))
                if k is not None and i is not None]
        n = len(stroke["points"])
        made: dict[str, Any] = {"points": stroke["points"], "width": per_point(stroke.get("width"), n, DEFAULT_WIDTH),
                                "opacity": per_point(stroke.get("opacity"), n, 1.0),
                                "closed": bool(stroke.get("closed", False)), "material": int(stroke.get("material", 0)),
                                "vertex_color": stroke.get("vertex_color"), "fill_color": stroke.get("fill_color")}
        if ends:
            k, i = ends[0]
            made["line_width"] = key_strokes[keys[k]][i].get("line_width")
        out.append({k: v for k, v in made.items() if v is not None})
    return out
