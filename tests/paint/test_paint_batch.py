"""The batch's paint job end to end: real pyblish, real plugins, the engine's paint job on a synthetic shot."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nakawari.batch.publish import publish_shot
from nakawari.batch.result import FAILED, PUBLISHED, UP_TO_DATE
from nakawari.image import read_image, write_image
from nakawari.synth.paintcase import Pose, fill_truth, render

SIZE = (240, 180)
POSES = {1: Pose(), 2: Pose(dx=5, dy=2, angle=2), 3: Pose(dx=10, dy=4, angle=4)}


def _shot(root: Path, name: str, settings: dict, painted: bool = True) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    for frame, pose in POSES.items():
        write_image(folder / f"walk.{frame:04d}.png", render(pose, SIZE, painted=False))
    if painted:
        (folder / "painted").mkdir()
        write_image(folder / "painted" / "walk.0001.png", render(POSES[1], SIZE))
    (folder / "shot.json").write_text(json.dumps(settings), encoding="utf-8")
    return folder


def test_paint_job_publishes_every_frame_painted_from_the_painted_key(tmp_path: Path) -> None:
    shot = _shot(tmp_path / "shots", "sh100", {"jobs": ["paint"], "paint": {"gap": 3, "unmatched": "#ff00ff"}})
    publish = tmp_path / "publish"
    result = publish_shot(shot, publish)
    assert (result.status, result.version) == (PUBLISHED, 1), result
    version = publish / "sh100" / "v001"
    manifest = json.loads((version / "manifest.json").read_text())
    assert manifest["settings"]["paint"] == {"gap": 3.0, "unmatched": "#ff00ff"}
    # The painted key is an input: a changed painted key must make a new version.
    assert "painted/walk.0001.png" in [i["file"] for i in manifest["inputs"]]
    paint = json.loads((version / "paint" / "manifest.json").read_text())
    assert [f["file"] for f in paint["frames"]] == [f"walk.{n:04d}.png" for n in POSES]
    truth, mask = fill_truth(POSES[3], SIZE)
    out = np.round(read_image(version / "paint" / "walk.0003.png").rgba[..., :3] * 255).astype(np.uint8)
    assert (out[mask] == truth[mask]).all(axis=1).mean() >= 0.98
    assert "paint/walk.0003.png" in [o["file"] for o in manifest["outputs"]]

    assert publish_shot(shot, publish).status == UP_TO_DATE
    write_image(shot / "painted" / "walk.0001.png", render(POSES[1], SIZE, line_width=3), overwrite=True)
    assert (publish_shot(shot, publish).status, sorted(p.name for p in (publish / "sh100").iterdir())) == (
        PUBLISHED, ["v001", "v002"])


def test_paint_job_without_painted_keys_or_with_a_bad_colour_fails_its_shot_clearly(tmp_path: Path) -> None:
    bare = _shot(tmp_path / "shots", "sh110", {"jobs": ["paint"]}, painted=False)
    result = publish_shot(bare, tmp_path / "publish")
    assert result.status == FAILED and result.bad_input
    assert "sh110: asks for the paint job but holds no painted keys" in result.problem, result.problem
    colour = _shot(tmp_path / "shots", "sh120", {"jobs": ["paint"], "paint": {"unmatched": "purple"}})
    result = publish_shot(colour, tmp_path / "publish")
    assert result.status == FAILED and result.bad_input and '"paint.unmatched"' in result.problem, result.problem
    assert not (tmp_path / "publish" / "sh110").exists() or not any((tmp_path / "publish" / "sh110").iterdir())
