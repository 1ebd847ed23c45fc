"""The learned refinement of a colour frame at t: a small network mixes, pixel by pixel, the frame fuse()
drew, each key warped to t and the keys' cross-fade.

Its output per pixel is a softmax over those four candidates, so every pixel stays a convex mix of key
pixels (nothing darker or whiter than the keys, as in fuse()) and the block check against the cross-fade
still follows it. The network sees the candidates shrunk to at most ``NET_SIDE`` px; its mixing weights are
smooth, so they are scaled back up and applied to the full-size candidates. Trained by
``learned.frames_train`` on synthetic shots; run through onnxruntime (CUDA where present, else the CPU).
When onnxruntime, the manifest or the model is missing or does not match its sha256, there is no refiner
and ``refiner_status()`` says why.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ...model_manifest import shipped_manifest
from ...onnx_session import load_onnx_model

MANIFEST_NAME = "frames.json"
NET_SIDE = 480       # longest side the network sees: 960-wide anime frames at half size
CANDIDATES = ("frame", "warped key 0", "warped key 1", "cross-fade")
# fade, then frame / warped keys relative to the fade (3 each), the two visibilities and t.
INPUT_CHANNELS = 3 * len(CANDIDATES) + 3


def net_size(shape: tuple[int, ...], side: int = NET_SIDE) -> tuple[int, int]:
    """(width, height) the network works at for a frame of ``shape`` (never larger than the frame)."""
    h, w = shape[:2]
    scale = min(1.0, side / max(h, w))
    return max(1, round(w * scale)), max(1, round(h * scale))


def shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-averaged to ``size`` (width, height); unchanged when it already has that size."""
    if (image.shape[1], image.shape[0]) == size:
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def net_inputs(candidates: Sequence[np.ndarray], seen0: np.ndarray, seen1: np.ndarray, t: float,
               size: tuple[int, int]) -> np.ndarray:
    """(INPUT_CHANNELS, h, w) float32 at ``size``: the cross-fade, each other candidate minus the fade, the
    keys' visibilities at t and t itself. Training (``learned.frames_train``) builds its inputs here too."""
    small = [shrink(np.ascontiguousarray(c[..., :3]), size) for c in candidates]
    fade = small[CANDIDATES.index("cross-fade")]
    maps = [fade] + [c - fade for c, name in zip(small, CANDIDATES) if name != "cross-fade"]
    maps += [shrink(seen0, size)[..., None], shrink(seen1, size)[..., None],
             np.full((size[1], size[0], 1), t, np.float32)]
    return np.ascontiguousarray(np.concatenate(maps, axis=2).transpose(2, 0, 1), dtype=np.float32)


def mix(candidates: Sequence[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """Σ weights[i] · candidates[i]: ``weights`` (len(candidates), h, w) summing to 1, resized to the
    candidates' size."""
    h, w = candidates[0].shape[:2]
    out = np.zeros(candidates[0].shape, np.float32)
    for candidate, weight in zip(candidates, weights):
        if weight.shape != (h, w):
            weight = cv2.resize(weight, (w, h), interpolation=cv2.INTER_LINEAR)
        out += candidate * (weight[..., None] if candidate.ndim == 3 else weight)
    return out


@dataclass(frozen=True)
class FramesRefiner:
    session: Any   # onnxruntime.InferenceSession
    manifest: dict
    provider: str  # the onnxruntime provider that runs it

    def weights(self, inputs: np.ndarray) -> np.ndarray:
        """(CANDIDATES, h, w) mixing weights for one (INPUT_CHANNELS, h, w) input."""
        return self.session.run(None, {"inputs": inputs[None]})[0][0]

    def refine(self, candidates: Sequence[np.ndarray], seen0: np.ndarray, seen1: np.ndarray, t: float) -> np.ndarray:
        """The frame at t as the network mixes ``candidates`` (in ``CANDIDATES``' order, HxWxC float32)."""
        inputs = net_inputs(candidates, seen0, seen1, t, net_size(candidates[0].shape))
        return mix(candidates, self.weights(inputs))


def default_manifest() -> Path:
    """The shipped model's manifest, or the one in $NAKAWARI_MODELS (a folder) when set."""
    return shipped_manifest(MANIFEST_NAME)


def load_refiner(manifest: Path | None = None) -> tuple[FramesRefiner | None, str]:
    """(refiner, "learned") or (None, why there is none)."""
    loaded, status = load_onnx_model(default_manifest() if manifest is None else manifest, want_cuda=True)
    return (FramesRefiner(loaded.session, loaded.manifest, loaded.provider) if loaded is not None else None), status


@lru_cache(maxsize=4)
def _cached(manifest: str) -> tuple[FramesRefiner | None, str]:
    return load_refiner(Path(manifest))


def shipped_refiner() -> FramesRefiner | None:
    """The installed refiner, loaded once per process; None when there is none (``refiner_status`` says why)."""
    return _cached(str(default_manifest()))[0]


def refiner_status() -> str:
    """"learned", or why frames mode runs without its refinement."""
    return _cached(str(default_manifest()))[1]


def recorded_win(manifest: Path | None = None) -> bool:
    """Whether the installed model's manifest records that it wins on real frames (read without loading it)."""
    try:
        text = (default_manifest() if manifest is None else manifest).read_text(encoding="utf-8")
        return json.loads(text).get("wins") is True
    except (OSError, ValueError, AttributeError):
        return False


def refiner_for(setting: str) -> FramesRefiner | None:
    """The refiner frames mode uses under ``FramesSettings.refine``: "off" none; "auto" the installed one when
    its manifest records that it wins on real frames; "on" the installed one, ValueError when there is none."""
    if setting == "off" or (setting == "auto" and not recorded_win()):
        return None
    refiner = shipped_refiner()
    if setting == "on" and refiner is None:
        raise ValueError(f"frames mode has no learned refinement: {refiner_status()}")
    return refiner
