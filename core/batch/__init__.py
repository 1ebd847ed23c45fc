"""The headless batch: whole shots published with pyblish into versioned folders (see plugins/README.md).

- `run_batch(shot_dirs, publish_root, jobs=…, workers=…, ray_address=…)`: every shot in its own process.
- `publish_shot(shot_dir, publish_root, jobs)` (in `publish`): one shot, in this process.
- `summary_table(results)`, `exit_status(results)`.
"""
from .report import exit_status, summary_table
from .result import ShotResult
from .run import run_batch

__all__ = ["ShotResult", "exit_status", "run_batch", "summary_table"]
