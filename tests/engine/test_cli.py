"""The command line end to end: outputs, manifest, and every bad-input case (exit 2, one line, nothing written)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from engine_helpers import arm_key
from PIL import Image

from nakawari.cli import main
from nakawari.image import read_image
from nakawari.jobs import registry

W, H = 192, 108


def _draw_arm(path: Path, angle: float, *, transparent: bool = False, size: tuple[int, int] = (W, H)) -> Path:
    return arm_key(path, angle, size=size, transparent=transparent)


@pytest.fixture
def keys(tmp_path: Path) -> list[Path]:
    return [_draw_arm(tmp_path / "arm.0001.png", -0.4), _draw_arm(tmp_path / "arm.0009.png", 0.4)]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.err.strip()


def test_inbetween_writes_frames_and_manifest(tmp_path: Path, keys: list[Path],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, err = _run(capsys, "inbetween", *keys, "--out", out, "--count", 3, "--device", "cpu", "--mode", "flow")
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    assert [f["file"] for f in manifest["frames"]] == [f"arm.{i:04d}.png" for i in range(5)]
    assert [f["time"] for f in manifest["frames"]] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert [f["key"] for f in manifest["frames"]] == [True, False, False, False, True]
    assert manifest["mode"] == "flow" and manifest["device"] == "cpu"
    assert sorted(p.name for p in out.iterdir()) == sorted([*(f["file"] for f in manifest["frames"]), "manifest.json"])
    middle = read_image(out / "arm.0002.png")
    assert middle.size == (W, H) and not middle.transparent


def test_transparent_keys_give_transparent_frames(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = [_draw_arm(tmp_path / "a.png", -0.3, transparent=True), _draw_arm(tmp_path / "b.png", 0.3, transparent=True)]
    code, err = _run(capsys, "inbetween", *keys, "--out", tmp_path / "out", "--device", "cpu")
    assert code == 0, err
    frame = read_image(tmp_path / "out" / "a.0001.png")
    assert frame.transparent and frame.rgba[..., 3].max() > 0.5


def test_ease_and_explicit_times(tmp_path: Path, keys: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, "inbetween", *keys, "--out", tmp_path / "e", "--count", 3, "--ease", "favour-first")
    assert code == 0, err
    frames = json.loads((tmp_path / "e" / "manifest.json").read_text())["frames"]
    assert [f["position"] for f in frames if not f["key"]] == [0.125, 0.25, 0.5]
    code, err = _run(capsys, "inbetween", *keys, "--out", tmp_path / "t", "--times", "0.1,0.9", "--key-times", "0,2")
    assert code == 0, err
    frames = json.loads((tmp_path / "t" / "manifest.json").read_text())["frames"]
    assert [f["time"] for f in frames] == [0.0, 0.1, 0.9, 2.0]


def test_identical_keys_give_copies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = _draw_arm(tmp_path / "a.png", 0.2)
    code, err = _run(capsys, "inbetween", a, a, "--out", tmp_path / "out", "--count", 2)
    assert code == 0, err
    key = read_image(a).rgba
    for name in ("a.0001.png", "a.0002.png"):
        assert np.abs(read_image(tmp_path / "out" / name).rgba - key).max() <= 1 / 255 + 1e-6


def test_blank_keys_do_not_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((H, W), 255, np.uint8)).save(blank)
    arm = _draw_arm(tmp_path / "arm.png", 0.0)
    for pair in ((blank, blank), (blank, arm)):
        out = tmp_path / f"out-{pair[1].stem}"
        code, err = _run(capsys, "inbetween", *pair, "--out", out)
        assert code == 0, err
        assert (out / "manifest.json").exists()


def test_mixed_forms_and_depths_are_normalised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paper = _draw_arm(tmp_path / "paper.png", -0.3)
    layer = _draw_arm(tmp_path / "layer.png", 0.3, transparent=True)
    deep = tmp_path / "deep.png"
    grey = cv2.imread(str(_draw_arm(tmp_path / "tmp.png", 0.6)), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(deep), grey.astype(np.uint16) * 257)
    code, err = _run(capsys, "inbetween", paper, layer, deep, "--out", tmp_path / "out")
    assert code == 0, err
    frame = read_image(tmp_path / "out" / "paper.0001.png")
    assert not frame.transparent and frame.bit_depth == 16


def _assert_bad(capsys: pytest.CaptureFixture[str], argv: list, needle: str, out: Path | None = None) -> None:
    code, err = _run(capsys, *argv)
    assert code == 2, err
    assert len(err.splitlines()) == 1 and needle in err, err
    assert "Traceback" not in err
    if out is not None:
        assert not out.exists() or not any(p.name.endswith(".png") for p in out.iterdir())


def test_bad_input_cases(tmp_path: Path, keys: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    big = _draw_arm(tmp_path / "big.png", 0.0, size=(W * 2, H * 2))
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    _assert_bad(capsys, ["inbetween", keys[0], big, "--out", out], f"{big}: is {W * 2}x{H * 2}", out)
    _assert_bad(capsys, ["inbetween", keys[0], corrupt, "--out", out], f"{corrupt}: corrupt", out)
    _assert_bad(capsys, ["inbetween", keys[0], tmp_path / "nope.png", "--out", out], "nope.png: file not found", out)
    _assert_bad(capsys, ["inbetween", *keys, "--out", out, "--count", "0"], "--count must be at least 1", out)
    _assert_bad(capsys, ["inbetween", *keys, "--out", out, "--times", "1.5"], "outside the key range", out)
    _assert_bad(capsys, ["inbetween", *keys, "--out", out, "--times", "-0.5"], "outside the key range", out)
    _assert_bad(capsys, ["inbetween", *keys, "--out", out, "--mode", "raster"], "unknown --mode 'raster'", out)
    _assert_bad(capsys, ["inbetween", *keys, "--out", out, "--key-times", "0"], "--key-times gives 1 times", out)
    _assert_bad(capsys, ["inbetween", keys[0], "--out", out], "at least two keys", out)
    _assert_bad(capsys, ["inbetween", *keys, "--out", out, "--count", "2", "--times", "0.5"], "not allowed with", out)
    _assert_bad(capsys, ["inbetween", *keys, "--out", out, "--ease", "wobble"], "unknown ease", out)
    assert not out.exists()  # a folder the run created is removed again when nothing was written


def test_resize_policy(tmp_path: Path, keys: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    big = _draw_arm(tmp_path / "big.png", 0.3, size=(W * 2, H * 2))
    code, err = _run(capsys, "inbetween", keys[0], big, "--out", tmp_path / "out", "--resize", "first")
    assert code == 0, err
    assert read_image(tmp_path / "out" / "arm.0001.png").size == (W, H)


def test_unwritable_output_folder(tmp_path: Path, keys: list[Path], capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.geteuid() == 0:  # root writes into read-only folders; make the folder refuse as it would a user
        import nakawari.output

        def refuse(*args: object, **kwargs: object) -> str:
            raise PermissionError(13, "Permission denied")
        monkeypatch.setattr(nakawari.output.tempfile, "mkdtemp", refuse)
    try:
        _assert_bad(capsys, ["inbetween", *keys, "--out", locked], "not writable")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_output_path_that_is_a_file(tmp_path: Path, keys: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    _assert_bad(capsys, ["inbetween", *keys, "--out", target], "is not a folder")
    assert target.read_text() == "keep me"


def test_existing_files_are_kept_unless_overwrite(tmp_path: Path, keys: list[Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "arm.0001.png").write_bytes(b"the artist's drawing")
    _assert_bad(capsys, ["inbetween", *keys, "--out", out], "already exists")
    assert (out / "arm.0001.png").read_bytes() == b"the artist's drawing"
    assert sorted(p.name for p in out.iterdir()) == ["arm.0001.png"]
    code, err = _run(capsys, "inbetween", *keys, "--out", out, "--overwrite")
    assert code == 0, err
    assert read_image(out / "arm.0001.png").size == (W, H)


@pytest.mark.parametrize("failure", [RuntimeError("engine crashed"), KeyboardInterrupt(), MemoryError()])
def test_failure_mid_run_leaves_nothing(tmp_path: Path, keys: list[Path], capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch, failure: BaseException) -> None:
    import nakawari.output

    real_write = nakawari.output.write_image
    calls = []

    def failing_write(*args, **kwargs):  # the third frame fails, after two were written
        calls.append(args[0])
        if len(calls) == 3:
            raise failure
        return real_write(*args, **kwargs)

    monkeypatch.setattr(nakawari.output, "write_image", failing_write)
    monkeypatch.setenv("NAKAWARI_LOG_DIR", str(tmp_path / "logs"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, err = _run(capsys, "inbetween", *keys, "--out", out, "--count", 3)
    assert code == {RuntimeError: 1, KeyboardInterrupt: 130, MemoryError: 1}[type(failure)]
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    if code == 1:
        log = Path(err.rsplit("details in ", 1)[1].rstrip(")"))
        assert "Traceback" in log.read_text()


def test_a_job_that_fails_to_load_is_logged_even_while_options_are_read(
        tmp_path: Path, keys: list[Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """--ease is read by the inbetween job (loaded through the registry): a broken install says where its log is."""
    monkeypatch.setenv("NAKAWARI_LOG_DIR", str(tmp_path / "logs"))
    def broken(spec: registry.JobSpec) -> None:
        raise ImportError("no cv2 here")

    monkeypatch.setattr(registry.JobSpec, "load", broken)
    code, err = _run(capsys, "inbetween", *keys, "--out", tmp_path / "out", "--ease", "ease-in")
    assert code == 1 and "no cv2 here" in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert "Traceback" in Path(err.rsplit("details in ", 1)[1].rstrip(")")).read_text()


def test_console_script_exit_status_and_one_line(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("nakawari")
    result = subprocess.run([str(exe), "inbetween", str(tmp_path / "missing.png"), str(tmp_path / "x.png"),
                             "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == f"nakawari: {tmp_path / 'missing.png'}: file not found"
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("nakawari ")


def test_frame_pattern_keys_keep_their_frame_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shot = tmp_path / "shot"
    shot.mkdir()
    _draw_arm(shot / "walk.0001.png", -0.4)
    _draw_arm(shot / "walk.0005.png", 0.4)
    code, err = _run(capsys, "inbetween", shot / "walk.####.png", "--out", tmp_path / "out", "--count", 3)
    assert code == 0, err
    frames = json.loads((tmp_path / "out" / "manifest.json").read_text())["frames"]
    assert [f["file"] for f in frames] == [f"walk.{n:04d}.png" for n in range(1, 6)]
    assert [f["time"] for f in frames] == [1.0, 2.0, 3.0, 4.0, 5.0]
    _assert_bad(capsys, ["inbetween", shot / "run.####.png", "--out", tmp_path / "x"], "no files match")


def test_bench_takes_its_folder_after_the_options(tmp_path, capsys):
    missing = tmp_path / "no-such-folder"
    assert main(["bench", "douga", "--quick", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err   # the folder reached the suite (not "unrecognized arguments")
