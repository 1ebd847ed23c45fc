"""The batch on Ray: a local Ray with 2 CPUs, each shot one task; bounded in time (a subprocess with a timeout)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_batch import make_shot

from nakawari.batch.farm import task_resources
from nakawari.cli import main

pytest.importorskip("ray", reason="the farm extra (pip install 'nakawari[farm]') is not installed")


def test_ray_publishes_each_shot_as_a_task(tmp_path: Path) -> None:
    shots, publish = tmp_path / "shots", tmp_path / "publish"
    good = [make_shot(shots, "sh010", case=0), make_shot(shots, "sh020", case=1, settings={"timing": {"count": 3}})]
    bad = make_shot(shots, "sh030", case=2)
    (bad / "walk.0001.png").write_bytes(b"not a png")
    command = [sys.executable, "-m", "nakawari.cli", "batch", *map(str, good), str(bad), "--publish-root", str(publish),
               "--ray", "local", "--workers", "2", "--quiet"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2, run.stderr
    assert "2 of 3 shots done, 1 failed" in run.stdout and "sh030/walk.0001.png: corrupt" in run.stdout
    for shot, frames in (("sh010", 9), ("sh020", 5)):  # sh010 on ones by default
        manifest = json.loads((publish / shot / "v001" / "manifest.json").read_text())
        assert len([o for o in manifest["outputs"] if o["file"].endswith(".png")]) == frames
    assert not (publish / "sh030").exists()

    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.stdout.count("up to date") == 2, again.stdout


def test_tasks_ask_for_a_gpu_only_where_the_cluster_has_one() -> None:
    assert task_resources({"CPU": 2.0}) == {"num_cpus": 1, "num_gpus": 0}
    assert task_resources({"CPU": 16.0, "GPU": 1.0}) == {"num_cpus": 1, "num_gpus": 1}


def test_an_unreachable_cluster_is_refused_quickly(tmp_path: Path, capsys) -> None:
    shot = make_shot(tmp_path / "shots", "sh010")
    assert main(["batch", str(shot), "--publish-root", str(tmp_path / "publish"), "--ray", "127.0.0.1:1"]) == 2
    assert "127.0.0.1:1: cannot reach the Ray cluster" in capsys.readouterr().err
    assert not (tmp_path / "publish").exists()
