"""`nakawari serve`: the JSON-RPC engine, driven through a real subprocess (and in-process for failures)."""
from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from engine_helpers import engine_executable, key_pair

from nakawari import __version__, server


class Engine:
    """A real `nakawari serve` process, spoken to line by line."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([engine_executable(), "serve"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[dict] = []

    def send(self, message: dict | str) -> None:
        text = message if isinstance(message, str) else json.dumps({"jsonrpc": "2.0", **message})
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def read(self) -> dict:
        line = self.process.stdout.readline()
        assert line, f"engine exited: {self.process.stderr.read()}"
        message = json.loads(line)  # every stdout line must be protocol
        assert message["jsonrpc"] == "2.0"
        self.lines.append(message)
        return message

    def until(self, request_id: int) -> dict:
        while (message := self.read()).get("id") != request_id or "method" in message:
            pass
        return message

    def close(self) -> None:
        if self.process.poll() is None:
            self.send({"id": 999, "method": "shutdown", "params": {}})
            assert self.until(999)["result"] is None
            assert self.process.wait(30) == 0
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            stream.close()


@pytest.fixture(scope="module")
def engine():
    """One engine for the module, as a host keeps one: each test also checks it still serves afterwards."""
    running = Engine()
    yield running
    running.close()


def test_initialize_lists_version_capabilities_and_devices(engine):
    engine.send({"id": 1, "method": "initialize", "params": {}})
    info = engine.until(1)["result"]
    assert info["version"] == __version__
    assert "inbetween" in info["capabilities"]
    assert set(info["capabilities"]) <= set(server.JOBS)
    assert "cpu" in info["devices"]


def test_inbetween_writes_frames_and_reports_progress(engine, tmp_path):
    keys = key_pair(tmp_path / "keys")
    out = tmp_path / "out"
    engine.send({"id": 7, "method": "inbetween",
                 "params": {"keys": keys, "out": str(out), "key_times": [0, 6], "times": [1, 2, 3, 4, 5],
                            "mode": "flow"}})
    answer = engine.until(7)
    manifest = answer["result"]
    inbetweens = [frame for frame in manifest["frames"] if not frame["key"]]
    assert [frame["time"] for frame in inbetweens] == [1, 2, 3, 4, 5]
    assert all((out / frame["file"]).is_file() for frame in manifest["frames"])
    progress = [m["params"] for m in engine.lines if m.get("method") == "progress"]
    assert progress and all(p["id"] == 7 and 0 <= p["done"] <= p["total"] for p in progress)
    assert progress[-1]["done"] == progress[-1]["total"]


def test_bad_input_is_an_error_object_naming_the_file(engine, tmp_path):
    missing = tmp_path / "nope.png"
    engine.send({"id": 2, "method": "inbetween", "params": {"keys": [str(missing), str(missing)],
                                                              "out": str(tmp_path / "out")}})
    error = engine.until(2)["error"]
    assert error["code"] == server.BAD_INPUT
    assert str(missing) in error["message"] and "not found" in error["message"]
    assert not (tmp_path / "out").exists()


def test_protocol_errors_keep_the_engine_serving(engine):
    engine.send("this is not json")
    assert engine.read()["error"]["code"] == server.PARSE_ERROR
    engine.send({"id": 3, "method": "paint_it_all", "params": {}})
    assert engine.until(3)["error"]["code"] == server.METHOD_NOT_FOUND
    engine.send({"id": 4, "method": "inbetween", "params": {"keys": []}})
    assert engine.until(4)["error"]["code"] == server.INVALID_PARAMS
    engine.send({"id": 5, "method": "initialize", "params": {}})
    assert engine.until(5)["result"]["name"] == "nakawari"


def test_cancel_is_answered_while_a_job_runs_and_nothing_is_written(engine, tmp_path):
    keys = key_pair(tmp_path / "keys", size=(640, 360))
    out = tmp_path / "out"
    engine.send({"id": 10, "method": "inbetween",
                 "params": {"keys": keys, "out": str(out), "count": 40, "mode": "flow"}})
    while engine.read().get("method") != "progress":  # the job is under way
        pass
    engine.send({"id": 11, "method": "initialize", "params": {}})
    assert engine.until(11)["result"]["version"] == __version__  # answered while the job runs
    engine.send({"id": 12, "method": "cancel", "params": {"id": 10}})
    assert engine.until(12)["result"] == {"cancelled": True}
    error = engine.until(10)["error"]
    assert error["code"] == server.CANCELLED and "nothing was written" in error["message"]
    assert not out.exists() or not any(out.iterdir())


def _serve_in_process(lines: list[dict]) -> list[dict]:
    """Feed the lines, wait for the jobs, then end the input (the end of input cancels what is left)."""
    def source():
        for line in lines:
            yield json.dumps({"jsonrpc": "2.0", **line}) + "\n"
        assert engine.wait_idle(30)

    sink = io.StringIO()
    engine = server.Server(source(), sink, log=io.StringIO())
    engine.serve()
    return [json.loads(line) for line in sink.getvalue().splitlines()]


def test_unexpected_failure_gives_message_and_log_path(monkeypatch, tmp_path):
    monkeypatch.setenv("NAKAWARI_LOG_DIR", str(tmp_path / "logs"))

    def broken(params, progress, cancel):
        raise RuntimeError("the flux capacitor melted")

    monkeypatch.setitem(server.JOBS, "inbetween", broken)
    answers = _serve_in_process([{"id": 1, "method": "inbetween", "params": {}}])
    error = answers[0]["error"]
    assert error["code"] == server.INTERNAL_ERROR
    assert "the flux capacitor melted" in error["message"]
    log = Path(error["data"]["log"])
    assert log.is_file() and str(log) in error["message"] and "RuntimeError" in log.read_text()


def test_capability_missing_from_the_engine_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(server, "available_jobs", lambda: ("inbetween",))
    answers = _serve_in_process([{"id": 1, "method": "douga", "params": {"frames": [], "out": "x"}},
                                 {"id": 2, "method": "initialize", "params": {}}])
    assert answers[0]["error"]["code"] == server.NOT_AVAILABLE
    assert "not available in this engine" in answers[0]["error"]["message"]
    assert answers[1]["result"]["capabilities"] == ["inbetween"]


def test_jobs_without_an_id_are_refused_and_cancel_notifications_get_no_answer():
    answers = _serve_in_process([{"method": "inbetween", "params": {}},
                                 {"method": "cancel", "params": {"id": 5}},
                                 {"id": 3, "method": "shutdown", "params": {}}])
    assert answers[0]["error"]["code"] == server.INVALID_REQUEST
    assert answers[1] == {"jsonrpc": "2.0", "id": 3, "result": None}
    assert len(answers) == 2


def test_stray_prints_never_reach_the_protocol_stream(tmp_path):
    """serve() moves fd 1 to stderr: a library printing to stdout cannot corrupt the protocol."""
    script = ("import sys, nakawari.server as s\n"
              "s.JOBS['inbetween'] = lambda p, progress, cancel: (print('noise'), "
              "__import__('os').write(1, b'c-level noise\\n'), {'ok': True})[2]\n"
              "s.available_jobs = lambda: ('inbetween',)\n"
              "sys.exit(s.serve())\n")
    python = Path(engine_executable()).with_name("python")
    process = subprocess.Popen([str(python), "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    process.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "inbetween", "params": {}}) + "\n")
    process.stdin.flush()
    answers = [json.loads(process.stdout.readline()) for _ in range(1)]
    process.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": {}}) + "\n")
    stdout, stderr = process.communicate(timeout=60)
    answers += [json.loads(line) for line in stdout.splitlines()]
    assert answers == [{"jsonrpc": "2.0", "id": 1, "result": {"ok": True}},
                       {"jsonrpc": "2.0", "id": 2, "result": None}]
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    assert "noise" in done.stderr and "c-level noise" in done.stderr


def test_worker_thread_answers_in_the_order_jobs_finish():
    """Two queued jobs: both answered, each by its own id."""
    finished = []

    def job(params, progress, cancel):
        progress(1, 1, "done")
        finished.append(params["n"])
        return {"n": params["n"]}

    original = server.JOBS["inbetween"]
    server.JOBS["inbetween"] = job
    try:
        answers = _serve_in_process([{"id": 1, "method": "inbetween", "params": {"n": 1}},
                                     {"id": 2, "method": "inbetween", "params": {"n": 2}}])
    finally:
        server.JOBS["inbetween"] = original
    results = {a["id"]: a["result"] for a in answers if "result" in a}
    progress = [a for a in answers if a.get("method") == "progress"]
    assert results == {1: {"n": 1}, 2: {"n": 2}} and finished == [1, 2]
    assert [p["params"]["id"] for p in progress] == [1, 2]
