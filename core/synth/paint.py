"""Painted backgrounds, distractors and image degradations for cel-separation and douga suites.

A background is what a cel is not: gradients, soft blobs and brush texture with no drawn
outline and no flat region. Distractors are the hard cases: soft painted shapes that stand out
like objects, and an outline-less flat blob that looks like a cel fill but is not a cel.
Everything is drawn at a fraction of the size and upsampled (noise and blurs are smooth anyway),
so a 1080p background takes a few tens of milliseconds. Same rng state, same image.
"""

from __future__ import annotations

import cv2
import numpy as np

DEGRADATIONS: tuple[str, ...] = ("jpeg60", "jpeg75", "jpeg90", "blur", "noise")


def _noise(height: int, width: int, cells: int, rng: np.random.Generator, channels: int = 1) -> np.ndarray:
    """Smooth value noise: a coarse random grid (``cells`` along the short side) upsampled bicubically."""
    short = min(height, width)
    gh = max(2, round(cells * height / short))
    gw = max(2, round(cells * width / short))
    grid = rng.random((gh, gw, channels), dtype=np.float32)
    up = cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
    return up.reshape(height, width, channels)


def _soft_shapes(height: int, width: int, rng: np.random.Generator, count: int, base: np.ndarray,
                blur_frac: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """``count`` blurred ellipses of colours near ``base``: (colour HxWx3, coverage HxWx1)."""
    short = min(height, width)
    colour: np.ndarray = np.zeros((height, width, 3), np.float32)
    cover = np.zeros((height, width, 1), np.float32)
    for _ in range(count):
        mask = np.zeros((height, width), np.float32)
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        axes = (int(short * rng.uniform(0.08, 0.35)), int(short * rng.uniform(0.05, 0.25)))
        cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
        sigma = max(1.0, short * rng.uniform(*blur_frac))
        mask = cv2.GaussianBlur(mask, (0, 0), sigma)[..., None] * 0.85
        tone = np.clip(base + rng.normal(0, 0.15, 3), 0, 1).astype(np.float32)
        # A gradient inside the shape too: painted objects are never one flat colour.
        shade = 0.85 + 0.3 * _noise(height, width, 3, rng)
        colour = colour * (1 - mask) + np.clip(tone * shade, 0, 1) * mask
        cover = cover + mask * (1 - cover)
    return colour / np.maximum(cover, 1e-6), cover


def painted_background(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A painterly background, float32 HxWx3 RGB in [0, 1]: gradient, soft blobs, brush texture."""
    # Paint at quarter size; the result is smooth, so upsampling loses nothing that matters.
    sh, sw = max(8, height // 4), max(8, width // 4)
    top = rng.uniform(0.3, 0.95, 3).astype(np.float32)
    bottom = rng.uniform(0.15, 0.8, 3).astype(np.float32)
    ramp = np.linspace(0.0, 1.0, sh, dtype=np.float32)[:, None, None]
    # The horizon bends a little so the gradient is not a perfect ruler-straight ramp.
    bend = (_noise(sh, sw, 2, rng) - 0.5) * 0.4
    t = np.clip(ramp + bend, 0, 1)
    canvas = top * (1 - t) + bottom * t
    # Broad colour variation across the whole picture.
    canvas += (_noise(sh, sw, 4, rng, 3) - 0.5) * 0.12
    colour, cover = _soft_shapes(sh, sw, rng, int(rng.integers(3, 7)), canvas.mean(axis=(0, 1)), (0.02, 0.08))
    canvas = canvas * (1 - cover) + colour * cover
    # Brush texture: streaky noise (noise smeared along a random stroke direction), mostly in value.
    streak = (_noise(sh, sw, 40, rng) - 0.5) + (_noise(sh, sw, 40, rng, 3) - 0.5) * 0.3
    length = max(3, sh // 12) | 1
    line_kernel = np.zeros((length, length), np.float32)
    line_kernel[length // 2, :] = 1.0 / length
    rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
    kernel: np.ndarray = cv2.warpAffine(line_kernel, rot, (length, length))
    kernel /= max(float(kernel.sum()), 1e-6)
    canvas += cv2.filter2D(streak, -1, kernel) * 0.15
    canvas = cv2.resize(np.clip(canvas, 0, 1), (width, height), interpolation=cv2.INTER_LINEAR)
    # Fine paper/brush grain at full size.
    coarse_grain = rng.standard_normal((height // 2 + 1, width // 2 + 1, 1), dtype=np.float32) * 0.012
    grain = cv2.resize(coarse_grain, (width, height), interpolation=cv2.INTER_LINEAR)[..., None]
    return np.clip(canvas + grain, 0, 1).astype(np.float32)


def add_distractors(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A copy of a float RGB background with soft painted shapes and one outline-less flat blob."""
    out = np.array(image, dtype=np.float32, copy=True)
    h, w = out.shape[:2]
    short = min(h, w)
    # Soft shapes are painted at quarter size and upsampled, like the background itself.
    colour, cover = _soft_shapes(max(8, h // 4), max(8, w // 4), rng, int(rng.integers(1, 3)),
                                 out.mean(axis=(0, 1)), (0.01, 0.03))
    colour = cv2.resize(colour, (w, h), interpolation=cv2.INTER_LINEAR)
    cover = cv2.resize(cover, (w, h), interpolation=cv2.INTER_LINEAR)[..., None]
    out = out * (1 - cover) + colour * cover
    # The flat blob: a hard-edged, single-colour polygon without an ink outline.
    n = int(rng.integers(5, 9))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radius = short * rng.uniform(0.05, 0.14) * rng.uniform(0.6, 1.0, n)
    cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
    pts = np.stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles)], axis=1)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1, lineType=cv2.LINE_AA)
    out[mask > 0] = rng.uniform(0.2, 0.95, 3).astype(np.float32)
    return out


def degrade(image_u8: np.ndarray, rng: np.random.Generator, kind: str) -> np.ndarray:
    """A degraded copy of a uint8 HxWx3 RGB image: JPEG at quality 60/75/90, a slight blur, or noise."""
    if kind not in DEGRADATIONS:
        raise ValueError(f"unknown degradation {kind!r}; one of {', '.join(DEGRADATIONS)}")
    image = np.ascontiguousarray(image_u8, dtype=np.uint8)
    if kind.startswith("jpeg"):
        ok, data = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(kind[4:])])
        assert ok
        decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
        assert decoded is not None
        return np.ascontiguousarray(decoded[..., ::-1])
    if kind == "blur":
        return cv2.GaussianBlur(image, (0, 0), float(rng.uniform(0.6, 1.2)))
    noise = rng.normal(0.0, float(rng.uniform(2.0, 5.0)), image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)
