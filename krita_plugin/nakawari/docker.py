"""The nakawari docker: settings, the buttons, progress and Cancel. A view of the Controller."""
from __future__ import annotations

from krita import DockWidget, Krita

from .document import paint_layers
from .paint_plan import AUTO, PAINT_TARGETS
from .plan import EASES, FILLS, MODES, TARGETS
from .qt import QtWidgets

DOCKER_ID = "nakawari_docker"
TITLE = "nakawari"


def _combo(choices: dict[str, str], current: str) -> QtWidgets.QComboBox:
    combo = QtWidgets.QComboBox()
    for key, label in choices.items():
        combo.addItem(label, key)
    combo.setCurrentIndex(max(0, list(choices).index(current) if current in choices else 0))
    return combo


def _button(text: str, name: str, pressed) -> QtWidgets.QPushButton:
    button = QtWidgets.QPushButton(text)
    button.setObjectName(name)
    button.clicked.connect(pressed)
    return button


class _LayerCombo(QtWidgets.QComboBox):
    """The colour-layer list, filled from the active document each time it opens (layers come and go)."""

    def __init__(self, before_popup) -> None:
        super().__init__()
        self._before_popup = before_popup

    def showPopup(self) -> None:  # noqa: N802 - Qt's name
        self._before_popup()
        super().showPopup()


class NakawariDocker(DockWidget):
    def __init__(self) -> None:
        super().__init__()
        self.controller = controller_instance = controller_for_docker()  # the one Controller
        settings = controller_instance.settings
        self.setWindowTitle(TITLE)
        self.setObjectName(DOCKER_ID)
        body = QtWidgets.QWidget()
        body.setObjectName("nakawari_docker_body")
        layout = QtWidgets.QVBoxLayout(body)

        engine_box = QtWidgets.QGroupBox("Engine")
        engine_form = QtWidgets.QFormLayout(engine_box)
        self.engine_path = QtWidgets.QLineEdit(settings.engine)
        self.engine_path.setObjectName("nakawari_engine_path")
        self.engine_path.setPlaceholderText("nakawari on PATH or $NAKAWARI_ENGINE")
        self.engine_path.setToolTip("Path of the `nakawari` program (or the virtual environment holding it)")
        browse = QtWidgets.QPushButton("…")
        browse.setMaximumWidth(28)
        browse.clicked.connect(self._browse)
        path_row = QtWidgets.QHBoxLayout()
        path_row.addWidget(self.engine_path)
        path_row.addWidget(browse)
        engine_form.addRow("Program", path_row)
        self.engine_status = QtWidgets.QLabel()
        self.engine_status.setObjectName("nakawari_engine_status")
        self.engine_status.setWordWrap(True)
        engine_form.addRow(self.engine_status)
        # Install engine: the plugin's own engine in Krita's resource folder (engine_install.py).
        self.install_state = QtWidgets.QLabel()
        self.install_state.setObjectName("nakawari_install_state")
        self.install_state.setWordWrap(True)
        engine_form.addRow(self.install_state)
        self.python_path = QtWidgets.QLineEdit(settings.python)
        self.python_path.setObjectName("nakawari_python")
        self.python_path.setPlaceholderText("found automatically (3.11 or newer)")
        self.python_path.setToolTip("The Python that Install engine builds the engine's environment with")
        engine_form.addRow("Python", self.python_path)
        self.gpu = QtWidgets.QCheckBox("GPU (CUDA) build, +255 MB")
        self.gpu.setObjectName("nakawari_gpu")
        self.gpu.setChecked(settings.gpu)
        engine_form.addRow(self.gpu)
        install_row = QtWidgets.QHBoxLayout()
        self.install_button = _button("Install engine", "nakawari_install", self.controller.install_engine)
        self.remove_button = _button("Remove", "nakawari_remove", self._remove)
        self.log_button = _button("Open log", "nakawari_open_log", self.controller.open_install_log)
        for widget in (self.install_button, self.remove_button, self.log_button):
            install_row.addWidget(widget)
        engine_form.addRow(install_row)
        layout.addWidget(engine_box)

        generate_box = QtWidgets.QGroupBox("Inbetweens (active animated layer)")
        form = QtWidgets.QFormLayout(generate_box)
        self.fill = _combo(FILLS, settings.fill)
        self.count = QtWidgets.QSpinBox()
        self.count.setRange(1, 99)
        self.count.setValue(settings.count)
        self.count.setSuffix(" per gap")
        self.ease = _combo(EASES, settings.ease)
        self.mode = _combo(MODES, settings.mode)
        self.target = _combo(TARGETS, settings.target)
        form.addRow("Fill", self.fill)
        form.addRow("Count", self.count)
        form.addRow("Spacing", self.ease)
        form.addRow("Mode", self.mode)
        form.addRow("Write to", self.target)
        self.generate_button = _button("Generate inbetweens", "nakawari_generate", self.controller.generate_inbetweens)
        form.addRow(self.generate_button)
        layout.addWidget(generate_box)

        paint_box = QtWidgets.QGroupBox("Paint (active line layer)")
        paint_form = QtWidgets.QFormLayout(paint_box)
        self.colour_layer = _LayerCombo(self._list_colour_layers)
        self.colour_layer.setObjectName("nakawari_colour_layer")
        self.colour_layer.setToolTip("The layer holding the painted keys (fills under the lines)")
        self._list_colour_layers()
        self.paint_gap = QtWidgets.QDoubleSpinBox()
        self.paint_gap.setRange(0.0, 64.0)
        self.paint_gap.setSingleStep(1.0)
        self.paint_gap.setValue(settings.paint_gap)
        self.paint_gap.setSuffix(" px")
        self.paint_gap.setToolTip("Gaps in the lines up to this width still close an area")
        self.paint_target = _combo(PAINT_TARGETS, settings.paint_target)
        paint_form.addRow("Colour layer", self.colour_layer)
        paint_form.addRow("Close gaps", self.paint_gap)
        paint_form.addRow("Write to", self.paint_target)
        self.paint_button = _button("Paint from keys", "nakawari_paint", self.controller.paint_from_keys)
        paint_form.addRow(self.paint_button)
        layout.addWidget(paint_box)

        frame_box = QtWidgets.QGroupBox("Current frame")
        frame_form = QtWidgets.QFormLayout(frame_box)
        self.line_width = QtWidgets.QDoubleSpinBox()
        self.line_width.setRange(0.5, 50.0)
        self.line_width.setSingleStep(0.5)
        self.line_width.setValue(settings.line_width)
        self.line_width.setSuffix(" px")
        frame_form.addRow("Douga line width", self.line_width)
        buttons = QtWidgets.QHBoxLayout()
        self.cels_button = _button("Separate cels", "nakawari_separate_cels", self.controller.separate_cels)
        self.douga_button = _button("Extract douga", "nakawari_extract_douga", self.controller.extract_douga)
        buttons.addWidget(self.cels_button)
        buttons.addWidget(self.douga_button)
        frame_form.addRow(buttons)
        layout.addWidget(frame_box)

        progress_row = QtWidgets.QHBoxLayout()
        self.progress = QtWidgets.QProgressBar()
        self.progress.setObjectName("nakawari_progress")
        self.cancel_button = _button("Cancel", "nakawari_cancel", self.controller.cancel)
        progress_row.addWidget(self.progress)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)
        self.status = QtWidgets.QLabel()
        self.status.setObjectName("nakawari_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.setWidget(body)

        for combo in (self.fill, self.ease, self.mode, self.target, self.colour_layer, self.paint_target):
            combo.currentIndexChanged.connect(self._store)
        self.count.valueChanged.connect(self._store)
        self.paint_gap.valueChanged.connect(self._store)
        self.line_width.valueChanged.connect(self._store)
        self.engine_path.editingFinished.connect(self._store)
        self.python_path.editingFinished.connect(self._store)
        self.gpu.toggled.connect(self._store)
        self.controller.changed.connect(self.refresh)
        self.refresh()
        if self.controller.engine_info is None:
            self.controller.probe_engine()

    def _list_colour_layers(self) -> None:
        """Automatic, then the active document's paint layers; the stored choice stays listed while absent."""
        document = Krita.instance().activeDocument()
        names = list(dict.fromkeys(node.name() for node in paint_layers(document))) if document else []
        chosen = self.controller.settings.colour_layer
        if chosen and chosen not in names:
            names.append(chosen)
        wanted = [AUTO, *names]
        if [self.colour_layer.itemData(i) for i in range(self.colour_layer.count())] == wanted:
            return
        blocked = self.colour_layer.blockSignals(True)  # refilling is not the artist choosing
        self.colour_layer.clear()
        self.colour_layer.addItem("automatic (a layer named colour or paint next to it)", AUTO)
        for name in names:
            self.colour_layer.addItem(name, name)
        self.colour_layer.setCurrentIndex(max(0, self.colour_layer.findData(chosen)))
        self.colour_layer.blockSignals(blocked)

    def _remove(self) -> None:
        answer = QtWidgets.QMessageBox.question(self, "nakawari", "Remove the installed nakawari engine?")
        if answer == QtWidgets.QMessageBox.StandardButton.Yes:
            self.controller.remove_installed_engine()

    def _browse(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "The nakawari program", self.engine_path.text())
        if path:
            self.engine_path.setText(path)
            self._store()

    def _store(self, *_args) -> None:
        settings = self.controller.settings
        settings.fill, settings.ease = self.fill.currentData(), self.ease.currentData()
        settings.mode, settings.target = self.mode.currentData(), self.target.currentData()
        settings.count, settings.line_width = self.count.value(), self.line_width.value()
        settings.colour_layer = self.colour_layer.currentData() or AUTO
        settings.paint_gap, settings.paint_target = self.paint_gap.value(), self.paint_target.currentData()
        settings.engine = self.engine_path.text().strip()
        settings.python, settings.gpu = self.python_path.text().strip(), self.gpu.isChecked()
        self.controller.save_settings()
        self.refresh()

    def refresh(self) -> None:
        controller = self.controller
        busy = controller.busy
        self.count.setEnabled(self.fill.currentData() == "count")
        self.generate_button.setEnabled(not busy)
        self.cels_button.setEnabled(not busy and controller.has("cels"))
        self.douga_button.setEnabled(not busy and controller.has("douga"))
        self.paint_button.setEnabled(not busy and controller.has("paint"))
        for button, capability in ((self.cels_button, "cels"), (self.douga_button, "douga"),
                                   (self.paint_button, "paint")):
            button.setToolTip("" if controller.has(capability) else "not available in this engine")
        self.cancel_button.setEnabled(busy)
        done, total = controller.progress
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)) if busy else 0)
        self.progress.setTextVisible(busy)
        self.status.setText(controller.status)
        self.engine_status.setText(controller.engine_label())
        offer = controller.install_offer()
        installing = controller.installing
        self.install_state.setText("Installing the engine…" if installing else f"Installed engine: {offer.state}. "
                                   f"{offer.message}")
        self.install_button.setText(offer.button or "Install engine")
        self.install_button.setEnabled(not busy and bool(offer.button))
        self.remove_button.setEnabled(not busy and offer.state != "not installed")
        self.log_button.setEnabled(bool(controller.install_log))
        for widget in (self.python_path, self.gpu):
            widget.setEnabled(not installing)

    def canvasChanged(self, canvas) -> None:  # required by DockWidget; another document: its layers
        self._list_colour_layers()


def controller_for_docker():
    from .extension import controller
    return controller()
