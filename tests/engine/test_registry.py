"""The job registry: one table of jobs for the CLI, the server and the batch, loaded only when a job is asked for."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from engine_helpers import key_pair

from nakawari.errors import BadInput
from nakawari.jobs import registry
from nakawari.jobs.params import BadParams

ALGORITHMS = ("nakawari.douga", "nakawari.cels", "nakawari.paint")


def _modules_after(code: str) -> list[str]:
    """The nakawari modules a fresh interpreter has imported after running ``code``."""
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(m for m in sys.modules if m.startswith('nakawari'))))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_job_names_a_module_dataclass_and_runner_that_exist():
    for spec in registry.SPECS:
        module = spec.load()
        assert callable(getattr(module, spec.runner)), spec.name
        if spec.job is not None:
            job_type = getattr(module, spec.job)
            assert not spec.served or callable(getattr(job_type, "from_params", None)), spec.name


def test_served_and_shot_jobs():
    assert "demo" not in registry.SERVED and "demo" in registry.JOBS
    assert set(registry.SERVED) == {"inbetween", "strokes.inbetween", "douga", "douga.strokes", "cels", "paint"}
    assert registry.SHOT_JOBS == ("inbetween", "douga", "cels", "paint")  # run order: inbetweens feed the rest


def test_initialize_answers_without_importing_a_job():
    loaded = _modules_after("import io, nakawari.server as s\n"
                            "s.Server([], io.StringIO(), io.StringIO()).initialize()")
    jobs = [m for m in loaded if m.startswith("nakawari.jobs.") and m not in ("nakawari.jobs.registry",
                                                                             "nakawari.jobs.params")]
    assert jobs == []
    assert not [m for m in loaded if m.startswith(("nakawari.inbetween", *ALGORITHMS))]


def test_cli_inbetween_loads_no_douga_cels_or_paint_code(tmp_path):
    keys = key_pair(tmp_path / "keys")
    argv = [*keys, "--times", "0.5", "--out", str(tmp_path / "out"), "--quiet"]
    loaded = _modules_after(f"from nakawari.cli import main\nassert main({['inbetween', *argv]!r}) == 0")
    assert "nakawari.jobs.inbetween" in loaded
    assert not [m for m in loaded if m.startswith(ALGORITHMS) or m in ("nakawari.jobs.douga", "nakawari.jobs.cels",
                                                                        "nakawari.jobs.paint", "nakawari.batch")]


@pytest.mark.parametrize(("name", "params", "field"), [
    ("inbetween", {"keys": "a.png", "out": "o"}, "keys"),
    ("douga", {"frames": ["a.png"], "out": "o", "line_width": "thin"}, "line_width"),
    ("douga.strokes", {"frame": ["a.png"]}, "frame"),
    ("cels", {"frames": ["a.png"], "out": "o", "overwrite": "yes"}, "overwrite"),
    ("paint", {"lines": ["a.png"], "painted": ["b.png"], "out": "o", "gap": "4"}, "gap"),
])
def test_from_params_names_the_mistyped_field(name, params, field):
    with pytest.raises(BadParams) as raised:
        registry.job(name).from_params(params)
    assert raised.value.field == field and f"'{field}'" in raised.value.message


def test_from_params_refuses_unknown_and_missing_names_and_fills_defaults():
    with pytest.raises(BadParams, match="unknown parameter\\(s\\) colour; missing parameter\\(s\\) out"):
        registry.job("cels").from_params({"frames": [], "colour": 1})
    douga = registry.job("douga").from_params({"frames": ["a.png"], "out": "o", "line_width": None})
    assert (douga.line_width, douga.raw, douga.overwrite, douga.strokes) == (3.0, False, False, False)
    inbetween = registry.job("inbetween").from_params({"keys": ["a.png", "b.png"], "out": "o", "ease": "ease-in:3"})
    assert (inbetween.ease.name, inbetween.ease.strength, inbetween.mode) == ("ease-in", 3.0, "auto")
    with pytest.raises(BadInput):  # a value the artist chose, not a type the client got wrong
        registry.job("inbetween").from_params({"keys": ["a.png", "b.png"], "out": "o", "ease": "wobbly"})


def test_strokes_take_their_request_as_it_is():
    request = {"keys": [], "count": 2}
    assert registry.job("strokes.inbetween").from_params(request) is request
    with pytest.raises(TypeError):
        registry.job("strokes.inbetween").make()
