"""Collect one instance per shot folder: its key drawings `name.####.png` and its shot.json settings."""
import os
from pathlib import Path

import pyblish.api

import nakawari.batch.shot
import nakawari.errors


class CollectShots(pyblish.api.ContextPlugin):
    """Shot folders come from `context.data["nakawari.shot_dirs"]`; `--jobs` from `context.data["nakawari.jobs"]`.

    A shot.json problem is kept on the instance for ValidateShotSettings to report, so one shot's typo
    never stops the collection of the others.
    """

    label = "Collect shots"
    order = pyblish.api.CollectorOrder

    def process(self, context):
        default_jobs = tuple(context.data.get("nakawari.jobs", ("inbetween",)))
        publish_root = Path(context.data["nakawari.publish_root"]).absolute()
        for shot_dir in context.data.get("nakawari.shot_dirs", ()):
            shot_dir = Path(os.path.abspath(shot_dir))
            shot = shot_dir.name
            instance = context.create_instance(shot, family="nakawari.shot")
            keys, strays = nakawari.batch.shot.scan_keys(shot_dir)
            instance.data.update(shot=shot, shot_dir=str(shot_dir), shot_root=str(publish_root / shot),
                                 keys=[str(key.path) for key in keys], key_files=keys, strays=strays,
                                 settings=None, settings_problem=None)
            try:
                data = nakawari.batch.shot.read_shot_json(shot, shot_dir)
                settings = nakawari.batch.shot.shot_settings(shot, data, default_jobs)
            except nakawari.errors.BadInput as problem:
                instance.data["settings_problem"] = problem
                continue
            instance.data["settings"] = settings
            # One family per job: each extractor picks up the shots that asked for it.
            instance.data["families"] = [f"nakawari.{job}" for job in settings["jobs"]]
            self.log.info("%s: %d keys, jobs %s", shot, len(keys), ", ".join(settings["jobs"]))
