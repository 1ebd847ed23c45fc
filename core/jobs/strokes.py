"""The strokes job: a stroke JSON request (keys with their strokes and times, what to make) → a JSON
response with the inbetween strokes and the matches. Schema: `nakawari.strokes.io` and the README."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import BadInput
from ..files import write_atomically
from ..frame_check import stroke_gap_check
from ..limits import refuse_frame_count
from ..output_guard import same_file
from ..progress import Progress
from ..strokes.interpolate import UNMATCHED_MODES, inbetween_strokes
from ..strokes.io import FORMAT, VERSION, drawing_to_json, keys_from_json, matches_to_json
from ..timing import Ease, gap_of, parse_ease, plan_count, plan_times


def _ease(value: Any) -> Ease:
    if isinstance(value, Ease):
        return value
    if not isinstance(value, str):
        raise BadInput("ease: expected a name such as 'ease-in-out' or 'ease-in:3'")
    try:
        return parse_ease(value)
    except ValueError as error:
        raise BadInput(f"ease: {error}") from None


def run_strokes(request: dict, progress: Progress | None = None,
                cancel: Callable[[], bool] | None = None) -> dict:
    """Inbetween the request's keys; returns the response dict (nothing is written)."""
    keys, key_times = keys_from_json(request)
    count, times = request.get("count"), request.get("times")
    ease = _ease(request.get("ease", "linear"))
    unmatched = request.get("unmatched", "fade")
    arcs = request.get("arcs", True)
    include_keys = request.get("include_keys", False)
    order_hint = request.get("order_hint", False)
    join_pieces = request.get("join_pieces", True)
    if unmatched not in UNMATCHED_MODES:
        raise BadInput(f"unmatched: choose {' or '.join(UNMATCHED_MODES)}, got {unmatched!r}")
    if not all(isinstance(flag, bool) for flag in (arcs, include_keys, order_hint, join_pieces)):
        raise BadInput("arcs, include_keys, order_hint and join_pieces must be true or false")
    if count is not None and times is not None:
        raise BadInput("give either 'count' or 'times', not both")
    if times is not None and ease.name != "linear":
        raise BadInput("ease applies to 'count'; 'times' are used exactly as given")
    try:
        if times is not None:
            if not isinstance(times, list) or not all(isinstance(t, (int, float)) and not isinstance(t, bool)
                                                      for t in times):
                raise ValueError("times: expected a list of numbers")
            slots = plan_times(key_times, [float(t) for t in times])
        else:
            count = 1 if count is None else count
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise ValueError(f"count must be a whole number ≥ 1, got {count!r}")
            refuse_frame_count(count * (len(key_times) - 1) + len(key_times), f"count {count}")
            slots = plan_count(key_times, count, ease)
    except ValueError as error:
        raise BadInput(str(error)) from None
    refuse_frame_count(len(slots) + len(key_times), "times" if times is not None else "count")
    wanted = [(s.time, s.position) for s in slots if s.position not in key_times]
    if include_keys:
        wanted = sorted(wanted + [(t, t) for t in key_times])
    frames, engine = inbetween_strokes(keys, key_times, [p for _, p in wanted], unmatched=unmatched, arcs=arcs,
                                       order_hint=order_hint, join_pieces=join_pieces, progress=progress,
                                       cancel=cancel)
    matches = matches_to_json(engine)
    gap_checks = [stroke_gap_check(gap) for gap in matches]
    out_frames = []
    for (time, position), frame in zip(wanted, frames):
        strokes = drawing_to_json(frame.drawing)
        for stroke, source in zip(strokes, frame.sources):
            stroke["source"] = source
        is_key = position in key_times
        check = {} if is_key else gap_checks[gap_of(key_times, position)].to_json()
        out_frames.append({"time": time, "position": position, "key": is_key, **check, "strokes": strokes})
    return {"format": FORMAT, "version": VERSION, "kind": "inbetweens", "engine": __version__,
            "key_times": key_times, "ease": {"name": ease.name, "strength": ease.strength},
            "unmatched": unmatched, "arcs": arcs, "order_hint": order_hint, "join_pieces": join_pieces,
            "frames": out_frames, "matches": matches}


def read_request(path: str) -> dict:
    """A request from a file, or from standard input for '-'."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput("no such file", path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"cannot read ({error})", path) from None
    try:
        request = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInput(f"not valid JSON ({error.msg} at line {error.lineno})", path) from None
    except RecursionError:
        raise BadInput("JSON nested too deeply to be a stroke request", path) from None
    if not isinstance(request, dict):
        raise BadInput("expected a JSON object", path)
    return request


def write_response(response: dict, out: str, overwrite: bool = False, source: str | None = None) -> None:
    """Write to a file all at once (a temporary file renamed into place), or to standard output for '-'.
    The request file `source` is never written over, with or without overwrite."""
    text = json.dumps(response, separators=(",", ":")) + "\n"
    if out == "-":
        sys.stdout.write(text)
        return
    target = Path(out)
    if source not in (None, "-") and same_file(target, Path(source)):
        raise BadInput("is the request this command reads; nakawari never writes over its inputs", target)
    if target.exists() and not overwrite:
        raise BadInput("already exists (use --overwrite to replace it)", target)
    if target.is_dir():
        raise BadInput("is a folder; give a file name such as out.json", target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise BadInput("the folder for the output does not exist", target)
    write_atomically(target, lambda temp_name: Path(temp_name).write_text(text, encoding="utf-8"))
