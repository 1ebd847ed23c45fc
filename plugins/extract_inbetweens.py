"""Extract the shot's inbetweens into the staging folder through the engine's inbetween job."""
import pyblish.api

import nakawari.batch.jobs
import nakawari.batch.shot
import nakawari.batch.versions
import nakawari.timing


class ExtractInbetweens(pyblish.api.InstancePlugin):
    """Keys sit at their frame numbers; `timing.count` inbetweens per gap (eased) or one every `timing.step`
    frames (default 1: every frame between the keys). The frames written (keys and inbetweens) become the
    frames douga and cels work on."""

    label = "Extract inbetweens"
    order = pyblish.api.ExtractorOrder
    families = ["nakawari.inbetween"]

    def process(self, instance):
        inbetween = nakawari.batch.jobs.job_module("inbetween")  # present: ValidateShotSettings checked it
        settings = instance.data["settings"]
        frames = [float(key.frame) for key in instance.data["key_files"]]
        out = nakawari.batch.versions.staging_for(instance.data) / "inbetween"
        job = inbetween.InbetweenJob(
            keys=instance.data["keys"], out=out, key_times=frames, count=settings["count"],
            times=nakawari.batch.shot.step_times([int(f) for f in frames], settings["step"]) if settings["step"]
            else None,
            ease=nakawari.timing.Ease(**settings["ease"]), line_width=settings["line_width"],
            device=instance.context.data.get("nakawari.device", "auto"))
        manifest = inbetween.run_inbetween(job)
        instance.data["frames"] = [str(out / frame["file"]) for frame in manifest["frames"]]
        instance.data.setdefault("job_manifests", {})["inbetween"] = manifest
        self.log.info("%s: %d frames on %s", instance.data["shot"], len(manifest["frames"]), manifest["device"])
