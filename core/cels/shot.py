"""Shot-mode cel separation: the background stays on its plate while cels move against it.

1. Camera: the motion between consecutive frames is fitted to the optical flow over the pixels the
   single-frame detector calls background (cels move on their own, so they are left out): a RANSAC
   similarity first; when its zoom and turn move no frame corner by `CelSettings.turn` px over the shot,
   the median flow (a pan). Motions chain into each frame's placement (2x3, frame → plate), then each frame is
   re-aligned to a first plate (chained estimates drift). No offset larger than half a pixel: a static
   camera. A zoom or turn resamples the frames into the plate; a pan by whole pixels slices them.
2. Plate, first pass, at the working height: per plate pixel, the median over the frames that see it
   and whose single-frame mask calls it background (over all frames that see it where none does).
3. Cel = what differs from that plate, with enclosed flat gaps filled; where the single-frame mask
   agrees, its outline is used (it is crisper than a difference), a look-cel piece that motion backs
   in good part is kept whole (a figure whose head holds still while its arms move), and what only
   looks like cel but does not move (an outline-less flat shape next to a figure) is dropped.
   Masks are made at the working height (540 px) and scaled back, like single-frame ones.
4. Plate, second pass, full size: the mean over frames of the pixels no cel covers there.
5. Plate pixels that most frames show as cel by its look, in the frames whose colour there matches
   the median of those cel looks, are cel too (a held cel, or the part of the frame a moving cel
   never leaves); such regions that barely change are reported as held cels, which motion alone
   would have lost, and count as never seen on the plate.
6. Never-seen plate pixels are inpainted (OpenCV Telea) and flagged in ``seen``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..errors import Cancelled
from ..image import LUMA
from ..progress import Progress
from .settings import DEFAULT_CELS, CelSettings
from .single import cel_mask, fill_enclosed


@dataclass
class ShotSeparation:
    masks: list[np.ndarray]                  # bool HxW per frame, True = cel
    plate: np.ndarray                        # float32 PxQx3 background across the whole camera move
    seen: np.ndarray                         # bool PxQ: plate pixels some frame showed uncovered
    offsets: list[tuple[float, float]]       # (x, y) of each frame's top-left corner in the plate
    camera: str                              # "static", "pan", or "zoom/rotate" (a similarity)
    held: list[dict] = field(default_factory=list)  # held cels: plate bbox, area, frames that show them
    places: list[np.ndarray] = field(default_factory=list)  # 2x3 per frame: frame → plate coordinates

    def plate_crop(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The plate and its seen-mask under frame ``index``, in that frame's coordinates."""
        h, w = self.masks[index].shape
        place = self.places[index] if self.places else translation(*self.offsets[index])
        return _crop(self.plate, place, w, h), _crop(self.seen.astype(np.float32), place, w, h) > 0.5


Place = np.ndarray  # 2x3 float: frame coordinates → plate coordinates


def translation(x: float, y: float) -> Place:
    return np.array([[1.0, 0.0, x], [0.0, 1.0, y]])


def _whole_shift(place: Place) -> bool:
    """A pure translation by whole pixels: placed by slicing, no resampling blur."""
    return bool(np.allclose(place[:, :2], np.eye(2)) and all(float(v).is_integer() for v in place[:, 2]))


def _crop(image: np.ndarray, place: Place, w: int, h: int) -> np.ndarray:
    """The part of a plate-sized image under a frame placed at ``place``, in that frame's coordinates."""
    if _whole_shift(place):
        x, y = int(place[0, 2]), int(place[1, 2])
        return image[y:y + h, x:x + w]
    return cv2.warpAffine(image, place.astype(np.float32), (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def _to_plate(image: np.ndarray, place: Place, size: tuple[int, int]) -> np.ndarray:
    """Place a frame-sized image in a plate of ``size`` (width, height); elsewhere zero."""
    flags = cv2.INTER_NEAREST if _whole_shift(place) else cv2.INTER_LINEAR
    return cv2.warpAffine(image, place.astype(np.float32), size, flags=flags, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=0)


def _compose(place: Place, step: np.ndarray) -> Place:
    """``place`` after ``step`` (2x3, frame → frame): the frame point p lands at place(step(p))."""
    return place @ np.vstack([step, [0.0, 0.0, 1.0]])


def _inverse(step: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.invertAffineTransform(step.astype(np.float64)), np.float64)


def _gray_u8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint((image @ LUMA) * 255), 0, 255).astype(np.uint8)


def _background_flow(flow: cv2.DISOpticalFlow, source: np.ndarray, target: np.ndarray,
                     background: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The optical flow from ``source`` to ``target`` and the pixels to read the camera from (the
    background, or everything when too little of it is known)."""
    # The stubs lack the optional output flow (None) that OpenCV accepts.
    field_ = flow.calc(_gray_u8(source), _gray_u8(target), None)  # type: ignore[call-overload]
    return field_, background if background.sum() > 100 else np.ones(background.shape, bool)


def _camera_step(field_: np.ndarray, use: np.ndarray, similarity: bool, sample: int) -> np.ndarray:
    """How the background moved (2x3, source → target coordinates): the median flow over its pixels, or
    with ``similarity`` a RANSAC similarity (pan, zoom, rotation) fitted to it."""
    if similarity:
        ys, xs = np.nonzero(use[::sample, ::sample])
        ys, xs = ys * sample, xs * sample
        points = np.stack([xs, ys], axis=1).astype(np.float32)
        fitted, _ = cv2.estimateAffinePartial2D(points, points + field_[ys, xs], method=cv2.RANSAC,
                                                ransacReprojThreshold=1.0)
        if fitted is not None:
            return fitted
    dx, dy = np.median(field_[use], axis=0)
    return translation(float(dx), float(dy))


def _snap(places: Sequence[Place], snap: float) -> list[Place]:
    """Pure translations close to whole pixels snap to them."""
    snapped = []
    for place in places:
        place = place.copy()
        if np.allclose(place[:, :2], np.eye(2)):
            near = np.abs(place[:, 2] - np.rint(place[:, 2])) < snap
            place[near, 2] = np.rint(place[near, 2])
        snapped.append(place)
    return snapped


def _origin(places: Sequence[Place], w: int, h: int, snap: float) -> list[Place]:
    """Move every placement so the union of the placed frames starts at the plate's 0, 0."""
    if all(np.allclose(p[:, :2], np.eye(2)) for p in places):  # a pan: the top-left corners
        low = np.min([p[:, 2] for p in places], axis=0)
    else:
        corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64).T
        low = np.min([(p @ corners).min(axis=1) for p in places], axis=0)
    return _snap([np.hstack([p[:, :2], (p[:, 2] - low)[:, None]]) for p in places], snap)


def _needs_similarity(steps: Sequence[np.ndarray], w: int, h: int, turn: float) -> bool:
    """Whether the camera zooms or turns: the linear part of the frame-to-frame motions moves a frame
    corner by more than ``turn`` px over the shot."""
    total = np.eye(2)
    for step in steps:
        total = step[:, :2] @ total
    return float(np.abs(total - np.eye(2)).sum()) * max(w, h) / 2 > turn


def estimate_places(frames: Sequence[np.ndarray], backgrounds: Sequence[np.ndarray],
                    settings: CelSettings = DEFAULT_CELS) -> tuple[list[Place], bool]:
    """Each frame's placement in the plate, chaining the background's motion frame to frame; and whether the
    camera needed a similarity (zoom, rotation) rather than a translation."""
    flow = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    h, w = frames[0].shape[:2]
    fields = [_background_flow(flow, frames[i - 1], frames[i], backgrounds[i - 1]) for i in range(1, len(frames))]
    similarity = _needs_similarity([_camera_step(f, use, True, settings.sample) for f, use in fields], w, h,
                                   settings.turn)
    # A pan or a still camera: the median flow is the steadier estimate.
    steps = [_camera_step(f, use, similarity, settings.sample) for f, use in fields]
    places = [translation(0.0, 0.0)]
    for step in steps:
        # The background moved by ``step`` in the image: frame i sees frame i-1's point p at step(p).
        places.append(_compose(places[-1], _inverse(step)))
    return _origin(places, w, h, settings.snap), similarity


def refine_places(frames: Sequence[np.ndarray], places: Sequence[Place], plate: np.ndarray,
                  backgrounds: Sequence[np.ndarray], similarity: bool,
                  settings: CelSettings = DEFAULT_CELS) -> list[Place]:
    """Correct each placement by the frame's residual motion against the plate: chained estimates drift."""
    flow = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    h, w = frames[0].shape[:2]
    refined = [_compose(place, _inverse(_camera_step(*_background_flow(flow, _crop(plate, place, w, h), frame,
                                                                        background), similarity,
                                                      settings.sample)))
               for frame, place, background in zip(frames, places, backgrounds)]
    return _origin(refined, w, h, settings.snap)


def _plate_size(places: Sequence[Place], w: int, h: int) -> tuple[int, int]:
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64).T
    high = np.max([(p @ corners).max(axis=1) for p in places], axis=0)
    return int(np.ceil(high[0] - 1e-6)), int(np.ceil(high[1] - 1e-6))


def _median_plate(frames: Sequence[np.ndarray], offsets: Sequence[Place],
                  size: tuple[int, int], usable: Sequence[np.ndarray]) -> np.ndarray:
    """Per plate pixel, the colour of the frame of median luminance among the frames whose ``usable`` mask
    shows it there; where no frame does, among every frame that sees it; unseen stays 0. (Whole colours
    from one frame: one sort instead of three, and no mixing of channels from different frames.)"""
    colours = np.stack([_to_plate(frame, place, size) for frame, place in zip(frames, offsets)])
    luma = colours @ LUMA
    seen = np.stack([_to_plate(np.ones(f.shape[:2], np.float32), place, size) > 0.5
                     for f, place in zip(frames, offsets)])

    def median(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        keyed = np.where(valid, luma, np.inf)  # invalid frames sort last
        order = np.argsort(keyed, axis=0)
        count = valid.sum(axis=0)
        middle = np.take_along_axis(order, (np.maximum(count - 1, 0) // 2)[None], axis=0)[0]
        picked = np.take_along_axis(colours, middle[None, ..., None].repeat(3, axis=-1), axis=0)[0]
        return np.where((count > 0)[..., None], picked, 0.0), count > 0

    placed = np.stack([_to_plate(u.astype(np.float32), place, size) > 0.5 for u, place in zip(usable, offsets)])
    plate, shown = median(placed & seen)
    if not shown.all():
        everything, _ = median(seen)
        plate[~shown] = everything[~shown]
    return plate.astype(np.float32)


def _differs(frame: np.ndarray, plate_under: np.ndarray, settings: CelSettings) -> np.ndarray:
    difference = np.abs(cv2.GaussianBlur(frame, (3, 3), 0) - cv2.GaussianBlur(plate_under, (3, 3), 0)).max(axis=2)
    return difference > settings.difference


def _moving(frame: np.ndarray, plate_under: np.ndarray, settings: CelSettings) -> np.ndarray:
    """Pixels that differ from the plate under them: the cels, with enclosed flat gaps filled."""
    moving = _differs(frame, plate_under, settings)
    moving = cv2.morphologyEx(moving.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)) > 0
    return fill_enclosed(moving, frame, settings=settings)


def _mostly_cel(cels: Sequence[np.ndarray], offsets: Sequence[Place],
                size: tuple[int, int], mostly: float) -> np.ndarray:
    """Plate pixels that most frames seeing them show covered by a cel (by its look)."""
    covered = np.zeros((size[1], size[0]), np.float32)
    shown = np.zeros_like(covered)
    for cel, place in zip(cels, offsets):
        covered += _to_plate(cel.astype(np.float32), place, size)
        shown += _to_plate(np.ones(cel.shape, np.float32), place, size)
    return (shown > 0.5) & (covered > mostly * shown)


def _held_cels(always: np.ndarray, moving_share: np.ndarray, frame_area: int,
               settings: CelSettings) -> list[dict]:
    """Mostly-cel regions that barely change: cels that never move. (Regions a moving cel never leaves
    are cel too, but not held.)"""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(always.astype(np.uint8), connectivity=8)
    motion = np.bincount(labels.ravel(), moving_share.ravel(), count) / np.maximum(stats[:, cv2.CC_STAT_AREA], 1)
    reports = []
    for k in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[k])
        if area >= settings.min_held_share * frame_area and motion[k] < settings.held_motion:
            reports.append({"bbox": [x, y, w, h], "area": area})
    return reports


def separate_shot(frames: Sequence[np.ndarray], progress: Progress | None = None,
                  cancel: Callable[[], bool] | None = None, settings: CelSettings = DEFAULT_CELS) -> ShotSeparation:
    """Frames of one cut (float RGB, same size) → masks, background plate, held cels."""
    if len(frames) < 2:
        raise ValueError("a shot needs at least two frames")
    frames = [np.asarray(f, np.float32)[..., :3] for f in frames]
    h, w = frames[0].shape[:2]
    total = len(frames) * 2 + 2

    def step(done: int, message: str) -> None:
        if cancel is not None and cancel():
            raise Cancelled()
        if progress is not None:
            progress(done, total, message)

    # Everything up to the cel masks runs at the working height; it only needs to be roughly right.
    scale = min(1.0, settings.work_height / h)
    work = [cv2.resize(f, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else f
            for f in frames]
    looks = []
    for i, f in enumerate(work):
        step(i, "finding cels by their look")
        looks.append(cel_mask(f, settings))
    # Background by its look, with a margin: the camera is measured on it and the first plate made of it.
    backgrounds = [~(cv2.dilate(c.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0) for c in looks]
    small_offsets, similarity = estimate_places(work, backgrounds, settings)
    step(len(frames), "median plate")
    work_size = _plate_size(small_offsets, work[0].shape[1], work[0].shape[0])
    rough = _median_plate(work, small_offsets, work_size, backgrounds)
    if similarity or any(p[:, 2].any() for p in small_offsets):  # a move: align to the plate, rebuild it
        small_offsets = refine_places(work, small_offsets, rough, backgrounds, similarity, settings)
        work_size = _plate_size(small_offsets, work[0].shape[1], work[0].shape[0])
        rough = _median_plate(work, small_offsets, work_size, backgrounds)
    # Where most frames show a cel by its look, the median of those frames is that cel's colour; a frame
    # showing that colour there shows the cel (held cels, and cels a moving one never leaves).
    always = _mostly_cel(looks, small_offsets, work_size, settings.mostly)
    cel_colour = _median_plate(work, small_offsets, work_size, looks)
    small_masks = []
    moving_share = np.zeros(always.shape, np.float32)
    for i, (frame, look, place) in enumerate(zip(work, looks, small_offsets)):
        step(len(frames) + 1 + i, "cels against the plate")
        fh, fw = frame.shape[:2]
        moving = _moving(frame, _crop(rough, place, fw, fh), settings)
        moving_share += _to_plate(moving.astype(np.float32), place, work_size) / len(frames)
        held = ((_crop(always.astype(np.float32), place, fw, fh) > 0.5)
                & ~_differs(frame, _crop(cel_colour, place, fw, fh), settings))
        small_masks.append(_combine(look, moving, held, settings))
    reports = _held_cels(always, moving_share, work[0].shape[0] * work[0].shape[1], settings)

    # Full size: masks scaled back like the single-frame ones, the plate from every uncovered pixel.
    offsets = _snap([np.hstack([p[:, :2], p[:, 2:] / scale]) for p in small_offsets], settings.snap)
    size = _plate_size(offsets, w, h)
    corners = [(float(p[0, 2]), float(p[1, 2])) for p in offsets]
    masks = [cv2.resize(m.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) > 0.5 if scale < 1 else m
             for m in small_masks]
    total_colour = np.zeros((size[1], size[0], 3), np.float32)
    count = np.zeros((size[1], size[0]), np.float32)
    for frame, mask, place in zip(frames, masks, offsets):
        rim = 2 * settings.rim + 1
        clear = ~(cv2.dilate(mask.astype(np.uint8), np.ones((rim, rim), np.uint8)) > 0)
        weight = _to_plate(clear.astype(np.float32), place, size)
        total_colour += _to_plate(frame, place, size) * weight[..., None]
        count += weight
    seen = count > 0.5
    plate = total_colour / np.maximum(count, 1e-6)[..., None]

    step(total - 1, "held cels and inpainting")
    for report in reports:
        report["bbox"] = [round(v / scale) for v in report["bbox"]]
        report["area"] = round(report["area"] / scale ** 2)
        bx, by, bw, bh = report["bbox"]
        report["frames"] = [i for i, (x, y) in enumerate(corners)
                            if bx < x + w and x < bx + bw and by < y + h and y < by + bh]
    plate = _inpaint(plate, ~seen, settings.work_height)
    moved = max(max(abs(x), abs(y)) for x, y in corners)
    camera = "zoom/rotate" if similarity else "static" if moved < settings.static else "pan"
    step(total, "done")
    return ShotSeparation(masks, plate.astype(np.float32), seen, corners, camera, reports, offsets)


def _combine(look: np.ndarray, moving: np.ndarray, held: np.ndarray, settings: CelSettings) -> np.ndarray:
    """The cel: what looks like cel where motion (or a held cel) backs it, for the look's crisp outline;
    plus held cels; plus the core of whatever moves (cels that do not look like cels)."""
    backed = cv2.dilate((moving | held).astype(np.uint8), np.ones((2 * settings.support + 1,) * 2, np.uint8)) > 0
    core = cv2.erode(moving.astype(np.uint8), np.ones((2 * settings.margin + 1,) * 2, np.uint8)) > 0
    # A figure whose body moves while its head holds still is one cel: a look-cel piece that motion
    # backs in good part is cel whole.
    count, pieces = cv2.connectedComponents(look.astype(np.uint8), connectivity=8)
    area = np.maximum(np.bincount(pieces.ravel(), minlength=count), 1)
    share = np.bincount(pieces.ravel(), backed.ravel(), count) / area
    whole = share >= settings.backed_share
    whole[0] = False
    return (look & backed) | whole[pieces] | held | core


def _inpaint(plate: np.ndarray, missing: np.ndarray, work_height: int) -> np.ndarray:
    """Fill never-seen plate pixels from their surroundings, at most at the working height (a guess
    either way; full size would only cost time)."""
    if not missing.any():
        return plate
    height, width = missing.shape
    scale = min(1.0, work_height / height)
    small = (max(1, round(width * scale)), max(1, round(height * scale)))
    u8 = np.clip(np.rint(cv2.resize(plate, small, interpolation=cv2.INTER_AREA) * 255), 0, 255).astype(np.uint8)
    holes = cv2.resize(missing.astype(np.uint8), small, interpolation=cv2.INTER_NEAREST)
    holes = cv2.dilate(holes, np.ones((3, 3), np.uint8))  # resizing must not leave a missing pixel outside
    filled = cv2.inpaint(u8, holes, 5, cv2.INPAINT_TELEA).astype(np.float32) / 255
    filled = np.asarray(cv2.resize(filled, (width, height), interpolation=cv2.INTER_LINEAR), np.float32)
    return np.where(missing[..., None], filled, plate)
