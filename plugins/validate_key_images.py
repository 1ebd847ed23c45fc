"""Validate the key images: every key readable by the engine, all of one size and one image mode."""
from pathlib import Path

import PIL.Image
import pyblish.api

import nakawari.batch.shot
import nakawari.errors
import nakawari.image

# PIL mode → words an artist recognises from the export dialog.
MODE_WORDS = {"1": "1-bit", "L": "grayscale", "LA": "grayscale with alpha", "P": "palette", "PA": "palette with alpha",
              "RGB": "RGB", "RGBA": "RGBA (with alpha)", "I;16": "16-bit grayscale", "I": "32-bit grayscale"}


class ValidateKeyImages(pyblish.api.InstancePlugin):
    label = "Validate key images"
    order = pyblish.api.ValidatorOrder + 0.2
    families = ["nakawari.shot"]

    def process(self, instance):
        shot = instance.data["shot"]
        first = None
        for path in map(Path, instance.data["keys"]):
            try:
                raster = nakawari.image.read_image(path)
                with PIL.Image.open(path) as image:
                    mode = image.mode
            except nakawari.errors.BadInput as error:
                raise nakawari.batch.shot.ShotProblem(shot, error.problem, path.name) from None
            except OSError as error:
                raise nakawari.batch.shot.ShotProblem(shot, f"cannot be read ({error})", path.name) from None
            if first is None:
                first = (path.name, raster.size, mode)
                continue
            name, size, first_mode = first
            if raster.size != size:
                raise nakawari.batch.shot.ShotProblem(
                    shot, f"is {raster.size[0]}x{raster.size[1]} but {name} is {size[0]}x{size[1]}; "
                          "every key of a shot has the same size", path.name)
            if mode != first_mode:
                raise nakawari.batch.shot.ShotProblem(
                    shot, f"is {MODE_WORDS.get(mode, mode)} but {name} is {MODE_WORDS.get(first_mode, first_mode)}; "
                          "export every key of a shot the same way", path.name)
