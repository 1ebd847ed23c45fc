"""Validate shot.json and that this engine has every job the shot asks for."""
import pyblish.api

import nakawari
import nakawari.batch.jobs
import nakawari.batch.shot


class ValidateShotSettings(pyblish.api.InstancePlugin):
    label = "Validate shot settings"
    order = pyblish.api.ValidatorOrder
    families = ["nakawari.shot"]

    def process(self, instance):
        if instance.data["settings_problem"] is not None:
            raise instance.data["settings_problem"]
        for job in instance.data["settings"]["jobs"]:
            if nakawari.batch.jobs.job_module(job) is None:
                raise nakawari.batch.shot.ShotProblem(
                    instance.data["shot"],
                    f"asks for the {job} job, which this engine (nakawari {nakawari.__version__}) does not have "
                    "yet; leave it out of --jobs and of shot.json \"jobs\"")
