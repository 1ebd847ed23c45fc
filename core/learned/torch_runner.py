"""The torch backend for the learned model: the same network and weights as the ONNX file, on CUDA
in fp16 (or on the CPU in fp32, to test agreement with onnxruntime). Imports torch: load lazily."""

from __future__ import annotations

import numpy as np
import torch

from .network import FullFrame, InbetweenNet
from .runtime import ModelFiles

# Frames larger than this many pixels (4K and up) are warped in bands of BAND_ROWS rows.
BAND_ABOVE = 2560 * 1440
BAND_ROWS = 512


def load_network(files: ModelFiles) -> InbetweenNet:
    """The network with the shipped weights (.npz, checked against the manifest by load_model_files)."""
    net = InbetweenNet()
    with np.load(files.weights) as weights:
        net.load_state_dict({name: torch.from_numpy(weights[name]) for name in weights.files})
    return net.eval()


class TorchRunner:
    def __init__(self, files: ModelFiles, device: str) -> None:
        self.torch_device = torch.device(device)
        # Half precision on the GPU: twice the memory bandwidth for the full-size warps.
        self.dtype = torch.float16 if device == "cuda" else torch.float32
        self.model = FullFrame(load_network(files)).to(self.torch_device, self.dtype)
        self.device = "cuda" if device == "cuda" else "cpu"
        self.backend = f"torch {device}{' fp16' if self.dtype == torch.float16 else ''}"
        self.band_rows, self.band_above = BAND_ROWS, BAND_ABOVE

    @torch.inference_mode()
    def __call__(self, *arrays: np.ndarray) -> np.ndarray:
        tensors = [torch.from_numpy(np.ascontiguousarray(a)).to(self.torch_device, self.dtype) for a in arrays]
        h, w = arrays[3].shape[-2:]  # key0
        return self.model(*tensors, band=self.band_rows if h * w > self.band_above else 0).float().cpu().numpy()
