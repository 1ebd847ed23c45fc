"""The host kit both add-ons carry (core/host_kit.py, core/engine_job.py): planner, log folder, protocol check
and the engine job's states, without an engine (test_krita_logic.py and test_blender_logic.py beside it run
the job against the real one)."""
from __future__ import annotations

import ast
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from nakawari import host_kit, logs
from nakawari.client import EngineCancelled, EngineError
from nakawari.engine_job import EngineCall, EngineJob
from nakawari.package import HOST_KIT

CORE = Path(__file__).resolve().parents[2] / "core"


@pytest.mark.parametrize("fill, count, frames", [
    ("ones", 1, (1, 2, 3, 4, 5)),
    ("twos", 1, (2, 4)),
    ("threes", 1, (3,)),
    ("count", 2, (2, 4)),
    ("count", 9, (1, 2, 3, 4, 5)),  # more than fit: every frame once
])
def test_gap_frames(fill, count, frames):
    assert host_kit.gap_frames(0, 6, fill, count) == frames


def test_gap_frames_refuses_what_it_cannot_plan():
    assert host_kit.gap_frames(10, 17, "count", 2) == (12, 15)  # 12.33 and 14.67 on the nearest frames
    with pytest.raises(host_kit.UserError, match=r"at least 1 \(got 0\)"):
        host_kit.gap_frames(0, 6, "count", 0)
    with pytest.raises(host_kit.UserError, match="Unknown spacing 'fours'"):
        host_kit.gap_frames(0, 6, "fours")


def test_the_log_folder_honours_the_variable_then_the_hosts_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(host_kit.LOG_DIR_VAR, raising=False)
    assert host_kit.log_folder().name == "nakawari-logs"
    assert host_kit.log_folder(tmp_path / "mine") == tmp_path / "mine"
    monkeypatch.setenv(host_kit.LOG_DIR_VAR, str(tmp_path / "chosen"))
    assert host_kit.log_folder(tmp_path / "mine") == tmp_path / "chosen"
    assert logs.write_failure_log("x", "text").parent == tmp_path / "chosen"  # the engine's logs follow it


def test_the_protocol_check_names_both_versions():
    assert host_kit.protocol_problem({"protocol": host_kit.PROTOCOL_VERSION}) is None
    problem = host_kit.protocol_problem({"version": "9.0.0", "protocol": 2})
    assert problem is not None and "9.0.0 speaks protocol 2, this add-on protocol 1" in problem


def test_the_kit_runs_on_the_hosts_python():
    """Python 3.10 (Blender 3.4, Krita 5.1) and no import of the engine: only the standard library and the kit."""
    kit = {Path(name).stem for name in HOST_KIT}
    for name in HOST_KIT:
        tree = ast.parse((CORE / name).read_text(encoding="utf-8"), feature_version=(3, 10))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert node.module in kit, f"{name} imports .{node.module}, which is not in the host kit"
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                tops = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for top in (module.split(".")[0] for module in tops):
                    assert top in sys.stdlib_module_names or top == "__future__", f"{name} imports {top}"


class FakeClient:
    """What EngineJob asks of the client, answering from a script."""

    def __init__(self, answers: dict[str, Any], capabilities: tuple[str, ...] = ("a", "b")) -> None:
        self.answers, self.capabilities = answers, capabilities
        self.called: list[str] = []
        self.cancelled = threading.Event()

    def initialize(self) -> dict[str, Any]:
        return {"version": "1.2.3", "protocol": 1, "capabilities": list(self.capabilities)}

    def has(self, method: str) -> bool:
        return method in self.capabilities

    def call(self, method: str, params: dict[str, Any], progress: Any = None) -> Any:
        self.called.append(method)
        answer = self.answers[method]
        if isinstance(answer, Exception):
            raise answer
        if progress is not None:
            progress(1, 2, "half")
        return answer

    def cancel(self) -> None:
        self.cancelled.set()


def test_calls_run_in_turn_and_their_answers_come_back_in_order():
    client = FakeClient({"a": {"n": 1}, "b": {"n": 2}})
    state = EngineJob(client, [EngineCall("a", {}, "do a", "first"), EngineCall("b", {})]).start().wait(5)
    assert state.finished and not state.cancelled and state.error is None
    assert state.responses == [{"n": 1}, {"n": 2}] and state.fraction == 1.0
    assert (state.done, state.total, state.message) == (1, 2, "half")  # the last call's own progress
    assert state.info == client.initialize()


def test_no_calls_only_asks_what_the_engine_can_do():
    state = EngineJob(FakeClient({})).start().wait(5)
    assert state.finished and state.error is None and state.responses == []
    assert state.info is not None and state.info["version"] == "1.2.3"


def test_a_method_the_engine_lacks_asks_for_an_update_and_runs_nothing():
    client = FakeClient({"a": {}}, capabilities=("a",))
    state = EngineJob(client, [EngineCall("b", {}, "paint from keys"), EngineCall("a", {})]).start().wait(5)
    assert state.error == "This nakawari engine (1.2.3) cannot paint from keys; update it" and client.called == []


def test_failures_and_cancels_become_states():
    failed = EngineJob(FakeClient({"a": EngineError("refused", log="/tmp/x.log")}), [EngineCall("a", {})])
    state = failed.start().wait(5)
    assert (state.error, state.log, state.cancelled) == ("refused", "/tmp/x.log", False)
    assert state.error_line == "refused (details: /tmp/x.log)"
    state = EngineJob(FakeClient({"a": EngineCancelled("stop")}), [EngineCall("a", {})]).start().wait(5)
    assert state.cancelled and state.error is None and state.fraction < 1.0
    state = EngineJob(FakeClient({"a": ValueError("bug")}), [EngineCall("a", {})]).start().wait(5)
    assert state.error == "unexpected error talking to the engine: bug"


def test_cancel_before_the_next_call_stops_there():
    client = FakeClient({"a": {}, "b": {}})
    job = EngineJob(client, [EngineCall("a", {}), EngineCall("b", {})])
    job.cancel()
    state = job.start().wait(5)
    assert state.cancelled and client.called == [] and client.cancelled.is_set()
