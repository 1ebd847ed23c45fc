"""Nothing the artist has is ever lost (issue 24): overwrite replaces only the files a command writes, never
its inputs, a folder or someone else's manifest; names stay inside --out; oversized input is refused before
it is decoded; stray runs leave nothing behind."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from engine_helpers import arm_key
from PIL import Image

from nakawari.cli import main
from nakawari.errors import BadInput
from nakawari.output import StagedOutput

W, H = 96, 64


def _arm(path: Path, angle: float, *, transparent: bool = False) -> Path:
    return arm_key(path, angle, size=(W, H), transparent=transparent, lengths=(20.0, 15.0))


def _run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err.strip()


@pytest.fixture
def keys(tmp_path: Path) -> list[Path]:
    return [_arm(tmp_path / "walk.0001.png", -0.4), _arm(tmp_path / "walk.0003.png", 0.4, transparent=True)]


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- (a) overwrite replaces only files this command writes -----------------------------------------------
def test_overwrite_never_removes_a_folder_named_like_an_output(tmp_path, keys, capsys) -> None:
    out = tmp_path / "out"
    notes = out / "walk.0002.png"
    notes.mkdir(parents=True)
    (notes / "notes.txt").write_text("the artist's notes")
    code, err = _run(capsys, "inbetween", *keys, "--out", out, "--overwrite", "--quiet", "--mode", "flow",
                     "--key-times", "1,3")
    assert code == 2 and err.count("\n") == 0, err
    assert "walk.0002.png: is a folder" in err
    assert (notes / "notes.txt").read_text() == "the artist's notes"
    assert sorted(p.name for p in out.iterdir()) == ["walk.0002.png"]  # no stage left behind


@pytest.mark.parametrize("how", ["pattern", "files"])
def test_out_in_the_keys_folder_never_rewrites_a_key(tmp_path, keys, capsys, how) -> None:
    before = _bytes(tmp_path)
    given = [tmp_path / "walk.####.png"] if how == "pattern" else keys
    for extra in ([], ["--overwrite"]):
        code, err = _run(capsys, "inbetween", *given, "--out", tmp_path, "--quiet", "--mode", "flow", *extra)
        assert code == 2 and err.count("\n") == 0, err
        assert "is an input of this command" in err
        assert _bytes(tmp_path) == before


def test_overwrite_refuses_a_manifest_nakawari_did_not_write(tmp_path, capsys) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    (out / "manifest.json").write_text('{"artist": "my own manifest"}')
    code, err = _run(capsys, "package", "--out", out, "--overwrite")
    assert code == 2 and err.count("\n") == 0, err
    assert "manifest.json: is not a manifest nakawari wrote" in err
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]
    assert json.loads((out / "manifest.json").read_text()) == {"artist": "my own manifest"}


def test_overwrite_replaces_a_manifest_nakawari_wrote(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"command": "douga"}')
    (tmp_path / "a.txt").write_text("old")
    with StagedOutput(tmp_path, overwrite=True) as output:
        output.refuse_existing(["a.txt"])
        output.write_bytes("a.txt", b"new")
        output.commit({"command": "test"})
    assert (tmp_path / "a.txt").read_text() == "new"
    assert json.loads((tmp_path / "manifest.json").read_text()) == {"command": "test"}


def test_a_folder_appearing_during_the_work_is_refused_at_commit(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="is a folder"):
        with StagedOutput(tmp_path, overwrite=True) as output:
            output.refuse_existing(["a.png"])
            output.write_bytes("a.png", b"new")
            (tmp_path / "a.png").mkdir()
            (tmp_path / "a.png" / "keep.txt").write_text("keep")
            output.commit({"command": "test"})
    assert (tmp_path / "a.png" / "keep.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def test_douga_and_cels_never_write_over_their_frames(tmp_path, capsys) -> None:
    frame = tmp_path / "shot.douga.png"
    Image.fromarray(np.full((H, W, 3), 200, np.uint8)).save(frame)
    before = frame.read_bytes()
    # douga of shot.douga.png writes shot.douga.douga.png: no clash; a frame named like the output of another
    # frame's stem is, though: `shot.png` → shot.douga.png.
    Image.fromarray(np.full((H, W, 3), 100, np.uint8)).save(tmp_path / "shot.png")
    code, err = _run(capsys, "douga", tmp_path / "shot.png", frame, "--out", tmp_path, "--overwrite", "--quiet")
    assert code == 2 and "is an input of this command" in err, err
    assert frame.read_bytes() == before


def test_strokes_never_writes_over_its_request(tmp_path, capsys) -> None:
    request = tmp_path / "keys.json"
    line = [[10.0, 10.0], [60.0, 12.0], [110.0, 10.0]]
    text = json.dumps({"format": "nakawari.strokes", "version": 1,
                       "keys": [{"time": 0, "strokes": [{"points": line}]},
                                {"time": 2, "strokes": [{"points": [[x, y + 9] for x, y in line]}]}]})
    request.write_text(text)
    code, err = _run(capsys, "strokes", request, "--out", tmp_path / "." / "keys.json", "--overwrite")
    assert code == 2 and "is the request this command reads" in err, err
    assert request.read_text() == text


# --- (b) names are plain file stems, outputs only under --out -----------------------------------------
@pytest.mark.parametrize("name", ["../../x", "/abs/x", "..", "a/b", "a\\b", ".hidden"])
def test_name_must_be_a_plain_stem(tmp_path, keys, capsys, name) -> None:
    out = tmp_path / "deep" / "out"
    code, err = _run(capsys, "inbetween", *keys, "--out", out, "--name", name, "--quiet", "--mode", "flow")
    assert code == 2 and err.count("\n") == 0, err
    assert "must be a plain file name" in err
    assert not (tmp_path / "deep").exists()  # the refused run removed the folders it made
    assert not Path("/abs").exists()


def test_a_refused_run_removes_every_parent_folder_it_created(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "c"
    with pytest.raises(BadInput):
        with StagedOutput(out):
            raise BadInput("refused")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_stale_stage_of_a_dead_run_is_cleaned_but_one_holding_a_replaced_file_stays(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    stale, rescued, alive = (tmp_path / ".nakawari-stale", tmp_path / ".nakawari-rescue", tmp_path / ".nakawari-live")
    for stage, pid in ((stale, dead), (rescued, dead), (alive, str(os.getpid()))):
        stage.mkdir()
        (stage / ".owner").write_text(f"{socket.gethostname()} {pid}")
        (stage / "a.png").write_bytes(b"x")
    (rescued / ".replaced.a.png").write_bytes(b"the artist's")
    with StagedOutput(tmp_path) as output:
        output.write_bytes("b.txt", b"b")
        output.commit({"command": "test"})
    assert not stale.exists()
    assert (rescued / ".replaced.a.png").read_bytes() == b"the artist's"
    assert alive.exists()


# --- (d) one bad line never ends the engine -------------------------------------------------------------
def _serve_raw(lines: list[bytes]) -> list[dict]:
    import io

    from nakawari import server

    def source():
        yield from lines
        assert engine.wait_idle(30)

    sink = io.StringIO()
    engine = server.Server(source(), sink, log=io.StringIO())
    assert engine.serve() == 0
    return [json.loads(line) for line in sink.getvalue().splitlines()]


def _line(message: dict) -> bytes:
    return (json.dumps({"jsonrpc": "2.0", **message}) + "\n").encode()


def test_malformed_lines_get_errors_and_the_engine_keeps_serving(tmp_path) -> None:
    replies = _serve_raw([
        b'{"jsonrpc": "2.0", "id": [1, 2], "method": "initialize", "params": {}}\n',
        b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "inbetween", "params": {}}\n',
        b'{"jsonrpc": "2.0", "id": 3, "method": "initialize", "params": {"x": "\xff\xfe"}}\n',
        b"[" * 100_000 + b"\n",
        b'{"jsonrpc": "2.0", "id": 5, "method": "cancel", "params": {"id": [1]}}\n',
        _line({"id": 6, "method": "inbetween", "params": {"keys": 5, "out": str(tmp_path)}}),
        _line({"id": 7, "method": "inbetween", "params": {"keys": ["a.png", "b.png"], "out": str(tmp_path),
                                                           "count": "3"}}),
        _line({"id": 8, "method": "douga", "params": {"frames": ["a.png"], "out": str(tmp_path),
                                                       "overwrite": "yes"}}),
        b'{"jsonrpc": "2.0", "id": 10, "method": "\\ud800x", "params": {}}\n',
        b'{"jsonrpc": "2.0", "id": 11, "method": "cels", "params": {"frames": ["\\udc80.png"], "out": "x"}}\n',
        _line({"id": 9, "method": "initialize", "params": {}}),
    ])
    unnamed = [reply["error"]["code"] for reply in replies if "error" in reply and reply["id"] is None]
    assert unnamed == [-32600, -32600, -32700, -32700]
    codes = {reply["id"]: reply["error"]["code"] for reply in replies if "error" in reply and reply["id"] is not None}
    assert codes == {5: -32602, 6: -32602, 7: -32602, 8: -32602, 10: -32601, 11: -32602}
    assert next(r for r in replies if r.get("id") == 6)["error"]["message"].startswith("'keys'")
    (last,) = [reply for reply in replies if reply.get("id") == 9]  # answered while the jobs ran, any order
    assert last["result"]["name"] == "nakawari"


@pytest.mark.parametrize("name", ["../../x", "/abs/x", "a/b"])
def test_protocol_names_must_be_plain_stems(tmp_path, keys, name) -> None:
    replies = _serve_raw([_line({"id": 1, "method": "inbetween",
                                 "params": {"keys": [str(k) for k in keys], "out": str(tmp_path / "out"),
                                            "name": name, "mode": "flow"}})])
    assert replies[0]["error"]["code"] == -32602
    assert "'name'" in replies[0]["error"]["message"]
    assert not (tmp_path / "out").exists()


def test_the_engine_process_survives_invalid_utf8() -> None:
    import subprocess

    from engine_helpers import engine_executable

    process = subprocess.run([engine_executable(), "serve"], capture_output=True, timeout=60,
                             input=b"\xff\xfe not utf-8\n" + _line({"id": 2, "method": "shutdown", "params": {}}))
    replies = [json.loads(line) for line in process.stdout.splitlines()]
    assert process.returncode == 0, process.stderr
    assert replies[0]["error"]["code"] == -32700 and replies[1] == {"jsonrpc": "2.0", "id": 2, "result": None}


# --- (c) limits: refused before the work, naming the file or option ---------------------------------------
def _png_header_only(path: Path, width: int, height: int, bit_depth: int) -> Path:
    """A PNG whose header claims a huge image (its pixels are never needed: the header is read first)."""
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, 6, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("command", ["inbetween", "cels", "douga"])
@pytest.mark.parametrize("size,depth", [((12_000, 12_000), 16), ((20_000, 20_000), 8)])
def test_image_bombs_are_refused_before_decoding(tmp_path, capsys, monkeypatch, command, size, depth) -> None:
    import nakawari.image as image

    def never(*args, **kwargs):
        raise AssertionError("decoded a refused image")

    monkeypatch.setattr(image.cv2, "imread", never)
    bomb = _png_header_only(tmp_path / "bomb.0001.png", *size, depth)
    other = _arm(tmp_path / "ok.0002.png", 0.3)
    frames = [bomb, other] if command != "douga" else [bomb]
    code, err = _run(capsys, command, *frames, "--out", tmp_path / "out", "--quiet")
    assert code == 2 and err.count("\n") == 0, err
    assert "bomb.0001.png" in err and "megapixels" in err
    assert not (tmp_path / "out").exists()


def test_a_tiny_key_is_bad_input(tmp_path, capsys) -> None:
    for i in range(2):
        Image.fromarray(np.full((1, 1, 3), 255 * i, np.uint8)).save(tmp_path / f"t.{i}.png")
    code, err = _run(capsys, "inbetween", tmp_path / "t.0.png", tmp_path / "t.1.png", "--out", tmp_path / "o",
                     "--quiet")
    assert code == 2 and "t.0.png: is 1x1" in err, err


def test_an_unreadable_key_is_bad_input(tmp_path, keys, capsys, monkeypatch) -> None:
    import nakawari.image as image

    real_open = open

    def guarded_open(path, *args, **kwargs):  # chmod 0 does not stop root: refuse the read the same way
        if str(path) == str(keys[0]):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(image, "open", guarded_open, raising=False)
    code, err = _run(capsys, "inbetween", *keys, "--out", tmp_path / "o", "--quiet")
    assert code == 2 and "walk.0001.png: cannot read" in err, err


def test_a_fifo_named_like_a_key_is_refused_not_waited_on(tmp_path, keys, capsys) -> None:
    fifo = tmp_path / "walk.0005.png"
    os.mkfifo(fifo)
    code, err = _run(capsys, "inbetween", *keys, fifo, "--out", tmp_path / "o", "--quiet")
    assert code == 2 and "walk.0005.png: is not a plain file" in err, err


@pytest.mark.parametrize("option", [["--count", "100000"], ["--times", ",".join(str(i / 20_000) for i in
                                                                                   range(1, 20_000))]])
def test_frame_count_is_capped(tmp_path, keys, capsys, option) -> None:
    code, err = _run(capsys, "inbetween", *keys, "--out", tmp_path / "o", "--quiet", *option)
    assert code == 2 and err.count("\n") == 0 and "at most 10000 frames per run" in err, err


def test_frames_held_in_memory_are_capped(tmp_path, keys, capsys, monkeypatch) -> None:
    import nakawari.limits

    monkeypatch.setattr(nakawari.limits, "MAX_HELD_BYTES", 20 * W * H * 16)  # room for 20 frames of these keys
    code, err = _run(capsys, "inbetween", *keys, "--out", tmp_path / "o", "--quiet", "--count", 30)
    assert code == 2 and f"at most 20 frames of {W}x{H} per run" in err, err
    assert not (tmp_path / "o").exists()


def test_stroke_count_and_coordinates_are_capped(tmp_path, capsys) -> None:
    from nakawari.jobs.strokes import run_strokes

    line = [[10.0, 10.0], [60.0, 12.0], [110.0, 10.0]]
    request = {"keys": [{"time": 0, "strokes": [{"points": line}]},
                        {"time": 1, "strokes": [{"points": [[x, y + 9] for x, y in line]}]}]}
    with pytest.raises(BadInput, match="at most 10000 frames"):
        run_strokes({**request, "count": 100_000})
    request["keys"][1]["strokes"][0]["points"][1] = [1e300, 1.0]
    with pytest.raises(BadInput, match="coordinates must lie within"):
        run_strokes(request)


def test_a_tangle_of_scribbles_is_not_paired_point_by_point() -> None:
    from nakawari.strokes.hinges import pairs_within

    rng = np.random.default_rng(0)
    points = rng.uniform(0, 10, (4000, 2))
    offsets = np.arange(0, 4001, 40)  # 100 tracks, every point within reach of every other
    assert pairs_within(points, offsets, 100.0, limit=10_000) is None
    few = pairs_within(points[:400], offsets[:11], 0.5, limit=10_000)
    assert few is not None and len(few) == len(pairs_within(points[:400], offsets[:11], 0.5))


# --- (e) failures are reported, each in its own log --------------------------------------------------------
def test_failures_in_the_same_second_get_their_own_logs(tmp_path, monkeypatch) -> None:
    from nakawari import cli

    monkeypatch.setenv("NAKAWARI_LOG_DIR", str(tmp_path))
    logs = set()
    for _ in range(5):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logs.add(cli._log_failure())
    assert len(logs) == 5 and all("boom" in log.read_text() for log in logs)


def test_a_full_disk_is_bad_input(tmp_path, monkeypatch) -> None:
    import errno

    import nakawari.output as output_module

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output_module.Path, "write_bytes", full)
    with pytest.raises(BadInput, match="No space left on device"):
        with StagedOutput(tmp_path / "out") as output:
            output.write_bytes("a.txt", b"a")
    assert not (tmp_path / "out").exists()


# --- (f) batches: one publish of a shot at a time; a pipe named like a key never hangs --------------------
def test_a_fifo_named_like_a_key_fails_the_shot_instead_of_hanging(tmp_path) -> None:
    from nakawari.batch.publish import publish_shot
    from nakawari.batch.result import FAILED

    shot = tmp_path / "sh010"
    shot.mkdir()
    _arm(shot / "walk.0001.png", -0.4)
    os.mkfifo(shot / "walk.0005.png")
    result = publish_shot(shot, tmp_path / "publish")
    assert result.status == FAILED and result.bad_input, result
    assert "walk.0005.png" in result.problem and "not a plain file" in result.problem


def test_the_shot_lock_makes_a_second_publisher_wait(tmp_path) -> None:
    import subprocess
    import sys
    import time

    from nakawari.batch.lock import shot_lock

    done = tmp_path / "second-got-it"
    script = ("import sys, pathlib; from nakawari.batch.lock import shot_lock\n"
              f"with shot_lock(pathlib.Path({str(tmp_path / 'publish')!r}), 'sh010'):\n"
              f"    pathlib.Path({str(done)!r}).write_text('x')\n")
    (tmp_path / "publish").mkdir()
    with shot_lock(tmp_path / "publish", "sh010"):
        second = subprocess.Popen([sys.executable, "-c", script])
        time.sleep(1.5)
        assert not done.exists()  # still waiting for the first publisher
    assert second.wait(30) == 0 and done.exists()
    assert [p.name for p in (tmp_path / "publish").iterdir()] == [".sh010.publish-lock"]


# --- (f) interrupted and killed commits ---------------------------------------------------------------------
def test_ctrl_c_during_the_moves_waits_for_them(tmp_path, monkeypatch, capsys) -> None:
    import signal

    import nakawari.output as module

    real_replace = module.os.replace
    calls = []

    def interrupted_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            signal.raise_signal(signal.SIGINT)
        real_replace(src, dst)

    monkeypatch.setattr(module.os, "replace", interrupted_replace)
    with StagedOutput(tmp_path) as output:
        for name in ("a.png", "b.png", "c.png"):
            output.write_bytes(name, name.encode())
        output.commit({"command": "test"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png", "c.png", "manifest.json"]
    assert "interrupted after the results were complete" in capsys.readouterr().err


def test_ctrl_c_after_the_commit_does_not_claim_nothing_was_written(tmp_path, monkeypatch, capsys) -> None:
    from nakawari import cli

    def commit_then_interrupt(args):
        with StagedOutput(tmp_path / "out") as output:
            output.write_bytes("a.png", b"a")
            output.commit({"command": "test"})
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "package", commit_then_interrupt)
    code, err = _run(capsys, "package", "--out", tmp_path / "out")
    assert code == 0 and "nothing was written" not in err and "results were complete" in err, err


_KILLED_COMMIT = """
import os, sys
from pathlib import Path
import nakawari.output as module
real_replace, moves = os.replace, []
def killed(src, dst):
    moves.append(dst)
    if len(moves) == 4:  # after a.png (old one set aside), b.png: killed mid-commit
        os._exit(9)
    real_replace(src, dst)
module.os.replace = killed
with module.StagedOutput(Path(sys.argv[1]), overwrite=True) as output:
    for name in ("a.png", "b.png", "c.png"):
        output.write_bytes(name, b"new " + name.encode())
    output.commit({"command": "test"})
"""


def test_a_commit_killed_midway_is_undone_by_the_next_run(tmp_path) -> None:
    import subprocess
    import sys

    (tmp_path / "a.png").write_bytes(b"the artist's a")
    (tmp_path / "manifest.json").write_text('{"command": "inbetween"}')
    killed = subprocess.run([sys.executable, "-c", _KILLED_COMMIT, str(tmp_path)], capture_output=True)
    assert killed.returncode == 9, killed.stderr
    assert (tmp_path / "a.png").read_bytes() == b"new a.png"  # half a commit is visible...
    with StagedOutput(tmp_path, overwrite=True) as output:  # ...until the next run in the folder
        output.refuse_existing(["d.png"])
        output.write_bytes("d.png", b"d")
        output.commit({"command": "test"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "d.png", "manifest.json"]
    assert (tmp_path / "a.png").read_bytes() == b"the artist's a"


_ORPHAN_PARENT = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c",
    "import time, pathlib, sys; from nakawari.batch.orphan import exit_with_parent; exit_with_parent(interval=0.05); "
    "print('ready', flush=True); time.sleep(20); pathlib.Path(sys.argv[1]).write_text('published late')",
    sys.argv[1]], stdout=subprocess.PIPE, text=True)
assert child.stdout.readline().strip() == "ready"
print(child.pid, flush=True)
"""


def test_a_batch_worker_ends_when_its_batch_is_killed(tmp_path) -> None:
    import subprocess
    import sys
    import time

    late = tmp_path / "late"
    parent = subprocess.run([sys.executable, "-c", _ORPHAN_PARENT, str(late)], capture_output=True, text=True,
                            timeout=60)  # the parent ends without waiting: its worker is orphaned
    pid = int(parent.stdout.split()[-1])

    def running() -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except OSError:
            return False
        return state not in ("Z", "X")

    deadline = time.monotonic() + 15
    while running() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running() and not late.exists()


def test_huge_key_times_and_long_names_are_not_unexpected(tmp_path, keys, capsys) -> None:
    code, err = _run(capsys, "inbetween", *keys, "--out", tmp_path / "a", "--quiet", "--mode", "flow",
                     "--key-times", "0,1e300")
    assert code == 0, err  # frames numbered 0, 1, 2 rather than by a 300-digit frame number
    assert sorted(p.name for p in (tmp_path / "a").glob("*.png")) == ["walk.0000.png", "walk.0001.png",
                                                                       "walk.0002.png"]
    code, err = _run(capsys, "inbetween", *keys, "--out", tmp_path / "b", "--quiet", "--name", "n" * 300)
    assert code == 2 and "at most 200 bytes" in err, err


def test_a_killed_batch_leaves_no_staging_behind_for_long(tmp_path) -> None:
    import socket
    import subprocess
    import sys

    from nakawari.batch.versions import staging_for

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    host = socket.gethostname().replace("-", "_")
    shot_root = tmp_path / "publish" / "sh010"
    leftovers = [shot_root / f".staging-{host}-{dead}-abc", shot_root / f".v002.partial-{host}-{dead}-xyz"]
    live = shot_root / f".staging-{host}-{os.getpid()}-live"
    for folder in (*leftovers, live, shot_root / "v001"):
        folder.mkdir(parents=True)
        (folder / "walk.0001.png").write_bytes(b"x")
    staging = staging_for({"shot_root": str(shot_root)})
    assert not any(folder.exists() for folder in leftovers)
    assert live.exists() and (shot_root / "v001" / "walk.0001.png").exists() and staging.is_dir()


def test_an_endless_line_is_refused_without_reading_it_into_memory(monkeypatch) -> None:
    import io

    from nakawari import server

    monkeypatch.setattr(server, "MAX_LINE_BYTES", 1000)
    source = io.BytesIO(b'{"x": "' + b"a" * 5000 + b'"}\n' + _line({"id": 2, "method": "initialize", "params": {}}))
    sink = io.StringIO()
    assert server.Server(source, sink, log=io.StringIO()).serve() == 0
    replies = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert replies[0]["error"]["code"] == -32700 and "longer than" in replies[0]["error"]["message"]
    assert replies[1]["id"] == 2 and "result" in replies[1]


def test_batch_failures_of_one_shot_name_get_their_own_logs(tmp_path, monkeypatch) -> None:
    from nakawari.batch.result import unexpected

    monkeypatch.setenv("NAKAWARI_LOG_DIR", str(tmp_path))
    logs = {unexpected("sh010", RuntimeError("boom"), f"details {i}").log for i in range(3)}
    assert len(logs) == 3
