"""Is there a CUDA GPU to use? Kept apart from the engine's packages so that asking costs nothing to import:
`nakawari serve` answers `initialize` (which lists the devices) before it loads any of them."""
from __future__ import annotations

import ctypes
import functools


@functools.cache  # a driver does not appear or vanish while the process runs
def cuda_driver_present() -> bool:
    """A CUDA driver library loads. Cheap evidence first: without one neither torch nor onnxruntime can
    use a GPU, so nobody needs to import them (torch alone takes seconds) to learn that. Loaded by name as
    torch and onnxruntime load it (the loader's own search: the cache, LD_LIBRARY_PATH, the system folders);
    `ctypes.util.find_library` would run ldconfig in a subprocess to find no more."""
    for candidate in ("libcuda.so.1", "libcuda.so", "nvcuda.dll"):
        try:
            ctypes.CDLL(candidate)
            return True
        except OSError:
            continue
    return False


def torch_cuda_available() -> bool:
    """True when torch imports and sees a CUDA device (torch is optional)."""
    if not cuda_driver_present():
        return False
    try:
        import torch
    except Exception:  # noqa: BLE001 - ImportError, or a broken install: treat as absent
        return False
    try:
        return bool(torch.cuda.is_available())
    except Exception:  # noqa: BLE001
        return False
