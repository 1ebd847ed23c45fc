"""The inbetween job: keys on disk → a numbered frame sequence and manifest.json in an output folder."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import BadInput
from ..image import sequence_stem
from ..inbetween import InbetweenResult, inbetween
from ..inbetween.frames.kind import looks_like_frames
from ..inbetween.represent import analyse_keys
from ..inbetween.selfcheck import FrameChecker, check_frames
from ..learned import runtime
from ..limits import MAX_FRAME_NUMBER, refuse_frame_count, refuse_held_frames
from ..output import StagedOutput
from ..output_guard import check_plain_name, refuse_inputs
from ..progress import Progress
from ..strokes.raster import LONG_STROKES, inbetween_vector, sketch_keys, stroke_span, vectorize_keys
from ..timing import Ease, Slot, parse_ease, plan_count, plan_times
from .key_copies import png_bytes_if_same
from .keys import expand_key_args, load_keys
from .params import take

MODES = ("auto", "flow", "vector", "learned", "frames")


@dataclass
class InbetweenJob:
    keys: Sequence[str | Path]
    out: str | Path
    count: int | None = None
    times: Sequence[float] | None = None
    key_times: Sequence[float] | None = None
    mode: str = "auto"
    ease: Ease = field(default_factory=Ease)
    line_width: float | None = None
    device: str = "auto"
    resize: str = "none"
    overwrite: bool = False
    name: str | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> InbetweenJob:
        """The `inbetween` request's parameters → the job."""
        p = take(params, ("keys", "out"), ("count", "times", "key_times", "mode", "ease", "line_width",
                                           "device", "resize", "overwrite", "name"))
        try:
            ease = parse_ease(str(p.get("ease", "linear")))
        except ValueError as error:
            raise BadInput(str(error)) from None
        return cls(keys=list(p["keys"]), out=p["out"], count=p.get("count"), times=p.get("times"),
                   key_times=p.get("key_times"), mode=p.get("mode", "auto"), ease=ease,
                   line_width=p.get("line_width"), device=p.get("device", "auto"),
                   resize=p.get("resize", "none"), overwrite=bool(p.get("overwrite", False)), name=p.get("name"))


def plan_slots(job: InbetweenJob, keys: Sequence[Path],
               pattern_times: Sequence[float] | None = None) -> tuple[list[float], list[Slot]]:
    """Validate the timing options and return key times and the frames to generate.

    Key times: `--key-times`, else the frame numbers of keys given as a `name.####.png` pattern, else 0, 1, 2, …
    """
    if len(keys) < 2:
        raise BadInput("inbetweening needs at least two keys")
    if job.key_times is not None:
        key_times = [float(t) for t in job.key_times]
    elif pattern_times is not None:
        key_times = list(pattern_times)
    else:
        key_times = [float(i) for i in range(len(keys))]
    if len(key_times) != len(keys):
        raise BadInput(f"--key-times gives {len(key_times)} times for {len(keys)} keys")
    if job.count is not None and job.times is not None:
        raise BadInput("give either --count or --times, not both")
    if job.times is not None and job.ease.name != "linear":
        raise BadInput("--ease applies to --count; --times are used exactly as given")
    try:
        if job.times is not None:
            slots = plan_times(key_times, job.times)
        else:
            count = 1 if job.count is None else job.count
            if count < 1:
                raise ValueError(f"--count must be at least 1, got {count}")
            refuse_frame_count(count * (len(keys) - 1) + len(keys), f"--count {count}")  # before planning them
            slots = plan_count(key_times, count, job.ease)
    except ValueError as error:
        raise BadInput(str(error)) from None
    refuse_frame_count(len(slots) + len(keys), "--times" if job.times is not None else "--count")
    return key_times, slots


def resolve_mode(mode: str) -> str:
    """Check the --mode name; `auto` is decided once the keys are loaded (`choose_mode`)."""
    if mode not in MODES:
        raise BadInput(f"unknown --mode '{mode}'; choose {', '.join(MODES)}")
    return mode


def choose_mode(mode: str, keys: Sequence[np.ndarray], line_width: float | None,
                device: str = "auto") -> tuple[str, Any]:
    """(mode, vectorised keys or None): auto picks vector for clean line art drawn in long strokes (the median
    stroke at least `strokes.raster.LONG_STROKES` line widths, and redrawn from its vectors within
    `strokes.raster.CLEAN_CD`), learned where the shipped model's recorded bench says it beats flow mode on that
    kind of drawing (`learned.runtime.learned_wins`) and ``device`` gives it a CUDA GPU (`gpu_can_run`), frames
    for finished colour frames (`inbetween.frames.kind.looks_like_frames`), flow otherwise."""
    if mode in ("flow", "learned", "frames"):
        return mode, None
    if mode == "vector":
        prepared = vectorize_keys(keys, line_width)
        if not any(len(d) for d in prepared.drawings):
            raise BadInput("--mode vector: the keys hold no line art to vectorise")
        return "vector", prepared
    style = analyse_keys(list(keys))
    if looks_like_frames(keys, style.lineart):
        return "frames", None
    # Cheap evidence first: the strokes' lengths (tracing only) before fitting widths and redrawing; the GPU is
    # asked for only when the learned model's record (a file read) says it would be used. Strokes need not
    # correspond one to one: those without a confident partner follow the flow (strokes.guide).
    if style.lineart:
        sketch = sketch_keys(keys, line_width, style)
        if stroke_span(sketch) >= LONG_STROKES:
            prepared = vectorize_keys(keys, line_width, sketch)
            if prepared.clean:
                return "vector", prepared
    learned = runtime.learned_wins("lineart" if style.lineart else "cels") and runtime.gpu_can_run(device)
    return ("learned" if learned else "flow"), None


def mode_warnings(mode: str, keys: Sequence[np.ndarray]) -> list[str]:
    """What an artist should know about the mode asked for on these keys (a mode named by hand that does not
    suit them says what it is doing; auto chose by them already)."""
    if mode in ("flow", "learned") and looks_like_frames(keys, analyse_keys(list(keys)).lineart):
        return [f"the keys look like finished colour frames: {mode} mode read them as cels on paper; "
                "--mode frames (auto's choice for them) inbetweens finished frames"]
    return []


def inbetween_in_mode(mode: str, keys: Sequence[np.ndarray], key_times: Sequence[float], times: Sequence[float], *,
                      line_width: float | None = None, device: str = "auto", progress: Progress | None = None,
                      cancel: Callable[[], bool] | None = None) -> Any:
    """The engine's frames at ``times`` in ``mode`` (auto decided here, as the CLI and the hosts get it), each
    through its self-check: an ``InbetweenResult``."""
    mode, vector_keys = choose_mode(mode, list(keys), line_width, device)
    try:
        if mode == "learned":
            return runtime.inbetween_learned(keys, key_times, times, device=device, line_width=line_width,
                                     progress=progress, cancel=cancel)
        if mode != "vector":
            return inbetween(keys, key_times, times, mode=mode, device=device, line_width=line_width,
                             progress=progress, cancel=cancel)
        made = inbetween_vector(keys, key_times, times, prepared=vector_keys, progress=progress, cancel=cancel)
        widths = vector_keys.widths
        checked = check_frames(FrameChecker(keys, vector_keys.style), made, key_times, times,
                               lambda i: (widths[i] + widths[i + 1]) / 2.0)
        return InbetweenResult([f for f, _ in checked], "vector", "cpu", checks=[c for _, c in checked])
    except ValueError as error:  # the engine's refusal of an option (an unavailable device, say)
        raise BadInput(str(error)) from None


@dataclass
class MadeSequence:
    """Keys and inbetweens in time order, ready to write: `frames` are manifest entries."""

    frames: list[dict[str, Any]]
    images: list[np.ndarray]
    transparent: bool
    bit_depth: int
    manifest: dict[str, Any]
    sources: list[Path] = field(default_factory=list)  # the key files read: never written over
    copies: dict[str, bytes] = field(default_factory=dict)  # file name → a key's own bytes (`key_copies`)

    def write_to(self, output: StagedOutput) -> None:
        for frame, image in zip(self.frames, self.images):
            if frame["file"] in self.copies:
                output.write_bytes(frame["file"], self.copies[frame["file"]])
            else:
                output.write_image(frame["file"], image, transparent=self.transparent, bit_depth=self.bit_depth)


def make_sequence(job: InbetweenJob, progress: Progress | None = None,
                  cancel: Callable[[], bool] | None = None,
                  before_work: Callable[[list[str]], None] | None = None) -> MadeSequence:
    """Validate, load and inbetween; `before_work(file_names)` runs once the names are known (to refuse
    existing files before spending time)."""
    paths, pattern_times = expand_key_args(job.keys)
    key_times, slots = plan_slots(job, paths, pattern_times)
    mode = resolve_mode(job.mode)
    if job.line_width is not None and not 0.5 <= job.line_width <= 50:
        raise BadInput(f"--line-width must be between 0.5 and 50 px, got {job.line_width:g}")
    if job.name is not None:
        check_plain_name(job.name, "--name")
    rasters = load_keys(paths, job.resize)
    name = job.name or sequence_stem(paths[0])
    frames: list[dict[str, Any]] = [
        {"time": t, "position": t, "key": True, "source": str(raster.path)} for t, raster in zip(key_times, rasters)
    ]
    frames += [{"time": s.time, "position": s.position, "key": False} for s in slots if s.position not in key_times]
    frames.sort(key=lambda frame: (frame["time"], not frame["key"]))
    # Whole-number times are frame numbers (keys given as walk.0001.png, walk.0009.png…): keep them.
    by_time = all(float(frame["time"]).is_integer() and 0 <= frame["time"] <= MAX_FRAME_NUMBER for frame in frames)
    for index, frame in enumerate(frames):
        frame["file"] = f"{name}.{int(frame['time']) if by_time else index:04d}.png"
    refuse_inputs(Path(job.out), [frame["file"] for frame in frames], paths)
    refuse_held_frames(len(frames), *rasters[0].size)
    if before_work is not None:
        before_work([frame["file"] for frame in frames])

    wanted = [frame for frame in frames if not frame["key"]]
    result = inbetween_in_mode(mode, [r.rgba for r in rasters], key_times, [f["position"] for f in wanted],
                               line_width=job.line_width, device=job.device, progress=progress, cancel=cancel)
    for n, frame in enumerate(wanted):
        frame.update(result.check(n).to_json())
    warnings = mode_warnings(mode, [r.rgba for r in rasters])
    made = iter(result.frames)
    keys = iter(rasters)
    images = [next(keys).rgba if frame["key"] else next(made) for frame in frames]
    manifest = {
        "command": "inbetween",
        "engine": __version__,
        "mode": result.mode,
        "device": result.device,
        **({"backend": result.backend} if result.backend else {}),
        "key_times": key_times,
        "ease": {"name": job.ease.name, "strength": job.ease.strength},
        "line_width": job.line_width,
        "frames": frames,
        **({"warnings": warnings} if warnings else {}),
    }
    transparent, bit_depth = rasters[0].transparent, rasters[0].bit_depth
    placed = iter(rasters)
    copies = {frame["file"]: png_bytes_if_same(next(placed), transparent, bit_depth)
              for frame in frames if frame["key"]}
    return MadeSequence(frames, images, transparent, bit_depth, manifest, list(paths),
                        {name: data for name, data in copies.items() if data is not None})


def run_inbetween(job: InbetweenJob, progress: Progress | None = None,
                  cancel: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Run the job and write its folder; returns the manifest. Nothing is written unless every frame was made."""
    with StagedOutput(job.out, overwrite=job.overwrite) as output:
        sequence = make_sequence(job, progress, cancel, before_work=output.refuse_existing)
        output.protect(sequence.sources)
        sequence.write_to(output)
        output.commit(sequence.manifest)
    return sequence.manifest
