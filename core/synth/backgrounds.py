"""Scene backgrounds that look like anime background art, not only soft gradients.

`painted_background` (paint.py) is a soft painterly wash. Real anime backgrounds also hold what fooled the
cel reader on real frames: skies with clouds, buildings, walls, shelves and fences with hard edges and
even dark painted edge lines, near-flat walls, grass and foliage texture, night scenes with lit windows,
and depth-of-field blur. `scene_background` paints such a scene; every element is shaded (a gradient,
texture or grain), never one exact flat colour with an ink outline all round, which is what a cel is.
Drawn at half size and upsampled (the detail that matters survives), so a 540p scene takes tens of ms.
Same rng state, same image.
"""

from __future__ import annotations

import cv2
import numpy as np

from .paint import _noise

STYLES: tuple[str, ...] = ("day", "dusk", "night", "interior")

_SKY = {"day": ((0.35, 0.6, 0.95), (0.75, 0.88, 0.98)), "dusk": ((0.35, 0.3, 0.55), (0.98, 0.7, 0.45)),
        "night": ((0.02, 0.04, 0.12), (0.1, 0.14, 0.3)), "interior": ((0.45, 0.4, 0.35), (0.6, 0.55, 0.48))}


def _vertical(height: int, width: int, top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    return np.broadcast_to(top * (1 - t) + bottom * t, (height, width, 3)).astype(np.float32)


def _jitter(rng: np.random.Generator, colour: np.ndarray | tuple, spread: float) -> np.ndarray:
    return np.clip(np.asarray(colour, np.float32) + rng.normal(0, spread, 3), 0, 1).astype(np.float32)


def _brush(height: int, width: int, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Brush texture: noise smeared along one stroke direction, mostly in value (HxWx1)."""
    streak = _noise(height, width, int(rng.integers(30, 80)), rng)[..., 0] - 0.5
    length = max(3, height // 15) | 1
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
    kernel = np.asarray(cv2.warpAffine(kernel, rot, (length, length)), np.float32)
    kernel /= max(float(kernel.sum()), 1e-6)
    return (cv2.filter2D(streak, -1, kernel) * strength * 4)[..., None].astype(np.float32)


def _sky(height: int, width: int, rng: np.random.Generator, style: str) -> np.ndarray:
    top, bottom = (_jitter(rng, c, 0.05) for c in _SKY[style])
    canvas = _vertical(height, width, top, bottom).copy()
    if style != "interior":
        # Clouds: thresholded smooth noise with soft edges, lit from above.
        cloud = np.clip((_noise(height, width, int(rng.integers(3, 8)), rng)[..., 0] - rng.uniform(0.45, 0.65)) * 4,
                        0, 1)[..., None]
        light = _jitter(rng, (0.97, 0.95, 0.92) if style == "day" else (0.9, 0.6, 0.55), 0.04)
        if style == "night":
            light = light * 0.25
        shade = 0.8 + 0.2 * _vertical(height, width, np.ones(3, np.float32), np.zeros(3, np.float32))
        canvas = canvas * (1 - cloud * 0.8) + light * shade * cloud * 0.8
    canvas += _brush(height, width, rng, float(rng.uniform(0.02, 0.06)))
    if style == "night":  # stars
        stars = rng.random((height, width)) > 0.998
        canvas[stars] = 0.9
    return canvas


def _shaded_rect(canvas: np.ndarray, rng: np.random.Generator, box: tuple[int, int, int, int],
                 colour: np.ndarray, edge_line: bool) -> None:
    """A wall, building, shelf or post: a hard-edged box shaded by a gradient and texture, optionally with
    a dark painted edge line (background painters draw those too)."""
    x0, y0, x1, y1 = box
    h, w = canvas.shape[:2]
    x0, x1 = max(0, x0), min(w, x1)
    y0, y1 = max(0, y0), min(h, y1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    bh, bw = y1 - y0, x1 - x0
    direction = rng.uniform(-1, 1, 2)
    yy, xx = np.mgrid[0:bh, 0:bw].astype(np.float32)
    ramp = (xx / max(bw, 1) - 0.5) * direction[0] + (yy / max(bh, 1) - 0.5) * direction[1]
    texture = (_noise(bh, bw, int(rng.integers(4, 30)), rng)[..., 0] - 0.5) * rng.uniform(0.03, 0.12)
    texture += _brush(bh, bw, rng, float(rng.uniform(0.02, 0.05)))[..., 0]
    fill = colour * (1 + ramp[..., None] * rng.uniform(0.1, 0.4)) + texture[..., None]
    canvas[y0:y1, x0:x1] = np.clip(fill, 0, 1)
    if edge_line:
        line = np.clip(colour * rng.uniform(0.2, 0.5), 0, 1)
        cv2.rectangle(canvas, (x0, y0), (x1 - 1, y1 - 1), tuple(float(v) for v in line), 1, cv2.LINE_AA)


def _architecture(canvas: np.ndarray, rng: np.random.Generator, style: str, horizon: int) -> None:
    """Buildings (with windows) along the horizon, or shelves and posts in a room."""
    h, w = canvas.shape[:2]
    night = style == "night"
    base = _jitter(rng, (0.2, 0.22, 0.3) if night else (0.6, 0.55, 0.5), 0.12)
    x = int(rng.integers(-w // 10, 0))
    while x < w:
        bw = int(w * rng.uniform(0.08, 0.3))
        top = int(horizon - h * rng.uniform(0.1, 0.55))
        colour = _jitter(rng, base, 0.08)
        _shaded_rect(canvas, rng, (x, top, x + bw, horizon + 2), colour, bool(rng.random() < 0.5))
        # Windows: a grid of small boxes, lit at night.
        lit = _jitter(rng, (0.95, 0.85, 0.5), 0.05)
        step_x, step_y = max(6, bw // int(rng.integers(2, 6))), max(6, int(h * rng.uniform(0.04, 0.08)))
        for wy in range(top + step_y // 2, horizon - step_y, step_y):
            for wx in range(x + step_x // 3, x + bw - step_x // 2, step_x):
                on = night and rng.random() < 0.6
                tone = lit if on else colour * rng.uniform(0.5, 0.8)
                _shaded_rect(canvas, rng, (wx, wy, wx + step_x // 2, wy + step_y // 2), tone, False)
        x += bw + int(rng.integers(0, max(2, w // 20)))


def _interior(canvas: np.ndarray, rng: np.random.Generator) -> None:
    """Shelves, posts and a poster: long hard-edged boxes, often with dark painted edges."""
    h, w = canvas.shape[:2]
    wood = _jitter(rng, (0.35, 0.25, 0.18), 0.08)
    for _ in range(int(rng.integers(2, 6))):  # shelves
        y = int(rng.uniform(0.1, 0.9) * h)
        _shaded_rect(canvas, rng, (int(rng.uniform(-0.1, 0.5) * w), y, int(rng.uniform(0.5, 1.1) * w),
                                   y + int(h * rng.uniform(0.015, 0.04))), _jitter(rng, wood, 0.05), True)
    for _ in range(int(rng.integers(1, 4))):  # posts
        x = int(rng.uniform(0, 1) * w)
        _shaded_rect(canvas, rng, (x, 0, x + int(w * rng.uniform(0.02, 0.06)), h), _jitter(rng, wood, 0.05), True)
    if rng.random() < 0.6:  # a poster or a window
        x, y = int(rng.uniform(0.1, 0.8) * w), int(rng.uniform(0.05, 0.5) * h)
        _shaded_rect(canvas, rng, (x, y, x + int(w * rng.uniform(0.08, 0.2)), y + int(h * rng.uniform(0.12, 0.3))),
                     _jitter(rng, (0.8, 0.75, 0.6), 0.1), bool(rng.random() < 0.5))


def _ground(canvas: np.ndarray, rng: np.random.Generator, style: str, horizon: int) -> None:
    """Grass, pavement or floor below the horizon: a gradient with streaky texture and perspective lines."""
    h, w = canvas.shape[:2]
    if horizon >= h:
        return
    near = _jitter(rng, (0.25, 0.45, 0.2) if rng.random() < 0.5 else (0.5, 0.45, 0.4), 0.1)
    if style == "night":
        near = near * 0.35
    far = np.clip(near * rng.uniform(0.8, 1.3), 0, 1)
    gh = h - horizon
    ground = _vertical(gh, w, far, near).copy()
    streak = _noise(gh, w, int(rng.integers(20, 60)), rng)[..., 0]
    streak = cv2.GaussianBlur(streak, (0, 0), sigmaX=rng.uniform(0.5, 3), sigmaY=0.5)
    ground += (streak[..., None] - 0.5) * rng.uniform(0.1, 0.3)
    if rng.random() < 0.5:  # tracks, kerbs or floorboards converging on a vanishing point
        vx = int(rng.uniform(0.2, 0.8) * w)
        tone = tuple(float(v) for v in np.clip(near * 0.5, 0, 1))
        for _ in range(int(rng.integers(2, 7))):
            bx = int(rng.uniform(-0.5, 1.5) * w)
            cv2.line(ground, (vx, 0), (bx, gh - 1), tone, int(rng.integers(1, 4)), cv2.LINE_AA)
    canvas[horizon:] = np.clip(ground, 0, 1)


def _foliage(canvas: np.ndarray, rng: np.random.Generator, style: str) -> None:
    """Trees and bushes: clusters of textured blobs, darker at the bottom."""
    h, w = canvas.shape[:2]
    green = _jitter(rng, (0.2, 0.45, 0.2), 0.08) * (0.35 if style == "night" else 1.0)
    for _ in range(int(rng.integers(0, 4))):
        cx, cy = rng.uniform(0, w), rng.uniform(0.1, 0.8) * h
        cover = np.zeros((h, w), np.float32)
        for _ in range(int(rng.integers(8, 30))):
            r = int(min(h, w) * rng.uniform(0.02, 0.08))
            cv2.circle(cover, (int(cx + rng.normal(0, w * 0.06)), int(cy + rng.normal(0, h * 0.06))), r, 1.0, -1)
        cover = np.asarray(cv2.GaussianBlur(cover, (0, 0), 1.0), np.float32)[..., None]
        leaves = _noise(h, w, int(rng.integers(40, 90)), rng, 3)
        colour = green * (0.6 + 0.8 * leaves)
        canvas[:] = canvas * (1 - cover) + np.clip(colour, 0, 1) * cover


def _grade(canvas: np.ndarray, rng: np.random.Generator, style: str) -> np.ndarray:
    """Broad light: a vignette or glow and a colour cast, as a compositor's grade would add."""
    h, w = canvas.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    dist = np.sqrt(((xx - cx) / w) ** 2 + ((yy - cy) / h) ** 2)
    light = (1.0 + rng.uniform(-0.15, 0.25) * np.exp(-dist * 3))[..., None]
    cast = _jitter(rng, (1.0, 1.0, 1.0), 0.05)
    if style == "night":
        cast = cast * np.array([0.8, 0.9, 1.15], np.float32)
    return np.clip(canvas * light * cast, 0, 1)


def scene_background(height: int, width: int, rng: np.random.Generator, style: str | None = None) -> np.ndarray:
    """A scene background, float32 HxWx3 RGB in [0, 1]; ``style`` one of STYLES (random when None)."""
    if style is None:
        style = str(rng.choice(STYLES))
    if style not in STYLES:
        raise ValueError(f"unknown background style {style!r}; one of {', '.join(STYLES)}")
    sh, sw = max(16, height // 2), max(16, width // 2)
    canvas = _sky(sh, sw, rng, style)
    horizon = int(sh * rng.uniform(0.45, 0.85))
    if style == "interior":
        _interior(canvas, rng)
    else:
        if rng.random() < 0.75:
            _architecture(canvas, rng, style, horizon)
        _ground(canvas, rng, style, horizon)
    _foliage(canvas, rng, style)
    canvas = _grade(canvas, rng, style)
    if rng.random() < 0.3:  # depth of field: the whole plate out of focus
        canvas = cv2.GaussianBlur(canvas, (0, 0), float(rng.uniform(1.0, 4.0)))
    canvas = cv2.resize(canvas, (width, height), interpolation=cv2.INTER_LINEAR)
    grain = rng.standard_normal((height, width, 1), dtype=np.float32) * float(rng.uniform(0.004, 0.015))
    return np.clip(canvas + grain, 0, 1).astype(np.float32)
