"""Which model the window uses: choosing it at start-up, loading it in the background,
the model box, the Model menu and the model manager dialog.

`ModelControl` owns the loaded `Classifier`. It loads through the window's one
`JobRunner` (errors go to the one notifier); a newer request supersedes an older
one ("newest run wins"), and the current model stays in use until the new one is
ready. It tells the window with `loaded(classifier)` and `missing()`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from ..core.session import Latest
from .widgets.model_manager import ModelManagerDialog
from .workers import Job, load_model

DEFAULT_ZOO_MODEL = "umt-base-p16-res224_kinetics710-pre-ft_u8_k400-rgb"
CHECKPOINT_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin")


def _installed() -> dict:
    from ..core.model.zoo import ModelStore

    return ModelStore().installed()


class ClassifierNotices(QObject):
    """The loaded classifier's one-line notes (a half-precision overflow computed again in
    float32, a decoder fallback), given on any worker thread, shown on the GUI thread in the
    banner and the status bar, once per note and model, as the command line prints them once."""

    _posted = Signal(str)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.seen: set[str] = set()
        self._posted.connect(self._show)  # queued when given on a worker thread

    def attach(self, classifier) -> None:
        self.seen = set()  # a new model: its notes are new
        classifier.on_notice = self.post

    def post(self, text: str) -> None:  # any thread
        try:
            self._posted.emit(str(text))
        except RuntimeError:  # the window is gone
            pass

    def _show(self, text: str) -> None:
        if text in self.seen or self.window.closing:
            return
        self.seen.add(text)
        self.window.notifier.info(f"Note: {text}")
        self.window.statusBar().showMessage(f"Note: {text}", 10_000)


class ModelControl(QObject):
    loaded = Signal(object)  # a Classifier, ready (also after a switch)
    missing = Signal()  # no model could be chosen, or the first load failed

    def __init__(self, window, source: str = "") -> None:
        super().__init__(window)
        self.window = window
        self.settings = window.settings
        self.notifier = window.notifier
        self.runner = window.runner
        self.classifier = None
        self.source = source  # name or checkpoint path asked for
        self.job: Job | None = None
        self._loads = Latest()
        self.manager: ModelManagerDialog | None = None
        self.notices = ClassifierNotices(window)

    # -- choosing ---------------------------------------------------------------
    def initial(self) -> str:
        """The model to load: asked for, else last used (if still there), else any installed one."""
        wanted = self.source
        installed = _installed()
        if wanted:
            if Path(wanted).suffix in CHECKPOINT_SUFFIXES or Path(wanted).is_file() or wanted in installed:
                return wanted
            if self.settings["model"] == wanted:
                self.notifier.warning(f"The last used model {wanted} is no longer installed")
            else:
                return wanted  # asked for explicitly: let loading report why it fails
        if installed:
            return DEFAULT_ZOO_MODEL if DEFAULT_ZOO_MODEL in installed else next(iter(installed))
        return ""

    # -- loading ----------------------------------------------------------------
    def load(self, source: str) -> Job:
        """Load a model (name or checkpoint path) in the background; the current one stays until it is ready."""
        if Path(source).is_file():
            source = str(Path(source).resolve())  # saved in the settings: must work from any folder
        w = self.window
        self.source = source
        self.refresh_box()
        w.load_progress.setRange(0, 0)
        w.load_progress.setVisible(True)
        w.status_model.setText(f"Loading {Path(source).stem if Path(source).suffix else source}…")
        w.statusBar().showMessage("Loading the model…")
        device, precision = w.device_selector.device(), w.device_selector.precision()
        job = Job(load_model, source, device, precision, name="model loading")
        self.job = job
        self._loads.begin(job)
        self.runner.start(job, on_result=lambda clf, job=job: self._loaded(job, clf),
                          on_progress=self._progress, on_error=lambda _msg: self._failed(),
                          on_finished=lambda job=job: self._done(job))
        return job

    def _progress(self, done: float, total: float, text: str) -> None:
        if total > 0:
            self.window.load_progress.setRange(0, int(total))
            self.window.load_progress.setValue(int(done))
        if text:
            self.window.statusBar().showMessage(text)

    def _loaded(self, job: Job, classifier) -> None:
        if not self._loads.is_current(job) or self.window.closing:
            return  # a newer request replaced this one
        w = self.window
        self.classifier = classifier
        self.notices.attach(classifier)
        self.settings["model"] = self.source
        self._show_status()
        w.status_model.setToolTip(f"{classifier.name}\n{classifier.model.config.name}")
        w.statusBar().showMessage(f"{classifier.name} ready", 4000)
        if self.manager is not None:
            self.manager.set_active(self.source)
        self.loaded.emit(classifier)

    def _failed(self) -> None:
        if self.classifier is None:
            self.missing.emit()

    def _done(self, job: Job) -> None:
        if self._loads.is_current(job):
            self._loads.end()
            self.job = None
            self.window.load_progress.setVisible(False)
            self.window.statusBar().clearMessage()
            self._show_status()

    def _show_status(self) -> None:
        clf = self.classifier
        self.window.status_model.setText(f"{clf.name} · {len(clf.labels)} classes" if clf else "No model")

    def set_device(self, device: str, precision: str) -> None:
        self.settings["device"] = device
        self.settings["precision"] = precision
        if self.source:
            self.load(self.source)

    # -- the model box, the menu, the manager -----------------------------------------
    def refresh_box(self) -> None:
        box = self.window.model_box
        box.blockSignals(True)
        box.clear()
        names = list(_installed())
        current = self.source
        for name in names:
            box.addItem(name, name)
        if current and current not in names:
            box.addItem(Path(current).name if Path(current).suffix else current, current)
        if not names and not current:
            box.addItem("No model installed", "")
        box.setCurrentIndex(max(0, box.findData(current)))
        box.blockSignals(False)

    def box_activated(self, index: int) -> None:
        source = self.window.model_box.itemData(index)
        if source and source != self.source:
            self.load(source)
        elif not source:
            self.show_manager()

    def fill_menu(self, menu, manager_action) -> None:
        menu.clear()
        installed = _installed()
        if not installed:
            menu.addAction("No model installed").setEnabled(False)
        for name, model in installed.items():
            a = menu.addAction(f"{name}  ({model.arch})")
            a.setCheckable(True)
            a.setChecked(name == self.source)
            a.triggered.connect(lambda _=False, name=name: self.load(name))
        menu.addSeparator()
        menu.addAction(manager_action)

    def show_manager(self) -> ModelManagerDialog:
        if self.manager is None:
            self.manager = ModelManagerDialog(self.runner, self.notifier, active=self.source, parent=self.window)
            self.manager.activated.connect(self.load)
            self.manager.modelsChanged.connect(self._models_changed)
        self.manager.refresh()
        self.manager.show()
        self.manager.raise_()
        return self.manager

    def download_default(self) -> None:
        dialog = self.show_manager()
        dialog.select(DEFAULT_ZOO_MODEL)
        dialog.download(DEFAULT_ZOO_MODEL)

    def import_checkpoint(self) -> None:
        self.show_manager().choose_import()

    def open_folder(self) -> None:
        from ..core.paths import models_dir

        models_dir().mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(models_dir())))

    def _models_changed(self) -> None:
        self.refresh_box()
        installed = _installed()
        if self.classifier is None and self.job is None and installed:
            self.load(DEFAULT_ZOO_MODEL if DEFAULT_ZOO_MODEL in installed else next(iter(installed)))

    def shutdown(self) -> None:
        if self.manager is not None:
            self.manager.cancel_download()

    def close(self) -> None:
        if self.manager is not None:
            self.manager.close()
