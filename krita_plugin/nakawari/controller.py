"""The plugin's one controller: settings, the engine, the running job, progress and errors.

The docker and the Tools ▸ Scripts actions both drive it. Engine calls run on a Python thread (the host kit's
EngineJob, shared with the Blender add-on); a QTimer on the GUI thread polls them and applies results to the
document there, as Krita requires.
"""
from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from krita import Krita

from .client import EngineClient, frames_to_check
from .document import FrameWriter, LayerSource, load_pixels, outside_mask, paste_layer
from .engine_install import Install, InstallSettings, remove_engine
from .engine_job import EngineCall, EngineJob
from .engine_setup import ROOT_NAME, carried_wheel, choose_engine, install_offer, not_nakawari, version_problem
from .host_kit import CELS, DOUGA, INBETWEEN, PAINT, FramesParams, Manifest, PaintManifest, UserError, log_folder
from .paint_plan import PaintPlan, empty_note, fill_files, paint_request, plan_paint, unmatched_note
from .plan import describe, inbetween_request, placed_entries, placements, plan_generation, unique_name
from .qt import QtCore, QtWidgets, Signal, open_path
from .settings import Settings

POLL_MS = 50
# What each job does, for the host kit's "this engine cannot …; update it".
PURPOSES = {INBETWEEN: "generate inbetweens", PAINT: "paint from keys", CELS: "separate cels",
            DOUGA: "extract douga"}

log = logging.getLogger("nakawari.krita")


def _log_file(folder: Path) -> Path:
    if not log.handlers:
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(folder / "krita-plugin.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    return folder / "krita-plugin.log"


class Controller(QtCore.QObject):
    changed = Signal()  # progress, status or engine info changed: views refresh

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.log_dir = log_folder()  # $NAKAWARI_LOG_DIR, else nakawari-logs in the temporary folder
        self.log_path = _log_file(self.log_dir)
        self.settings = Settings.load(Krita.instance().readSetting)
        self.client: EngineClient | None = None
        self.engine_info: dict[str, Any] | None = None
        self.engine_problem = ""
        self.status = "Ready."
        self.progress = (0, 0)
        self.last_error = ""
        self.last_paint_note = ""  # the last paint's notes: areas left unpainted, empty keys left alone
        self.last_timing: dict[str, float] = {}
        self._task: EngineJob | None = None
        self._probe: EngineJob | None = None
        self._on_result: Callable[[Any], None] | None = None
        self._workdir: Path | None = None
        self._pressed_at = 0.0
        self._applying = False
        self._writing = False
        self._cancel_early = False
        # The engine Install engine makes lives in Krita's resource folder, beside the plugin's own files.
        self.engine_root = Path(Krita.instance().getAppDataLocation()) / ROOT_NAME
        self.wheel = carried_wheel()
        self.engine_origin = ""
        self._engine_path_used: str | None = None  # the path setting the current engine was chosen with
        self._install: Install | None = None
        self.install_log = ""
        self.last_install: dict[str, Any] = {}
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    # --- settings and engine ------------------------------------------------------------------
    def save_settings(self) -> None:
        self.settings.save(Krita.instance().writeSetting)
        # A new engine path (or a cleared one) is tried at once; other settings leave the engine running.
        if self.settings.engine != self._engine_path_used and not self.busy:
            self._forget_engine()
            self.probe_engine()

    def _client(self) -> EngineClient:
        if self.client is None:
            choice = choose_engine(self.settings.engine, self.engine_root)
            self._engine_path_used = self.settings.engine
            self.engine_origin = choice.origin
            self.client = EngineClient(choice.engine, log_dir=self.log_dir)
        return self.client

    def _forget_engine(self) -> None:
        if self.client is not None:
            self.client.close()
        self.client, self.engine_info = None, None

    # --- Install engine -----------------------------------------------------------------------------
    @property
    def installing(self) -> bool:
        return self._install is not None

    def install_offer(self):
        return install_offer(self.engine_root, self.wheel)

    def install_engine(self) -> None:
        """Install, update or repair the plugin's own engine (aside; swapped in only when it works)."""
        if self.busy:
            self.report("nakawari is already working; wait for it or press Cancel.")
            return
        if self.wheel is None:
            self.report(self.install_offer().message)
            return
        self.engine_root.mkdir(parents=True, exist_ok=True)
        settings = InstallSettings(root=self.engine_root, wheel=self.wheel, python=self.settings.python,
                                   gpu=self.settings.gpu)
        self._install = Install(settings).start()
        self.install_log = str(self._install.log_path)
        log.info("installing the engine %s into %s (gpu: %s)", self._install.version, self.engine_root,
                 settings.gpu)
        self.progress = (0, 100)
        self._set_status("Installing the engine…")
        self._timer.start()

    def remove_installed_engine(self) -> None:
        if self.busy:
            self.report("nakawari is already working; wait for it or press Cancel.")
            return
        if self.engine_origin == "installed":
            self._forget_engine()  # it may be running from the folder about to go
        remove_engine(self.engine_root)
        self._set_status("The installed engine was removed.")
        self.probe_engine()

    def open_install_log(self) -> None:
        if self.install_log:
            open_path(self.install_log)

    def _poll_install(self) -> None:
        if self._install is None:
            return
        state = self._install.state()
        self.progress = (state.done, state.total)
        self.status = state.message or self.status
        if not state.finished:
            self.changed.emit()
            return
        self._install = None
        self.last_install = {"ok": state.ok, "cancelled": state.cancelled, "error": state.error,
                             "seconds": state.seconds, "log": state.log}
        if state.ok:
            log.info("engine installed in %.1f s", state.seconds)
            self._forget_engine()
            self._set_status(f"{state.message} ({state.seconds:.0f} s)")
            self.probe_engine()
        elif state.cancelled:
            self._set_status(state.message)
        else:
            self.report(state.error, log_path=state.log)

    def probe_engine(self) -> None:
        """Start the engine in the background and learn what it can do (buttons enable on the answer)."""
        if self._probe is not None and not self._probe.state().finished:
            return
        self.engine_problem = "Starting the engine…"
        self._probe = EngineJob(self._client()).start()  # no calls: `initialize` and its protocol check only
        self._timer.start()
        self.changed.emit()

    def has(self, capability: str) -> bool:
        return self.engine_info is not None and capability in self.engine_info.get("capabilities", [])

    def shutdown(self) -> None:
        if self.client is not None:
            self.client.cancel()
            self.client.close()

    @property
    def busy(self) -> bool:
        """An engine call or an install runs, or a result is still being added to the document."""
        return self._task is not None or self._applying or self._install is not None

    # --- actions ------------------------------------------------------------------------------------
    def generate_inbetweens(self) -> None:
        self._pressed_at = time.perf_counter()
        self._guarded(self._generate)

    def separate_cels(self) -> None:
        self._pressed_at = time.perf_counter()
        self._guarded(lambda: self._current_frame_job(CELS))

    def extract_douga(self) -> None:
        self._pressed_at = time.perf_counter()
        self._guarded(lambda: self._current_frame_job(DOUGA))

    def paint_from_keys(self) -> None:
        self._pressed_at = time.perf_counter()
        self._guarded(self._paint)

    def cancel(self) -> None:
        if self._install is not None:
            self._install.cancel()
            self._set_status("Cancelling the install…")
        elif self._task is not None:
            self._task.cancel()
            self._set_status("Cancelling…")
        elif self._applying and not self._writing:  # still reading the keys: stop before the engine starts
            self._cancel_early = True

    def _guarded(self, work: Callable[[], None]) -> None:
        """Every action: an artist-readable message box instead of Krita's exception dialog."""
        if self.busy:
            self.report("nakawari is already working; wait for it or press Cancel.")
            return
        self.progress, self._cancel_early, self._writing = (0, 0), False, False
        self._attempt(work)

    def _attempt(self, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception as error:  # noqa: BLE001
            self._step_failed(error)

    def _step_failed(self, error: Exception) -> None:
        self._clean_workdir()
        if isinstance(error, UserError):
            self.report(str(error))
        else:
            details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            log.error("%s", details)
            self.report(f"Unexpected error: {error}", details=details)

    def _new_workdir(self) -> Path:
        self._clean_workdir()
        self._workdir = Path(tempfile.mkdtemp(prefix="nakawari-krita-"))
        return self._workdir

    def _clean_workdir(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    # --- generate inbetweens --------------------------------------------------------------------
    def _generate(self) -> None:
        settings = dataclasses.replace(self.settings)  # as pressed: the docker may change while the engine works
        source = LayerSource.active(animated=True)
        plan = plan_generation(source.key_times(), settings.fill, settings.count)
        self._applying = True  # measuring the keys steps through frames in the event loop
        source.measure_region(list(plan.keys),
                              lambda rect: self._attempt(lambda: self._send_keys(source, plan, rect, settings)),
                              self._step_failed)

    def _send_keys(self, source: LayerSource, plan, rect, settings: Settings) -> None:
        if self._cancel_early:
            self._set_status("Cancelled; nothing was added to the document.")
            return
        new_layer = settings.target == "new_layer"
        folder = self._new_workdir()
        keys = [source.export_key(t, rect, folder / "keys" / f"key.{t:04d}.png") for t in plan.keys]
        params = inbetween_request(plan, keys, str(folder / "out"), settings.ease, settings.mode)
        log.info("generate on '%s': %s, region %s", source.name, describe(plan, source.document.framesPerSecond()),
                 rect)

        def apply(manifest: Manifest) -> None:
            source.check_still_open()
            frames = [(t, load_pixels(path, rect)) for t, path in placements(plan, manifest, folder / "out")]
            to_check = frames_to_check(placed_entries(plan, manifest))
            self._write_frames(source, f"{source.name} inbetweens", new_layer, frames, rect,
                               lambda error, layer: self._written(error, layer, new_layer, len(frames), to_check))

        self._run(INBETWEEN, params, f"Generating {describe(plan, source.document.framesPerSecond())}…", apply)

    def _write_frames(self, target: LayerSource, new_name: str, new_layer: bool, frames: list, rect,
                      done: Callable[[Exception | None, Any], None]) -> None:
        """Add ``frames`` to ``target``'s layer, or to a new animated layer above it named like ``new_name``;
        ``done(error, layer)`` when Krita has added them (keyframes come through asynchronous actions)."""
        if new_layer:
            layer = target.add_layer_above(unique_name(new_name, target.layer_names()))
            layer.enableAnimation()
        else:
            layer = target.node
        self._writing = True  # too late to cancel: Krita is adding the frames
        FrameWriter(target.document, layer, frames, rect, lambda error: done(error, layer)).start()

    def _written(self, error: Exception | None, layer, new_layer: bool, count: int, to_check: str = "") -> None:
        self._clean_workdir()
        if error is not None:
            if new_layer:
                layer.remove()
            log.error("writing frames failed: %s", error)
            self.report(f"The frames could not be added to the layer: {error}. The document is as before.")
            return
        # Frames whose self-check failed or doubted are named, so the artist knows which to look at first.
        self._finish(f"Added {count} inbetweens to '{layer.name()}'." + (f" Please {to_check}." if to_check else ""))

    # --- paint from keys ---------------------------------------------------------------------------
    def _paint(self) -> None:
        if self.engine_info is not None and not self.has(PAINT):  # unknown yet: the engine will say
            raise UserError(f"Painting is not available in this nakawari engine ({self._engine_label()}). "
                            "Update the engine.")
        settings = dataclasses.replace(self.settings)
        line = LayerSource.active(animated=True)
        colour = line.colour_layer(settings.colour_layer)
        colour_keys = colour.key_times()
        plan = plan_paint(line.key_times(), colour_keys, line.name, colour.name, colour.empty_keys(colour_keys))
        self._applying = True  # measuring the drawings steps through frames in the event loop
        line.measure_region(list(plan.lines),
                            lambda rect: self._attempt(lambda: self._send_paint(line, colour, plan, rect, settings)),
                            self._step_failed)

    def _send_paint(self, line: LayerSource, colour: LayerSource, plan: PaintPlan, rect, settings: Settings) -> None:
        if self._cancel_early:
            self._set_status("Cancelled; nothing was added to the document.")
            return
        new_layer = settings.paint_target == "new_layer"
        folder = self._new_workdir()
        lines = {t: line.export_key(t, rect, folder / "lines" / f"line.{t:04d}.png") for t in plan.lines}
        painted = {t: colour.export_painted(key, line, t, rect, folder / "painted" / f"painted.{t:04d}.png")
                   for t, key in plan.painted.items()}
        params = paint_request(plan, lines, painted, str(folder / "out"), settings.paint_gap)
        log.info("paint '%s' from %d key(s) on '%s': frames %s, region %s", line.name, len(plan.painted),
                 colour.name, list(plan.targets), rect)

        def apply(manifest: PaintManifest) -> None:
            line.check_still_open()
            colour.check_still_open()
            frames = [(t, load_pixels(path, rect)) for t, path in fill_files(plan, manifest, folder / "out")]
            note = " ".join(filter(None, (unmatched_note(plan, manifest), empty_note(plan, colour.name))))
            self._write_frames(colour, f"{colour.name} painted", new_layer, frames, rect,
                               lambda error, layer: self._painted(error, layer, new_layer, len(frames), note))

        self._run(PAINT, params, f"Painting {len(plan.targets)} frames of '{line.name}' from "
                                   f"{len(plan.painted)} painted key(s) on '{colour.name}'…", apply)

    def _painted(self, error: Exception | None, layer, new_layer: bool, count: int, note: str) -> None:
        self._clean_workdir()
        if error is not None:
            if new_layer:
                layer.remove()
            log.error("writing painted frames failed: %s", error)
            self.report(f"The painted frames could not be added to the layer: {error}. The document is as before.")
            return
        self.last_paint_note = note
        self._finish(f"Painted {count} frames on '{layer.name()}'." + (f" {note}" if note else ""))

    # --- current-frame jobs ------------------------------------------------------------------------
    def _current_frame_job(self, capability: str) -> None:
        if self.engine_info is not None and not self.has(capability):  # unknown yet: the engine will say
            what = "Separating cels" if capability == CELS else "Extracting douga"
            raise UserError(f"{what} is not available in this nakawari engine "
                            f"({self._engine_label()}). Update the engine.")
        source = LayerSource.active(animated=False)
        rect = source.region_now()
        folder = self._new_workdir()
        frame = source.export_current(rect, folder / "current.png")
        now = source.document.currentTime()
        out = folder / "out"
        if capability == CELS:
            params: FramesParams = {"frames": [frame], "out": str(out)}
        else:
            params = {"frames": [frame], "out": str(out), "line_width": float(self.settings.line_width)}

        def apply(manifest: dict[str, Any]) -> None:
            source.check_still_open()
            taken = source.layer_names()
            if capability == CELS:
                cel = load_pixels(out / "current.cel.png", rect)
                background = outside_mask(Path(frame), out / "current.mask.png", rect)
                paste_layer(source, unique_name(f"{source.name} background f{now}", taken), background, rect)
                paste_layer(source, unique_name(f"{source.name} cel f{now}", taken), cel, rect)
                self._finish(f"Separated frame {now} into a cel layer and a background layer.")
            else:
                douga = load_pixels(out / "current.douga.png", rect)
                paste_layer(source, unique_name(f"{source.name} douga f{now}", taken), douga, rect)
                self._finish(f"Extracted the douga of frame {now}.")
            self._clean_workdir()

        label = "Separating cels" if capability == CELS else "Extracting douga"
        self._run(capability, params, f"{label} of frame {now}…", apply)

    # --- running and polling ---------------------------------------------------------------------
    def _run(self, method: str, params: Mapping[str, Any], status: str, apply: Callable[[Any], None]) -> None:
        self._task = EngineJob(self._client(), [EngineCall(method, params, PURPOSES[method])]).start()
        self._on_result = apply
        self.progress = (0, 0)
        self._set_status(status)
        self._timer.start()

    def _poll(self) -> None:
        self._poll_probe()
        self._poll_install()
        if self._task is None:
            if (self._probe is None or self._probe.state().finished) and self._install is None:
                self._timer.stop()
            return
        state = self._task.state()
        if (state.done, state.total) != self.progress:
            self.progress = (state.done, state.total)
            self.changed.emit()
        if not state.finished:
            return
        task, apply = self._task, self._on_result
        self._task, self._on_result = None, None
        if state.cancelled:
            self._clean_workdir()
            self._set_status("Cancelled; nothing was added to the document.")
        elif state.error is not None:
            self._clean_workdir()
            log.error("%s failed: %s", task.calls[0].method, state.error)
            self.report(state.error, log_path=state.log)
        else:
            self.last_timing = {"engine_done_s": time.perf_counter() - self._pressed_at}
            self._applying = True
            try:
                assert apply is not None
                apply(state.responses[0])
            except UserError as error:
                self._clean_workdir()
                self.report(str(error))
            except Exception as error:  # noqa: BLE001
                self._clean_workdir()
                log.error("%s", traceback.format_exc())
                self.report(f"The result could not be added to the document: {error}",
                            details=traceback.format_exc())

    def _poll_probe(self) -> None:
        if self._probe is None:
            return
        state = self._probe.state()
        if state.finished:
            self._probe = None
            if state.error is not None:
                problem = state.error
                if self.engine_origin == "setting" and "was not found" not in problem:
                    problem = not_nakawari(self.settings.engine, problem)
                elif self.engine_origin == "path" and self.wheel is not None:  # nothing installed yet
                    problem = "No nakawari engine yet: press Install engine below, or set the path of one."
                self.engine_info, self.engine_problem = None, problem
                self._forget_engine()  # the next try starts afresh (after an install, a new path)
            else:
                self.engine_info = state.info
                self.engine_problem = version_problem(str((state.info or {}).get("version", "")), self.wheel)
            self.changed.emit()

    def _engine_label(self) -> str:
        if not self.engine_info:
            return "not connected"
        devices = ", ".join(self.engine_info.get("devices", []))
        return f"nakawari {self.engine_info.get('version', '?')} on {devices}"

    def engine_label(self) -> str:
        return self.engine_problem or self._engine_label()

    def _finish(self, status: str) -> None:
        self.last_timing["press_to_frames_s"] = time.perf_counter() - self._pressed_at
        log.info("%s (%.2f s from the button press)", status, self.last_timing["press_to_frames_s"])
        self._set_status(status)

    def _set_status(self, status: str) -> None:
        self.status = status
        self._applying = False  # every way out of applying a result (done, failed) sets the status
        self.changed.emit()

    def report(self, message: str, *, details: str | None = None, log_path: str | None = None) -> None:
        """The artist's message box (not blocking the UI); details go to the log."""
        log.warning("%s", message)
        self.last_error = message
        self._set_status(message.splitlines()[0])
        window = Krita.instance().activeWindow()
        box = QtWidgets.QMessageBox(window.qwindow() if window is not None else None)
        box.setObjectName("nakawari_message")
        box.setIcon(QtWidgets.QMessageBox.Icon.Warning)
        box.setWindowTitle("nakawari")
        box.setText(message)
        box.setInformativeText(f"Details are in {log_path or self.log_path}")
        if details:
            box.setDetailedText(details)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
