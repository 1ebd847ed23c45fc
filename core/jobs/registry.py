"""The engine's jobs, by name: what the CLI, the server and the batch run, each named by module and function
so that nothing is imported until a job is asked for (`nakawari serve` answers `initialize` from this table
alone; `nakawari inbetween` never loads the douga, cels or paint code).

Every job module offers a job dataclass with a `from_params` classmethod (request parameters → a checked
job, raising `params.BadParams` or `BadInput`) and a runner `(job, progress=, cancel=) → result`.
"""
from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import Any, NamedTuple

from ..progress import Cancel, Progress


class JobSpec(NamedTuple):  # a named tuple, not a dataclass: the CLI imports this table before every command
    name: str                  # the JSON-RPC method (and CLI command, batch job) it answers to
    module: str                # the job module, imported when the job is first asked for
    job: str | None            # its job dataclass (None: the job is its request itself, as for strokes)
    runner: str                # (job, progress=, cancel=) → result (a manifest or an inline answer)
    served: bool = True        # a method of `nakawari serve`
    shot: bool = False         # a job a batch shot can ask for (shot.json "jobs", `--jobs`)

    def installed(self) -> bool:
        """The job module is there (found, not imported: cheap enough for `initialize`)."""
        try:
            return importlib.util.find_spec(self.module) is not None
        except (ImportError, ValueError):
            return False

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)

    def make(self, **fields: Any) -> Any:
        """The job dataclass built from fields (the CLI's options, a shot's settings)."""
        if self.job is None:
            raise TypeError(f"job '{self.name}' has no job dataclass; it takes its request as it is")
        return getattr(self.load(), self.job)(**fields)

    def from_params(self, params: dict[str, Any]) -> Any:
        """Request parameters → the job (`<Job>.from_params`); a job without a dataclass checks its request
        when it runs."""
        if self.job is None:
            return params
        return getattr(self.load(), self.job).from_params(params)

    def run(self, job: Any, progress: Progress | None = None, cancel: Cancel | None = None) -> Any:
        return getattr(self.load(), self.runner)(job, progress=progress, cancel=cancel)

    def run_params(self, params: dict[str, Any], progress: Progress | None = None,
                   cancel: Cancel | None = None) -> Any:
        """A request answered: its parameters checked and turned into the job, then run."""
        return self.run(self.from_params(params), progress=progress, cancel=cancel)


# Order matters for the batch: a shot's jobs run in this order (inbetweens feed douga, cels and paint).
SPECS: tuple[JobSpec, ...] = (
    JobSpec("inbetween", "nakawari.jobs.inbetween", "InbetweenJob", "run_inbetween", shot=True),
    JobSpec("strokes.inbetween", "nakawari.jobs.strokes", None, "run_strokes"),
    JobSpec("douga", "nakawari.jobs.douga", "DougaJob", "run_douga", shot=True),
    JobSpec("douga.strokes", "nakawari.jobs.douga", "DougaStrokesJob", "run_douga_strokes_job"),
    JobSpec("cels", "nakawari.jobs.cels", "CelsJob", "run_cels", shot=True),
    JobSpec("paint", "nakawari.jobs.paint", "PaintJob", "run_paint", shot=True),
    JobSpec("demo", "nakawari.jobs.demo", "DemoJob", "run_demo_job", served=False),  # the CLI's alone
)
JOBS: dict[str, JobSpec] = {spec.name: spec for spec in SPECS}
SERVED: tuple[str, ...] = tuple(spec.name for spec in SPECS if spec.served)
SHOT_JOBS: tuple[str, ...] = tuple(spec.name for spec in SPECS if spec.shot)

# What `nakawari serve` runs on tiny keys after `initialize`, so the artist's first job finds every library
# loaded (module, function): imported only then, like the jobs.
WARM_UP = ("nakawari.jobs.warm", "warm_inbetween")


def job(name: str) -> JobSpec:
    """The job of that name (KeyError for a name no job has)."""
    return JOBS[name]


def warm_up() -> None:
    module, function = WARM_UP
    getattr(importlib.import_module(module), function)()
