"""The model manager: zoo and installed checkpoints, download with progress and cancel, import, remove, use."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..workers import Job, download_model, import_model

COLUMNS = ["Model", "Architecture", "Labels", "Published top-1", "Size", "Status"]


def estimated_size(embed_dim: int, depth: int, num_classes: int) -> int:
    """Bytes of a float32 checkpoint of this shape (a ViT block holds about 12·d² weights)."""
    params = depth * 12 * embed_dim**2 + 3 * 16 * 16 * 2 * embed_dim + embed_dim * num_classes
    return params * 4


def human_size(n: float | None) -> str:
    if not n:
        return "–"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit in ("B", "KB", "MB") else f"{n:.2f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


class ModelManagerDialog(QDialog):
    """Non-modal; the main window keeps one and shows it on demand."""

    activated = Signal(str)  # name of the model to use
    modelsChanged = Signal()

    def __init__(self, runner, notifier, active: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.setModal(False)
        self.runner, self.notifier = runner, notifier
        self.active = active
        self.download_job: Job | None = None
        self.downloading: str | None = None
        self.confirm = self._ask  # replaced in tests: (question) -> bool

        intro = QLabel(
            "UMT checkpoints fine-tuned on Kinetics. Download one from the zoo or import a local "
            "<code>.pth</code> (MMAction2 or OpenGVLab format), then choose <b>Use</b>."
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        for c in range(1, len(COLUMNS)):
            header.setSectionResizeMode(c, QHeaderView.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.use_selected())

        self.download_button = QPushButton("Download")
        self.cancel_button = QPushButton("Cancel download")
        self.import_button = QPushButton("Import .pth…")
        self.remove_button = QPushButton("Remove")
        self.use_button = QPushButton("Use this model")
        self.use_button.setDefault(True)
        self.download_button.clicked.connect(self.download_selected)
        self.cancel_button.clicked.connect(self.cancel_download)
        self.import_button.clicked.connect(self.choose_import)
        self.remove_button.clicked.connect(self.remove_selected)
        self.use_button.clicked.connect(self.use_selected)
        buttons = QHBoxLayout()
        for b in (self.download_button, self.cancel_button, self.import_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.use_button)

        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress_label = QLabel("")
        self.progress_label.setVisible(False)
        self.folder_label = QLabel("")
        self.folder_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.folder_label.setStyleSheet("color: palette(mid);")
        close = QDialogButtonBox(QDialogButtonBox.Close)
        close.rejected.connect(self.close)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        bottom = QHBoxLayout()
        bottom.addWidget(self.folder_label, 1)
        bottom.addWidget(close)
        layout.addLayout(bottom)
        self.resize(980, 520)
        self.refresh()

    # -- table ---------------------------------------------------------------
    def rows(self) -> list[dict]:
        from ...core.model.zoo import ModelStore, zoo

        store = ModelStore()
        installed = store.installed()
        out = []
        for entry in zoo().values():
            local = installed.get(entry.name)
            out.append({
                "name": entry.name, "title": entry.title, "arch": entry.arch,
                "labels": f"Kinetics-{entry.num_classes}", "top1": entry.published_top1,
                "size": local.size if local else estimated_size(entry.embed_dim, entry.depth, entry.num_classes),
                "estimated": local is None, "installed": local is not None, "origin": "zoo",
            })
        for name, local in installed.items():
            if name not in zoo():
                out.append({
                    "name": name, "title": name, "arch": local.arch,
                    "labels": f"Kinetics-{local.num_classes}" if local.num_classes in (400, 600, 700, 710)
                    else f"{local.num_classes} classes",
                    "top1": None, "size": local.size, "estimated": False, "installed": True, "origin": "import",
                })
        self.folder_label.setText(f"Models folder: {store.root}")
        return out

    def refresh(self) -> None:
        selected = self.selected_name()
        self._rows = self.rows()
        self.table.setRowCount(len(self._rows))
        bold = QFont(self.font())
        bold.setBold(True)
        for r, row in enumerate(self._rows):
            size = human_size(row["size"])
            if row["estimated"]:
                size = "≈ " + size
            if row["name"] == self.downloading:
                status = "Downloading…"
            elif row["name"] == self.active and row["installed"]:
                status = "● Active"
            elif row["installed"]:
                status = "Imported" if row["origin"] == "import" else "Downloaded"
            else:
                status = "Not downloaded"
            values = [row["title"], row["arch"], row["labels"],
                      f"{row['top1']:.2f}%" if row["top1"] is not None else "–", size, status]
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setData(Qt.UserRole, row["name"])
                if c == 0:
                    item.setToolTip(row["name"])
                if c in (3, 4):
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if row["name"] == self.active and row["installed"]:
                    item.setFont(bold)
                self.table.setItem(r, c, item)
        if selected:
            self.select(selected)
        elif self._rows:
            self.table.selectRow(0)
        self._update_buttons()

    def select(self, name: str) -> bool:
        for r, row in enumerate(self._rows):
            if row["name"] == name:
                self.table.selectRow(r)
                return True
        return False

    def selected_name(self) -> str | None:
        items = self.table.selectedItems() if hasattr(self, "_rows") else []
        return items[0].data(Qt.UserRole) if items else None

    def _selected_row(self) -> dict | None:
        name = self.selected_name()
        return next((r for r in getattr(self, "_rows", []) if r["name"] == name), None)

    def _update_buttons(self) -> None:
        row = self._selected_row()
        busy = self.download_job is not None
        self.download_button.setEnabled(bool(row) and not row["installed"] and row["origin"] == "zoo" and not busy)
        self.cancel_button.setEnabled(busy)
        self.cancel_button.setVisible(busy)
        self.remove_button.setEnabled(bool(row) and row["installed"] and row["name"] != self.downloading)
        self.use_button.setEnabled(bool(row) and row["installed"])

    def set_active(self, name: str) -> None:
        self.active = name
        self.refresh()

    # -- actions -------------------------------------------------------------
    def download_selected(self) -> None:
        row = self._selected_row()
        if row and not row["installed"]:
            self.download(row["name"])

    def download(self, name: str) -> Job | None:
        if self.download_job is not None:
            self.notifier.warning(f"{self.downloading} is still downloading; cancel it first")
            return None
        self.downloading = name
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.progress_label.setText(f"Downloading {name}…")
        self.progress_label.setVisible(True)
        self.download_job = self.runner.start(
            Job(download_model, name, name="download"),
            on_result=self._downloaded,
            on_progress=self._download_progress,
            on_finished=self._download_finished,
        )
        self.download_job.signals.cancelled.connect(self._download_cancelled)
        self.refresh()
        return self.download_job

    def cancel_download(self) -> None:
        if self.download_job is not None:
            self.download_job.cancel()
            self.progress_label.setText("Cancelling…")

    def _download_progress(self, done: float, total: float, _text: str) -> None:
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
            self.progress_label.setText(
                f"Downloading {self.downloading}: {human_size(done)} of {human_size(total)}")
        else:
            self.progress_label.setText(f"Downloading {self.downloading}: {human_size(done)}")

    def _downloaded(self, model) -> None:
        self.notifier.success(f"{model.name} downloaded ({human_size(model.size)})",
                              action=("Use it", lambda name=model.name: self.activated.emit(name)))
        self.modelsChanged.emit()

    def _download_cancelled(self) -> None:
        self.notifier.info("Download cancelled; starting it again resumes where it stopped")

    def _download_finished(self) -> None:
        self.download_job = None
        self.downloading = None
        self.progress.setVisible(False)
        self.progress_label.setVisible(False)
        self.refresh()

    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a checkpoint", "",
                                              "Checkpoints (*.pth *.pt *.ckpt *.bin);;All files (*)")
        if path:
            self.import_path(path)

    def import_path(self, path: str | Path, name: str | None = None) -> Job:
        self.progress_label.setText(f"Checking {Path(path).name}…")
        self.progress_label.setVisible(True)
        return self.runner.start(
            Job(import_model, str(path), name, name="import"),
            on_result=self._imported,
            on_finished=lambda: self.progress_label.setVisible(False),
        )

    def _imported(self, model) -> None:
        self.notifier.success(f"Imported {model.name} ({model.arch}, {model.num_classes} classes)",
                              action=("Use it", lambda name=model.name: self.activated.emit(name)))
        self.refresh()
        self.select(model.name)
        self.modelsChanged.emit()

    def remove_selected(self) -> None:
        row = self._selected_row()
        if not row or not row["installed"]:
            return
        if not self.confirm(f"Delete the file of {row['name']} ({human_size(row['size'])})?"):
            return
        from ...core.errors import UMTError
        from ...core.model.zoo import ModelStore

        try:
            ModelStore().remove(row["name"])  # one unlink: quick enough for the GUI thread
        except (UMTError, OSError) as e:
            self.notifier.error(str(e))
            return
        self.notifier.info(f"Removed {row['name']}")
        self.refresh()
        self.modelsChanged.emit()

    def use_selected(self) -> None:
        row = self._selected_row()
        if row and row["installed"]:
            self.activated.emit(row["name"])

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.question(self, "Remove model", question)
        return answer == QMessageBox.Yes
