"""Extract cel masks, cel layers and the background plate through the engine's cels job."""
import pyblish.api

import nakawari.batch.jobs
import nakawari.batch.versions


class ExtractCels(pyblish.api.InstancePlugin):
    """Runs on the inbetweened frames when the shot also inbetweens, else on the keys."""

    label = "Extract cels"
    order = pyblish.api.ExtractorOrder + 0.1
    families = ["nakawari.cels"]

    def process(self, instance):
        cels = nakawari.batch.jobs.job_module("cels")  # present: ValidateShotSettings checked it
        out = nakawari.batch.versions.staging_for(instance.data) / "cels"
        job = cels.CelsJob(frames=instance.data.get("frames", instance.data["keys"]), out=out)
        instance.data.setdefault("job_manifests", {})["cels"] = cels.run_cels(job)
