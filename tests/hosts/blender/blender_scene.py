"""The test scene, built outside Blender (it needs the engine's synthetic data): articulated figures from
`nakawari.synth.strokes` with keys on frames 1, 9 and 17 (moving on arcs through the keys: `smooth`),
strokes shuffled and drawn the other way between keys, and the exact ground truth of every inbetween frame.
Inside Blender, `blender_scenario.py` draws it with the add-on's own `gp_data` (legacy or GPv3), so Blender
needs neither numpy nor the engine.

Every stroke of the rig has an identity; what the add-on must keep is made from it: material slot, pressure,
point strength / opacity, closed, and a vertex colour that encodes the identity (a generated stroke whose
two keys' strokes are different parts gets a blend of their colours, which tells both). Units: Blender's are
the synthetic frame's pixels / 100 (x right, z up), so errors are reported back in pixels of a
960 × 540 frame.
"""
from __future__ import annotations

import numpy as np

from nakawari.synth.strokes import stroke_case

KEY_FRAMES = (1, 9, 17)
PER_GAP = 7               # inbetweens on ones: 7 per gap, 14 in all
SCALE = 100.0             # pixels per Blender unit
SPACING = 400.0           # pixels between the figures' centres
MATERIALS = (("Ink", (0.05, 0.05, 0.05, 1.0)), ("Shade", (0.38, 0.13, 0.5, 1.0)), ("Red", (0.88, 0.13, 0.13, 1.0)))
CODES = 256               # identities a vertex colour can name


def identity_colour(c: int) -> list[float]:
    """x, x², x³ of x = (c + 1) / (CODES + 1): a blend of two identities' colours at a known u tells both
    (two or three equations in two unknowns), and which came first unless u = 1/2."""
    x = (c + 1) / (CODES + 1)
    return [x, x * x, x ** 3, 0.5]


def decode_colours(rgba: list[float], u: float, identities: int) -> tuple[int, int]:
    """(identity it came from, identity it goes to) of a colour blended at u between two identities'
    colours; at u = 1/2 the order is unknown (the smaller identity comes first)."""
    codes = np.array([identity_colour(c)[:3] for c in range(identities)])
    blends = (1 - u) * codes[:, None, :] + u * codes[None, :, :]
    distance = np.abs(blends - np.asarray(rgba[:3])).max(axis=2)
    a, b = np.unravel_index(distance.argmin(), distance.shape)
    return int(a), int(b)


def pressure_of(c: int) -> float:
    return 0.4 + 0.6 * ((c * 7) % 10) / 9


def opacity_of(c: int) -> float:
    return 0.6 + 0.4 * ((c * 3) % 5) / 4


def to_world(points: np.ndarray, shift: float, centre: np.ndarray) -> list[list[float]]:
    """Synthetic pixels (y down) → Blender (x right, z up, y = 0), the figure centred at `shift`."""
    x = (points[:, 0] - centre[0] + shift) / SCALE
    z = -(points[:, 1] - centre[1]) / SCALE
    return np.round(np.stack([x, np.zeros_like(x), z], axis=1), 5).tolist()


def build_scene(figures: int = 4, seed: int = 11) -> dict:
    """The scene as JSON: materials, keys (frame → stroke dicts) and truth (frame → identity → points)."""
    keys: dict[int, list[dict]] = {k: [] for k in KEY_FRAMES}
    key_ids: dict[int, list[int]] = {k: [] for k in KEY_FRAMES}
    truth: dict[int, dict[int, list]] = {}
    closed: dict[int, bool] = {}
    line_widths: dict[int, int] = {}
    identities = 0
    for f in range(figures):
        case = stroke_case(seed, f, n_keys=3, shuffle=True, reverse=True, per_gap=PER_GAP,
                           smooth=True)
        assert case.key_times == [0.0, 1.0, 2.0]
        centre = np.concatenate([s.points for s in case.keys[0].strokes]).mean(axis=0)
        shift = (f - (figures - 1) / 2) * SPACING
        line_width = 3 + f % 3
        for k, frame in enumerate(KEY_FRAMES):
            for stroke, c in zip(case.keys[k].strokes, case.key_ids[k]):
                ident = identities + c
                n = stroke.n
                keys[frame].append({
                    "points": to_world(stroke.points, shift, centre), "line_width": line_width,
                    "width": [line_width * pressure_of(ident)] * n, "opacity": [opacity_of(ident)] * n,
                    "closed": bool(stroke.closed), "material": ident % len(MATERIALS),
                    "vertex_color": [identity_colour(ident)] * n, "fill_color": [0.9, 0.9, 0.9, 0.0]})
                key_ids[frame].append(ident)
                closed[ident] = bool(stroke.closed)
                line_widths[ident] = line_width
        for t, drawing in zip(case.times, case.truth):
            frame = round(KEY_FRAMES[0] + t * (KEY_FRAMES[1] - KEY_FRAMES[0]))
            assert abs(KEY_FRAMES[0] + t * 8 - frame) < 1e-9
            for c, points in drawing.items():
                truth.setdefault(frame, {})[identities + c] = to_world(points, shift, centre)
        identities += len(case.truth[0])
    assert identities <= CODES
    return {"materials": [[name, list(rgba)] for name, rgba in MATERIALS], "keys": keys, "key_ids": key_ids,
            "truth": truth, "closed": closed, "line_widths": line_widths, "identities": identities}
