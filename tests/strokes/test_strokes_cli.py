"""`nakawari strokes` (JSON in, JSON out), the strokes job, and vector mode through `nakawari inbetween`."""
from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from nakawari.cli import main
from nakawari.image import read_image
from nakawari.jobs.strokes import run_strokes
from nakawari.metrics import chamfer_distance

W, H = 240, 160


def _request(**extra) -> dict:
    line = [[10.0, 10.0], [60.0, 12.0], [110.0, 10.0]]
    ring = [[150.0 + 20 * np.cos(a), 80.0 + 12 * np.sin(a)] for a in np.linspace(0, 2 * np.pi, 24, endpoint=False)]
    moved_ring = [[x + 10, y + 30] for x, y in ring][::-1]
    return {"format": "nakawari.strokes", "version": 1,
            "keys": [{"time": 0, "strokes": [{"points": line, "width": 2.0, "id": "arm"},
                                             {"points": ring, "closed": True, "material": 3}]},
                     {"time": 2, "strokes": [{"points": moved_ring, "closed": True, "material": 3},
                                             {"points": [[x, y + 40] for x, y in line][::-1], "width": [1, 2, 3]}]}],
            **extra}


def _run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip()


def test_run_strokes_answers_a_self_contained_response() -> None:
    response = run_strokes(_request(count=3, ease="ease-in"))
    assert response["format"] == "nakawari.strokes" and response["version"] == 1
    frames = response["frames"]
    assert [f["time"] for f in frames] == [0.5, 1.0, 1.5] and not any(f["key"] for f in frames)
    positions = [f["position"] for f in frames]
    assert positions == sorted(positions) and positions[0] < 0.5  # ease-in: drawings crowd the first key
    pairs = response["matches"][0]["pairs"]
    assert {(p["from"], p["to"]) for p in pairs} == {(0, 1), (1, 0)}
    assert all(p["reversed"] for p in pairs) and all(0 <= p["confidence"] <= 1 for p in pairs)
    middle = frames[1]["strokes"]
    line = next(s for s in middle if s.get("id") == "arm")
    assert line["source"]["from"] == [0, 0] and line["source"]["to"] == [1, 1]
    travelled = frames[1]["position"] / 2  # of the gap from key time 0 to key time 2
    np.testing.assert_allclose(np.array(line["points"])[:, 1].mean(), 10.67 + 40 * travelled, atol=1.5)
    ring = next(s for s in middle if s["closed"])
    assert ring["material"] == 3
    np.testing.assert_allclose(np.mean(ring["points"], axis=0), [150 + 10 * travelled, 80 + 30 * travelled], atol=0.5)


def test_times_include_keys_and_bad_requests() -> None:
    response = run_strokes(_request(times=[0, 0.5, 2], include_keys=True))
    assert [(f["time"], f["key"]) for f in response["frames"]] == [(0.0, True), (0.5, False), (2.0, True)]
    assert response["frames"][0]["strokes"][0]["points"] == _request()["keys"][0]["strokes"][0]["points"]
    from nakawari.errors import BadInput
    for bad, message in [({"keys": []}, "at least two keys"),
                         ({"version": 2}, "version"),
                         ({"count": 0}, "count must be"),
                         ({"times": [3]}, "outside the key range"),
                         ({"count": 2, "times": [1]}, "either 'count' or 'times'"),
                         ({"ease": "wobble"}, "unknown ease"),
                         ({"unmatched": "pop"}, "unmatched"),
                         ({"join_pieces": "yes"}, "join_pieces must be true or false")]:
        request = _request(**bad)
        with pytest.raises(BadInput, match=message):
            run_strokes(request)
    broken = _request()
    broken["keys"][1]["strokes"][0]["points"][3] = [float("nan"), 1.0]
    with pytest.raises(BadInput, match=r"key 1 stroke 0: points must be finite"):
        run_strokes(broken)
    broken["keys"][1]["strokes"][0] = {"points": [[1, 2, 3, 4]]}
    with pytest.raises(BadInput, match=r"keys\[1\].strokes\[0\].points"):
        run_strokes(broken)


def test_cli_writes_once_and_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    request = tmp_path / "keys.json"
    request.write_text(json.dumps(_request()))
    out = tmp_path / "out.json"
    code, stdout, err = _run(capsys, "strokes", request, "--out", out, "--count", 2)
    assert code == 0, err
    response = json.loads(out.read_text())
    assert [f["time"] for f in response["frames"]] == pytest.approx([2 / 3, 4 / 3])
    assert out.stat().st_mode & 0o777 == request.stat().st_mode & 0o777  # an ordinary file, not a private temp
    code, _, err = _run(capsys, "strokes", request, "--out", out)
    assert code == 2 and "already exists" in err and len(err.splitlines()) == 1
    code, _, err = _run(capsys, "strokes", request, "--out", out, "--times", "0.5,1", "--overwrite")
    assert code == 0, err
    assert [f["time"] for f in json.loads(out.read_text())["frames"]] == [0.5, 1.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys.json", "out.json"]  # no staging left behind


def test_cli_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    for argv, message in [((broken,), "not valid JSON"), ((tmp_path / "nope.json",), "no such file")]:
        code, _, err = _run(capsys, "strokes", *argv, "--out", tmp_path / "o.json")
        assert code == 2 and message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o.json").exists()


def test_cli_reads_stdin_and_writes_stdout(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(_request(count=1))))
    code, stdout, err = _run(capsys, "strokes", "-", "--out", "-", "--unmatched", "draw", "--order-hint",
                             "--keep-pieces")
    assert code == 0, err
    response = json.loads(stdout)
    assert response["unmatched"] == "draw" and response["order_hint"] and len(response["frames"]) == 1
    assert response["join_pieces"] is False


def _arm(path: Path, angle: float, width: int = 3) -> tuple[Path, np.ndarray]:
    canvas = np.zeros((H, W), np.uint8)
    shoulder = np.array([W * 0.35, H * 0.5])
    elbow = shoulder + 55 * np.array([np.cos(angle), np.sin(angle)])
    hand = elbow + 40 * np.array([np.cos(angle + 0.6), np.sin(angle + 0.6)])
    pts = np.round(np.stack([shoulder, elbow, hand]) * 16).astype(np.int32)
    cv2.polylines(canvas, [pts], False, 255, width, cv2.LINE_AA, shift=4)
    Image.fromarray(255 - canvas).save(path)
    return path, 255 - canvas


def test_vector_mode_inbetweens_line_art_on_arcs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (k0, _), (k1, _) = _arm(tmp_path / "arm.0001.png", -0.5), _arm(tmp_path / "arm.0003.png", 0.5)
    _, truth = _arm(tmp_path / "truth.png", 0.0)
    out = tmp_path / "out"
    code, _, err = _run(capsys, "inbetween", k0, k1, "--out", out, "--mode", "vector")
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["mode"] == "vector" and [f["file"] for f in manifest["frames"]] == [
        "arm.0000.png", "arm.0001.png", "arm.0002.png"]
    middle = read_image(out / "arm.0001.png").rgba
    assert chamfer_distance(middle, truth) < 1.5  # the arm turned about its shoulder: it sits on the arc
    straight = 0.5 * (read_image(k0).rgba + read_image(k1).rgba)
    assert chamfer_distance(middle, truth) < 0.5 * chamfer_distance(straight, truth)
    ink = (middle[..., :3].mean(axis=2) < 0.5).sum()
    assert 0.7 < ink / (truth < 128).sum() < 1.4  # drawn at the keys' width


def test_auto_mode_picks_vector_for_clean_line_art_and_flow_for_cels(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (k0, _), (k1, _) = _arm(tmp_path / "a.png", -0.3), _arm(tmp_path / "b.png", 0.3)
    code, _, err = _run(capsys, "inbetween", k0, k1, "--out", tmp_path / "line")
    assert code == 0, err
    assert json.loads((tmp_path / "line" / "manifest.json").read_text())["mode"] == "vector"
    samples = Path(__file__).resolve().parents[2] / "core" / "samples"
    code, _, err = _run(capsys, "inbetween", samples / "cel.key0.png", samples / "cel.key1.png",
                        "--out", tmp_path / "cel", "--device", "cpu")
    assert code == 0, err
    assert json.loads((tmp_path / "cel" / "manifest.json").read_text())["mode"] == "flow"


def test_vector_mode_refuses_blank_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((H, W), 255, np.uint8)).save(blank)
    code, _, err = _run(capsys, "inbetween", blank, blank, "--out", tmp_path / "o", "--mode", "vector")
    assert code == 2 and "no line art" in err
