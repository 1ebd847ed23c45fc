"""The torch backend for the learned model: the same network and weights as the ONNX file, on CUDA
in fp16 (or on the CPU in fp32, to test agreement with onnxruntime). Imports torch: load lazily."""

from __future__ import annotations

import numpy as np
import torch

from .model_files import ModelFiles
from .network import FullFrame, InbetweenNet

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
    """Calls return (N, OUT_CHANNELS, H, W) arrays; on CUDA (fp16) the array is a reused page-locked
    buffer, valid until the next call (inbetween_learned finishes each batch before the next)."""

    def __init__(self, files: ModelFiles, device: str) -> None:
        self.torch_device = torch.device(device)
        # Half precision on the GPU: twice the memory bandwidth for the full-size warps.
        self.dtype = torch.float16 if device == "cuda" else torch.float32
        self.model = FullFrame(load_network(files)).to(self.torch_device, self.dtype)
        self.device = "cuda" if device == "cuda" else "cpu"
        self.backend = f"torch {device}{' fp16' if self.dtype == torch.float16 else ''}"
        self.band_rows, self.band_above = BAND_ROWS, BAND_ABOVE
        self._pinned: torch.Tensor | None = None  # reused: a call's result is valid until the next call

    def _send(self, array: np.ndarray) -> torch.Tensor:
        """To the device in its dtype; rows that repeat (a broadcast view, stride 0) travel once, and are
        expanded there: a 1080p key pair is 80 MB a row in float32."""
        if array.ndim > 1 and array.shape[0] > 1 and array.strides[0] == 0:
            return self._send(array[:1]).expand(array.shape[0], *array.shape[1:])
        return torch.from_numpy(np.ascontiguousarray(array)).to(self.torch_device, self.dtype)

    @torch.inference_mode()
    def __call__(self, *arrays: np.ndarray) -> np.ndarray:
        tensors = [self._send(a) for a in arrays]
        h, w = arrays[3].shape[-2:]  # key0
        out = self.model(*tensors, band=self.band_rows if h * w > self.band_above else 0)
        if out.device.type == "cpu":
            return out.numpy()
        # The copy back is most of a GPU call (8 full-size channels; the network itself takes ~5 ms for
        # four 1080p frames): fp16 halves it, and a page-locked buffer runs it at bus speed.
        if self._pinned is None or self._pinned.shape != out.shape:
            self._pinned = torch.empty(out.shape, dtype=out.dtype, pin_memory=True)
        self._pinned.copy_(out)
        return self._pinned.numpy()
