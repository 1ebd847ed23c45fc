"""Markers by the module a test lives in, so `pytest -m "not host and not slow"` is the fast run."""
from __future__ import annotations

import pytest

# Modules whose every test drives a real host (Krita, Blender, bpy) or needs an optional dependency.
MODULE_MARKERS: dict[str, tuple[str, ...]] = {
    "test_krita_host": ("host", "slow"),
    "test_blender_host": ("host", "slow"),
    "test_learned_torch": ("torch", "slow"),
    "test_torch_backend": ("torch",),
    "test_batch_ray": ("ray", "slow"),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for name in MODULE_MARKERS.get(item.module.__name__.rsplit(".", 1)[-1], ()):
            item.add_marker(getattr(pytest.mark, name))
