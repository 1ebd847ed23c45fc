"""`nakawari train export`: a training checkpoint → the shipped model files and their manifest.

Writes <name>.onnx (the FullFrame graph: opset 17 for GridSample, IR version at most
runtime.MAX_IR_VERSION so onnxruntime loads it), <name>.npz (the same weights for the torch
backend) and <name>.json (sha256 of both, the training recipe, data, steps, last log line, bench
scores once measured). Needs torch and onnx (the `train` extra).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..files import sha256_file
from .prepare import KEY_CHANNELS, PRIOR_CHANNELS, REP_CHANNELS
from .runtime import INPUTS, MAX_IR_VERSION

OPSET = 17  # GridSample arrived in opset 16
DATA = ("core/synth articulated line-art and coloured-cel mannequins (nakawari.learned.data), rendered at "
        "the recipe's render_size, line widths 1-5 px, rotations up to 1.3 rad, 15 % on transparent layers; "
        "training seeds from 100000, disjoint from the bench's")


def export(checkpoint: Path, out_dir: Path, name: str = "inbetween") -> Path:
    """Export ``checkpoint`` into ``out_dir``; returns the manifest path."""
    import onnx
    import torch

    from .network import FullFrame, InbetweenNet  # torch's, like the two above

    saved = torch.load(checkpoint, weights_only=False, map_location="cpu")
    net = InbetweenNet()
    net.load_state_dict(saved["model"])
    net.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path, weights_path = out_dir / f"{name}.onnx", out_dir / f"{name}.npz"
    args = (torch.rand(1, REP_CHANNELS, 32, 48), torch.rand(1, REP_CHANNELS, 32, 48),
            0.1 * torch.randn(1, PRIOR_CHANNELS, 32, 48), torch.rand(1, KEY_CHANNELS, 64, 96),
            torch.rand(1, KEY_CHANNELS, 64, 96), torch.full((1, 1), 0.5))
    small, big = {0: "n", 2: "h", 3: "w"}, {0: "n", 2: "height", 3: "width"}
    with warnings.catch_warnings():  # the TorchScript exporter is deprecated but needs no onnxscript
        warnings.simplefilter("ignore")
        torch.onnx.export(FullFrame(net), args, str(onnx_path), dynamo=False, opset_version=OPSET,
                          input_names=list(INPUTS), output_names=["frame"],
                          dynamic_axes={"rep0": small, "rep1": small, "prior": small, "key0": big, "key1": big,
                                        "t": {0: "n"}, "frame": big})
    model = onnx.load(str(onnx_path))
    if model.ir_version > MAX_IR_VERSION:
        model.ir_version = MAX_IR_VERSION
        onnx.save(model, str(onnx_path))
    np.savez(weights_path, **{k: v.detach().numpy() for k, v in net.state_dict().items()})
    log = checkpoint.parent / "log.jsonl"
    lines = log.read_text().splitlines() if log.exists() else []
    manifest: dict[str, Any] = {
        "model": "nakawari learned inbetweening (nakawari.learned.network.FullFrame)",
        "files": {"onnx": {"file": onnx_path.name, "sha256": sha256_file(onnx_path), "bytes": onnx_path.stat().st_size},
                  "weights": {"file": weights_path.name, "sha256": sha256_file(weights_path),
                              "bytes": weights_path.stat().st_size}},
        "opset": OPSET,
        "ir_version": int(model.ir_version),
        "long_side": int(saved["recipe"]["long_side"]),
        "parameters": int(sum(p.numel() for p in net.parameters())),
        "recipe": saved["recipe"],
        "steps": int(saved["step"]),
        "data": DATA,
        "training_log_last": json.loads(lines[-1]) if lines else None,
        "bench": {},
    }
    manifest_path = out_dir / f"{name}.json"
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest_path


# Which bench suite decides `--mode auto` for each kind of drawing (learned must beat flow there).
AUTO_SUITES = {"lineart": "articulated line art, 2 keys, 540p", "cels": "coloured cels, 2 keys, 540p"}


def record_bench(manifest_path: Path, mean_cd: dict[str, dict[str, float]], note: str) -> dict[str, Any]:
    """Store the bench's mean chamfer distances (suite → method → px) in the manifest, and whether
    learned beat flow on the suites that decide `--mode auto`. The model files are unchanged, so
    their checksums still hold."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    auto = {kind: bool(suite in mean_cd and mean_cd[suite]["nakawari learned"] < mean_cd[suite]["nakawari flow"])
            for kind, suite in AUTO_SUITES.items()}
    manifest["bench"] = {"note": note, "mean_cd_px": mean_cd, "auto": auto}
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest["bench"]
