"""The paint job: line frames and painted keys on disk → every line frame painted, and manifest.json."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import BadInput
from ..image import Raster, header_size, parse_frame_name, read_image, sequence_stem
from ..output import StagedOutput
from ..paint import PaintSettings, paint_frames
from ..progress import Progress
from .keys import expand_key_args
from .params import BadParams, take

# Frames whose painted share is below this are flagged for the artist to check.
CHECK_SHARE = 0.98


@dataclass
class PaintJob:
    lines: Sequence[str | Path]
    painted: Sequence[str | Path]
    out: str | Path
    gap: float = 4.0
    unmatched: str = "transparent"
    layer: str = "full"
    overwrite: bool = False
    name: str | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> PaintJob:
        """The `paint` request's parameters → the job."""
        p = take(params, ("lines", "painted", "out"), ("gap", "unmatched", "layer", "overwrite", "name"))
        for key in ("lines", "painted"):
            if not isinstance(p[key], list) or not all(isinstance(v, str) for v in p[key]):
                raise BadParams(f"'{key}' must be a list of file paths or frame patterns", key)
        gap = p.get("gap", 4.0)
        if isinstance(gap, bool) or not isinstance(gap, (int, float)):
            raise BadParams("'gap' must be a number of pixels", "gap")
        return cls(lines=p["lines"], painted=p["painted"], out=p["out"], gap=float(gap),
                   unmatched=str(p.get("unmatched", "transparent")), layer=str(p.get("layer", "full")),
                   overwrite=bool(p.get("overwrite", False)), name=p.get("name"))


def parse_colour(text: str) -> tuple[float, float, float, float]:
    """`transparent`, `#rrggbb[aa]`, `rrggbb` or `r,g,b[,a]` (0-255) → RGBA in [0, 1]."""
    value = text.strip().lower()
    if value in ("transparent", "none"):
        return (0.0, 0.0, 0.0, 0.0)
    hex_match = re.fullmatch(r"#?([0-9a-f]{6}|[0-9a-f]{8})", value)
    if hex_match:
        digits = hex_match.group(1) + ("ff" if len(hex_match.group(1)) == 6 else "")
        return tuple(int(digits[i:i + 2], 16) / 255.0 for i in range(0, 8, 2))  # type: ignore[return-value]
    parts = value.split(",")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) in (3, 4) and all(0 <= n <= 255 for n in numbers):
        numbers += [255] * (4 - len(numbers))
        return tuple(n / 255.0 for n in numbers)  # type: ignore[return-value]
    raise BadInput(f"--unmatched must be 'transparent', #rrggbb or r,g,b, got '{text}'")


def _numbered(args: Sequence[str | Path], what: str) -> list[tuple[int, Path]]:
    """(frame number, path) for every file: from the frame pattern or the file name, else the position."""
    paths, pattern_numbers = expand_key_args(args)
    numbered = []
    for position, path in enumerate(paths):
        if pattern_numbers is not None:
            number = int(pattern_numbers[position])
        else:
            parsed = parse_frame_name(path)
            number = parsed[1] if parsed is not None else -1
        numbered.append((number, path))
    if any(number < 0 for number, _ in numbered):
        if len(numbered) == 1:
            return [(0, numbered[0][1])]
        unnumbered = next(path for number, path in numbered if number < 0)
        raise BadInput(f"has no frame number; name {what} frames like cut.0001.png", unnumbered)
    seen: dict[int, Path] = {}
    for number, path in numbered:
        if number in seen:
            raise BadInput(f"has the same frame number as {seen[number]}", path)
        seen[number] = path
    return sorted(numbered)


def _size_of(path: Path) -> tuple[int, int]:
    if not path.is_file():
        raise BadInput("no such file", path)
    # The header, nothing decoded; where it cannot be read, the project's reader says what is wrong.
    return header_size(path) or read_image(path).size


class _LineFrames(Sequence[np.ndarray]):
    """Line frames read when needed (a long 1080p cut need not sit in memory), the last few kept."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self._cache: dict[int, Raster] = {}
        self.transparent: bool | None = None
        self.bit_depth = 8

    def __len__(self) -> int:
        return len(self.paths)

    def raster(self, index: int) -> Raster:
        if index not in self._cache:
            if len(self._cache) >= 4:
                self._cache.pop(next(iter(self._cache)))
            raster = read_image(self.paths[index])
            self.bit_depth = max(self.bit_depth, raster.bit_depth)
            self._cache[index] = raster
        return self._cache[index]

    def __getitem__(self, index):  # type: ignore[override]
        return np.ascontiguousarray(self.raster(index).rgba, dtype=np.float32)


def run_paint(job: PaintJob, progress: Progress | None = None,
              cancel: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Run the job and write its folder; returns the manifest. Nothing is written unless every frame was made."""
    if not job.lines:
        raise BadInput("paint needs line frames (LINE…)")
    if not job.painted:
        raise BadInput("paint needs at least one painted frame (--painted PAINTED…)")
    try:
        settings = PaintSettings(gap=float(job.gap), unmatched=parse_colour(job.unmatched), layer=job.layer)
    except ValueError as error:
        raise BadInput(f"--{str(error).split()[0]} {str(error).split(' ', 1)[1]}") from None
    lines = _numbered(job.lines, "line")
    painted = _numbered(job.painted, "painted")
    numbers = [number for number, _ in lines]
    size = _size_of(lines[0][1])
    for _, path in lines[1:]:
        if _size_of(path) != size:
            w, h = _size_of(path)
            raise BadInput(f"is {w}x{h} but {lines[0][1]} is {size[0]}x{size[1]}; line frames must be one size", path)
    painted_images: dict[int, np.ndarray] = {}
    painted_rasters: dict[int, Raster] = {}
    for number, path in painted:
        if len(painted) == 1 and len(lines) == 1:
            number = numbers[0]  # one of each: they belong together whatever their names
        if number not in numbers:
            raise BadInput(f"is painted frame {number}, but no line frame has that number "
                           f"(line frames {numbers[0]}–{numbers[-1]})", path)
        if _size_of(path) != size:
            w, h = _size_of(path)
            raise BadInput(f"is {w}x{h} but the line frames are {size[0]}x{size[1]}", path)
        raster = read_image(path)
        painted_rasters[numbers.index(number)] = raster
        painted_images[numbers.index(number)] = np.ascontiguousarray(raster.rgba, dtype=np.float32)

    name = job.name or sequence_stem(lines[0][1])
    files = [f"{name}.{number:04d}.png" for number in numbers]
    frames_in = _LineFrames([path for _, path in lines])
    transparent = (settings.unmatched[3] < 1.0 or frames_in.raster(0).transparent
                   or any(float(image[..., 3].min()) < 1.0 for image in painted_images.values()))
    entries: list[dict[str, Any]] = []
    with StagedOutput(job.out, overwrite=job.overwrite) as output:
        # Never onto a line or painted frame (--out set to their folder): refused, with or without --overwrite.
        output.refuse_existing(files, inputs=[path for _, path in lines] + [path for _, path in painted])

        def write(index: int, frame: Any) -> None:
            output.write_image(files[index], frame.image, transparent=transparent, bit_depth=frames_in.bit_depth)
            share = round(frame.painted_share, 4)
            entries.append({
                "file": files[index], "frame": numbers[index], "source": str(lines[index][1]),
                "key": index in painted_images, "painted_share": share,
                "confidence": round(frame.confidence, 3), "check": share < CHECK_SHARE,
                **({"note": f"{len(frame.unmatched)} area(s) left unpainted"} if frame.unmatched else {}),
                "keys_used": [numbers[k] for k in frame.keys], "unmatched": frame.unmatched,
            })

        try:
            result = paint_frames(frames_in, painted_images, settings, progress=progress, cancel=cancel,
                                  on_frame=write)
        except ValueError as error:
            raise BadInput(str(error)) from None
        keys = []
        warnings = []
        for index, palette in sorted(result.palettes.items()):
            raster = painted_rasters[index]
            keys.append({"file": str(raster.path), "frame": numbers[index],
                         "palette": len(set(palette.codes[1:].tolist())),
                         "snapped": palette.snapped, "off_palette_share": round(palette.off_palette, 4)})
            if palette.snapped:
                warnings.append(f"{raster.path}: {palette.off_palette:.1%} of its fill pixels are not flat "
                                "colours (anti-aliased or noisy fills); snapped to its palette")
        manifest = {
            "command": "paint", "engine": __version__, "layer": settings.layer, "gap": settings.gap,
            "unmatched_colour": job.unmatched, "keys": keys, "frames": entries,
            **({"warnings": warnings} if warnings else {}),
        }
        output.commit(manifest)
    return manifest
