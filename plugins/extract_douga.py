"""Extract douga (colour-coded line art) of every frame through the engine's douga job."""
import pyblish.api

import nakawari.batch.jobs
import nakawari.batch.versions


class ExtractDouga(pyblish.api.InstancePlugin):
    """Runs on the inbetweened frames when the shot also inbetweens, else on the keys."""

    label = "Extract douga"
    order = pyblish.api.ExtractorOrder + 0.1
    families = ["nakawari.douga"]

    def process(self, instance):
        douga = nakawari.batch.jobs.job_module("douga")  # present: ValidateShotSettings checked it
        settings = instance.data["settings"]["douga"]
        out = nakawari.batch.versions.staging_for(instance.data) / "douga"
        job = douga.DougaJob(frames=instance.data.get("frames", instance.data["keys"]), out=out,
                             line_width=settings["line_width"], raw=settings["raw"])
        instance.data.setdefault("job_manifests", {})["douga"] = douga.run_douga(job)
