"""Krita adapter: reading an animated layer's keys and frames, and writing drawings back onto keyframes.

Everything that touches Krita's document API lives here; it runs on the GUI thread only.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from krita import Krita

from .host_kit import UserError
from .paint_plan import choose_colour_layer
from .plan import find_keys
from .qt import ARGB32, QtCore, QtGui, image_bytes, image_from_bytes

SUPPORTED = ("RGBA", "U8")
# Polling Krita's event loop for a state to settle; patience in wall-clock time, generous because a busy
# machine (Krita 6 on two loaded cores) took over 5 s to add one keyframe.
WAIT_MS, PATIENCE_S = 5, 30.0
RETRIGGER_S = 8.0


@dataclass(frozen=True)
class Rect:
    """A region in image pixels (Krita's pixel calls take x, y, width, height)."""

    x: int
    y: int
    width: int
    height: int


class LayerSource:
    """The active paint layer of the active document."""

    def __init__(self, document, node) -> None:
        self.document, self.node = document, node

    @classmethod
    def active(cls, *, animated: bool) -> LayerSource:
        document = Krita.instance().activeDocument()
        if document is None:
            raise UserError("Open a document first.")
        node = document.activeNode()
        if node is None or node.type() != "paintlayer":
            kind = node.type() if node is not None else "nothing"
            raise UserError(f"Select a paint layer first (the active layer is {kind}).")
        return cls.checked(document, node, animated=animated)

    @classmethod
    def checked(cls, document, node, *, animated: bool) -> LayerSource:
        """A paint layer nakawari can read: animated when asked, 8-bit RGBA."""
        if animated and not node.animated():
            raise UserError(f"The layer '{node.name()}' is not animated. Draw your keys on keyframes of an "
                            "animated paint layer (Animation Timeline ▸ Create Blank Frame).")
        for what, model, depth in (("layer", node.colorModel(), node.colorDepth()),
                                   ("document", document.colorModel(), document.colorDepth())):
            if (model, depth) != SUPPORTED:
                raise UserError(f"nakawari works on 8-bit RGBA; this {what} is {model}/{depth}. Convert it "
                                "first (Image ▸ Convert Image Color Space… ▸ RGB/Alpha, 8-bit integer).")
        return cls(document, node)

    def check_still_open(self) -> None:
        """The artist may close the document or delete the layer while the engine works."""
        if self.document not in Krita.instance().documents() \
                or not _holds(self.document.rootNode(), self.node.uniqueId()):
            raise UserError("The document or layer was closed while nakawari worked; nothing was added.")

    @property
    def name(self) -> str:
        return self.node.name()

    def clip_range(self) -> tuple[int, int]:
        return self.document.fullClipRangeStartTime(), self.document.fullClipRangeEndTime()

    def key_times(self) -> list[int]:
        start, end = self.clip_range()
        return find_keys(self.node.hasKeyframeAtTime, start, end)

    def empty_keys(self, times: list[int]) -> set[int]:
        """The keys among `times` with nothing drawn on the canvas (an artist's blank key)."""
        width, height = self.document.width(), self.document.height()
        return {t for t in times if not bytes(self.node.pixelDataAtTime(0, 0, width, height, t))[3::4].strip(b"\0")}

    def region_now(self) -> Rect:
        """The canvas, grown to the layer's bounds at the current frame."""
        return _rect(_grown(QtCore.QRect(0, 0, self.document.width(), self.document.height()), self.node.bounds()))

    def measure_region(self, times: list[int], done: Callable[[Rect], None],
                       failed: Callable[[Exception], None]) -> None:
        """The canvas grown to the layer's bounds on every key (drawing past the canvas edge is kept). Krita
        reports bounds for the current frame only, and the current time settles in the event loop."""
        before = self.document.currentTime()
        union = QtCore.QRect(0, 0, self.document.width(), self.document.height())
        pending = list(times)

        def step() -> None:
            nonlocal union
            if not pending:
                self.document.setCurrentTime(before)
                done(_rect(union))
                return
            time = pending.pop(0)
            self.document.setCurrentTime(time)

            def measure() -> None:
                nonlocal union
                union = _grown(union, self.node.bounds())
                step()

            wait_then(lambda: self.document.currentTime() == time, measure, f"frame {time}", failed)

        step()

    def export_key(self, time: int, rect: Rect, path: Path) -> str:
        data = self.node.pixelDataAtTime(rect.x, rect.y, rect.width, rect.height, time)
        return _save(data, rect, path)

    def export_current(self, rect: Rect, path: Path) -> str:
        data = self.node.pixelData(rect.x, rect.y, rect.width, rect.height)
        return _save(data, rect, path)

    def layer_names(self) -> set[str]:
        parent = self.node.parentNode()
        return {child.name() for child in parent.childNodes()} if parent is not None else set()

    def neighbours(self) -> tuple[str | None, str | None]:
        """The names of the layers right above and right below this one (childNodes run bottom to top)."""
        parent = self.node.parentNode()
        siblings = parent.childNodes() if parent is not None else []
        ids = [child.uniqueId() for child in siblings]
        index = ids.index(self.node.uniqueId()) if self.node.uniqueId() in ids else -1
        if index < 0:
            return None, None
        above = siblings[index + 1].name() if index + 1 < len(siblings) else None
        below = siblings[index - 1].name() if index > 0 else None
        return above, below

    def colour_layer(self, chosen: str) -> LayerSource:
        """The layer holding the painted keys for this line layer (paint_plan.choose_colour_layer)."""
        layers = paint_layers(self.document)
        above, below = self.neighbours()
        name = choose_colour_layer(self.name, above, below, chosen, [node.name() for node in layers])
        node = next(node for node in layers if node.name() == name)
        return LayerSource.checked(self.document, node, animated=True)

    def export_painted(self, time: int, line: LayerSource, line_time: int, rect: Rect, path: Path) -> str:
        """A painted key as the artist sees it: this layer's key with the line drawing over it."""
        colour = image_from_bytes(bytes(self.node.pixelDataAtTime(rect.x, rect.y, rect.width, rect.height, time)),
                                  rect.width, rect.height)
        lines = image_from_bytes(bytes(line.node.pixelDataAtTime(rect.x, rect.y, rect.width, rect.height,
                                                                 line_time)), rect.width, rect.height)
        painted = colour.convertToFormat(QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        painter = QtGui.QPainter(painted)
        painter.setCompositionMode(QtGui.QPainter.CompositionMode.CompositionMode_SourceOver)
        painter.drawImage(0, 0, lines)
        painter.end()
        return _save(image_bytes(painted.convertToFormat(ARGB32)), rect, path)

    def add_layer_above(self, name: str):
        """A new empty paint layer right above the source (one step to remove: delete the layer)."""
        layer = self.document.createNode(name, "paintlayer")
        self.node.parentNode().addChildNode(layer, self.node)
        return layer


def paint_layers(document) -> list:
    """Every paint layer of the document, groups included, top of the stack first (as the Layers docker)."""
    found = []

    def walk(parent) -> None:
        for child in reversed(parent.childNodes()):
            if child.type() == "paintlayer":
                found.append(child)
            walk(child)

    walk(document.rootNode())
    return found


def _grown(rect, bounds):
    return rect if bounds.isEmpty() else rect.united(bounds)


def _rect(rect) -> Rect:
    return Rect(rect.x(), rect.y(), rect.width(), rect.height())


def wait_then(ready: Callable[[], bool], then: Callable[[], None], what: str, failed: Callable[[Exception], None],
              retry: Callable[[], None] | None = None, waited: float = 0.0, since: float | None = None) -> None:
    """Run `then` once `ready()` holds, checking every few milliseconds from the event loop; `failed(error)` if
    Krita does not get there within PATIENCE_S or a step raises. `waited` counts ticks (the retry cadence),
    `since` the wall clock."""
    since = time.monotonic() if since is None else since
    try:
        if ready():
            then()
            return
        if time.monotonic() - since > PATIENCE_S:
            raise RuntimeError(f"Krita did not respond in time (waiting for {what})")
        if retry is not None and waited > 0 and int(waited * 1000) % 500 < WAIT_MS:
            retry()
    except Exception as error:  # noqa: BLE001 - the caller cleans up and reports
        failed(error)
        return
    QtCore.QTimer.singleShot(WAIT_MS, lambda: wait_then(ready, then, what, failed, retry, waited + WAIT_MS / 1000,
                                                        since))


def _holds(parent, unique_id) -> bool:
    """Whether the layer tree under `parent` has the node (Krita 5.1 has no nodeByUniqueId)."""
    return any(child.uniqueId() == unique_id or _holds(child, unique_id) for child in parent.childNodes())


def _save(data, rect: Rect, path: Path) -> str:
    expected = rect.width * rect.height * 4
    if len(data) != expected:
        raise RuntimeError(f"Krita returned {len(data)} bytes for a {rect.width}×{rect.height} RGBA/U8 region")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image_from_bytes(bytes(data), rect.width, rect.height).save(str(path), "PNG"):
        raise RuntimeError(f"could not write {path}")
    return str(path)


def load_pixels(path: Path, rect: Rect) -> bytes:
    """An engine result as Krita's RGBA/U8 bytes, checked against the region it goes back to."""
    image = QtGui.QImage(str(path))
    if image.isNull():
        raise RuntimeError(f"the engine's result {path} could not be read")
    if (image.width(), image.height()) != (rect.width, rect.height):
        raise RuntimeError(f"the engine's result {path} is {image.width()}×{image.height()}, "
                           f"expected {rect.width}×{rect.height}")
    return image_bytes(image.convertToFormat(ARGB32))


def outside_mask(frame: Path, mask: Path, rect: Rect) -> bytes:
    """The frame's pixels where the engine's cel mask is 0 (the background), transparent where it is 255."""
    image = QtGui.QImage(str(frame)).convertToFormat(QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    keep = QtGui.QImage(str(mask)).convertToFormat(QtGui.QImage.Format.Format_Grayscale8)
    if keep.isNull() or (keep.width(), keep.height()) != (rect.width, rect.height):
        raise RuntimeError(f"the engine's cel mask {mask} is missing or of the wrong size")
    keep.invertPixels()
    alpha = QtGui.QImage(rect.width, rect.height, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    alpha.fill(QtCore.Qt.GlobalColor.black)
    alpha.setAlphaChannel(keep)
    painter = QtGui.QPainter(image)
    painter.setCompositionMode(QtGui.QPainter.CompositionMode.CompositionMode_DestinationIn)
    painter.drawImage(0, 0, alpha)
    painter.end()
    return image_bytes(image.convertToFormat(ARGB32))


def paste_layer(source: LayerSource, name: str, pixels: bytes, rect: Rect):
    """A still (not animated) layer above the source holding `pixels`."""
    layer = source.add_layer_above(name)
    layer.setPixelData(pixels, rect.x, rect.y, rect.width, rect.height)
    source.document.refreshProjection()
    return layer


class FrameWriter:
    """Puts drawings onto new keyframes of a layer, never touching an existing key.

    Krita 5.1 adds keyframes only through actions, on the active layer at the current time, and both the
    active layer and the current time settle in the event loop, as does the new keyframe itself. So each step
    waits there (QTimer) until Krita shows the state it needs, checking it before going on. (On a layer with
    no keys yet, Krita's first keyframe also turns the layer's content into a key at frame 0: a new layer gets a
    blank key there.)
    """

    def __init__(self, document, layer, frames: list[tuple[int, bytes]], rect: Rect,
                 on_done: Callable[[Exception | None], None]) -> None:
        self.document, self.layer, self.frames, self.rect, self.on_done = document, layer, frames, rect, on_done
        self.added: list[int] = []
        self._error: Exception | None = None
        self._time_before = document.currentTime()
        self._add_key = Krita.instance().action("add_blank_frame")
        self._triggered_at = 0.0

    def start(self) -> None:
        self.document.setActiveNode(self.layer)
        self._when(self._layer_is_active, self._next_frame, f"the layer '{self.layer.name()}' to become active",
                   retry=lambda: self.document.setActiveNode(self.layer))

    def _layer_is_active(self) -> bool:
        active = self.document.activeNode()
        return active is not None and active.uniqueId() == self.layer.uniqueId()

    def _when(self, ready: Callable[[], bool], then: Callable[[], None], what: str,
              retry: Callable[[], None] | None = None, failed: Callable[[Exception], None] | None = None) -> None:
        wait_then(ready, then, what, failed or self._fail, retry)

    def _next_frame(self) -> None:
        if len(self.added) == len(self.frames):
            self.document.setCurrentTime(self._time_before)
            self.document.refreshProjection()
            self.on_done(None)
            return
        time, _pixels = self.frames[len(self.added)]
        if self.layer.hasKeyframeAtTime(time):
            raise RuntimeError(f"frame {time} of '{self.layer.name()}' already holds a key; it was left alone")
        self.document.setCurrentTime(time)
        self._when(lambda: self._ready_to_add(time), lambda: self._add(time), f"frame {time}")

    def _ready_to_add(self, frame: int) -> bool:
        """The action adds a key to the active view's layer at its time, and a disabled action ignores a
        trigger: Krita re-enables its actions in the event loop after the active layer changes."""
        shown = Krita.instance().activeDocument()
        return (shown is not None and shown.rootNode().uniqueId() == self.document.rootNode().uniqueId()
                and self.document.currentTime() == frame and self._layer_is_active() and self._add_key.isEnabled())

    def _trigger(self) -> None:
        self._add_key.trigger()
        self._triggered_at = time.monotonic()

    def _add(self, frame: int) -> None:
        self._trigger()
        self._when(lambda: self.layer.hasKeyframeAtTime(frame), lambda: self._fill(frame),
                   f"the new keyframe at frame {frame}", retry=lambda: self._add_again(frame))

    def _add_again(self, frame: int) -> None:
        """A trigger Krita dropped is sent again, only long after the first (a busy Krita can take seconds to
        add a key, and a second trigger would add a second undo step), while the key is still missing and the
        state is as it must be."""
        if time.monotonic() - self._triggered_at > RETRIGGER_S and not self.layer.hasKeyframeAtTime(frame) \
                and self._ready_to_add(frame):
            self._trigger()

    def _fill(self, time: int) -> None:
        self.added.append(time)
        pixels = self.frames[len(self.added) - 1][1]
        rect = self.rect
        self.layer.setPixelData(pixels, rect.x, rect.y, rect.width, rect.height)
        if bytes(self.layer.pixelDataAtTime(rect.x, rect.y, rect.width, rect.height, time)) != pixels:
            raise RuntimeError(f"the drawing for frame {time} did not land on its keyframe")
        self._next_frame()

    def _fail(self, error: Exception) -> None:
        """Undo the keys this writer added, one by one (Krita 5.1's Python API cannot remove a keyframe; adding
        one is an undo step, and each undo also settles in the event loop)."""
        self._error = error
        self._take_back()

    def _take_back(self) -> None:
        if not self.added:
            self.document.setCurrentTime(self._time_before)
            self.on_done(self._error)
            return
        time = self.added.pop()
        self.document.setCurrentTime(time)

        def remove() -> None:
            Krita.instance().action("edit_undo").trigger()
            self._when(lambda: not self.layer.hasKeyframeAtTime(time), self._take_back,
                       f"undoing the keyframe at {time}", failed=self._gave_up)

        self._when(lambda: self.document.currentTime() == time, remove, f"frame {time}", failed=self._gave_up)

    def _gave_up(self, error: Exception) -> None:
        self.on_done(RuntimeError(f"{self._error}; taking back the added keys also failed ({error}), "
                                  f"keys left at frames {self.added}"))
