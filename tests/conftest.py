"""Markers by the module a test lives in, so `pytest -m "not host and not slow"` is the fast run; and the free
disk, at the start and the lowest seen, so a full disk reads as one."""
from __future__ import annotations

import os
import tempfile

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


# Free disk under the tests' temporary folders, printed at the start and end of the run with the lowest
# seen and the test after which it was seen: a full disk fails every later test at set-up, and the log
# should say so in one line instead of hundreds of errors that look like bugs.
LOW_DISK_GB = 2.0
_lowest_free: list[tuple[float, str]] = []


def _free_gb(path: str) -> float:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize / 2**30


def pytest_report_header(config: pytest.Config) -> str:
    return f"disk: {_free_gb(tempfile.gettempdir()):.1f} GB free under {tempfile.gettempdir()}"


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    free = _free_gb(tempfile.gettempdir())
    if not _lowest_free or free < _lowest_free[0][0]:
        _lowest_free[:] = [(free, nodeid)]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _lowest_free:
        return
    free, nodeid = _lowest_free[0]
    warning = " (LOW: later set-up errors may be a full disk)" if free < LOW_DISK_GB else ""
    terminalreporter.write_line(f"disk: {_free_gb(tempfile.gettempdir()):.1f} GB free at the end, lowest "
                                f"{free:.1f} GB after {nodeid}{warning}")
