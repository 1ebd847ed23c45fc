"""The demo: inbetween the bundled sample keys, write the frames, a contact sheet and a GIF preview."""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..output import StagedOutput
from .inbetween import InbetweenJob, MadeSequence, Progress, make_sequence

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
# (name, key files, inbetweens per gap): line art with three keys (arcs), a coloured cel with two.
DEMO_SETS = (("figure", ("figure.key0.png", "figure.key1.png", "figure.key2.png"), 5),
             ("cel", ("cel.key0.png", "cel.key1.png"), 5))
THUMB_WIDTH = 320
GIF_FRAME_MS = 83  # 12 drawings a second: animation on twos at 24 fps


@dataclass(frozen=True)
class DemoJob:
    """`nakawari demo`: the bundled sample keys inbetweened into ``out``."""

    out: Path
    device: str = "auto"
    overwrite: bool = False


def run_demo_job(job: DemoJob, progress: Progress | None = None,
                 cancel: Callable[[], bool] | None = None) -> list[Path]:
    return run_demo(job.out, device=job.device, overwrite=job.overwrite, progress=progress, cancel=cancel)


def run_demo(out: Path, *, device: str = "auto", overwrite: bool = False, progress: Progress | None = None,
             cancel: Callable[[], bool] | None = None) -> list[Path]:
    """Returns the paths written (manifest last)."""
    with StagedOutput(out, overwrite=overwrite) as output:
        manifest: dict = {"command": "demo", "sets": {}}
        for name, files, count in DEMO_SETS:
            job = InbetweenJob(keys=[SAMPLES / f for f in files], out=out, count=count, device=device, name=name)

            def refuse_existing(names: list[str], n: str = name) -> None:
                output.refuse_existing([*names, f"{n}.sheet.png", f"{n}.preview.gif"])
            sequence = make_sequence(job, progress, cancel, before_work=refuse_existing)
            sequence.write_to(output)
            output.write_bytes(f"{name}.sheet.png", _png_bytes(contact_sheet(sequence)))
            output.write_bytes(f"{name}.preview.gif", preview_gif(sequence))
            manifest["sets"][name] = sequence.manifest | {"sheet": f"{name}.sheet.png",
                                                         "preview": f"{name}.preview.gif"}
        return output.commit(manifest)


def _on_white_rgb(rgba: np.ndarray, width: int) -> Image.Image:
    alpha = rgba[..., 3:4]
    rgb = rgba[..., :3] * alpha + (1.0 - alpha)
    image = Image.fromarray(np.clip(np.rint(rgb * 255), 0, 255).astype(np.uint8), "RGB")
    return image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)


def contact_sheet(sequence: MadeSequence, columns: int = 4) -> Image.Image:
    """Every frame as a labelled thumbnail; keys framed in red, as on an animator's exposure sheet."""
    thumbs = [_on_white_rgb(image, THUMB_WIDTH) for image in sequence.images]
    cell_w, cell_h = THUMB_WIDTH + 8, thumbs[0].height + 24
    rows = -(-len(thumbs) // columns)
    sheet = Image.new("RGB", (columns * cell_w, rows * cell_h), (235, 235, 235))
    draw = ImageDraw.Draw(sheet)
    for index, (thumb, frame) in enumerate(zip(thumbs, sequence.frames)):
        x, y = (index % columns) * cell_w + 4, (index // columns) * cell_h + 4
        sheet.paste(thumb, (x, y))
        # Keys red; inbetweens whose self-check asks for a look orange, with their confidence and fall-back.
        colour = (200, 30, 30) if frame["key"] else (220, 120, 0) if frame.get("check") else (90, 90, 90)
        draw.rectangle([x - 2, y - 2, x + thumb.width + 1, y + thumb.height + 1], outline=colour, width=2)
        label = f"{'KEY' if frame['key'] else 'inbetween'}  t={frame['time']:.3g}"
        if not frame["key"] and (frame.get("check") or frame.get("fallback")):
            label += f"  {frame.get('fallback') or 'check'} {frame.get('confidence', 0.0):.2f}"
        draw.text((x, y + thumb.height + 4), label, fill=colour)
    return sheet


def preview_gif(sequence: MadeSequence) -> bytes:
    """The sequence forth and back, looping, as an animator flips the drawings."""
    images = [_on_white_rgb(image, THUMB_WIDTH * 2) for image in sequence.images]
    loop = images + images[-2:0:-1]
    buffer = io.BytesIO()
    loop[0].save(buffer, format="GIF", save_all=True, append_images=loop[1:], duration=GIF_FRAME_MS, loop=0)
    return buffer.getvalue()


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
