"""core/client.py against a real `nakawari serve` subprocess: calls, progress, cancel, crashes, no engine."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from engine_helpers import engine_executable, key_pair

from nakawari import __version__
from nakawari.client import ENV_VAR, EngineCancelled, EngineClient, EngineError, find_engine, frames_to_check


def _fake_engine(folder: Path, body: str) -> str:
    """A stand-in `nakawari` program (a shell script) to stage crashes and odd engines."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "nakawari"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with EngineClient(engine_executable(), log_dir=tmp_path_factory.mktemp("logs")) as running:
        yield running


def test_find_engine_prefers_setting_then_environment_then_path(tmp_path):
    setting = _fake_engine(tmp_path / "setting", "exit 0")
    env = _fake_engine(tmp_path / "env", "exit 0")
    on_path = _fake_engine(tmp_path / "path", "exit 0")
    environ = {ENV_VAR: env, "PATH": str(tmp_path / "path")}
    assert find_engine(setting, environ) == setting
    assert find_engine("", environ) == env
    assert find_engine(None, {"PATH": str(tmp_path / "path")}) == on_path
    assert find_engine(str(tmp_path / "setting"), environ) == setting  # a folder holding it will do


def test_missing_engine_is_a_clear_error(tmp_path):
    with pytest.raises(EngineError, match="nakawari engine was not found"):
        find_engine(None, {"PATH": str(tmp_path)})
    with pytest.raises(EngineError, match="set in the add-on setting was not found"):
        find_engine(str(tmp_path / "nowhere" / "nakawari"), {})
    client = EngineClient(str(tmp_path / "nowhere"), environ={"PATH": ""}, log_dir=tmp_path)
    with pytest.raises(EngineError, match="not found"):
        client.initialize()


def test_initialize_and_inbetween_with_progress(client, tmp_path):
    info = client.initialize()
    assert info["version"] == __version__ and client.has("inbetween")
    seen = []
    result = client.call("inbetween", {"keys": key_pair(tmp_path / "keys"), "out": str(tmp_path / "out"),
                                       "key_times": [0, 6], "count": 5, "mode": "flow"},
                         progress=lambda done, total, message: seen.append((done, total)))
    assert [f["time"] for f in result["frames"] if not f["key"]] == [1, 2, 3, 4, 5]
    assert seen and seen[-1][0] == seen[-1][1]


def test_engine_refusal_is_an_engine_error_with_its_message(client, tmp_path):
    with pytest.raises(EngineError, match="file not found") as refused:
        client.call("inbetween", {"keys": [str(tmp_path / "a.png")] * 2, "out": str(tmp_path / "out")})
    assert refused.value.code == -32001
    assert client.initialize()["version"] == __version__  # the engine still serves


def test_cancel_from_another_thread_stops_the_call_and_nothing_is_written(client, tmp_path):
    out = tmp_path / "out"
    started = threading.Event()
    threading.Thread(target=lambda: (started.wait(60), client.cancel()), daemon=True).start()
    with pytest.raises(EngineCancelled):
        client.call("inbetween", {"keys": key_pair(tmp_path / "keys", (640, 360)), "out": str(out), "count": 40,
                                  "mode": "flow"}, progress=lambda *_: started.set())
    assert started.is_set()
    assert not out.exists() or not any(out.iterdir())


def test_crashed_engine_gives_a_clear_error_and_the_next_call_starts_a_fresh_one(client, tmp_path):
    first = client.initialize()["pid"]
    started = threading.Event()

    def kill_when_started():
        started.wait(60)
        os.kill(first, 9)

    threading.Thread(target=kill_when_started, daemon=True).start()
    with pytest.raises(EngineError, match="stopped unexpectedly") as crashed:
        client.call("inbetween", {"keys": key_pair(tmp_path / "keys", (640, 360)), "out": str(tmp_path / "o"),
                                  "count": 40, "mode": "flow"}, progress=lambda *_: started.set())
    assert "unchanged" in crashed.value.message and crashed.value.log
    assert client.initialize()["pid"] != first


def test_engine_that_dies_at_start_names_its_log(tmp_path):
    engine = _fake_engine(tmp_path / "bin", "echo 'ImportError: no module named numpy' >&2; exit 3")
    client = EngineClient(engine, log_dir=tmp_path / "logs")
    with pytest.raises(EngineError, match="exit status 3") as crashed:
        client.initialize()
    assert "no module named numpy" in crashed.value.message
    assert Path(crashed.value.log).is_file()


def test_timeout_asks_the_engine_to_stop(tmp_path):
    engine = _fake_engine(tmp_path / "bin", "exec sleep 30")
    client = EngineClient(engine, log_dir=tmp_path / "logs")
    began = time.monotonic()
    with pytest.raises(EngineError, match="did not finish 'initialize' within 0.5 s"):
        client.call("initialize", timeout=0.5)
    assert time.monotonic() - began < 5
    client.close(timeout=0.5)
    assert not client.running


def test_frames_to_check_names_the_flagged_frames_and_the_least_sure() -> None:
    placed = [(3, {"check": False, "confidence": 0.9}),
              (4, {"check": True, "confidence": 0.5, "note": "erased 3 specks no key has"}),
              (5, {"check": True, "confidence": 0.2, "note": "its lines turned to dust: held the first key"})]
    line = frames_to_check(placed)
    assert line.startswith("check frames 4, 5:")
    assert "least sure is 5, confidence 0.20 (its lines turned to dust: held the first key)" in line
    assert frames_to_check(placed[:1]) == ""
    assert (frames_to_check([(7, {"check": True, "confidence": 0.4})])
            == "check frame 7: the least sure is 7, confidence 0.40")


def test_an_engine_of_another_protocol_is_refused_by_name(tmp_path):
    """An engine from another release answers `initialize` with its protocol: the add-on says so and uses nothing."""
    answer = '{"jsonrpc": "2.0", "id": 1, "result": {"name": "nakawari", "version": "9.0.0", "protocol": 2}}'
    engine = _fake_engine(tmp_path / "bin", f"read line; echo '{answer}'; sleep 5")
    with EngineClient(engine, log_dir=tmp_path / "logs") as client:
        with pytest.raises(EngineError, match="speaks protocol 2, this add-on protocol 1"):
            client.initialize()
        assert client.info is None

