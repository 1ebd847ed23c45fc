"""Collect the paint job's painted keys: `<shot>/painted/<name>.####.png`, each the finished colour of the
shot's frame with the same number (a key or an inbetween)."""
from pathlib import Path

import pyblish.api

import nakawari.batch.shot


class CollectPaintedKeys(pyblish.api.InstancePlugin):
    """Before CollectPublishedVersion, so a changed painted key makes the shot publish again."""

    label = "Collect painted keys"
    order = pyblish.api.CollectorOrder + 0.2
    families = ["nakawari.paint"]

    def process(self, instance):
        folder = Path(instance.data["shot_dir"]) / nakawari.batch.shot.PAINTED_DIR
        painted, strays = nakawari.batch.shot.scan_keys(folder) if folder.is_dir() else ([], [])
        instance.data["painted"] = [str(key.path) for key in painted]
        for stray in strays:
            self.log.warning("%s: painted/%s is not named name.####.png and is not a painted key",
                             instance.data["shot"], stray)
