"""A painted figure with exact truth for painting: the same pose as line art and as finished colour.

Flat fills (no anti-aliasing inside, as painters' bucket fills), a shadow area bounded by a coloured shadow
line, small eye areas, and black outlines; the pose is a known shift, rotation and scale. A `Figure` varies
the proportions and palette and adds a highlight area (bounded by a coloured highlight line) and buttons;
a pose may add a new shape (badge), leave a gap in the outline or draw a cuff line that splits the arm.
The line frame is the outlines alone on white paper; the painted frame is the fills with the same outlines
drawn over them, so every fill pixel of the painted frame is the truth for the line frame of that pose.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PAPER = (255, 255, 255)
INK = (20, 20, 20)
SHADOW_LINE = (40, 70, 200)     # a coloured line: it stays as drawn
PALETTE = {
    "body": (90, 150, 230), "shadow": (60, 100, 180), "skin": (250, 222, 190),
    "eye": (70, 40, 30), "arm": (220, 80, 80), "badge": (240, 200, 40),
}
HIGHLIGHT_LINE = (230, 130, 60)  # a second coloured line colour (highlight boundaries)
EXTRA = {"highlight": (170, 210, 250), "button": (250, 250, 120)}  # default colours of the optional areas
SHIFT = 3  # fixed-point bits for cv2 drawing (sub-pixel geometry)


@dataclass(frozen=True)
class Pose:
    dx: float = 0.0
    dy: float = 0.0
    angle: float = 0.0          # degrees, about the figure's centre
    badge: bool = False         # a new closed shape (not in the keys) floating beside the figure
    gap: float = 0.0            # a gap of this many px left open in the body's outline
    scale: float = 1.0          # about the figure's centre
    cuff: bool = False          # a line across the arm that splits it into two areas of one colour


@dataclass(frozen=True)
class Figure:
    """Proportions, palette and optional details of the figure (the default is the plain test figure)."""

    palette: tuple[tuple[str, tuple[int, int, int]], ...] = tuple(PALETTE.items())
    body: tuple[float, float] = (55.0, 70.0)   # radii, in units of the frame's short side / 240
    head: tuple[float, float] = (32.0, 30.0)
    arm_reach: float = 1.0                     # the arm's length factor
    highlight: bool = False                    # a highlight area on the body, bounded by a coloured line
    buttons: int = 0                           # small round buttons down the body
    neck_shadow: bool = False                  # the head's shadow on the body, painted with no line around it

    def colours(self) -> dict[str, tuple[int, int, int]]:
        return {**EXTRA, **dict(self.palette)}


PLAIN = Figure()


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 64, a0: float = 0.0,
             a1: float = 2 * np.pi) -> np.ndarray:
    t = np.linspace(a0, a1, n, endpoint=a1 - a0 < 2 * np.pi - 1e-9)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _shapes(size: tuple[int, int], figure: Figure = PLAIN) -> dict[str, np.ndarray]:
    w, h = size
    s = min(w, h) / 240.0
    cx, cy = w / 2, h / 2 + 15 * s
    brx, bry = figure.body[0] * s, figure.body[1] * s
    hrx, hry = figure.head[0] * s, figure.head[1] * s
    body = _ellipse(cx, cy + 20 * s, brx, bry)
    # The shadow: the body's right part beyond a curve.
    right = _ellipse(cx, cy + 20 * s, brx, bry, 32, -np.pi / 2, np.pi / 2)
    curve = np.stack([cx + 18 * s + 10 * s * np.sin(np.linspace(np.pi, 0, 16)),
                      np.linspace(cy + 20 * s + bry, cy + 20 * s - bry, 16)], axis=1)
    shadow = np.concatenate([right, curve])
    hy = cy + 25 * s - bry - hry  # the head overlaps the body's top as in the plain figure
    head = _ellipse(cx, hy, hrx, hry)
    eye_l = _ellipse(cx - 11 * s, hy - 3 * s, 4.5 * s, 6.5 * s, 24)
    eye_r = _ellipse(cx + 11 * s, hy - 3 * s, 4.5 * s, 6.5 * s, 24)
    ax = cx - brx + 3 * s  # the arm starts inside the body's left edge
    reach = figure.arm_reach
    arm = np.array([[ax, cy], [ax - 48 * s * reach, cy + 25 * s], [ax - 40 * s * reach, cy + 42 * s],
                    [ax + 7 * s, cy + 22 * s]])
    # The cuff: a line across the arm near its end (splits the arm's area in two).
    cuff = np.array([arm[0] + 0.7 * (arm[1] - arm[0]), arm[3] + 0.7 * (arm[2] - arm[3])])
    badge = np.array([[cx + 75 * s, cy - 60 * s], [cx + 105 * s, cy - 60 * s], [cx + 105 * s, cy - 30 * s],
                      [cx + 75 * s, cy - 30 * s]])
    neck = _ellipse(cx, hy + hry + 4 * s, 0.8 * hrx, 0.45 * hry, 32)
    highlight = _ellipse(cx - 0.55 * brx, cy + 10 * s, 0.15 * brx, 0.35 * bry, 32)
    buttons = np.array([_ellipse(cx - 4 * s, cy + 20 * s - bry * (0.45 - 0.3 * i), 3.5 * s, 3.5 * s, 16)
                        for i in range(figure.buttons)]).reshape(-1, 16, 2)
    return {"body": body, "shadow": shadow, "curve": curve, "head": head, "eye_l": eye_l, "eye_r": eye_r,
            "arm": arm, "cuff": cuff, "badge": badge, "highlight": highlight, "buttons": buttons, "neck": neck,
            "centre": np.array([[cx, cy]])}


def _moved(points: np.ndarray, pose: Pose, centre: np.ndarray) -> np.ndarray:
    a = np.deg2rad(pose.angle)
    rot = pose.scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return (points - centre) @ rot.T + centre + np.array([pose.dx, pose.dy])


def _cv(points: np.ndarray) -> np.ndarray:
    return np.round(points * (1 << SHIFT)).astype(np.int32).reshape(-1, 1, 2)


def render(pose: Pose, size: tuple[int, int] = (320, 240), painted: bool = True,
           line_width: int = 2, figure: Figure = PLAIN) -> np.ndarray:
    """HxWx4 float32 RGBA on paper: the painted frame, or (painted=False) its line frame."""
    w, h = size
    shapes = _shapes(size, figure)
    colours = figure.colours()
    centre = shapes.pop("centre")[0]
    pts = {name: _moved(p, pose, centre) for name, p in shapes.items()}
    image = np.full((h, w, 3), PAPER, np.uint8)
    if painted:  # flat fills, no anti-aliasing (bucket fills); drawn back to front
        cv2.fillPoly(image, [_cv(pts["arm"])], colours["arm"], cv2.LINE_8, SHIFT)
        cv2.fillPoly(image, [_cv(pts["body"])], colours["body"], cv2.LINE_8, SHIFT)
        cv2.fillPoly(image, [_cv(pts["shadow"])], colours["shadow"], cv2.LINE_8, SHIFT)
        if figure.neck_shadow:  # on the body only (a mask of the body's fill), under the head
            neck = np.zeros(image.shape[:2], np.uint8)
            cv2.fillPoly(neck, [_cv(pts["neck"])], 1, cv2.LINE_8, SHIFT)
            body = np.zeros_like(neck)
            cv2.fillPoly(body, [_cv(pts["body"])], 1, cv2.LINE_8, SHIFT)
            image[(neck > 0) & (body > 0)] = colours["shadow"]
        if figure.highlight:
            cv2.fillPoly(image, [_cv(pts["highlight"])], colours["highlight"], cv2.LINE_8, SHIFT)
        for button in pts["buttons"]:
            cv2.fillPoly(image, [_cv(button)], colours["button"], cv2.LINE_8, SHIFT)
        cv2.fillPoly(image, [_cv(pts["head"])], colours["skin"], cv2.LINE_8, SHIFT)
        for eye in ("eye_l", "eye_r"):
            cv2.fillPoly(image, [_cv(pts[eye])], colours["eye"], cv2.LINE_8, SHIFT)
        if pose.badge:
            cv2.fillPoly(image, [_cv(pts["badge"])], colours["badge"], cv2.LINE_8, SHIFT)
    aa = cv2.LINE_AA
    # The arm's outline stops at the body (the body is drawn over it).
    cv2.polylines(image, [_cv(pts["arm"][[3, 0, 1, 2, 3]])], False, INK, line_width, aa, SHIFT)
    body = pts["body"]
    if pose.gap > 0:  # leave a gap in the outline's lower left
        keep = np.ones(len(body), bool)
        at = int(len(body) * 0.35)
        step = np.linalg.norm(body[1] - body[0])
        span = max(1, int(np.ceil((pose.gap + line_width) / step)))
        keep[at:at + span] = False
        body = np.roll(body, -(at + span), axis=0)[: keep.sum()]
        cv2.polylines(image, [_cv(body)], False, INK, line_width, aa, SHIFT)
    else:
        cv2.polylines(image, [_cv(body)], True, INK, line_width, aa, SHIFT)
    cv2.polylines(image, [_cv(pts["curve"])], False, SHADOW_LINE, line_width, aa, SHIFT)
    if figure.highlight:
        cv2.polylines(image, [_cv(pts["highlight"])], True, HIGHLIGHT_LINE, 1, aa, SHIFT)
    for button in pts["buttons"]:
        cv2.polylines(image, [_cv(button)], True, INK, 1, aa, SHIFT)
    if pose.cuff:
        cv2.polylines(image, [_cv(pts["cuff"])], False, INK, line_width, aa, SHIFT)
    cv2.polylines(image, [_cv(pts["head"])], True, INK, line_width, aa, SHIFT)
    for eye in ("eye_l", "eye_r"):
        cv2.polylines(image, [_cv(pts[eye])], True, INK, 1, aa, SHIFT)
    if pose.badge:
        cv2.polylines(image, [_cv(pts["badge"])], True, INK, line_width, aa, SHIFT)
    out = np.ones((h, w, 4), np.float32)
    out[..., :3] = image.astype(np.float32) / 255.0
    return out


def fill_truth(pose: Pose, size: tuple[int, int] = (320, 240), line_width: int = 2,
               figure: Figure = PLAIN) -> tuple[np.ndarray, np.ndarray]:
    """(painted frame as uint8 RGB, mask of its paint pixels): fill colours where the line frame is bare paper."""
    painted = np.round(render(pose, size, True, line_width, figure)[..., :3] * 255).astype(np.uint8)
    line = np.round(render(pose, size, False, line_width, figure)[..., :3] * 255).astype(np.uint8)
    bare = (line == 255).all(axis=2)
    fills = np.zeros(bare.shape, bool)
    for colour in figure.colours().values():
        fills |= (painted == colour).all(axis=2)
    return painted, bare & fills
