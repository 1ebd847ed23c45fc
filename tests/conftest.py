"""Markers by the module a test lives in, so `pytest -m "not host and not slow"` is the fast run."""
from __future__ import annotations

import pytest

# Modules whose every test drives a real host (Krita, Blender, bpy) or needs an optional dependency.
MODULE_MARKERS: dict[str, tuple[str, ...]] = {
    "test_krita_host": ("host", "slow"),
    "test_blender_host": ("host", "slow"),
    "test_blender_package": ("host", "slow"),   # installs the zips into real Blenders and bpy
    "test_learned_torch": ("torch", "slow"),
    "test_torch_backend": ("torch",),
    "test_batch_ray": ("ray", "slow"),
}


# Single tests that take more than a few seconds on two cores (measured with --durations).
SLOW_TESTS = {
    "test_engine_install.py::test_install_from_the_package_index_then_cancel_a_repair",  # pip from the index
    "test_demo.py::test_demo_writes_sequences_sheets_and_previews",
    "test_batch.py::test_batch_publishes_fails_one_shot_and_republishes_only_what_changed",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module is not None else ""
        for name in MODULE_MARKERS.get(module, ()):
            item.add_marker(getattr(pytest.mark, name))
        if item.nodeid.split("/")[-1].split("[")[0] in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
