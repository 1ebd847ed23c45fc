"""Generic 2-D articulated rig: shapes on a skeleton tree, forward kinematics, rasterisation.

Why a rig at all: an inbetweening benchmark needs *exact* ground truth. Drawing
keys by hand (or scraping them) gives no true inbetween; here every frame is
rendered from a pose vector, so the true frame at any time is simply the render of
the interpolated pose. Interpolating joint *angles* (not positions) makes the
ground truth move on arcs, the way animators draw inbetweens.

The module knows nothing about which figure it draws; ``figures.py`` builds the
mannequin rig and ``cels.py`` only supplies a palette. Rendering the same rig
with or without a palette gives the line-art and coloured-cel variants.

Coordinates
-----------
* Part-local: the bone runs from (0, 0) along +y to (0, length). Units are
  "figure units" (the standing figure is about 1.0 tall).
* World (figure) space: y grows downwards like image rows.
* Frame space: units of frame *height* (so 540p and 1080p renders of the same case
  are exact scalings of each other); a :class:`Camera` maps world -> frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

# Pose vector layout: [root_x, root_y] followed by PARAMS_PER_PART values per part.
ROOT_PARAMS = 2
PARAMS_PER_PART = 4  # angle, log-stretch, bend, wave phase
P_ANGLE, P_STRETCH, P_BEND, P_WAVE = range(PARAMS_PER_PART)

# Sub-pixel precision for cv2 drawing (coordinates are multiplied by 2**SHIFT).
SHIFT = 4
_SCALE = float(1 << SHIFT)

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class Shape:
    """One outline or stroke attached to a part, in part-local coordinates.

    fill: ``None`` (stroke only), ``"paper"`` (opaque interior: white in line art,
    the material colour in cels, so it hides whatever is behind it) or ``"ink"``
    (solid ink blob such as a pupil).
    """

    points: np.ndarray
    closed: bool = True
    fill: str | None = "paper"
    stroke: bool = True
    shade: bool = False  # cel variant: hard-edged darker region on the +x side
    wave: bool = False  # displaced sideways by the part's travelling wave
    material: str | None = None  # overrides the part's material (e.g. a hand on a sleeve)


@dataclass(frozen=True)
class Part:
    name: str
    parent: str | None
    attach: tuple[float, float]  # joint position in the parent's local frame
    rest_angle: float  # rotation relative to the parent at pose angle 0
    length: float
    shapes: tuple[Shape, ...]
    depth: int  # painter's order: lower is drawn first (further back)
    angle_range: tuple[float, float] = (-0.5, 0.5)  # joint limits relative to rest
    material: str = "skin"
    wave_amp: float = 0.0  # figure units
    wave_length: float = 0.1


@dataclass(frozen=True)
class Rig:
    parts: tuple[Part, ...]  # topologically ordered: parents before children
    index: dict[str, int] = field(init=False, repr=False, compare=False)
    draw_order: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {p.name: i for i, p in enumerate(self.parts)}
        for p in self.parts:
            if p.parent is not None and index[p.parent] >= index[p.name]:
                raise ValueError(f"part {p.name} listed before its parent {p.parent}")
        object.__setattr__(self, "index", index)
        order = sorted(range(len(self.parts)), key=lambda i: (self.parts[i].depth, i))
        object.__setattr__(self, "draw_order", tuple(order))

    @property
    def n_params(self) -> int:
        return ROOT_PARAMS + PARAMS_PER_PART * len(self.parts)

    def param(self, part: str, which: int) -> int:
        """Index of one parameter of one part in the pose vector."""
        return ROOT_PARAMS + PARAMS_PER_PART * self.index[part] + which

    def rest_pose(self) -> np.ndarray:
        return np.zeros(self.n_params, dtype=np.float64)


@dataclass(frozen=True)
class Camera:
    """World (figure units) -> frame units (fraction of frame height)."""

    scale: float
    offset: tuple[float, float]

    def to_pixels(self, pts: np.ndarray, height: int) -> np.ndarray:
        return (pts * self.scale + np.asarray(self.offset)) * height


@dataclass(frozen=True)
class Palette:
    """Colours for the cel variant. ``None`` palette means line art (white fills)."""

    materials: dict[str, RGB]
    ink: RGB = (0.08, 0.06, 0.08)
    shade_factor: float = 0.8  # shadow tone = fill * factor (hard edge, no gradient)

    def fill(self, material: str) -> RGB:
        return self.materials.get(material, (1.0, 1.0, 1.0))

    def shade(self, material: str) -> RGB:
        r, g, b = self.fill(material)
        k = self.shade_factor
        return (r * k, g * k * 0.97, b * min(1.0, k * 1.06))  # slightly cool shadows


# ---------------------------------------------------------------------------
# Geometry helpers used to build rigs


def ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 40, a0: float = 0.0) -> np.ndarray:
    a = a0 + np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], axis=1)


def arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 12) -> np.ndarray:
    a = np.linspace(a0, a1, n)
    return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], axis=1)


def limb(length: float, r0: float, r1: float, bulge: float = 0.0, cap0: float = 1.0,
         cap1: float = 1.0, n_side: int = 14, n_cap: int = 9) -> np.ndarray:
    """Closed outline of a tapered limb with rounded ends along the local +y bone.

    The width profile ``r0 -> r1`` plus a ``sin`` bulge gives a muscle-like
    silhouette instead of a plain capsule; ``cap0``/``cap1`` squash the end caps.
    """
    u = np.linspace(0.0, 1.0, n_side)
    w = r0 + (r1 - r0) * u + bulge * np.sin(np.pi * u)
    right = np.stack([w, u * length], axis=1)
    a = np.linspace(0.0, np.pi, n_cap + 2)[1:-1]
    end = np.stack([r1 * np.cos(a), length + cap1 * r1 * np.sin(a)], axis=1)
    left = np.stack([-w[::-1], (u * length)[::-1]], axis=1)
    a = np.linspace(np.pi, 2 * np.pi, n_cap + 2)[1:-1]
    start = np.stack([r0 * np.cos(a), cap0 * r0 * np.sin(a)], axis=1)
    return np.concatenate([right, end, left, start], axis=0)


def ribbon(length: float, r0: float, r1: float, n: int = 24) -> np.ndarray:
    """Closed tapered strand (hair lock, tail): intended for ``wave=True`` shapes."""
    u = np.linspace(0.0, 1.0, n)
    w = r0 + (r1 - r0) * u
    y = u * length
    tip = np.array([[0.0, length + r1 * 1.5]])
    return np.concatenate([np.stack([w, y], 1), tip, np.stack([-w[::-1], y[::-1]], 1)], axis=0)


# ---------------------------------------------------------------------------
# Forward kinematics


def _rot(theta: float) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s], [s, c]])


def _deform(pts: np.ndarray, part: Part, stretch: float, bend: float, phase: float,
            wave: bool) -> np.ndarray:
    """Per-part deformation in local coordinates (squash/stretch, bend, wave).

    Stretch preserves area (x scaled by 1/sqrt(s)); the bend is a parabola that is
    zero at both joints so children stay attached; the wave travels along the bone.
    """
    out = pts.copy()
    if stretch != 0.0:
        s = float(np.exp(stretch))
        out[:, 0] /= np.sqrt(s)
        out[:, 1] *= s
    if bend != 0.0 and part.length > 0:
        u = np.clip(pts[:, 1] / part.length, 0.0, 1.0)
        out[:, 0] += bend * part.length * 4.0 * u * (1.0 - u)
    if wave and part.wave_amp > 0:
        y = pts[:, 1]
        grow = np.clip(y / max(part.length, 1e-6), 0.0, 1.5)
        out[:, 0] += part.wave_amp * grow * np.sin(2 * np.pi * y / part.wave_length + phase)
    return out


@dataclass(frozen=True)
class PlacedShape:
    part: int
    shape: Shape
    world: np.ndarray  # (N, 2) world coordinates
    shade_world: np.ndarray | None  # shadow polygon (cels), world coordinates


def _clip_halfplane(poly: np.ndarray, x0: float) -> np.ndarray:
    """Sutherland-Hodgman clip of a closed polygon to the half-plane x >= x0."""
    if len(poly) == 0:
        return poly
    out: list[np.ndarray] = []
    prev = poly[-1]
    prev_in = prev[0] >= x0
    for cur in poly:
        cur_in = cur[0] >= x0
        if cur_in != prev_in:
            f = (x0 - prev[0]) / (cur[0] - prev[0])
            out.append(prev + f * (cur - prev))
        if cur_in:
            out.append(cur)
        prev, prev_in = cur, cur_in
    return np.array(out) if out else np.zeros((0, 2))


def kinematics(rig: Rig, pose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World joint origins (P, 2) and world bone angles (P,) of every part."""
    n = len(rig.parts)
    origins = np.zeros((n, 2))
    angles = np.zeros(n)
    for i, part in enumerate(rig.parts):
        ang = pose[ROOT_PARAMS + PARAMS_PER_PART * i + P_ANGLE]
        if part.parent is None:
            origins[i] = np.asarray(pose[:ROOT_PARAMS], dtype=np.float64)
            angles[i] = part.rest_angle + ang
        else:
            j = rig.index[part.parent]
            pb = ROOT_PARAMS + PARAMS_PER_PART * j
            att = _deform(np.array([part.attach]), rig.parts[j], pose[pb + P_STRETCH],
                          pose[pb + P_BEND], pose[pb + P_WAVE], False)
            origins[i] = origins[j] + _rot(angles[j]) @ att[0]
            angles[i] = angles[j] + part.rest_angle + ang
    return origins, angles


def joints(rig: Rig, pose: np.ndarray) -> dict[str, np.ndarray]:
    """World position of every part's joint (exact keypoint ground truth)."""
    origins, _ = kinematics(rig, pose)
    return {p.name: origins[i] for i, p in enumerate(rig.parts)}


def place(rig: Rig, pose: np.ndarray, with_shade: bool = False) -> list[PlacedShape]:
    """World-space geometry of every shape, in painter's (back-to-front) order."""
    n = len(rig.parts)
    origins, angles = kinematics(rig, pose)
    deformed: list[list[np.ndarray]] = [[] for _ in range(n)]
    shades: list[list[np.ndarray | None]] = [[] for _ in range(n)]
    for i, part in enumerate(rig.parts):
        base = ROOT_PARAMS + PARAMS_PER_PART * i
        _, stretch, bend, phase = pose[base:base + PARAMS_PER_PART]
        R = _rot(angles[i])
        origin = origins[i]
        for sh in part.shapes:
            local = _deform(sh.points, part, stretch, bend, phase, sh.wave)
            deformed[i].append(local @ R.T + origin)
            if with_shade and sh.shade and sh.closed:
                x0 = 0.25 * float(np.max(np.abs(local[:, 0])))
                poly = _clip_halfplane(local, x0)
                shades[i].append(poly @ R.T + origin if len(poly) >= 3 else None)
            else:
                shades[i].append(None)
    placed: list[PlacedShape] = []
    for i in rig.draw_order:
        for k, sh in enumerate(rig.parts[i].shapes):
            placed.append(PlacedShape(i, sh, deformed[i][k], shades[i][k]))
    return placed


def bbox(rig: Rig, pose: np.ndarray) -> tuple[float, float, float, float]:
    pts = np.concatenate([p.world for p in place(rig, pose)], axis=0)
    return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())


# ---------------------------------------------------------------------------
# Rasterisation


def _to_cv(pts: np.ndarray) -> np.ndarray:
    return np.round(pts * _SCALE).astype(np.int32).reshape(-1, 1, 2)


def _c255(c: RGB) -> tuple[int, int, int]:
    return tuple(int(round(255 * v)) for v in c)  # type: ignore[return-value]


def render_pose(rig: Rig, pose: np.ndarray, camera: Camera, size: tuple[int, int],
                line_width: float, palette: Palette | None = None,
                transparent: bool = False) -> np.ndarray:
    """Render one pose to a straight-alpha RGBA float32 image (H, W, 4) in [0, 1].

    Two canvases are drawn with identical anti-aliased geometry: ``comp`` is the
    figure composited over white paper, ``cov`` its coverage. On paper the result
    is ``comp`` with alpha 1; on a transparent layer alpha is ``cov`` and the
    straight colour is recovered from ``comp = a*C + (1-a)*white``, so compositing
    the transparent variant over white gives back the paper variant exactly (up
    to 8-bit rounding).
    """
    w, h = size
    comp = np.full((h, w, 3), 255, np.uint8)
    cov = np.zeros((h, w), np.uint8) if transparent else None
    thick = max(1, int(round(line_width)))
    ink = _c255(palette.ink) if palette is not None else (0, 0, 0)
    aa = cv2.LINE_AA
    for ps in place(rig, pose, with_shade=palette is not None):
        sh = ps.shape
        pts = _to_cv(camera.to_pixels(ps.world, h))
        material = sh.material or rig.parts[ps.part].material
        if sh.fill is not None and sh.closed:
            if sh.fill == "ink":
                colour = ink
            elif palette is None:
                colour = (255, 255, 255)
            else:
                colour = _c255(palette.fill(material))
            cv2.fillPoly(comp, [pts], colour, aa, SHIFT)
            if cov is not None:
                cv2.fillPoly(cov, [pts], 255, aa, SHIFT)
            if ps.shade_world is not None and palette is not None:
                sp = _to_cv(camera.to_pixels(ps.shade_world, h))
                cv2.fillPoly(comp, [sp], _c255(palette.shade(material)), aa, SHIFT)
        if sh.stroke:
            cv2.polylines(comp, [pts], sh.closed, ink, thick, aa, SHIFT)
            if cov is not None:
                cv2.polylines(cov, [pts], sh.closed, 255, thick, aa, SHIFT)
    out = np.empty((h, w, 4), np.float32)
    rgb = comp.astype(np.float32) * (1.0 / 255.0)
    if cov is None:
        out[..., :3] = rgb
        out[..., 3] = 1.0
        return out
    a = cov.astype(np.float32) * (1.0 / 255.0)
    # Un-composite: C = 1 - (1 - comp) / a where a > 0; fully transparent pixels get white.
    safe = np.maximum(a, 1e-6)[..., None]
    straight = 1.0 - (1.0 - rgb) / safe
    straight = np.where(a[..., None] > 0, straight, 1.0)
    np.clip(straight, 0.0, 1.0, out=straight)
    out[..., :3] = straight
    out[..., 3] = a
    return out
