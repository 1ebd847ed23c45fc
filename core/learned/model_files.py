"""The shipped learned inbetween model's files: where they are, and checked against their sha256 before use."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..files import sha256_file

MODEL_DIR = Path(__file__).resolve().parent.parent / "models"
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
    return Path(os.environ.get("NAKAWARI_MODELS") or MODEL_DIR) / MANIFEST_NAME


def load_model_files(manifest: Path | None = None) -> ModelFiles:
    """Read the manifest and check every file it names against its sha256; refuse a mismatch."""
    manifest = default_manifest() if manifest is None else manifest
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        files = {role: manifest.parent / data["files"][role]["file"] for role in ("onnx", "weights")}
    except FileNotFoundError:
        raise BadInput("no learned model is installed (manifest missing)", manifest) from None
    except (ValueError, KeyError, TypeError) as error:
        raise BadInput(f"not a valid model manifest ({error})", manifest) from None
    for role, path in files.items():
        if not path.is_file():
            raise BadInput(f"model file named in {manifest.name} is missing", path)
        expected = str(data["files"][role].get("sha256", ""))
        if sha256_file(path) != expected:
            raise BadInput(f"model file does not match the sha256 in {manifest.name}; refusing to load it "
                           "(corrupt or replaced: reinstall nakawari or re-export the model)", path)
    return ModelFiles(files["onnx"], files["weights"], data)
