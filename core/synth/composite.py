"""Composites that look like finished anime frames, with exact cel masks.

Our cel-shaded figures over `scene_background` scenes, finished the way a compositor finishes a frame: a
colour grade over everything (gamma, contrast, a tint), sometimes a transparent glow or light effect on top
(an effect is not a cel: the truth stays the figures' alpha), and lossy video-like compression. Shots add a
camera: a similarity (pan, zoom, rotation) moving over a larger plate, with figures that walk, stop
(a character that stops moving is still cel) or are held on the plate (they move with the camera).

`real_art_frames` composites real painted characters (drawn on white) over crops of real frames from a
folder the developer names, for development measurement only: nothing here ships such data or needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .backgrounds import scene_background
from .celframes import MASK_ALPHA, CelFrame, composite, figure_cel, to_u8

QUALITIES = (60, 95)   # JPEG quality range of a finished frame


@dataclass(frozen=True)
class Finish:
    """The compositor's finish for one frame or shot: grade, optional glow, compression."""
    gamma: float
    contrast: float
    tint: tuple[float, float, float]
    glow: tuple[float, float, float, float] | None  # x, y (shares of the frame), radius share, strength
    jpeg: int | None

    @classmethod
    def random(cls, rng: np.random.Generator, compress: bool = True) -> Finish:
        glow = None
        if rng.random() < 0.3:
            glow = (float(rng.uniform(0.1, 0.9)), float(rng.uniform(0.1, 0.9)), float(rng.uniform(0.1, 0.3)),
                    float(rng.uniform(0.15, 0.4)))
        r, g, b = (float(v) for v in np.clip(1 + rng.normal(0, 0.05, 3), 0.85, 1.15))
        jpeg = int(rng.integers(*QUALITIES)) if compress else None
        return cls(float(rng.uniform(0.8, 1.25)), float(rng.uniform(0.85, 1.15)), (r, g, b), glow, jpeg)

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        """Finished float RGB (8-bit values, as a decoded frame)."""
        out = np.clip(rgb, 0, 1) ** self.gamma
        out = (out - 0.5) * self.contrast + 0.5
        out = out * np.array(self.tint, np.float32)
        if self.glow is not None:
            h, w = out.shape[:2]
            gx, gy, radius, strength = self.glow
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
            d2 = ((xx - gx * w) ** 2 + (yy - gy * h) ** 2) / (radius * min(h, w)) ** 2
            light = strength * np.exp(-d2)[..., None]
            out = out * (1 - light) + np.array([1.0, 0.95, 0.8], np.float32) * light  # screen-like, transparent
        u8 = to_u8(out)
        if self.jpeg is not None:
            ok, data = cv2.imencode(".jpg", u8[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, self.jpeg])
            if not ok:
                raise RuntimeError("JPEG encoding failed")
            u8 = np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR))[..., ::-1]
        return np.ascontiguousarray(u8).astype(np.float32) / 255.0


def _figures(seed: int, index: int, size: tuple[int, int], rng: np.random.Generator, t: float | None = None,
             count: int | None = None) -> list[np.ndarray]:
    """One to three cel figures, from full-length to close-up sizes."""
    h = size[1]
    n = int(rng.integers(1, 4)) if count is None else count
    cels = []
    for k in range(n):
        shift = (float((k + rng.uniform(0.15, 0.85)) / n), float(rng.uniform(0.3, 0.8)))
        cels.append(figure_cel(seed, index * 8 + k, size, float(rng.uniform(0, 1)) if t is None else t,
                               line_width=float(rng.uniform(1.5, 4)) * h / 540,
                               fill_height=float(rng.uniform(0.5, 1.4)), shift=shift))
    return cels


def composite_frame(seed: int, index: int, size: tuple[int, int] = (960, 540), compress: bool = True) -> CelFrame:
    """Case ``index`` of ``seed``: figures over a scene, graded, maybe glowing, JPEG-compressed."""
    w, h = size
    rng = np.random.default_rng([seed, index, 60])
    background = scene_background(h, w, rng)
    rgb, mask = composite(background, _figures(seed, index, size, rng))
    finish = Finish.random(rng, compress)
    return CelFrame(f"composite-{seed}-{index:02d}", finish.apply(rgb), mask, finish.apply(background))


def composite_suite(size: tuple[int, int] = (960, 540), n_cases: int = 8, seed: int = 0,
                    compress: bool = True) -> list[CelFrame]:
    return [composite_frame(seed, i, size, compress) for i in range(n_cases)]


@dataclass(frozen=True)
class CompositeShot:
    name: str
    frames: list[np.ndarray]     # float32 HxWx3 finished frames
    masks: list[np.ndarray]      # bool HxW, True = cel
    cameras: list[np.ndarray]    # 2x3 float: plate → frame, per frame
    kind: str                    # "static", "pan", "zoom" or "rotate"


def _camera(kind: str, rng: np.random.Generator, n_frames: int, plate: tuple[int, int],
            frame: tuple[int, int]) -> list[np.ndarray]:
    """Plate → frame similarity per frame: the frame's centre travels, zooms or turns over the plate."""
    pw, ph = plate
    fw, fh = frame
    velocity = rng.uniform(2, 8) * rng.choice([-1, 1]), rng.uniform(-2, 2)
    zoom_rate = rng.uniform(0.005, 0.015) * rng.choice([-1, 1])
    turn_rate = rng.uniform(0.002, 0.006) * rng.choice([-1, 1])
    start = np.array([pw / 2, ph / 2]) - np.array(velocity) * (n_frames - 1) / 2
    matrices = []
    for i in range(n_frames):
        centre = start + np.array(velocity) * i if kind == "pan" else np.array([pw / 2, ph / 2])
        scale = (1 + zoom_rate) ** i if kind == "zoom" else 1.0
        angle = turn_rate * i if kind == "rotate" else 0.0
        cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
        # frame = R*s*(plate - centre) + frame centre
        linear = np.array([[cos, -sin], [sin, cos]])
        matrices.append(np.hstack([linear, (np.array([fw / 2, fh / 2]) - linear @ centre)[:, None]]))
    return matrices


def composite_shot(seed: int, index: int, size: tuple[int, int] = (960, 540), n_frames: int = 8,
                   kind: str = "pan", held: bool = False, stops: bool = False, compress: bool = True) -> CompositeShot:
    """A shot: a walking figure (which stands still for the second half when ``stops``), an optional figure
    held on the plate, a camera of ``kind``, one finish for the whole shot."""
    if kind not in ("static", "pan", "zoom", "rotate"):
        raise ValueError(f"unknown camera {kind!r}")
    w, h = size
    rng = np.random.default_rng([seed, index, 70])
    pw, ph = int(w * 1.3), int(h * 1.3)
    plate = scene_background(ph, pw, rng)
    held_layer = None
    if held:
        held_layer = np.zeros((ph, pw, 4), np.float32)
        ox, oy = (pw - w) // 2, (ph - h) // 2
        held_layer[oy:oy + h, ox:ox + w] = _figures(seed, index * 4 + 1, size, rng, t=0.0, count=1)[0]
    cameras = _camera(kind, rng, n_frames, (pw, ph), size)
    walk = float(rng.uniform(0.1, 0.25)) * w * float(rng.choice([-1, 1]))
    finish = Finish.random(rng, compress)
    side = float(rng.uniform(0.3, 0.7))
    frames, masks = [], []
    for i, matrix in enumerate(cameras):
        t = i / max(n_frames - 1, 1)
        if stops:
            t = min(t, 0.5)
        mover = figure_cel(seed, index * 4, size, t, line_width=2.5 * h / 540, fill_height=0.8, shift=(side, 0.55))
        mover = cv2.warpAffine(mover, np.array([[1, 0, walk * (t - 0.25)], [0, 1, 0]], np.float32), (w, h),
                               flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
        background = cv2.warpAffine(plate, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        cels = [mover]
        if held_layer is not None:
            cels.insert(0, cv2.warpAffine(held_layer, matrix, (w, h), flags=cv2.INTER_LINEAR,
                                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0)))
        rgb, mask = composite(background, cels)
        frames.append(finish.apply(rgb))
        masks.append(mask)
    name = f"composite-shot-{seed}-{index:02d}-{kind}" + ("-held" if held else "") + ("-stops" if stops else "")
    return CompositeShot(name, frames, masks, cameras, kind)


def composite_shot_suite(size: tuple[int, int] = (960, 540), n_cases: int = 4, n_frames: int = 8,
                         seed: int = 0) -> list[CompositeShot]:
    """Cases cycle through the cameras; every other one holds a figure, every third stops its walker."""
    kinds = ("static", "pan", "zoom", "rotate")
    return [composite_shot(seed, i, size, n_frames, kinds[i % 4], held=i % 2 == 1, stops=i % 3 == 2)
            for i in range(n_cases)]


# ---- development only: real painted characters over crops of real frames (folders named by the caller) ----

def character_on_white(rgb: np.ndarray) -> np.ndarray:
    """RGBA of a character drawn on white: alpha is everything the white paper around it does not reach."""
    u8 = to_u8(rgb)
    paper = (u8.min(axis=2) > 242).astype(np.uint8)
    h, w = paper.shape
    reach = np.zeros((h + 2, w + 2), np.uint8)
    reach[1:-1, 1:-1] = paper
    for x, y in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)):
        if paper[y, x]:
            cv2.floodFill(reach, None, (x + 1, y + 1), 2)
    alpha = (reach[1:-1, 1:-1] != 2).astype(np.float32)
    alpha = cv2.morphologyEx(alpha, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    alpha = cv2.GaussianBlur(alpha, (3, 3), 0)
    return np.dstack([rgb, alpha]).astype(np.float32)


def _read(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"{path}: not an image")
    return image[..., ::-1].astype(np.float32) / 255.0


def real_art_frames(characters: Path, backgrounds: Path, n_cases: int, seed: int,
                    size: tuple[int, int] = (960, 540)) -> list[CelFrame]:
    """Characters from ``characters`` (PNG frames on white) over crops of the PNG frames under ``backgrounds``
    (searched recursively), finished like `composite_frame`. The truth is only the pasted character: people
    in the background crops count as background."""
    char_files = sorted(Path(characters).glob("*.png"))
    back_files = sorted(Path(backgrounds).rglob("*.png"))
    if not char_files or not back_files:
        raise ValueError(f"no PNG frames in {characters if not char_files else backgrounds}")
    w, h = size
    cases = []
    for index in range(n_cases):
        rng = np.random.default_rng([seed, index, 80])
        back = _read(back_files[int(rng.integers(len(back_files)))])
        bh, bw = back.shape[:2]
        crop = rng.uniform(0.35, 0.6)  # a corner-ish crop, scaled up to the frame
        cw, ch = int(bw * crop), int(bh * crop)
        x0, y0 = int(rng.integers(0, bw - cw + 1)), int(rng.integers(0, bh - ch + 1))
        background = cv2.resize(back[y0:y0 + ch, x0:x0 + cw], size, interpolation=cv2.INTER_CUBIC)
        layer = character_on_white(_read(char_files[int(rng.integers(len(char_files)))]))
        scale = h / layer.shape[0] * rng.uniform(0.9, 1.6)
        matrix = np.array([[scale, 0, rng.uniform(-0.3, 0.3) * w + (w - layer.shape[1] * scale) / 2],
                           [0, scale, rng.uniform(-0.1, 0.2) * h + (h - layer.shape[0] * scale) / 2]], np.float32)
        cel = cv2.warpAffine(layer, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                             borderValue=(0, 0, 0, 0))
        rgb, mask = composite(background, [cel])
        finish = Finish.random(rng)
        cases.append(CelFrame(f"real-art-{seed}-{index:02d}", finish.apply(rgb), mask, finish.apply(background)))
    return cases


__all__ = ["MASK_ALPHA", "CompositeShot", "Finish", "character_on_white", "composite_frame", "composite_shot",
           "composite_shot_suite", "composite_suite", "real_art_frames"]
