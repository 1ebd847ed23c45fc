"""Validate that the shot's publish folder can be written before any work is spent on it."""
import tempfile
from pathlib import Path

import pyblish.api

import nakawari.batch.shot


class ValidatePublishTarget(pyblish.api.InstancePlugin):
    label = "Validate publish target"
    order = pyblish.api.ValidatorOrder + 0.3
    families = ["nakawari.shot"]

    def process(self, instance):
        shot = instance.data["shot"]
        target = Path(instance.data["shot_root"])
        existing = target
        while not existing.exists():  # the folders still to create are made inside the nearest existing one
            existing = existing.parent
        if not existing.is_dir():
            raise nakawari.batch.shot.ShotProblem(shot, f"cannot publish to {target}: {existing} is a file, "
                                                        "not a folder")
        try:
            with tempfile.TemporaryFile(dir=existing):
                pass
        except OSError as error:
            raise nakawari.batch.shot.ShotProblem(
                shot, f"cannot publish to {target}: {existing} is not writable ({error.strerror})") from None
