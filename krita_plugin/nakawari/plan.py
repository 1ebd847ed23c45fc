"""What to generate: keys of the layer, the frames to fill between them (the host kit's planner), the engine
request, and where each engine result goes. Plain Python (no Krita, no Qt) so it is tested without Krita."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .host_kit import InbetweenParams, Manifest, ManifestFrame, Timing, UserError, gap_frames

FILLS = {"every": "every frame (on ones)", "twos": "on twos", "threes": "on threes", "count": "a count per gap"}
EASES = {"linear": "even spacing", "ease-in": "ease in (slow out of the first key)",
         "ease-out": "ease out (slow into the next key)", "ease-in-out": "ease in and out",
         "favour-first": "favour first key (halves)", "favour-last": "favour next key (halves)",
         "favour-both": "favour both keys (halves)"}
MODES = {"auto": "auto", "flow": "flow (raster)", "vector": "vector (strokes)"}
TARGETS = {"new_layer": "a new layer above", "empty_frames": "empty frames of this layer"}
SPACINGS = {"every": "ones", "twos": "twos", "threes": "threes", "count": "count"}  # FILLS → the kit's planner


@dataclass(frozen=True)
class Gap:
    first_key: int
    next_key: int
    frames: tuple[int, ...]  # frames to generate, strictly between the two keys


@dataclass(frozen=True)
class Plan:
    keys: tuple[int, ...]
    gaps: tuple[Gap, ...]

    @property
    def frames(self) -> list[int]:
        return [frame for gap in self.gaps for frame in gap.frames]


def find_keys(has_key: Callable[[int], bool], start: int, end: int) -> list[int]:
    """Keyframes in the clip range; Krita 5.1 has no call that lists them, so scan frame by frame."""
    return [t for t in range(start, end + 1) if has_key(t)]


def spacing(fill: str) -> str:
    """The host kit's name of a Fill choice (`gap_frames`)."""
    if fill not in SPACINGS:
        raise UserError(f"Unknown fill '{fill}'; choose one of: {', '.join(FILLS)}.")
    return SPACINGS[fill]


def plan_generation(keys: list[int], fill: str, count: int = 1) -> Plan:
    if len(keys) < 2:
        found = f"found one, at frame {keys[0]}" if keys else "found none"
        raise UserError(f"Generating inbetweens needs at least two keyframes on the layer within the "
                        f"animation's clip range ({found}).")
    gaps = tuple(Gap(a, b, gap_frames(a, b, spacing(fill), count)) for a, b in zip(keys, keys[1:]))
    plan = Plan(tuple(keys), gaps)
    if not plan.frames:
        raise UserError("There are no empty frames between the keys to fill with this spacing "
                        f"(keys at {', '.join(map(str, keys))}).")
    return plan


def timing_params(plan: Plan, ease: str) -> Timing:
    """The engine's timing options. Even spacing asks for the exact frames; an ease is defined per drawing
    count, so it needs the same number of drawings in every gap (the engine's `count`)."""
    if ease == "linear":
        return {"times": [float(t) for t in plan.frames]}
    counts = {len(gap.frames) for gap in plan.gaps}
    if len(counts) != 1:
        per_gap = ", ".join(f"{gap.first_key}→{gap.next_key}: {len(gap.frames)}" for gap in plan.gaps)
        raise UserError(f"Easing needs the same number of inbetweens in every gap, but these gaps get "
                        f"different numbers ({per_gap}). Use even spacing, or fill with a count per gap.")
    return {"count": counts.pop(), "ease": ease}


def inbetween_request(plan: Plan, key_files: list[str], out: str, ease: str, mode: str,
                      line_width: float | None = None) -> InbetweenParams:
    params: InbetweenParams = {"keys": key_files, "key_times": [float(t) for t in plan.keys], "out": out,
                              "mode": mode, "name": "frame", **timing_params(plan, ease)}
    if line_width:
        params["line_width"] = float(line_width)
    return params


def placed_entries(plan: Plan, manifest: Manifest) -> list[tuple[int, ManifestFrame]]:
    """(frame, manifest entry) for every generated drawing: the engine's inbetweens in time order go to the
    plan's frames in order (with an ease, the engine's times are fractions of the gap; the order is what counts)."""
    made = sorted((f for f in manifest.get("frames", []) if not f.get("key")), key=lambda f: f["time"])
    if len(made) != len(plan.frames):
        raise RuntimeError(f"the engine returned {len(made)} inbetweens for {len(plan.frames)} frames")
    return list(zip(plan.frames, made))


def placements(plan: Plan, manifest: Manifest, out: str | Path) -> list[tuple[int, Path]]:
    """(frame, file) for every generated drawing (see ``placed_entries``)."""
    return [(frame, Path(out) / entry["file"]) for frame, entry in placed_entries(plan, manifest)]


def unique_name(wanted: str, taken: set[str]) -> str:
    name, number = wanted, 2
    while name in taken:
        name, number = f"{wanted} {number}", number + 1
    return name


def describe(plan: Plan, fps: float) -> str:
    seconds = (plan.keys[-1] - plan.keys[0]) / fps if fps else 0.0
    return (f"{len(plan.frames)} inbetweens between {len(plan.keys)} keys "
            f"(frames {plan.keys[0]}–{plan.keys[-1]}, {seconds:.2f} s at {fps:g} fps)")
