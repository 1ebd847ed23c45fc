"""`nakawari package`'s Blender zip: its layout, reproducible bytes, Blender's own extension validator, and
installs in real Blender the way an artist installs it (a 4.2+ extension; a legacy add-on), then Generate
Inbetweens and Douga to Strokes run from the installed copy (tests/hosts/blender/package_scenario.py)."""
from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from engine_helpers import engine_executable
from PIL import Image

from nakawari import __version__
from nakawari.blender_extension import (
    PYTHONS,
    extension_zip_bytes,
    fetch_wheels,
    legacy_zip_bytes,
    read_lock,
)
from nakawari.douga import schema as S
from nakawari.douga.postprocess import postprocess
from nakawari.errors import BadInput
from nakawari.jobs.douga import run_douga_strokes
from nakawari.package import BLENDER_ADDON, HOST_KIT, blender_zip_bytes
from nakawari.strokes.model import Drawing, Stroke
from nakawari.strokes.render import render_coverage
from nakawari.synth.douga import douga_case

sys.path.insert(0, str(Path(__file__).parents[1] / "hosts" / "blender"))
import blender_runtimes as runtimes
import blender_scene as figure_scene

SCENARIO = runtimes.HERE / "package_scenario.py"
ROOT = Path(__file__).resolve().parents[2]
PX_PER_UNIT = figure_scene.SCALE  # the scene's units: 100 px of the synthetic 960 × 540 frame each
FRAME_SIZE = (960, 540)
WHEEL_CACHE = ROOT / ".hosts" / "wheels"  # kept between runs, like the bpy venvs (.ci/run)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> dict[str, Path]:
    """`nakawari package`'s artefacts, as a release makes them (dependency wheels cached in .hosts/wheels)."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([engine_executable(), "package", "--out", str(out)], capture_output=True, text=True,
                          check=False, env={**os.environ, "NAKAWARI_WHEEL_CACHE": str(WHEEL_CACHE),
                                            "NAKAWARI_BLENDER_PLATFORMS": "linux-x64"})
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["blender"] == [f"nakawari-blender-legacy-{__version__}.zip",
                                   f"nakawari_gp-{__version__}-linux_x64.zip"]
    paths = {"legacy": out / manifest["blender"][0], "extension": out / manifest["blender"][1],
             "wheel": out / manifest["wheel"]}
    for path in paths.values():
        assert str(path) in done.stdout.splitlines()
    return paths


@pytest.fixture(scope="module")
def built(release) -> Path:
    """The legacy add-on zip (Blender 3.4–4.1)."""
    return release["legacy"]


@pytest.fixture(scope="module")
def extension(release) -> Path:
    """The self-contained extension for linux-x64 (Blender 4.2+)."""
    return release["extension"]


@pytest.fixture(scope="module")
def engine_wheel(release) -> Path:
    return release["wheel"]


def test_the_legacy_zip_is_one_folder_with_bl_info_the_installer_and_the_engine_wheel(built, engine_wheel):
    archive = zipfile.ZipFile(built)
    names = archive.namelist()
    assert {name.split("/")[0] for name in names} == {"nakawari_gp"}  # the legacy installer unpacks one package
    packaged = {name for name in names if name.endswith(".py")}
    in_checkout = {f"nakawari_gp/{p.name}" for p in (BLENDER_ADDON / "nakawari_gp").glob("*.py")}
    assert packaged == in_checkout | {f"nakawari_gp/{name}" for name in HOST_KIT}
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
    init = ast.parse(archive.read("nakawari_gp/__init__.py"))
    (bl_info,) = [ast.literal_eval(node.value) for node in init.body if isinstance(node, ast.Assign)
                  and any(getattr(t, "id", None) == "bl_info" for t in node.targets)]
    assert bl_info["version"] == tuple(int(part) for part in __version__.split("."))
    assert bl_info["blender"] == (3, 4, 0)
    # Install engine's wheel; no manifest (4.2+ would take it for an extension without its engine).
    assert archive.read(f"nakawari_gp/engine/{engine_wheel.name}") == engine_wheel.read_bytes()
    assert not any(name.endswith("blender_manifest.toml") for name in names)


def test_the_host_kit_is_the_engines_and_bytes_are_reproducible(built, engine_wheel):
    archive = zipfile.ZipFile(built)
    for name in HOST_KIT:  # client, installer and their companions
        assert archive.read(f"nakawari_gp/{name}") == (ROOT / "core" / name).read_bytes(), name
    assert built.read_bytes() == legacy_zip_bytes(engine_wheel) == legacy_zip_bytes(engine_wheel)


def test_a_manifest_version_other_than_the_engine_is_refused(tmp_path):
    from nakawari.errors import BadInput

    copy = tmp_path / "nakawari_gp"
    copy.mkdir()
    for source in (BLENDER_ADDON / "nakawari_gp").glob("*.py"):
        (copy / source.name).write_bytes(source.read_bytes())
    manifest = (BLENDER_ADDON / "nakawari_gp" / "blender_manifest.toml").read_text()
    (copy / "blender_manifest.toml").write_text(re.sub(r'^version = ".*"$', 'version = "9.9.9"', manifest,
                                                       flags=re.MULTILINE))
    with pytest.raises(BadInput, match=r"blender_manifest.toml: version is 9.9.9, the engine is"):
        blender_zip_bytes(tmp_path)


def _validator(runtime: str) -> Path:
    found = sorted((runtimes.VENVS[runtime] / "lib").glob(
        "python3*/site-packages/bpy/*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    assert found, f"{runtime} has no extension CLI"
    return found[0]


BPY_RUNTIMES = [pytest.param(r, marks=pytest.mark.skipif(runtimes.command(r) is None, reason=f"{r} not installed"))
                for r in ("bpy-4.2.23", "bpy-5.0.1")]


@pytest.mark.parametrize("runtime", BPY_RUNTIMES)
def test_blenders_validator_refuses_the_legacy_zip_as_an_extension(built, runtime):
    refused = validate(runtime, built)
    assert refused.returncode != 0 and "no manifest" in refused.stdout + refused.stderr


def validate(runtime: str, path: Path) -> subprocess.CompletedProcess:
    """Blender's own extension validator on a zip: the bpy wheel's CLI, or `blender --command extension
    validate` in Debian sid's Blender 5.2.2."""
    if runtime == runtimes.CHROOT:
        argv = runtimes.in_chroot(["blender", "--factory-startup", "--command", "extension", "validate", str(path)], {})
    else:
        argv = [runtimes.command(runtime)[0], str(_validator(runtime)), "validate", str(path)]
    return subprocess.run(argv, capture_output=True, check=False, text=True, timeout=300)


def test_the_extension_carries_the_engine_and_the_locked_wheels_for_each_python(extension, engine_wheel):
    archive = zipfile.ZipFile(extension)
    names = set(archive.namelist())
    assert extension.name == f"nakawari_gp-{__version__}-linux_x64.zip"
    # The add-on at the zip's root (Blender's own `extension build` layout), the host kit copied in (no installer:
    # the extension carries its engine).
    assert {"blender_manifest.toml", "__init__.py", "engine.py", "locate.py"} <= names
    kit = [name for name in HOST_KIT if name != "engine_install.py"]
    assert "engine_install.py" not in names
    for name in kit:
        assert archive.read(name) == (ROOT / "core" / name).read_bytes(), name
    manifest = tomllib.loads(archive.read("blender_manifest.toml").decode("utf-8"))
    assert manifest["id"] == "nakawari_gp" and manifest["version"] == __version__
    assert manifest["platforms"] == ["linux-x64"]
    packed = sorted(name for name in names if name.startswith("wheels/") and name.endswith(".whl"))
    assert sorted(w.removeprefix("./") for w in manifest["wheels"]) == packed
    assert archive.read(f"wheels/{engine_wheel.name}") == engine_wheel.read_bytes()
    locked = [w for w in read_lock() if w.platform == "linux-x64"]
    for wheel in locked:  # exactly the locked bytes
        assert hashlib.sha256(archive.read(f"wheels/{wheel.filename}")).hexdigest() == wheel.sha256
    assert set(packed) == {f"wheels/{engine_wheel.name}"} | {f"wheels/{w.filename}" for w in locked}
    # Every compiled dependency for each Python Blender runs (3.11: 4.2–5.0; 3.13: 5.1 on; 3.14: Debian's);
    # numpy is Blender's own and never packed.
    for python in PYTHONS:
        tag = "cp" + python.replace(".", "")
        for package in ("scipy", "scikit_image", "pillow", "onnxruntime"):
            assert any(n.startswith(f"wheels/{package}-") and f"-{tag}-" in n for n in packed), (package, python)
    assert not any(n.startswith("wheels/numpy-") for n in packed)
    # Blender keeps one version per name among the wheels that fit its Python: pure and abi3 wheels fit
    # every Python, so there is one file each.
    for name in {n.split("/")[1].split("-")[0] for n in packed if "-none-any" in n or "-abi3-" in n}:
        assert len([n for n in packed if n.split("/")[1].split("-")[0] == name]) == 1, name


def test_the_extension_zip_is_reproducible(extension, engine_wheel):
    assert extension_zip_bytes("linux-x64", engine_wheel, WHEEL_CACHE) == extension.read_bytes()


def test_a_wheel_that_does_not_match_its_lock_is_refused_and_dropped(tmp_path):
    (small,) = [w for w in read_lock() if w.platform == "linux-x64" and w.filename.startswith("packaging-")][:1]
    lock = tmp_path / "wheels.lock"
    lock.write_text(f"linux-x64 3.11 {small.filename} {'0' * 64}\n")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / small.filename).write_bytes((WHEEL_CACHE / small.filename).read_bytes() if
                                         (WHEEL_CACHE / small.filename).is_file() else b"not a wheel")
    with pytest.raises(BadInput, match=r"does not match its sha256 in the lock"):
        fetch_wheels("linux-x64", cache, lock)
    assert not (cache / small.filename).exists()  # never packed; fetched again next time


VALIDATORS = [pytest.param(r, marks=pytest.mark.skipif(runtimes.command(r) is None, reason=f"{r} not installed"))
              for r in ("bpy-4.2.23", "bpy-5.0.1", "bpy-5.3.0", "blender-5.2.2")]


@pytest.mark.parametrize("runtime", VALIDATORS)
def test_blenders_validator_accepts_the_extension(extension, runtime, tmp_path):
    done = validate(runtime, extension)
    assert done.returncode == 0 and "Success" in done.stdout, done.stdout + done.stderr
    # It can say no: the manifest with a permission explained at length (more than 64 characters, a mistake
    # this manifest once had). It does not check that the listed wheels are there: the zip test above does.
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(extension) as source, zipfile.ZipFile(broken, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "blender_manifest.toml":
                data = re.sub(rb'^files = ".*"$', b'files = "' + b"x" * 65 + b'"', data, flags=re.MULTILINE)
            target.writestr(name, data)
    refused = validate(runtime, broken)
    assert refused.returncode != 0 or "Success" not in refused.stdout
    assert "no longer than 64 characters" in refused.stdout + refused.stderr, refused.stdout + refused.stderr


def _judge_carried_engine(result: dict, home: Path, zip_path: Path) -> None:
    """A new user's extension ran the engine it carries, with Blender's own Python and numpy, and kept its
    files in its user folder."""
    command, python = result["engine_command"], result["python"]
    assert command[:2] == [python, "-I"] and command[-1] == "serve", command
    site = Path(command[4])
    version = "python" + ".".join(result["python_version"].split(".")[:2])
    assert site == home / "resources" / "extensions" / ".local" / "lib" / version / "site-packages", site
    assert result["engine_info"]["version"] == __version__
    assert not result["numpy_file"].startswith(str(home)), "the extension replaced Blender's numpy"
    user = Path(result["user_folder"])
    assert user == home / "resources" / "extensions" / ".user" / "user_default" / "nakawari_gp"
    assert Path(result["engine_log"]).parent == user / "logs"
    # Nothing written into the add-on's own folder (Python's byte code aside).
    with zipfile.ZipFile(zip_path) as archive:
        shipped = {name.split("/")[0] for name in archive.namelist()}
    assert set(result["addon_folder_files"]) - {"__pycache__"} == shipped


def _judge_installed_engine(result: dict, home: Path, capsys) -> None:
    """The legacy add-on's Install Engine, pressed with no engine anywhere: installed into the add-on's
    folder in Blender's config, from the wheel the zip carries, in time; then it is the engine that ran."""
    with capsys.disabled():
        print(f"\n[{result['blender']}] Install Engine: {result['install_s']:.0f} s ({result['install_message']})")
    assert result["engine_missing_before"] and result["status_before"] == "not installed"
    assert result["install_engine"] == ["FINISHED"], result["install_message"]
    assert result["status_after"] == "ready" and not result["engine_missing_after"]
    assert result["install_s"] < INSTALL_LIMIT_S
    executable, serve = result["engine_command"]
    assert serve == "serve" and Path(executable).is_relative_to(home / "config" / "nakawari_gp" / "engine" / "engines")
    assert result["engine_info"]["version"] == __version__


@pytest.fixture(scope="module")
def douga_image(tmp_path_factory) -> tuple[Path, dict]:
    """A douga in class colours (a figure's post-processed ground truth) and what the engine makes of it."""
    path = tmp_path_factory.mktemp("douga") / "figure.png"
    classes = postprocess(douga_case(3, 0, size=FRAME_SIZE, backdrop="paper").classes, 3.0)
    Image.fromarray(S.encode(classes)).save(path)
    return path, run_douga_strokes(path, line_width=3.0, input_kind="douga")


@pytest.fixture(scope="module")
def scene_file(tmp_path_factory) -> tuple[Path, dict]:
    """One articulated figure, keys on 1, 9 and 17 with strokes shuffled and reversed between keys."""
    scene = figure_scene.build_scene(figures=1)
    path = tmp_path_factory.mktemp("scene") / "scene.json"
    path.write_text(json.dumps({"materials": scene["materials"], "keys": scene["keys"]}))
    return path, scene


def _linear(byte: int) -> float:
    c = byte / 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _to_px(points: list, scale: float, size: tuple[int, int]) -> np.ndarray:
    """Object-space (x, z) → picture pixels (y down), the origin at the picture's centre."""
    xz = np.asarray(points, np.float64).reshape(-1, 2)
    return np.column_stack([xz[:, 0] * scale + size[0] / 2, size[1] / 2 - xz[:, 1] * scale])


def _drawing(strokes: list[dict], scale: float, size: tuple[int, int]) -> Drawing:
    """Strokes as read back from Blender → the engine's strokes in picture pixels (a Blender stroke width of
    1000 is one unit wide: gp_data's conversion)."""
    return Drawing([Stroke(_to_px(s["points"], scale, size), np.asarray(s["width"], np.float64) * scale / 1000.0,
                           1.0, bool(s.get("closed", False))) for s in strokes])


def onion_skin(drawn: dict[str, list[dict]], keys: tuple[int, ...]) -> np.ndarray:
    """The frames over each other, as an animator's light table shows them: the keys in black, the generated
    breakdowns in colours running from blue (first) to orange (last); float RGB (H, W, 3)."""
    picture = np.ones(FRAME_SIZE[::-1] + (3,), np.float32)
    frames = sorted(int(f) for f in drawn)
    generated = [f for f in frames if f not in keys]
    for f in [*generated, *keys]:  # keys on top
        t = generated.index(f) / max(len(generated) - 1, 1) if f in generated else 0.0
        colour = np.array([0.0, 0.0, 0.0] if f in keys else [0.15 + 0.8 * t, 0.45, 0.95 - 0.8 * t], np.float32)
        alpha = 1.0 if f in keys else 0.6
        coverage = render_coverage(_drawing(drawn[str(f)], PX_PER_UNIT, FRAME_SIZE), FRAME_SIZE)[..., None]
        picture = picture * (1 - alpha * coverage) + colour * alpha * coverage
    return picture


def douga_picture(strokes: list[dict], height_units: float) -> np.ndarray:
    """The Douga to Strokes layer as read back from Blender, fills below lines, each in its class colour."""
    scale = FRAME_SIZE[1] / height_units
    picture = np.ones(FRAME_SIZE[::-1] + (3,), np.float32)
    colours = {c.name: np.array(c.rgb, np.float32) / 255 for c in S.CLASSES}
    lines = {c.name for c in S.CLASSES if c.is_line}
    for stroke in strokes:
        if stroke["class"] not in lines:
            polygon = np.round(_to_px(stroke["points"], scale, FRAME_SIZE) * 16).astype(np.int32)
            mask = np.zeros(FRAME_SIZE[::-1], np.uint8)
            cv2.fillPoly(mask, [polygon], 255, cv2.LINE_AA, 4)
            coverage = (mask.astype(np.float32) / 255)[..., None]
            picture = picture * (1 - coverage) + colours[stroke["class"]] * coverage
    for name in sorted(lines):
        drawing = _drawing([s for s in strokes if s["class"] == name], scale, FRAME_SIZE)
        coverage = render_coverage(drawing, FRAME_SIZE)[..., None]
        picture = picture * (1 - coverage) + colours[name] * coverage
    return picture


def _cropped(picture: np.ndarray, margin: int = 24) -> np.ndarray:
    ys, xs = np.nonzero((picture < 0.9).any(axis=2))
    return picture[max(ys.min() - margin, 0):ys.max() + margin, max(xs.min() - margin, 0):xs.max() + margin]


def side_by_side(left: np.ndarray, right: np.ndarray, height: int = 420) -> np.ndarray:
    """Both pictures cropped to what is drawn, at one height, with a thin gap."""
    parts = []
    for picture in (_cropped(left), _cropped(right)):
        width = round(picture.shape[1] * height / picture.shape[0])
        parts += [cv2.resize(picture, (width, height), interpolation=cv2.INTER_AREA),
                  np.full((height, 12, 3), 0.85, np.float32)]
    return np.concatenate(parts[:-1], axis=1)


# "extension" / "legacy": `nakawari package`'s zip installed either way, the engine path set as an artist sets
# it; "new-user": the self-contained extension zip (its own engine), nothing set up by hand.
INSTALLS = [pytest.param(runtime, mode, marks=pytest.mark.skipif(runtimes.command(runtime) is None,
                                                                 reason=f"{runtime} not installed"))
            for runtime, mode in (("bpy-5.0.1", "extension"), ("bpy-4.2.23", "extension"),
                                  ("bpy-4.2.23", "legacy"), ("blender-3.4.1", "legacy"),
                                  ("bpy-4.2.23", "new-user"), ("bpy-5.0.1", "new-user"), ("bpy-5.3.0", "new-user"),
                                  ("blender-5.2.2", "new-user"), ("blender-3.4.1", "legacy-install"))]
INSTALL_LIMIT_S = 180  # Install Engine on a fresh profile, this machine's connection (issue 25's target)


@pytest.mark.parametrize(("runtime", "mode"), INSTALLS)
def test_installs_in_blender_and_its_operators_run(built, douga_image, scene_file, runtime, mode, tmp_path, request,
                                                  capsys):
    image, expected = douga_image
    work = tmp_path / "work"
    work.mkdir()
    result_path = tmp_path / "result.json"
    new_user, legacy = mode == "new-user", mode.startswith("legacy")
    zip_path = built if legacy else request.getfixturevalue("extension")
    engine = "-" if mode in ("new-user", "legacy-install") else engine_executable()
    done = runtimes.run_script(runtime, SCENARIO, ["extension" if new_user else mode, str(zip_path), str(result_path),
                                                   engine, str(image), str(work), str(scene_file[0])],
                               tmp_path / "home", tmp_path / "log.txt")
    log = (tmp_path / "log.txt").read_text(errors="replace")
    assert result_path.exists(), log[-3000:]
    result = json.loads(result_path.read_text())
    assert "error" not in result and done.returncode == 0, result.get("error") or log[-3000:]
    assert result["blender"].split()[0] == runtimes.version(runtime)
    assert result["install"] == ["FINISHED"] and result["enabled"]
    assert {"__init__.py", "client.py", "op_douga.py"} <= set(result["installed_files"])
    # Installed where that kind of install goes, inside the isolated user folders.
    assert ("addons/nakawari_gp" if legacy else "extensions/user_default/nakawari_gp") in \
        result["installed_in"] and str(tmp_path / "home") in result["installed_in"]
    assert result["model"] == runtimes.model(runtime)
    if new_user:
        _judge_carried_engine(result, tmp_path / "home", zip_path)
    if mode == "legacy-install":
        _judge_installed_engine(result, tmp_path / "home", capsys)
    # Generate Inbetweens from the installed copy: every frame between the keys on 1, 9 and 17, on ones.
    assert result["generate"] == ["FINISHED"]
    keys = figure_scene.KEY_FRAMES
    assert result["frames"] == {str(f): "KEYFRAME" if f in keys else "BREAKDOWN" for f in range(1, 18)}
    key_strokes = len(scene_file[1]["keys"][keys[0]])
    assert all(len(result["drawn"][str(f)]) == key_strokes for f in range(1, 18))
    # Douga to Strokes: every stroke the engine made, on a new layer at the current frame, one material per
    # class named after it, in the class colour; fills fill, lines draw lines.
    assert result["douga"] == ["FINISHED"]
    layer = result["douga_layer"]
    assert layer["frames"] == [9] and layer["strokes"] == len(expected["strokes"]) > 50
    assert layer["materials"] == sorted(expected["counts"])
    assert len(layer["materials"]) >= 5
    assert -1.35 <= layer["z_range"][0] < layer["z_range"][1] <= 1.35  # the image, 2.7 units tall
    # The picture for README: the first gap's frames (keys 1 and 9, breakdowns 2-8) as an onion skin beside the
    # douga strokes, both drawn from what Blender holds. Each of those frames must show on it.
    first_gap = {f: strokes for f, strokes in result["drawn"].items() if int(f) <= keys[1]}
    skin = onion_skin(first_gap, keys[:2])
    strokes_picture = douga_picture(layer["drawn"], 2.7)
    for f in range(keys[0], keys[1] + 1):
        frame_alone = render_coverage(_drawing(result["drawn"][str(f)], PX_PER_UNIT, FRAME_SIZE), FRAME_SIZE)
        assert (skin[frame_alone > 0.5] < 0.9).any(axis=1).mean() > 0.95, f"frame {f} is not on the picture"
    Image.fromarray(np.round(side_by_side(skin, strokes_picture) * 255).astype(np.uint8)).save(
        tmp_path / "blender_frames.png")
    # Drawn from Blender's strokes, the douga looks as the engine's strokes do: placed, sized, coloured and
    # ordered by the operator as the engine meant them (the image 2.7 units tall, centred, y up).
    scale, (w, h) = 2.7 / expected["height"], (expected["width"], expected["height"])
    engine_meant = [{"points": [[(x - w / 2) * scale, (h / 2 - y) * scale] for x, y in s["points"]],
                     "width": np.broadcast_to(s["width"], len(s["points"])) * scale * 1000, "closed": s["closed"],
                     "class": S.CLASSES[s["material"]].name} for s in expected["strokes"]]
    differs = np.abs(douga_picture(engine_meant, 2.7) - strokes_picture).max(axis=2) > 0.1
    assert differs.mean() < 0.001, f"{differs.sum()} pixels differ"
    source = np.asarray(Image.open(image).convert("RGB"))
    drawn, inked = (strokes_picture < 0.9).any(axis=2), (source < 230).any(axis=2)
    assert drawn.mean() > 0.8 * inked.mean() > 0.005  # and there is a drawing, as large as the douga's
    for c in S.CLASSES:
        if c.name in layer["materials"]:
            material = result["materials"][c.name]
            assert material["color"][:3] == pytest.approx([_linear(v) for v in c.rgb], abs=1e-4), c.name
            assert (material["line"], material["fill"]) == (c.is_line, not c.is_line), c.name
    # The same image shown in an Image Editor (packed: its pixels go to the engine) gives the same strokes.
    assert result["douga_editor"] == ["FINISHED"]
    assert result["douga_editor_layer"]["strokes"] == len(expected["strokes"])
    editor_layer = result["douga_editor_layer"]["name"]
    assert editor_layer != layer["name"] and editor_layer.startswith(layer["name"])  # "douga figure.001"
    # Its one undo step removed it and nothing else; the class materials stay (the first run uses them).
    assert result["after_undo"]["layers"] == sorted(["Ink", layer["name"]])
    assert set(layer["materials"]) <= set(result["after_undo"]["materials"])
    assert "missing.png" in result["missing_error"] and "no such image file" in result["missing_error"]
    assert result["layers_after_error"] == sorted(["Ink", layer["name"]])  # a failed run adds nothing
    roundtrip = result["image_roundtrip"]
    assert roundtrip["size"] == [3, 2] and roundtrip["read"] == roundtrip["written"]
    assert result["float_roundtrip"] == roundtrip["written"]
    assert result["disabled"]


WINDOW_SCENARIO = runtimes.HERE / "package_gui_scenario.py"


def test_in_a_window_douga_to_strokes_runs_modally_undoes_in_one_step_and_esc_cancels(built, douga_image,
                                                                                        tmp_path):
    """Blender 3.4 with a real window (Xvfb), the zip installed as a legacy add-on: an artist's click."""
    if not runtimes.window_available():
        pytest.skip("Debian's blender or xvfb-run is not installed (.ci/run installs both)")
    slow = tmp_path / "slow.png"  # a 1080p colour frame: the engine takes a second or two, time to press Esc
    Image.fromarray(douga_case(3, 0, size=(1920, 1080), backdrop="paper").rgb).save(slow)
    out, log = tmp_path / "window.json", tmp_path / "blender.log"
    done = runtimes.run_window_script(WINDOW_SCENARIO, [str(built), str(out), engine_executable(),
                                                        str(douga_image[0]), str(slow)], tmp_path / "home", log)
    assert out.exists(), f"Blender wrote no results (exit {done.returncode}); log:\n{log.read_text()[-3000:]}"
    window = json.loads(out.read_text())
    assert "crash" not in window, window["crash"] + "\n" + log.read_text()[-3000:]
    assert window.get("done"), window
    assert window["install"] == window["enable"] == ["FINISHED"]
    # Install Engine, clicked then cancelled with Esc while pip works: nothing installed, nothing left over.
    assert window["install_status_before"] == "not installed" and window["install_invoked"] == ["RUNNING_MODAL"]
    assert window["installing_before_esc"] and window["install_progress"], window
    assert not window["installing_after_esc"] and window["install_message"].startswith("Install cancelled")
    assert window["install_status_after"] == "not installed" and window["engines_left"] == []
    assert window["invoked"] == ["RUNNING_MODAL"]
    # A call that blocked would be over before the first tick (0 ticks); a loop the engine starves ticks once
    # however long the job. A free one ticks again within a second, though one step under Xvfb can take ~0.5 s
    # (a warm engine may finish a small job inside it).
    assert window["ticks_while_running"] >= (2 if window["modal_s"] > 1.0 else 1), (
        f"Blender's own timers stopped while the engine worked: {window['ticks_while_running']} ticks "
        f"in {window['modal_s']:.2f} s")
    assert window["after"] == ["Ink", "douga figure"] and window["after_frames"] == 1
    assert window["after_undo"] == ["Ink"]
    assert window["invoked_again"] == ["RUNNING_MODAL"] and window["running_before_esc"]
    assert not window["running_after_esc"] and window["after_esc"] == ["Ink"]
    assert "Traceback" not in log.read_text()
