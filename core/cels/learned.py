"""The shipped learned cel reader: manifest and checksum, an onnxruntime session, the rule reader as fallback.

The model (`learned.cels_train`) is a per-pixel network over `features.prepare`'s maps, one of which is the rule
reader's own mask; it is run through onnxruntime on the CPU. When onnxruntime, the manifest or the model
file is missing, or the file does not match the sha256 its manifest records, the rule reader
(`single.cel_mask`) answers alone and `reader_status()` says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..model_manifest import shipped_manifest
from ..onnx_session import load_onnx_model
from .features import prepare
from .single import cel_mask as rule_mask

MANIFEST_NAME = "cels.json"
THRESHOLD = 0.0   # logit above which a pixel is cel


@dataclass(frozen=True)
class CelModel:
    session: Any   # onnxruntime.InferenceSession
    manifest: dict

    def mask(self, rgb: np.ndarray) -> np.ndarray:
        """HxWx3 float RGB → HxW bool (True = cel)."""
        image = np.asarray(rgb, np.float32)[..., :3]
        height, width = image.shape[:2]
        logits = self.session.run(None, {"features": prepare(image)})[0][0, 0]
        return cv2.resize(logits, (width, height), interpolation=cv2.INTER_LINEAR) > THRESHOLD


def default_manifest() -> Path:
    """The shipped model's manifest, or the one in $NAKAWARI_MODELS (a folder) when set."""
    return shipped_manifest(MANIFEST_NAME)


def load_cel_model(manifest: Path | None = None) -> tuple[CelModel | None, str]:
    """(model, "learned") or (None, why the rule reader answers alone)."""
    loaded, status = load_onnx_model(default_manifest() if manifest is None else manifest, want_cuda=False)
    return (CelModel(loaded.session, loaded.manifest) if loaded is not None else None), status


@lru_cache(maxsize=4)
def _cached(manifest: str) -> tuple[CelModel | None, str]:
    return load_cel_model(Path(manifest))


def reader_status() -> str:
    """"learned", or why the rule reader answers alone."""
    return _cached(str(default_manifest()))[1]


def cel_mask(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 float RGB in [0, 1] → HxW bool, True where a cel covers the pixel: the learned reader when it
    is installed and intact, else the rule reader."""
    model, _ = _cached(str(default_manifest()))
    return model.mask(rgb) if model is not None else rule_mask(rgb)
