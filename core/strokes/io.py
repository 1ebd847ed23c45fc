"""The stroke JSON schema, version 1 (`nakawari strokes`, JSON-RPC `strokes.inbetween`).

Request::

    {"format": "nakawari.strokes", "version": 1,
     "keys": [{"time": 0, "strokes": [{"points": [[x, y], …] or [[x, y, z], …],
                                       "width": 3.0 or [w, …], "opacity": 1.0 or [o, …],
                                       "closed": false, "material": 0, "id": "any text",
                                       "vertex_color": [r, g, b, a] or [[r, g, b, a], …],
                                       "fill_color": [r, g, b, a]}, …]}, …],
     "count": 3 | "times": [0.25, 0.5, …], "ease": "linear" | "ease-in-out:3" | "favour-first" …,
     "unmatched": "fade" | "draw", "arcs": true, "include_keys": false, "order_hint": false,
     "join_pieces": true}

Only "keys" (two or more, strictly increasing "time"; default 0, 1, 2, …) and each stroke's "points" are
required. Colours (1 to 4 numbers in [0, 1]) travel with their strokes: an inbetween's vertex colours are its
keys' colours at the corresponding points, blended by how far it lies between them, and its fill colour the
keys' fill colours blended the same way; a stroke without a partner keeps its own. Response::

    {"format": "nakawari.strokes", "version": 1, "kind": "inbetweens", "key_times": […],
     "ease": {"name", "strength"},
     "frames": [{"time", "position", "key": false,
                 "strokes": [{…stroke…, "source": {"state": "matched" | "appearing" | "vanishing" | "key",
                                                     "from": [key, stroke] | null, "to": [key, stroke] | null,
                                                     "from_pieces": [stroke, …], "to_pieces": [stroke, …],
                                                     "confidence": 0..1}}]}],
     "matches": [{"gap": 0, "pairs": [{"from": i, "to": j, "from_pieces": […], "to_pieces": […],
                                       "confidence": c, "reversed": bool}],
                  "unmatched_from": […], "unmatched_to": […]}]}

"from_pieces" / "to_pieces" appear only for a line drawn as several strokes end to end in that key (they
were joined and moved as one line); "from" / "to" then name the first of them along the line.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import BadInput
from .interpolate import StrokeInbetweener
from .model import Drawing, Stroke

FORMAT = "nakawari.strokes"
VERSION = 1
DECIMALS = 4  # coordinates, widths and opacities are written rounded to this many decimals
COLOUR_DECIMALS = 6  # colours: hosts keep them as floats (finer than 16 bits per channel)


def _need(condition: bool, where: str, problem: str) -> None:
    if not condition:
        raise BadInput(f"{where}: {problem}")


def _number_list(value: Any, where: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise BadInput(f"{where}: expected numbers") from None
    return array


def stroke_from_json(data: Any, where: str) -> Stroke:
    _need(isinstance(data, dict), where, "a stroke must be an object with 'points'")
    _need("points" in data, where, "missing 'points'")
    points = _number_list(data["points"], f"{where}.points")
    _need(points.ndim == 2 and points.shape[1] in (2, 3) and len(points) > 0, f"{where}.points",
          "expected a non-empty list of [x, y] or [x, y, z]")
    width = _number_list(data.get("width", 3.0), f"{where}.width")
    opacity = _number_list(data.get("opacity", 1.0), f"{where}.opacity")
    for name, values in (("width", width), ("opacity", opacity)):
        _need(values.ndim == 0 or values.shape == (len(points),), f"{where}.{name}",
              f"expected one number or one per point ({len(points)})")
    closed = data.get("closed", False)
    _need(isinstance(closed, bool), f"{where}.closed", "expected true or false")
    material = data.get("material", 0)
    _need(isinstance(material, int) and not isinstance(material, bool), f"{where}.material",
          "expected an integer")
    ident = data.get("id")
    colour = fill = None
    if data.get("vertex_color") is not None:  # per point, or one colour for all points
        colour = _number_list(data["vertex_color"], f"{where}.vertex_color")
        _need(colour.ndim in (1, 2) and colour.shape[-1] in range(1, 5) and np.isfinite(colour).all()
              and (colour.ndim == 1 or len(colour) == len(points)), f"{where}.vertex_color",
              f"expected one colour or one per point ({len(points)}), each 1 to 4 numbers")
        colour = np.broadcast_to(colour, (len(points), colour.shape[-1])) if colour.ndim == 1 else colour
    if data.get("fill_color") is not None:
        fill = _number_list(data["fill_color"], f"{where}.fill_color")
        _need(fill.ndim == 1 and len(fill) in range(1, 5) and np.isfinite(fill).all(), f"{where}.fill_color",
              "expected one colour of 1 to 4 numbers")
    return Stroke(points, width, opacity, closed, material, None if ident is None else str(ident), colour=colour,
                  fill=fill)


def keys_from_json(request: Any) -> tuple[list[Drawing], list[float]]:
    _need(isinstance(request, dict), "request", "expected a JSON object")
    fmt, version = request.get("format", FORMAT), request.get("version", VERSION)
    _need(fmt == FORMAT, "format", f"expected '{FORMAT}', got {fmt!r}")
    _need(version == VERSION, "version", f"this engine reads version {VERSION}, got {version!r}")
    keys = request.get("keys")
    _need(isinstance(keys, list) and len(keys) >= 2, "keys", "expected a list of at least two keys")
    drawings, times = [], []
    for k, key in enumerate(keys):
        where = f"keys[{k}]"
        _need(isinstance(key, dict) and isinstance(key.get("strokes"), list), where,
              "a key must be an object with a 'strokes' list")
        time = key.get("time", float(k))
        _need(isinstance(time, (int, float)) and not isinstance(time, bool) and math.isfinite(time),
              f"{where}.time", "expected a finite number")
        times.append(float(time))
        drawings.append(Drawing([stroke_from_json(s, f"{where}.strokes[{i}]") for i, s in enumerate(key["strokes"])]))
    return drawings, times


def _rounded(values: np.ndarray) -> list:
    return np.round(values, DECIMALS).tolist()


def stroke_to_json(stroke: Stroke) -> dict[str, Any]:
    out: dict[str, Any] = {"points": _rounded(stroke.points)}
    out["width"] = _compact(stroke.width)
    out["opacity"] = _compact(stroke.opacity)
    out["closed"] = bool(stroke.closed)
    out["material"] = int(stroke.material)
    if stroke.id is not None:
        out["id"] = stroke.id
    if stroke.colour is not None:
        out["vertex_color"] = np.round(np.clip(stroke.colour, 0.0, 1.0), COLOUR_DECIMALS).tolist()
    if stroke.fill is not None:
        out["fill_color"] = np.round(np.clip(stroke.fill, 0.0, 1.0), COLOUR_DECIMALS).tolist()
    return out


def _compact(values: np.ndarray) -> float | list:
    """One number when every point has the same value."""
    if len(values) and np.all(values == values[0]):
        return round(float(values[0]), DECIMALS)
    return _rounded(values)


def drawing_to_json(drawing: Drawing) -> list[dict[str, Any]]:
    return [stroke_to_json(s) for s in drawing.strokes]


def matches_to_json(engine: StrokeInbetweener) -> list[dict[str, Any]]:
    """Every gap's pairs in the keys as given; a line drawn in several pieces names them all."""
    out = []
    for g in range(len(engine.keys) - 1):
        pairs = []
        for a, b, m in engine.matches(g):
            pair: dict[str, Any] = {"from": a[0], "to": b[0], "confidence": round(m.confidence, 4),
                                    "reversed": m.sign < 0}
            pair.update({name: pieces for name, pieces in (("from_pieces", a), ("to_pieces", b)) if len(pieces) > 1})
            pairs.append(pair)
        unmatched_from, unmatched_to = engine.unpaired(g)
        out.append({"gap": g, "pairs": pairs, "unmatched_from": unmatched_from, "unmatched_to": unmatched_to})
    return out
