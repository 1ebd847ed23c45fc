"""The one onnxruntime session factory of the engine's shipped models (learned inbetweens, the frames
refinement, the cel reader): CUDA when wanted and usable, else the CPU, and which one runs it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BadInput
from .gpu import cuda_driver_present
from .model_manifest import checked_model_files


def ort_session(path: Path, want_cuda: bool) -> tuple[Any, str]:
    """The one session factory: (onnxruntime session, provider that runs it). CUDA is asked for only
    when wanted, offered by this onnxruntime build and backed by a driver; if it still fails, the
    session quietly falls back to the CPU and says so through the returned provider."""
    import onnxruntime as ort

    ort.set_default_logger_severity(3)  # a failed CUDA load is reported through the provider, not a log storm
    providers = ["CPUExecutionProvider"]
    if want_cuda and "CUDAExecutionProvider" in ort.get_available_providers() and cuda_driver_present():
        if hasattr(ort, "preload_dlls"):
            try:
                ort.preload_dlls()
            except Exception:  # noqa: BLE001 - no CUDA libraries from pip: the session decides below
                pass
        providers.insert(0, "CUDAExecutionProvider")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(str(path), options, providers=providers)
    except Exception:  # noqa: BLE001 - a CUDA provider that cannot start: CPU
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session, session.get_providers()[0]


@dataclass(frozen=True)
class OnnxModel:
    """A shipped one-file model, checked against its manifest's sha256 and ready to run."""
    session: Any   # onnxruntime.InferenceSession
    manifest: dict
    provider: str  # the onnxruntime provider that runs it


def load_onnx_model(manifest: Path, want_cuda: bool) -> tuple[OnnxModel | None, str]:
    """(model, "learned") or (None, why there is none: no or a broken manifest, a replaced file, no
    onnxruntime). The caller then answers without the model."""
    try:
        data, files = checked_model_files(manifest, ("onnx",))
    except BadInput as error:
        return None, str(error)
    except OSError as error:  # unreadable: treated as any other broken manifest
        return None, f"{manifest}: not a valid model manifest ({error})"
    try:
        session, provider = ort_session(files["onnx"], want_cuda)
    except ImportError:
        return None, "onnxruntime is not installed"
    return OnnxModel(session, data, provider), "learned"
