"""Validate the numbering of the key files: one sequence name, no duplicates or mixed padding, no gaps
against the key frames listed in shot.json, at least two keys."""
import pyblish.api

import nakawari.batch.shot


class ValidateShotKeys(pyblish.api.InstancePlugin):
    label = "Validate shot keys"
    order = pyblish.api.ValidatorOrder + 0.1
    families = ["nakawari.shot"]

    def process(self, instance):
        shot = instance.data["shot"]
        keys = instance.data["key_files"]
        settings = instance.data["settings"]
        if settings is None:
            return  # ValidateShotSettings reports the shot.json problem

        def problem(text, file=None):
            return nakawari.batch.shot.ShotProblem(shot, text, file)

        for stray in instance.data["strays"]:
            self.log.warning("%s: %s is not named name.####.png and is not a key", shot, stray)
        if not keys:
            raise problem("holds no key drawings named like walk.0001.png")
        stems = sorted({key.stem for key in keys})
        if len(stems) > 1:
            raise problem(f"keys carry different names ({', '.join(stems)}); one shot folder holds one sequence")
        for before, after in zip(keys, keys[1:]):
            if before.frame == after.frame:
                raise problem(f"{before.path.name} and {after.path.name} are both frame {after.frame}",
                              after.path.name)
        first = keys[0]
        for key in keys[1:]:
            if key.digits != first.digits:
                raise problem(f"has {key.digits} digits but {first.path.name} has {first.digits}; number every key "
                              "with the same padding", key.path.name)
        frames = [key.frame for key in keys]
        if settings["keys"] is not None:
            for frame in settings["keys"]:
                if frame not in frames:
                    name = f"{first.stem}.{frame:0{first.digits}d}.png"
                    raise problem(f"key frame {frame} is listed in shot.json but {name} is missing (numbering gap)",
                                  name)
            for key in keys:
                if key.frame not in settings["keys"]:
                    raise problem("is not one of the key frames listed in shot.json "
                                  f"({', '.join(map(str, settings['keys']))})", key.path.name)
        if len(keys) < 2:
            raise problem("needs at least two keys to inbetween", first.path.name)
        if ("inbetween" in settings["jobs"] and settings["step"] is not None  # drawn frames painted as they are
                and not nakawari.batch.shot.step_times(frames, settings["step"])):
            raise problem(f'"timing.step" {settings["step"]} leaves no frame between the keys '
                          f"({', '.join(map(str, frames))})", nakawari.batch.shot.SHOT_FILE)
