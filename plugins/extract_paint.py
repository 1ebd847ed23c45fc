"""Paint every frame of the shot from its painted keys through the engine's paint job."""
import pyblish.api

import nakawari.batch.jobs
import nakawari.batch.shot
import nakawari.batch.versions


class ExtractPaint(pyblish.api.InstancePlugin):
    """Runs on the inbetweened frames when the shot also inbetweens, else on the keys; a painted key belongs
    to the frame with its number. Areas with no confident match stay in the marker colour (manifest)."""

    label = "Extract paint"
    order = pyblish.api.ExtractorOrder + 0.2
    families = ["nakawari.paint"]

    def process(self, instance):
        paint = nakawari.batch.jobs.job_module("paint")  # present: ValidateShotSettings checked it
        if not instance.data.get("painted"):
            raise nakawari.batch.shot.ShotProblem(
                instance.data["shot"], "asks for the paint job but holds no painted keys; put the finished "
                f"colour of at least one frame in {nakawari.batch.shot.PAINTED_DIR}/<name>.####.png")
        settings = instance.data["settings"]["paint"]
        out = nakawari.batch.versions.staging_for(instance.data) / "paint"
        job = paint.PaintJob(lines=instance.data.get("frames", instance.data["keys"]),
                             painted=instance.data["painted"], out=out, gap=settings["gap"],
                             unmatched=settings["unmatched"])
        manifest = paint.run_paint(job)
        instance.data.setdefault("job_manifests", {})["paint"] = manifest
        left = sum(len(frame["unmatched"]) for frame in manifest["frames"])
        self.log.info("%s: %d frames painted, %d area(s) left unpainted", instance.data["shot"],
                      len(manifest["frames"]), left)
