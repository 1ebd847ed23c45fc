"""Export helpers of the small per-image networks (the cel reader, the frames refinement): load a checkpoint
into a fresh network, write it as ONNX with dynamic image sizes, and describe the file for a manifest."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..files import sha256_file


def load_checkpoint(checkpoint: Path, build: Callable[[], Any]) -> tuple[Any, dict]:
    """(network from ``build()`` with the checkpoint's weights, in eval mode; the checkpoint's dict)."""
    import torch

    saved = torch.load(checkpoint, weights_only=False, map_location="cpu")
    net = build()
    net.load_state_dict(saved["model"])
    net.eval()
    return net, saved


def write_onnx(net: Any, channels: int, path: Path, input_name: str, output_name: str) -> dict[str, Any]:
    """``net`` (N x ``channels`` x H x W → N x C x H x W) as ONNX at ``path``, batch and size dynamic; the
    manifest's entry for the file (name, sha256, bytes)."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    dynamic = {0: "n", 2: "h", 3: "w"}
    with warnings.catch_warnings():  # the TorchScript exporter is deprecated but needs no onnxscript
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.rand(1, channels, 64, 96),), str(path), dynamo=False, opset_version=17,
                          input_names=[input_name], output_names=[output_name],
                          dynamic_axes={input_name: dynamic, output_name: dynamic})
    return {"file": path.name, "sha256": sha256_file(path), "bytes": path.stat().st_size}
