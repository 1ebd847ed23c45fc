"""Generate Inbetweens: the active Grease Pencil object's keys → the engine → new BREAKDOWN frames.

The scene is read and written on Blender's main thread only; the engine works on a thread (the host kit's
`engine_job`)
while a modal timer shows progress and Esc cancels. Everything is written at the end, in one go, so the
operator's one undo step (`UNDO` option) removes the whole generation. In background mode (scripts, tests)
modal timers never fire, so `invoke` there runs the same steps synchronously (`execute`).
"""
# No `from __future__ import annotations`: Blender reads the property annotations of these classes.
import time
from dataclasses import dataclass, field
from typing import Any

import bpy

from . import engine, locate, plan
from .engine_job import EngineJob
from .gp_data import FrameExists, NotGreasePencil, adapter_for
from .host_kit import StrokesFrame, StrokesResult
from .modal import EngineModal

# Seconds of the last generation's steps (reading the scene, the engine, writing frames): shown in the
# report and read by the host tests.
LAST_TIMING: dict[str, float] = {}


@dataclass
class Prepared:
    """What the main thread read before the engine works: the plans, the key strokes and the calls."""
    object_name: str
    requests: list[plan.Request]
    key_strokes: dict[str, dict[int, list[dict[str, Any]]]]
    notes: list[str] = field(default_factory=list)   # layers left alone, and why


def options_of(operator: Any) -> plan.Options:
    return plan.Options(scope=operator.scope, fill=operator.fill, count=operator.count, ease=operator.ease,
                        arcs=operator.arcs)


def prepare(context: Any, options: plan.Options, which: str) -> Prepared:
    """Read the scene into engine requests; plan.UserError when there is nothing to do."""
    try:
        gp = adapter_for(context.active_object)
    except NotGreasePencil as error:
        raise plan.UserError(str(error)) from None
    scene = context.scene
    if which == "ACTIVE":
        layer = gp.active_layer()
        if layer is None:
            raise plan.UserError("The Grease Pencil object has no active layer")
        if not gp.layer_editable(layer):
            raise plan.UserError(f"Layer '{layer}' is hidden or locked")
        layers = [layer]
    else:
        layers = [name for name in gp.layer_names() if gp.layer_editable(name)]
    prepared = Prepared(context.active_object.name, [], {})
    for layer in layers:
        try:
            layer_plan = plan.plan_layer(layer, gp.frame_types(layer), options, scene.frame_current,
                                         (scene.frame_start, scene.frame_end))
        except plan.UserError as error:
            if which == "ACTIVE":
                raise
            prepared.notes.append(str(error))
            continue
        strokes = {k: gp.read_strokes(layer, k) for k in layer_plan.keys}
        prepared.key_strokes[layer] = strokes
        prepared.requests += plan.requests(layer_plan, strokes, options)
    if not prepared.requests:
        raise plan.UserError("Nothing to inbetween: " + "; ".join(prepared.notes or ["no visible, unlocked layer"]))
    return prepared


def apply(prepared: Prepared, responses: list[StrokesResult]) -> tuple[int, list[str], str]:
    """Write the engine's frames into empty frames (BREAKDOWN); (frames written, frames left alone, the line
    naming frames whose self-check asks for a look). Everything is checked before the first frame is written,
    so a refusal leaves the scene as it was."""
    obj = bpy.data.objects.get(prepared.object_name)  # looked up again: the artist may have changed things
    if obj is None:
        raise plan.UserError(f"The object '{prepared.object_name}' is gone; nothing was written")
    gp = adapter_for(obj)
    frames = []
    placed: list[tuple[int, StrokesFrame]] = []
    for request, response in zip(prepared.requests, responses):
        if request.layer not in gp.layer_names():
            raise plan.UserError(f"Layer '{request.layer}' is gone; nothing was written")
        keys = [int(key["time"]) for key in request.params["keys"]]
        for number, frame in plan.placements(request, response):
            strokes = plan.host_strokes(frame, keys, prepared.key_strokes[request.layer])
            frames.append((request.layer, number, strokes))
            placed.append((number, frame))
    written, skipped = 0, []
    for layer, number, strokes in frames:
        try:
            gp.write_frame(layer, number, strokes, plan.GENERATED)
            written += 1
        except FrameExists:  # drawn by the artist while the engine worked: theirs stays
            skipped.append(f"{layer}:{number}")
    return written, skipped, engine.client.frames_to_check(placed)


class NAKAWARI_OT_generate_inbetweens(EngineModal, bpy.types.Operator):
    """Draw the inbetweens of the active Grease Pencil object's keys with nakawari (arcs, any stroke order)"""

    bl_idname = "nakawari.generate_inbetweens"
    bl_label = "Generate Inbetweens"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads this class attribute

    scope: bpy.props.EnumProperty(name="Gaps", items=plan.SCOPES, default="RANGE")
    layers: bpy.props.EnumProperty(name="Layers", items=plan.LAYER_CHOICES, default="ACTIVE")
    fill: bpy.props.EnumProperty(name="Spacing", items=plan.FILLS, default="ONES")
    count: bpy.props.IntProperty(name="Count", description="Inbetweens per gap (Count spacing)", default=3,
                                 min=1, max=240)
    ease: bpy.props.EnumProperty(name="Ease", items=plan.EASES, default="linear")
    arcs: bpy.props.BoolProperty(name="Arcs", description="Move along arcs through the neighbouring keys",
                                 default=True)

    @classmethod
    def poll(cls, context: Any) -> bool:
        obj = context.active_object
        return obj is not None and obj.type in ("GPENCIL", "GREASEPENCIL") and not cls._running

    def _start(self, context: Any) -> bool:
        LAST_TIMING.clear()
        started = time.perf_counter()
        try:
            self._prepared = prepare(context, options_of(self), self.layers)
            LAST_TIMING["read_s"] = time.perf_counter() - started
            client = locate.client(context)
        except (plan.UserError, engine.EngineError) as error:
            self.report({"ERROR"}, str(error))
            return False
        self._job = EngineJob(client, plan.engine_calls(self._prepared.requests)).start()
        return True

    def execute(self, context: Any) -> set[str]:
        if not self._start(context):
            return {"CANCELLED"}
        self._job.wait()
        return self.finish(context)

    def invoke(self, context: Any, event: Any) -> set[str]:
        if bpy.app.background:
            return self.execute(context)
        if not self._start(context):
            return {"CANCELLED"}
        return self.go_modal(context)

    def finish(self, context: Any) -> set[str]:
        state = self._job.state()
        if state.cancelled:
            self.report({"WARNING"}, "Generation cancelled; nothing was changed")
            return {"CANCELLED"}
        if state.error is not None:
            self.report({"ERROR"}, state.error_line)
            return {"CANCELLED"}
        LAST_TIMING["engine_s"] = state.engine_s
        started = time.perf_counter()
        try:
            written, skipped, to_check = apply(self._prepared, state.responses)
        except (plan.UserError, RuntimeError) as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        LAST_TIMING["write_s"] = time.perf_counter() - started
        message = (f"{written} inbetweens written as breakdowns (engine {state.engine_s:.1f} s, "
                   f"writing {LAST_TIMING['write_s']:.1f} s)")
        if skipped:
            message += f"; frames drawn meanwhile left as they are: {', '.join(skipped)}"
        if self._prepared.notes:
            message += "; " + "; ".join(self._prepared.notes)
        if to_check:  # the engine's self-check doubted these frames: the artist looks at them first
            message += f"; {to_check}"
        self.report({"WARNING"} if to_check else {"INFO"}, message)
        if context.area is not None:
            context.area.tag_redraw()
        return {"FINISHED"} if written else {"CANCELLED"}


CLASSES = (NAKAWARI_OT_generate_inbetweens,)
