"""What the add-ons and the engine agree on: the protocol version and its check, method names and message
shapes, where logs go, and the gap planner both add-ons use.

Standard library only, Python ≥ 3.10 (Blender 3.4 and Krita 5.1 run 3.10), importing nothing of the engine:
`nakawari package` copies this file into the add-on zips beside `client.py` and `engine_job.py` (the host
kit, `package.HOST_KIT`). The shapes are TypedDicts: documentation a type checker reads, nothing checked at
run time (the engine checks what it is sent: server_params).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, TypedDict

PROTOCOL_VERSION = 1  # the engine protocol: the engine answers it in `initialize`, the client checks it there
LOG_DIR_VAR = "NAKAWARI_LOG_DIR"

# --- method names --------------------------------------------------------------------------------------------
INITIALIZE, CANCEL, SHUTDOWN, PROGRESS = "initialize", "cancel", "shutdown", "progress"
INBETWEEN, STROKES_INBETWEEN, PAINT, CELS = "inbetween", "strokes.inbetween", "paint", "cels"
DOUGA, DOUGA_STROKES = "douga", "douga.strokes"


# --- message shapes ----------------------------------------------------------------------------------------
# Python 3.10 has no NotRequired: optional fields live in a `total=False` base, required ones in the class.
class InitializeParams(TypedDict, total=False):
    client: str
    python: str


class InitializeResult(TypedDict, total=False):
    name: str
    version: str
    protocol: int
    capabilities: list[str]   # the job methods this engine has
    devices: list[str]
    pid: int


class ProgressParams(TypedDict):
    id: int
    done: int
    total: int
    message: str


class Timing(TypedDict, total=False):
    """When the inbetweens fall (`inbetween`, `strokes.inbetween`)."""
    times: list[float]        # the exact frames (even spacing) …
    count: int                # … or a number per gap, with
    ease: str


class _InbetweenOptions(Timing, total=False):
    key_times: list[float]
    mode: str                 # auto, flow, vector, learned, frames
    name: str
    line_width: float


class InbetweenParams(_InbetweenOptions):
    """`inbetween`: key image files → inbetween image files in `out`."""
    keys: list[str]
    out: str


class _ManifestOptions(TypedDict, total=False):
    check: bool               # the engine's self-check asks for a look
    confidence: float
    note: str


class ManifestFrame(_ManifestOptions):
    file: str
    time: float
    key: bool


class Manifest(TypedDict, total=False):
    """What `inbetween` answers (and writes as manifest.json)."""
    frames: list[ManifestFrame]


class PaintParams(TypedDict, total=False):
    """`paint`: line drawings and some painted over → the fills of the others."""
    lines: list[str]
    painted: list[str]
    out: str
    layer: str
    name: str
    gap: float
    unmatched: str


class PaintFrame(_ManifestOptions, total=False):
    file: str
    frame: int
    key: bool
    unmatched: list[Any]      # areas left unpainted


class PaintManifest(TypedDict, total=False):
    frames: list[PaintFrame]


class _FramesOptions(TypedDict, total=False):
    line_width: float         # douga only


class FramesParams(_FramesOptions):
    """`cels` and `douga`: frame image files → their results in `out`."""
    frames: list[str]
    out: str


class _StrokeOptions(TypedDict, total=False):
    width: float | list[float]
    opacity: float | list[float]
    closed: bool
    material: int
    vertex_color: list[float] | list[list[float]]  # one colour (1 to 4 numbers) or one per point
    fill_color: list[float]                         # the engine blends both between the keys


class Stroke(_StrokeOptions):
    """One stroke of the stroke schema (core/strokes/io.py): points [x, y] or [x, y, z]."""
    points: list[list[float]]


# "from" is a keyword: these two are written the functional way.
StrokeSource = TypedDict("StrokeSource", {
    "state": str,                    # matched, appearing, vanishing, key
    "from": list[int] | None,        # [key, stroke] it comes from
    "to": list[int] | None,          # [key, stroke] it goes to
    "confidence": float}, total=False)


class MadeStroke(Stroke, total=False):
    source: StrokeSource


class StrokeKey(TypedDict):
    time: float
    strokes: list[Stroke]


class _StrokesOptions(Timing, total=False):
    format: str               # "nakawari.strokes"
    version: int
    arcs: bool


class StrokesParams(_StrokesOptions):
    """`strokes.inbetween`: key drawings as strokes → inbetween drawings as strokes, inline."""
    keys: list[StrokeKey]


class StrokesFrame(_ManifestOptions):
    time: float
    position: float
    key: bool
    strokes: list[MadeStroke]


StrokesPair = TypedDict("StrokesPair", {
    "from": int, "to": int,
    "reversed": bool,                # drawn the other way in the next key
    "confidence": float}, total=False)


class StrokesMatch(TypedDict, total=False):
    gap: int
    pairs: list[StrokesPair]


class StrokesResult(TypedDict, total=False):
    frames: list[StrokesFrame]
    matches: list[StrokesMatch]


class _DougaStrokesOptions(TypedDict, total=False):
    line_width: float
    fills: bool
    input: str                # "frame", or "douga": an image already in the class colours


class DougaStrokesParams(_DougaStrokesOptions):
    """`douga.strokes`: one image → its douga as strokes, inline."""
    frame: str


class DougaClass(TypedDict):
    index: int
    name: str
    rgb: list[int]
    line: bool


class DougaStrokesResult(TypedDict):
    width: int
    height: int
    line_width: float
    classes: list[DougaClass]
    strokes: list[Stroke]     # material: the class index; in image pixels, y down


def protocol_problem(info: dict[str, Any]) -> str | None:
    """Why an engine answering `initialize` with `info` cannot be used by this kit (None: it can)."""
    if info.get("protocol") == PROTOCOL_VERSION:
        return None
    return (f"The nakawari engine {info.get('version', '?')} speaks protocol {info.get('protocol', '?')}, this "
            f"add-on protocol {PROTOCOL_VERSION}: update the add-on or the engine to the same release.")


# --- logs --------------------------------------------------------------------------------------------------
def log_folder(default: Path | None = None) -> Path:
    """Where failure logs go: $NAKAWARI_LOG_DIR, else `default` (a host's own folder), else `nakawari-logs` in
    the temporary folder. The engine, the client and both add-ons ask here."""
    chosen = os.environ.get(LOG_DIR_VAR)
    if chosen:
        return Path(chosen)
    return default if default is not None else Path(tempfile.gettempdir()) / "nakawari-logs"


# --- planning ----------------------------------------------------------------------------------------------
class UserError(Exception):
    """A problem the artist can fix (wrong layer, too few keys, …): shown as it is, without a log."""


FILLS = ("ones", "twos", "threes", "count")  # the spacings; each add-on maps its own choice names to these
_STEPS = {"ones": 1, "twos": 2, "threes": 3}


def gap_frames(first: int, last: int, fill: str, count: int = 1) -> tuple[int, ...]:
    """The frames to draw between keys at `first` and `last`: on ones / twos / threes, or `count` evenly timed
    drawings on the nearest frames (each frame once when more are asked than fit)."""
    if fill in _STEPS:
        return tuple(range(first + _STEPS[fill], last, _STEPS[fill]))
    if fill == "count":
        if count < 1:
            raise UserError(f"The number of inbetweens per gap must be at least 1 (got {count}).")
        span = last - first
        wanted = {round(first + span * i / (count + 1)) for i in range(1, count + 1)}
        return tuple(sorted(t for t in wanted if first < t < last))
    raise UserError(f"Unknown spacing '{fill}'; choose one of: {', '.join(FILLS)}.")
