"""Shipped model files: where their manifests are, and the files a manifest names, each checked against its
sha256 before anything loads them (the inbetween model in `learned/`, the cel reader in `cels/`)."""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import BadInput
from .files import sha256_file

MODEL_DIR = Path(__file__).resolve().parent / "models"


def shipped_manifest(name: str) -> Path:
    """The shipped manifest ``name``, or the one in $NAKAWARI_MODELS (a folder) when set."""
    return Path(os.environ.get("NAKAWARI_MODELS") or MODEL_DIR) / name


def checked_model_files(manifest: Path, roles: Sequence[str]) -> tuple[dict[str, Any], dict[str, Path]]:
    """The manifest's data and the file it names for each of ``roles``, every one matching its sha256;
    BadInput naming the manifest or the file when one is missing, the manifest is not valid, or a file was
    replaced."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        files = {role: manifest.parent / data["files"][role]["file"] for role in roles}
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
    return data, files
