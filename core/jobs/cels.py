"""The cels job: finished frames on disk → cel masks, cel layers and (for a shot) the background plate.

Modes: ``single`` separates every frame on its own (by what a cel looks like); ``shot`` treats the
frames as one cut (camera, plate, what moves). ``auto`` is ``shot`` for two or more frames and
``single`` for one: a single frame has no motion to use, so asking for ``shot`` with one frame is
refused rather than silently answered another way.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..cels import cel_mask, separate_shot
from ..cels.settings import DEFAULT_CELS, CelSettings
from ..errors import BadInput, Cancelled
from ..image import Raster, gray_png, read_image
from ..limits import refuse_tiny
from ..output import StagedOutput
from ..progress import Progress
from .keys import expand_key_args
from .params import take

MODES = ("auto", "single", "shot")
BACKGROUND = "background.png"
BLANK_RANGE = 2 / 255   # a frame whose colours all lie this close together has nothing to separate


@dataclass
class CelsJob:
    frames: Sequence[str | Path]
    out: str | Path
    overwrite: bool = False
    mode: str = "auto"
    settings: CelSettings = DEFAULT_CELS  # the separation's thresholds (cels/settings.py)

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> CelsJob:
        """The `cels` request's parameters → the job."""
        p = take(params, ("frames", "out"), ("mode", "overwrite"))
        return cls(frames=list(p["frames"]), out=p["out"], mode=p.get("mode", "auto"),
                   overwrite=bool(p.get("overwrite", False)))


def resolve_mode(mode: str, n_frames: int) -> str:
    if mode not in MODES:
        raise BadInput(f"unknown --mode '{mode}'; choose {', '.join(MODES)}")
    if mode == "shot" and n_frames < 2:
        raise BadInput("--mode shot needs at least two frames of one shot; one frame runs in single mode")
    if mode == "auto":
        return "shot" if n_frames >= 2 else "single"
    return mode


def output_names(paths: Sequence[Path], mode: str) -> list[str]:
    stems = [path.stem for path in paths]
    for i, path in enumerate(paths):
        if path.stem in stems[:i]:
            raise BadInput("two frames share this name, so their outputs would collide", path)
    names = [f"{stem}.{kind}.png" for stem in stems for kind in ("mask", "cel")]
    return names + ([BACKGROUND] if mode == "shot" else [])


def _is_gray(rgb: np.ndarray) -> bool:
    return bool(np.abs(rgb - rgb[..., :1]).max() < 1e-6)


def check_frames(rasters: Sequence[Raster], mode: str) -> None:
    """Refuse what cannot be separated: transparent layers, blank frames, and a shot of mixed frames."""
    for raster in rasters:
        refuse_tiny(raster.path, *raster.size)
        if raster.transparent:
            raise BadInput("has transparent pixels; cel separation takes finished, opaque frames", raster.path)
        rgb = raster.rgba[..., :3]
        if float(rgb.max() - rgb.min()) <= BLANK_RANGE:
            raise BadInput("is blank (one flat colour): nothing to separate", raster.path)
    if mode != "shot":
        return
    first = rasters[0]
    for raster in rasters[1:]:
        if raster.size != first.size:
            raise BadInput(f"is {raster.size[0]}x{raster.size[1]} but {first.path} is "
                           f"{first.size[0]}x{first.size[1]}; all frames of a shot must be one size", raster.path)
        if raster.bit_depth != first.bit_depth:
            raise BadInput(f"is {raster.bit_depth}-bit but {first.path} is {first.bit_depth}-bit; "
                           "all frames of a shot must be in one mode", raster.path)
        if _is_gray(raster.rgba[..., :3]) != _is_gray(first.rgba[..., :3]):
            raise BadInput(f"is {'grey' if _is_gray(raster.rgba[..., :3]) else 'colour'} but {first.path} is not; "
                           "all frames of a shot must be in one mode", raster.path)


def _cel_layer(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    rgba = np.empty(rgb.shape[:2] + (4,), np.float32)
    rgba[..., :3] = rgb
    rgba[..., 3] = mask
    return rgba


def run_cels(job: CelsJob, progress: Progress | None = None,
             cancel: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Run the job and write its folder; returns the manifest. Nothing is written unless every frame was done."""
    paths, _ = expand_key_args(job.frames)
    if not paths:
        raise BadInput("no frames given")
    mode = resolve_mode(job.mode, len(paths))
    with StagedOutput(job.out, overwrite=job.overwrite) as output:
        output.refuse_existing(output_names(paths, mode), inputs=paths)
        rasters = [read_image(path) for path in paths]
        check_frames(rasters, mode)
        rgbs = [raster.rgba[..., :3] for raster in rasters]
        manifest: dict[str, Any] = {"command": "cels", "engine": __version__, "mode": mode}
        if mode == "shot":
            shot = separate_shot(rgbs, progress=progress, cancel=cancel, settings=job.settings)
            masks = shot.masks
            manifest.update({
                "background": BACKGROUND,
                "camera": shot.camera,
                "plate_size": [int(shot.plate.shape[1]), int(shot.plate.shape[0])],
                "plate_seen_share": round(float(shot.seen.mean()), 4),
                "held_cels": shot.held,
            })
            output.write_image(BACKGROUND, _cel_layer(shot.plate, np.ones(shot.seen.shape, bool)),
                               transparent=False, bit_depth=rasters[0].bit_depth)
        else:
            masks = []
            for i, rgb in enumerate(rgbs):
                if cancel is not None and cancel():
                    raise Cancelled()
                if progress is not None:
                    progress(i, len(rgbs), f"frame {i + 1}")
                masks.append(cel_mask(rgb, job.settings))
        frames = []
        for i, (path, raster, mask) in enumerate(zip(paths, rasters, masks)):
            entry: dict[str, Any] = {"source": str(path), "mask": f"{path.stem}.mask.png",
                                     "cel": f"{path.stem}.cel.png", "cel_share": round(float(mask.mean()), 4)}
            if mode == "shot":
                entry["offset"] = list(shot.offsets[i])
                if shot.places:  # a zoom or turn: the frame's whole placement in the plate, not only its corner
                    entry["place"] = [[round(float(v), 6) for v in row] for row in shot.places[i]]
            output.write_bytes(entry["mask"], gray_png(np.where(mask, 255, 0)))
            output.write_image(entry["cel"], _cel_layer(raster.rgba[..., :3], mask), transparent=True,
                               bit_depth=raster.bit_depth)
            frames.append(entry)
        manifest["frames"] = frames
        if progress is not None:
            progress(len(paths), len(paths), "written")
        output.commit(manifest)
    return manifest
