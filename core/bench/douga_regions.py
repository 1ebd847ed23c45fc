"""Region-boundary suites of `nakawari bench douga`: do the douga's lines lie where the paint changes?

Generated drawings (``synth.regions``: exact region maps, drawn lines, shading, noise, JPEG; the
``heldout`` family is never tuned on) and, given a folder, real illustrations with a region map
(``<case>/image.png`` + ``<case>/regions.png``, one colour per region, like DanbooRegion). Each reports
line recall and precision along the region boundaries (``douga.boundary``) of nakawari and of plain
Canny edges, in one process.
"""
from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..douga import schema as S
from ..douga.boundary import (
    BoundaryScore,
    labels_from_colours,
    line_mask,
    region_boundaries,
    tolerance_for,
)
from ..douga.extract import extract
from ..douga.postprocess import postprocess
from ..douga.score import DougaScore
from ..douga.settings import DEFAULT_DOUGA, DougaSettings
from ..errors import BadInput
from ..image import read_image
from ..synth.regions import FAMILIES, region_suite
from ..table import format_table

TARGET_REAL = 0.90  # issue 22: recall and precision along real region boundaries, and not below Canny's

Lines = Callable[[np.ndarray], np.ndarray]  # RGBA float frame → HxW bool line pixels


def canny_edges(rgba: np.ndarray) -> np.ndarray:
    """Plain Canny edges of the gray frame (the issue's baseline: OpenCV defaults a user would pick)."""
    gray = cv2.cvtColor(np.clip(rgba[..., :3] * 255.0 + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    return cv2.Canny(gray, 50, 150) > 0


def nakawari_lines(rgba: np.ndarray, settings: DougaSettings = DEFAULT_DOUGA) -> np.ndarray:
    return line_mask(postprocess(extract(rgba, settings=settings), 3.0, settings))


def methods(settings: DougaSettings = DEFAULT_DOUGA) -> dict[str, Lines]:
    return {"Canny edges": canny_edges, "nakawari (3 px lines)": functools.partial(nakawari_lines, settings=settings)}


METHODS: dict[str, Lines] = methods()


@dataclass(frozen=True)
class RealCase:
    name: str
    rgba: np.ndarray
    labels: np.ndarray


def real_region_cases(folder: Path) -> list[RealCase]:
    """Every sub-folder of ``folder`` (or ``folder`` itself) holding image.png and regions.png. A region map a
    pixel larger than its image (DanbooRegion has some) is cropped to the image."""
    if not folder.is_dir():
        raise BadInput("is not a folder", folder)
    found = sorted(p for p in [folder, *folder.iterdir()]
                   if (p / "image.png").is_file() and (p / "regions.png").is_file())
    if not found:
        raise BadInput("holds no <case>/image.png with a <case>/regions.png region map", folder)
    cases = []
    for path in found:
        image = read_image(path / "image.png")
        regions = read_image(path / "regions.png")
        (w, h), (rw, rh) = image.size, regions.size
        if abs(w - rw) > 2 or abs(h - rh) > 2:
            raise BadInput(f"region map is {rw}x{rh} but the image is {w}x{h}", path / "regions.png")
        h, w = min(h, rh), min(w, rw)
        rgba = image.rgba[:h, :w].copy()
        rgba[..., :3] = rgba[..., :3] * rgba[..., 3:4] + (1.0 - rgba[..., 3:4])  # transparent: on white paper
        rgba[..., 3] = 1.0
        colours = np.clip(np.rint(regions.rgba[:h, :w, :3] * 255.0), 0, 255).astype(np.uint8)
        cases.append(RealCase(path.name, rgba, labels_from_colours(colours)))
    return cases


def bench_real_regions(cases: list[RealCase], folder: str,
                       settings: DougaSettings = DEFAULT_DOUGA) -> dict[str, BoundaryScore]:
    """Print recall / precision per real case and in total; returns the totals per method."""
    lines_of = methods(settings)
    totals = {name: BoundaryScore() for name in lines_of}
    rows = []
    for case in cases:
        boundary = region_boundaries(case.labels)
        for name, method in lines_of.items():
            started = time.perf_counter()
            lines = method(case.rgba)
            seconds = time.perf_counter() - started
            score = BoundaryScore().add(lines, boundary)
            totals[name].add(lines, boundary)
            rows.append([case.name, name, score.recall, score.precision, score.f1, seconds])
    for name, score in totals.items():
        rows.append(["all", name, score.recall, score.precision, score.f1, "-"])
    h, w = cases[0].labels.shape
    print(format_table(f"real region maps ({folder}): {len(cases)} images, tolerance {tolerance_for((h, w)):.2f} px "
                       f"at {h}x{w} (2.5 px at a 1024-px short side, ≥ 2)",
                       ["image", "method", "boundary recall", "boundary precision", "F1", "s"], rows))
    ours, canny = totals["nakawari (3 px lines)"], totals["Canny edges"]
    for label, value, base in (("recall", ours.recall, canny.recall), ("precision", ours.precision, canny.precision)):
        met = value >= TARGET_REAL and value >= base
        print(f"  real {label} {value:.3f} (≥ {TARGET_REAL} and ≥ Canny {base:.3f}): {'met' if met else 'MISSED'}")
    print()
    return totals


def bench_generated_regions(quick: bool, settings: DougaSettings = DEFAULT_DOUGA) -> None:
    """Region-boundary recall / precision and class scores on each generated family."""
    n = 3 if quick else 8
    rows, class_rows = [], []
    for family in FAMILIES:
        cases = region_suite(family, n_cases=n, seed=31)
        totals = {name: BoundaryScore() for name in METHODS}
        classes = DougaScore()
        for case in cases:
            rgba = case.rgba()
            for name, method in METHODS.items():
                if name.startswith("nakawari"):
                    predicted = postprocess(extract(rgba, settings=settings), 3.0, settings)
                    classes.add(predicted, case.classes)
                    lines = line_mask(predicted)
                else:
                    lines = method(rgba)
                totals[name].add(lines, case.boundary)
        label = f"{family} (held out)" if family == "heldout" else family
        for name, score in totals.items():
            rows.append([label, name, score.recall, score.precision, score.f1])
        iou = classes.iou()
        class_rows.append([label, classes.accuracy, classes.mean_iou,
                           *[iou.get(k, float("nan")) for k in (S.VISIBLE_LINE, S.SHADING_LINE, S.COLOR_EDGE,
                                                                S.HIGHLIGHT_LINE, S.SHADING_FILL, S.COLOR_FILL)]])
    print(format_table(f"generated region drawings: {n} per family, 640x480, exact region maps",
                       ["family", "method", "boundary recall", "boundary precision", "F1"], rows))
    print()
    print(format_table("generated region drawings: nakawari classes (post-processed, 3 px)",
                       ["family", "accuracy", "mean IoU", "visible line", "shading line", "color edge",
                        "highlight line", "shading fill", "color fill"], class_rows))
    print()
