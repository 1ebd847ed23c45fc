"""The shipped learned inbetween model's files: where they are, and checked against their sha256 before use."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model_manifest import checked_model_files, shipped_manifest

MANIFEST_NAME = "inbetween.json"


@dataclass(frozen=True)
class ModelFiles:
    onnx: Path          # the exported graph (FullFrame)
    weights: Path       # the same weights as .npz, for the torch backend
    manifest: dict[str, Any]

    @property
    def long_side(self) -> int:
        return int(self.manifest["long_side"])


def default_manifest() -> Path:
    """The shipped model's manifest, or the one in $NAKAWARI_MODELS (a folder) when set."""
    return shipped_manifest(MANIFEST_NAME)


def load_model_files(manifest: Path | None = None) -> ModelFiles:
    """Read the manifest and check every file it names against its sha256; refuse a mismatch."""
    data, files = checked_model_files(default_manifest() if manifest is None else manifest, ("onnx", "weights"))
    return ModelFiles(files["onnx"], files["weights"], data)
