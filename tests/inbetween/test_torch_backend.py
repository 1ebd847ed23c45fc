"""The torch path (grid_sample warping + fusion) agrees with the cv2/numpy path."""
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is optional and not installed")

from test_flow import _arm  # noqa: E402

from nakawari.inbetween import PairInbetweener, inbetween  # noqa: E402
from nakawari.inbetween.device import resolve_device, torch_cuda_available  # noqa: E402
from nakawari.inbetween.torch_backend import AGREEMENT_FRACTION_WITHIN_005, AGREEMENT_MEAN_ABS  # noqa: E402


@pytest.mark.parametrize("transparent", [False, True])
def test_torch_cpu_agrees_with_cpu(transparent):
    k0, k1 = _arm(0.1, transparent=transparent), _arm(0.6, shift=25, transparent=transparent)
    ref = PairInbetweener(k0, k1, device="cpu")
    tor = PairInbetweener(k0, k1, device="torch-cpu")
    for t in (0.3, 0.5):
        a, b = ref.render(t), tor.render(t)
        assert b.shape == a.shape and b.dtype == np.float32
        diff = np.abs(a - b)
        assert diff.mean() <= AGREEMENT_MEAN_ABS
        assert (diff <= 0.05).mean() >= AGREEMENT_FRACTION_WITHIN_005


def test_torch_cpu_cels_agree():
    import cv2

    def cel(x):
        img = np.ones((120, 200, 4), np.float32)
        cv2.circle(img, (int(x), 60), 30, (0.2, 0.5, 0.9, 1.0), -1, cv2.LINE_AA)
        cv2.circle(img, (int(x), 60), 30, (0.0, 0.0, 0.0, 1.0), 2, cv2.LINE_AA)
        return img

    a = PairInbetweener(cel(70), cel(120), device="cpu").render(0.5)
    b = PairInbetweener(cel(70), cel(120), device="torch-cpu").render(0.5)
    diff = np.abs(a - b)
    assert diff.mean() <= AGREEMENT_MEAN_ABS
    assert (diff <= 0.05).mean() >= AGREEMENT_FRACTION_WITHIN_005


def test_device_resolution():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch_cuda_available() else "cpu")
    if not torch_cuda_available():
        with pytest.raises(ValueError, match="cuda"):
            inbetween([_arm(0.1), _arm(0.2)], [0, 1], [0.5], device="cuda")
    else:
        res = inbetween([_arm(0.1), _arm(0.5)], [0, 1], [0.5], device="cuda")
        assert res.device == "cuda"
