"""The methods `nakawari bench real` scores: nakawari's modes run as the CLI runs them, and the baselines a
user would otherwise reach for, all in one process so their numbers compare."""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...baselines import crossfade, dis_warp_average, hold_nearer
from ...errors import BadInput
from ...inbetween.frames import FramesSettings, inbetween_frames
from ...inbetween.frames.refine import shipped_refiner
from ...jobs import inbetween as inbetween_job
from .cases import Case

T = 0.5  # a triplet's middle frame lies halfway; pairs are judged there too
HOLD, FADE, WARP = "hold key", "cross-fade", "warp-average (DIS)"
REFINED = "nakawari frames, refined"
OK, REFUSED, UNAVAILABLE, FAILED = "ok", "refused", "unavailable", "failed"


@dataclass
class Made:
    """One method's inbetween for one case, or why there is none."""

    frame: np.ndarray | None    # RGBA float32, as the engine returns it
    status: str = OK
    seconds: float = 0.0
    note: str = ""              # the refusal, or the mode `auto` chose
    fallback: str = ""          # what the engine's self-check put in place of its frame ("hold", "parts"…)


Method = Callable[[Case, list[np.ndarray]], Made]


def our_method(mode: str, device: str) -> Method:
    """A nakawari mode through the inbetween job (`make_sequence`), so `auto` decides exactly as the CLI does.

    A mode the engine does not know (yet) is unavailable; one that turns a case down (BadInput, ValueError:
    no strokes to vectorise, no model installed) is refused for that case; anything else is a failure of
    the engine, recorded so one bad case does not cost the whole run, and said on stderr."""
    def run(case: Case, keys: list[np.ndarray]) -> Made:
        if mode not in inbetween_job.MODES:
            return Made(None, UNAVAILABLE, note=f"this engine has no mode '{mode}'")
        # `out` is required by the job but make_sequence writes nothing: the frames come back in memory. Its
        # own name keeps the (never written) outputs off the keys' names, which the job refuses to overwrite.
        job = inbetween_job.InbetweenJob(keys=list(case.keys), out=case.keys[0].parent, times=[T], mode=mode,
                                         device=device, name="nakawari-bench-real")
        started = time.perf_counter()
        try:
            made = inbetween_job.make_sequence(job)
        except (BadInput, ValueError) as error:
            return Made(None, REFUSED, time.perf_counter() - started, str(error))
        except Exception as error:  # noqa: BLE001 - report it and go on with the next case
            print(f"nakawari bench real: {mode} failed on {case.set_name} {case.label}: {error!r}", file=sys.stderr)
            return Made(None, FAILED, time.perf_counter() - started, f"{type(error).__name__}: {error}")
        seconds = time.perf_counter() - started
        entry, frame = next((entry, image) for entry, image in zip(made.frames, made.images) if not entry["key"])
        return Made(frame, OK, seconds, made.manifest["mode"], str(entry.get("fallback", "")))
    return run


def baseline(pairwise: Callable[[np.ndarray, np.ndarray, float], np.ndarray]) -> Method:
    def run(case: Case, keys: list[np.ndarray]) -> Made:
        started = time.perf_counter()
        frame = pairwise(keys[0], keys[1], T)
        return Made(frame, OK, time.perf_counter() - started)
    return run


def refined_frames(case: Case, keys: list[np.ndarray]) -> Made:
    """Frames mode with its learned refinement switched on, whatever its manifest records (the row that
    shows whether it wins on these frames)."""
    started = time.perf_counter()
    try:
        frames, checks = inbetween_frames(keys, [0.0, 1.0], [T], settings=FramesSettings(refine="on"))
    except ValueError as error:
        return Made(None, REFUSED, time.perf_counter() - started, str(error))
    return Made(frames[0], OK, time.perf_counter() - started, "frames", checks[0].fallback or "")


def methods_for(modes: tuple[str, ...], device: str) -> dict[str, Method]:
    """Ours first (in the order asked; frames mode also with its learned refinement forced on, when one is
    installed), then the baselines; warp-average is the reference for the ratios."""
    methods: dict[str, Method] = {f"nakawari {mode}": our_method(mode, device) for mode in modes}
    if "frames" in modes and shipped_refiner() is not None:
        methods[REFINED] = refined_frames
    methods[HOLD] = baseline(hold_nearer)
    methods[FADE] = baseline(crossfade)
    methods[WARP] = baseline(dis_warp_average)
    return methods


def is_ours(method: str) -> bool:
    return method.startswith("nakawari ")
