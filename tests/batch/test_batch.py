"""The pyblish batch end to end: real pyblish, real plugins, real engine, small synthetic shots."""
from __future__ import annotations

import functools
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import nakawari
import nakawari.batch.jobs
import nakawari.batch.versions
from nakawari.batch.publish import PLUGINS, discover_plugins, publish_shot
from nakawari.batch.result import FAILED, PUBLISHED, UP_TO_DATE
from nakawari.cli import main
from nakawari.image import write_image
from nakawari.synth import articulated_suite

SIZE = (160, 120)


@functools.lru_cache(maxsize=1)
def _suite_keys() -> list[list[np.ndarray]]:
    return [case.keys for case in articulated_suite(size=SIZE, n_cases=3, n_keys=3)]


def make_shot(root: Path, name: str, *, case: int = 0, frames: tuple[int, ...] = (1, 9), settings: dict | None = None,
              stem: str = "walk") -> Path:
    """A shot folder of keys `walk.####.png` at `frames` (drawings from one synthetic case) and a shot.json."""
    folder = root / name
    folder.mkdir(parents=True)
    for frame, key in zip(frames, _suite_keys()[case]):
        write_image(folder / f"{stem}.{frame:04d}.png", key)
    if settings is not None:
        (folder / "shot.json").write_text(json.dumps(settings), encoding="utf-8")
    return folder


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _versions(publish: Path, shot: str) -> list[str]:
    return sorted(entry.name for entry in (publish / shot).iterdir()) if (publish / shot).exists() else []


def test_batch_publishes_fails_one_shot_and_republishes_only_what_changed(tmp_path: Path, capsys) -> None:
    shots, publish = tmp_path / "shots", tmp_path / "publish"
    sh010 = make_shot(shots, "sh010", case=0, frames=(1, 9, 17), settings={"timing": {"step": 2}})
    sh020 = make_shot(shots, "sh020", case=1, settings={"timing": {"count": 2, "ease": "ease-in-out"}})
    sh030 = make_shot(shots, "sh030", case=2)
    (sh030 / "walk.0009.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)  # a key cut short by a crash
    (sh010 / "notes.png").write_bytes(b"")  # not a key: warned about, not read
    args = ["batch", str(sh010), str(sh020), str(sh030), "--publish-root", str(publish), "--workers", "2", "--quiet"]

    assert main(args) == 2  # every failure was the shot's own bad input; the others still published
    table = capsys.readouterr().out
    assert "2 of 3 shots done, 1 failed" in table
    assert "sh030/walk.0009.png: corrupt or unreadable image" in table
    assert "warning: sh010: notes.png is not named name.####.png" in table
    assert _versions(publish, "sh010") == ["v001"] and _versions(publish, "sh020") == ["v001"]
    assert not (publish / "sh030").exists()

    manifest = json.loads((publish / "sh010" / "v001" / "manifest.json").read_text())
    assert manifest["version"] == 1 and manifest["engine"] == nakawari.__version__ and manifest["shot"] == "sh010"
    assert manifest["settings"]["step"] == 2 and manifest["settings"]["jobs"] == ["inbetween"]
    assert manifest["inputs"] == [{"file": p.name, "sha256": _sha(p)} for p in sorted(sh010.glob("walk.*.png"))]
    version = publish / "sh010" / "v001"
    published = sorted(p.relative_to(version).as_posix() for p in version.rglob("*") if p.is_file())
    assert sorted(o["file"] for o in manifest["outputs"]) + ["manifest.json"] == published
    assert all(o["sha256"] == _sha(version / o["file"]) for o in manifest["outputs"])
    # On twos between keys at 1, 9 and 17: every odd frame, keys included.
    written = sorted(p.name for p in (version / "inbetween").glob("*.png"))
    assert written == [f"walk.{f:04d}.png" for f in range(1, 18, 2)]
    eased = json.loads((publish / "sh020" / "v001" / "inbetween" / "manifest.json").read_text())
    assert eased["ease"]["name"] == "ease-in-out" and len(eased["frames"]) == 4

    # Fix sh030's key, change one of sh020's, leave sh010 alone: only sh020 gets a v002.
    write_image(sh030 / "walk.0009.png", _suite_keys()[2][1], overwrite=True)
    write_image(sh020 / "walk.0009.png", _suite_keys()[1][2], overwrite=True)
    assert main(args) == 0
    table = capsys.readouterr().out
    assert "3 of 3 shots done" in table and "up to date" in table
    assert _versions(publish, "sh010") == ["v001"]
    assert _versions(publish, "sh020") == ["v001", "v002"]
    assert _versions(publish, "sh030") == ["v001"]
    assert json.loads((publish / "sh010" / "v001" / "manifest.json").read_text()) == manifest  # never touched

    # A settings change alone also makes a new version.
    (sh010 / "shot.json").write_text(json.dumps({"timing": {"step": 4}}))
    assert main(args[:2] + args[4:]) == 0
    assert _versions(publish, "sh010") == ["v001", "v002"]
    capsys.readouterr()


def test_crash_mid_integration_leaves_no_partial_version(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NAKAWARI_LOG_DIR", str(tmp_path / "logs"))
    shot, publish = make_shot(tmp_path / "shots", "sh040"), tmp_path / "publish"
    first = publish_shot(shot, publish)
    assert (first.status, first.version) == (PUBLISHED, 1)
    v001 = sorted((p.relative_to(publish), p.read_bytes()) for p in (publish / "sh040").rglob("*") if p.is_file())
    write_image(shot / "walk.0009.png", _suite_keys()[0][2], overwrite=True)

    real_move = nakawari.batch.versions._move_file
    moved = []

    def move_then_crash(source: Path, target: Path) -> None:
        if moved:
            raise OSError("disk unplugged")
        real_move(source, target)
        moved.append(target)

    monkeypatch.setattr(nakawari.batch.versions, "_move_file", move_then_crash)
    crashed = publish_shot(shot, publish)
    assert crashed.status == FAILED and not crashed.bad_input and len(moved) == 1
    assert "IntegrateVersion: disk unplugged" in crashed.problem and Path(crashed.log).is_file()
    assert _versions(publish, "sh040") == ["v001"]  # no v002, no partial or staging folder left behind
    assert sorted((p.relative_to(publish), p.read_bytes()) for p in (publish / "sh040").rglob("*")
                  if p.is_file()) == v001

    monkeypatch.setattr(nakawari.batch.versions, "_move_file", real_move)
    again = publish_shot(shot, publish)
    assert (again.status, again.version) == (PUBLISHED, 2)
    assert _versions(publish, "sh040") == ["v001", "v002"]
    assert (publish_shot(shot, publish).status, _versions(publish, "sh040")) == (UP_TO_DATE, ["v001", "v002"])


def _gray_key(folder: Path) -> None:
    Image.open(folder / "walk.0009.png").convert("L").save(folder / "walk.0009.png")


def _small_key(folder: Path) -> None:
    Image.open(folder / "walk.0009.png").resize((80, 60)).save(folder / "walk.0009.png")


@pytest.mark.parametrize("settings, change, expected", [
    ({"keys": [1, 5, 9]}, None,
     "sh050/walk.0005.png: key frame 5 is listed in shot.json but walk.0005.png is missing (numbering gap)"),
    ({"keys": [1, 9]}, lambda f: shutil.copy(f / "walk.0009.png", f / "walk.0005.png"),
     "sh050/walk.0005.png: is not one of the key frames listed in shot.json (1, 9)"),
    (None, lambda f: shutil.copy(f / "walk.0001.png", f / "walk.001.png"),
     "sh050/walk.001.png: walk.0001.png and walk.001.png are both frame 1"),
    (None, lambda f: (f / "walk.0009.png").rename(f / "walk.09.png"),
     "sh050/walk.09.png: has 2 digits but walk.0001.png has 4; number every key with the same padding"),
    (None, lambda f: (f / "walk.0009.png").rename(f / "run.0009.png"), "sh050: keys carry different names (run, walk)"),
    (None, lambda f: (f / "walk.0009.png").unlink(), "sh050/walk.0001.png: needs at least two keys"),
    (None, _small_key, "sh050/walk.0009.png: is 80x60 but walk.0001.png is 160x120"),
    (None, _gray_key, "sh050/walk.0009.png: is grayscale but walk.0001.png is RGB; export every key"),
    (None, lambda f: (f / "walk.0009.png").write_bytes(b"GIF89a"), "sh050/walk.0009.png: corrupt or unreadable"),
    (None, lambda f: (f / "shot.json").write_text("{'timing': 2}"), "sh050/shot.json: is not valid JSON (line 1"),
    ({"timming": {"count": 2}}, None, 'sh050/shot.json: unknown entry "timming"'),
    ({"timing": {"count": 2, "step": 2}}, None, 'sh050/shot.json: "timing" gives both "count" and "step"'),
    ({"timing": {"step": 2, "ease": "ease-in"}}, None, 'sh050/shot.json: "timing.ease" applies to "count"'),
    ({"timing": {"ease": "ease-in"}}, None, 'sh050/shot.json: "timing.ease" applies to "count"'),
    ({"timing": {"step": 8}}, None, 'sh050/shot.json: "timing.step" 8 leaves no frame between the keys (1, 9)'),
    ({"jobs": ["inbetween", "colour"]}, None, 'sh050/shot.json: unknown job "colour" in "jobs"'),
])
def test_validation_names_the_shot_and_file(tmp_path: Path, settings, change, expected) -> None:
    shot, publish = make_shot(tmp_path / "shots", "sh050", settings=settings), tmp_path / "publish"
    if change is not None:
        change(shot)
    result = publish_shot(shot, publish)
    assert result.status == FAILED and result.bad_input, result
    assert result.problem.startswith(expected), result.problem
    assert not publish.exists()  # validation stops the shot before any folder is made


def test_publish_target_that_is_a_file_is_refused(tmp_path: Path) -> None:
    shot = make_shot(tmp_path / "shots", "sh060")
    (tmp_path / "publish").write_text("not a folder")
    result = publish_shot(shot, tmp_path / "publish" / "episode1")
    assert result.bad_input
    assert "sh060: cannot publish to" in result.problem and "is a file, not a folder" in result.problem


def test_a_job_the_engine_lacks_fails_its_shot_clearly(tmp_path: Path, monkeypatch) -> None:
    real = nakawari.batch.jobs.job_module
    monkeypatch.setattr(nakawari.batch.jobs, "job_module", lambda name: None if name == "cels" else real(name))
    shot = make_shot(tmp_path / "shots", "sh070", settings={"jobs": ["inbetween", "cels"]})
    result = publish_shot(shot, tmp_path / "publish")
    assert result.bad_input and result.problem.startswith(
        f"sh070: asks for the cels job, which this engine (nakawari {nakawari.__version__}) does not have yet")


def test_douga_and_cels_run_on_the_inbetweened_frames(tmp_path: Path) -> None:
    shot = make_shot(tmp_path / "shots", "sh080", settings={"jobs": ["cels", "douga", "inbetween"],
                                                            "timing": {"count": 1}, "douga": {"line_width": 2}})
    result = publish_shot(shot, tmp_path / "publish")
    assert (result.status, result.version) == (PUBLISHED, 1), result
    version = tmp_path / "publish" / "sh080" / "v001"
    stems = [f"walk.{f:04d}" for f in (1, 5, 9)]
    douga = json.loads((version / "douga" / "manifest.json").read_text())
    assert (douga["line_width"], douga["raw"]) == (2.0, False)
    # Douga read the inbetweened frames; its manifest names them where they were published, not in staging.
    assert [frame["source"] for frame in douga["frames"]] == [str(version / "inbetween" / f"{s}.png") for s in stems]
    assert all(Path(frame["source"]).is_file() for frame in douga["frames"])
    assert {f"{s}.douga.png" for s in stems} | {f"{s}.classes.png" for s in stems} <= {
        p.name for p in (version / "douga").iterdir()}
    assert {f"{s}.mask.png" for s in stems} | {"background.png"} <= {p.name for p in (version / "cels").iterdir()}
    manifest = json.loads((version / "manifest.json").read_text())
    assert sorted(manifest["jobs"]) == ["cels", "douga", "inbetween"]
    assert all(o["sha256"] == _sha(version / o["file"]) for o in manifest["outputs"])  # after the re-pointing


def test_an_engine_job_refusing_a_shot_names_the_step_shot_and_file(tmp_path: Path) -> None:
    folder = tmp_path / "shots" / "sh081"
    folder.mkdir(parents=True)
    for frame, key in zip((1, 9), _suite_keys()[0]):
        layer = key.copy()
        layer[..., 3] = 1.0 - (layer[..., :3].mean(axis=2) > 0.5)  # ink on a transparent layer
        write_image(folder / f"walk.{frame:04d}.png", layer, transparent=True)
    (folder / "shot.json").write_text(json.dumps({"jobs": ["inbetween", "cels"]}))
    result = publish_shot(folder, tmp_path / "publish")
    assert result.bad_input and result.problem.startswith("Extract cels: sh081/walk.0001.png: "), result.problem
    assert not any((tmp_path / "publish" / "sh081").iterdir())  # staging removed, no version


def test_discovery_finds_every_plugin_and_names_one_that_fails_to_import(tmp_path: Path, monkeypatch) -> None:
    assert {plugin.__name__ for plugin in discover_plugins()} >= set(PLUGINS.values())
    broken = tmp_path / "plugins"
    shutil.copytree(nakawari.batch.publish.plugin_dir(), broken)
    validator = broken / "validate_shot_keys.py"
    validator.write_text("from . import helpers\n" + validator.read_text())
    monkeypatch.setattr(nakawari.batch.publish, "plugin_dir", lambda: broken)
    with pytest.raises(ImportError):
        discover_plugins()
    monkeypatch.undo()
    result = publish_shot(make_shot(tmp_path / "shots", "sh090"), tmp_path / "publish")
    assert result.status == PUBLISHED  # discovery is re-done per shot from the real folder


def test_bad_batch_input_is_refused_before_any_work(tmp_path: Path, capsys) -> None:
    shot = make_shot(tmp_path / "a", "sh100")
    twin = make_shot(tmp_path / "b", "sh100")
    publish = tmp_path / "publish"
    assert main(["batch", str(shot), str(twin), "--publish-root", str(publish)]) == 2
    assert "has the same shot name as" in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "missing"), "--publish-root", str(publish)]) == 2
    assert "shot folder not found" in capsys.readouterr().err
    assert main(["batch", str(shot), "--publish-root", str(publish), "--jobs", "inbetween,sparkle"]) == 2
    assert "--jobs takes names from inbetween, douga, cels" in capsys.readouterr().err
    assert not publish.exists()



def test_an_installed_wheel_carries_the_plugins(tmp_path: Path) -> None:
    """`pip install .` (not editable) must give a working batch: the plugins ship as nakawari.pyblish_plugins
    (the add-ons ride along as package data, so their folders are part of the source tree too)."""
    source = Path(__file__).resolve().parents[2]
    tree = tmp_path / "src"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md", "core", "plugins", "krita_plugin", "blender_addon"):
        copy = shutil.copytree if (source / name).is_dir() else shutil.copy
        copy(source / name, tree / name, **({"ignore": shutil.ignore_patterns("__pycache__")}
                                            if (source / name).is_dir() else {}))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(tmp_path / "wheel"), str(tree)], check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "wheel").glob("nakawari-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"nakawari/pyblish_plugins/{file}.py" for file in PLUGINS} <= names
    assert {"nakawari/batch/publish.py", "nakawari/bench/batch.py"} <= names


def test_bench_shots_are_publishable_shot_folders(tmp_path: Path) -> None:
    from nakawari.bench.batch import KEY_FRAMES, write_bench_shots
    folders = write_bench_shots(tmp_path / "shots", shots=2, size=SIZE, count=1)
    assert [f.name for f in folders] == ["sh010", "sh020"]
    assert sorted(p.name for p in folders[0].iterdir()) == ["pose.0001.png", "pose.0009.png", "pose.0017.png",
                                                            "shot.json"]
    result = publish_shot(folders[1], tmp_path / "publish")
    assert (result.status, result.version) == (PUBLISHED, 1), result
    frames = json.loads((tmp_path / "publish" / "sh020" / "v001" / "inbetween" / "manifest.json").read_text())["frames"]
    assert [f["time"] for f in frames if f["key"]] == list(map(float, KEY_FRAMES)) and len(frames) == 5


def test_without_timing_every_frame_between_the_keys_is_drawn(tmp_path: Path) -> None:
    shot = make_shot(tmp_path / "shots", "sh110", frames=(1, 5))
    result = publish_shot(shot, tmp_path / "publish")
    assert (result.status, result.version) == (PUBLISHED, 1), result
    frames = json.loads((tmp_path / "publish" / "sh110" / "v001" / "inbetween" / "manifest.json").read_text())["frames"]
    assert [frame["time"] for frame in frames] == [1.0, 2.0, 3.0, 4.0, 5.0]
