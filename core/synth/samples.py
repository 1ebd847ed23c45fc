"""The demo's bundled sample keys, made by the project's own generators (`core/samples/*.png`).

Regenerate with `python -m nakawari.synth.samples`; a test checks the committed files match.
"""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..image import write_image
from .cels import cel_motion
from .motion import articulated_motion

SAMPLE_SIZE = (960, 540)
SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"


def sample_keys() -> dict[str, np.ndarray]:
    """File name → RGBA key, for the line-art figure (three keys) and the coloured cel (two keys)."""
    figure = articulated_motion(seed=7, index=2, n_keys=3, max_rotation=1.0, line_width=3)
    figure = replace(figure, fill_height=0.85)
    cel = replace(cel_motion(seed=7, index=1, n_keys=2, max_rotation=0.8, line_width=3), fill_height=0.85)
    keys = {f"figure.key{k}.png": figure.render(t, SAMPLE_SIZE) for k, t in enumerate(figure.key_times)}
    keys |= {f"cel.key{k}.png": cel.render(t, SAMPLE_SIZE) for k, t in enumerate(cel.key_times)}
    return keys


def write_samples(folder: Path = SAMPLES_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [write_image(folder / name, rgba, overwrite=True) for name, rgba in sample_keys().items()]


if __name__ == "__main__":
    for path in write_samples(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLES_DIR):
        print(path)
