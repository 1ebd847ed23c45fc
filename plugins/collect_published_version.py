"""Collect the shot's latest published version; a shot whose inputs and settings match it is skipped."""
from pathlib import Path

import pyblish.api

import nakawari.batch.versions


class CollectPublishedVersion(pyblish.api.InstancePlugin):
    """Input checksums (sha256 of every key, and of the paint job's painted keys) and effective settings are
    compared with the latest version's manifest: identical → `publish` is turned off for the shot and it is
    reported up to date."""

    label = "Collect published version"
    order = pyblish.api.CollectorOrder + 0.4
    families = ["nakawari.shot"]

    def process(self, instance):
        shot_root = Path(instance.data["shot_root"])
        number, manifest = nakawari.batch.versions.latest_version(shot_root)
        instance.data["previous_version"] = number
        try:
            inputs = nakawari.batch.versions.checksums([Path(p) for p in instance.data["keys"]
                                                        + instance.data.get("painted", [])],  # paint job
                                                       Path(instance.data["shot_dir"]))
        except OSError:
            inputs = None  # an unreadable key: ValidateKeyImages names it
        instance.data["inputs"] = inputs
        settings = instance.data["settings"]
        if (manifest is not None and inputs is not None and settings is not None
                and manifest.get("inputs") == inputs and manifest.get("settings") == settings):
            instance.data["up_to_date"] = number
            instance.data["publish"] = False
            self.log.info("%s: unchanged since %s, skipped", instance.data["shot"],
                          nakawari.batch.versions.version_name(number))
