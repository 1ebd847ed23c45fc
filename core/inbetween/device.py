"""Resolve the ``device`` option: where warping and fusion run."""

from __future__ import annotations

from ..gpu import cuda_driver_present, torch_cuda_available

__all__ = ["cuda_driver_present", "resolve_device", "torch_cuda_available"]


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` if torch with CUDA is available, else ``cpu``.

    ``torch-cpu`` runs the torch code path on the CPU (for testing the GPU
    path's agreement without a GPU). Raises ValueError for an unknown name or
    for ``cuda`` without CUDA.
    """
    if device == "auto":
        return "cuda" if torch_cuda_available() else "cpu"
    if device == "cpu":
        return "cpu"
    if device == "cuda":
        if not torch_cuda_available():
            raise ValueError("device 'cuda' requested but no CUDA-enabled torch is available; "
                             "use device='cpu' or 'auto'")
        return "cuda"
    if device == "torch-cpu":
        try:
            import torch  # noqa: F401
        except Exception as exc:
            raise ValueError(f"device 'torch-cpu' needs torch, which cannot be imported ({exc})") from None
        return "torch-cpu"
    raise ValueError(f"unknown device {device!r}; use one of: auto, cpu, cuda")
