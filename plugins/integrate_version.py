"""Integrate the staged results as the shot's next version folder (v001, v002, …) in one transaction."""
import shutil
from pathlib import Path

import pyblish.api

import nakawari.batch.versions


class IntegrateVersion(pyblish.api.InstancePlugin):
    """Manifest: shot, settings, input and output sha256 checksums, engine version, and per job the
    device it ran on and its own manifest's path inside the version."""

    label = "Integrate version"
    order = pyblish.api.IntegratorOrder
    families = ["nakawari.shot"]

    def process(self, instance):
        staging = Path(instance.data["staging_dir"])
        jobs = {name: {"manifest": f"{name}/{nakawari.batch.versions.MANIFEST}", "device": manifest.get("device")}
                for name, manifest in instance.data["job_manifests"].items()}
        try:
            folder, manifest = nakawari.batch.versions.commit_version(
                Path(instance.data["shot_root"]), staging,
                {"shot": instance.data["shot"], "settings": instance.data["settings"],
                 "inputs": instance.data["inputs"], "jobs": jobs})
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            instance.data.pop("staging_dir")
        instance.data["version"] = manifest["version"]
        instance.data["version_dir"] = str(folder)
        self.log.info("%s: published %s", instance.data["shot"], folder)
