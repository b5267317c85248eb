"""The model manager: zoo and installed checkpoints, download with progress, cancel and resume,
import, verify, remove, use.

Every row says where its model stands: not downloaded; partial (N MB of M, resumable);
downloading (with speed and time left); downloaded or imported, with its sha256 and
whether the file was checked against it; or failed, with the reason. What goes wrong in
here is said in here, in the dialog's own message line, in the words of this window.
"""

from __future__ import annotations

import html
import re
import time
from collections import deque
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..workers import Job

COLUMNS = ["Model", "Architecture", "Labels", "Published top-1", "Size", "SHA-256", "Status"]
CHECKPOINT_FILTER = "Checkpoints (*.pth *.pt *.ckpt *.bin);;All files (*)"


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


def human_mb(n: float) -> str:
    """Megabytes with one decimal below 10 MB, so that partial sizes move visibly."""
    mb = n / 1e6
    if mb >= 1000:
        return f"{mb / 1000:.2f} GB"
    return f"{mb:.1f} MB" if mb < 10 else f"{mb:.0f} MB"


def human_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def short_reason(text: str, limit: int = 56) -> str:
    """A failure's reason short enough for a table cell; the full text goes in the tooltip and below."""
    m = re.search(r"holds (.+?), but \S+ is (.+?)(?:;|$)", text)
    if m:
        found, wanted = (re.sub(r" \([^)]*\)", "", g).strip() for g in m.groups())
        text = f"the file is {found}, not {wanted}"
    else:
        text = re.sub(r" \([^)]*\)", "", text.split(";")[0]).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- work functions (pool thread; no widgets) ----------------------------------------------


def download_work(job: Job, name: str):
    from ...core.errors import OfflineError
    from ...core.model.zoo import ModelStore

    def progress(done: int, total: int | None) -> None:
        job.progress(done, total or 0, "")

    try:
        return ModelStore().download(name, progress=progress, cancelled=job.cancelled)
    except OfflineError as e:
        raise OfflineError(f"{e}. If you have the file, add it with Import…") from None


def import_work(job: Job, path: str, name: str | None, force: bool):
    from ...core.model.zoo import ModelStore

    job.progress(0, 0, f"Checking {Path(path).name}")
    return ModelStore().import_file(path, name, force=force)


def verify_work(job: Job, name: str):
    from ...core.model.zoo import ModelStore

    job.progress(0, 0, f"Computing the sha256 of {name}")
    return ModelStore().verify(name)


class _Rate:
    """Download speed over the last few seconds, for a speed and time-left estimate."""

    def __init__(self, window: float = 3.0) -> None:
        self.window = window
        self.samples: deque[tuple[float, float]] = deque()

    def add(self, done: float) -> None:
        now = time.monotonic()
        self.samples.append((now, done))
        while len(self.samples) > 2 and now - self.samples[0][0] > self.window:
            self.samples.popleft()

    def speed(self) -> float | None:
        if len(self.samples) < 2:
            return None
        (t0, d0), (t1, d1) = self.samples[0], self.samples[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 and d1 > d0 else None


class MessageBar(QFrame):
    """The dialog's own message line: what just happened, or what went wrong and what to do."""

    ICONS = {"error": QStyle.SP_MessageBoxCritical, "warning": QStyle.SP_MessageBoxWarning,
             "info": QStyle.SP_MessageBoxInformation, "success": QStyle.SP_DialogApplyButton}
    TINTS = {"error": "200, 40, 40", "warning": "200, 140, 0", "info": "40, 110, 200", "success": "30, 150, 70"}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = ""
        self.icon = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.close_button = QToolButton()
        self.close_button.setAutoRaise(True)
        self.close_button.setText("×")
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 4, 6)
        layout.addWidget(self.icon, 0, Qt.AlignTop)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignTop)
        self.setVisible(False)

    def show_message(self, kind: str, text: str) -> None:
        self.kind = kind
        size = self.style().pixelMetric(QStyle.PM_SmallIconSize)
        self.icon.setPixmap(self.style().standardIcon(self.ICONS[kind]).pixmap(size, size))
        self.text.setText(text)
        tint = self.TINTS[kind]
        self.setStyleSheet(
            f"MessageBar {{ background: rgba({tint}, 0.12); border: 1px solid rgba({tint}, 0.75); "
            "border-radius: 4px; }"
        )
        self.setVisible(True)

    def clear(self) -> None:
        self.kind = ""
        self.text.setText("")
        self.setVisible(False)


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
        self.verify_job: Job | None = None
        self.verifying: str | None = None
        self.failures: dict[str, tuple[str, str]] = {}  # name -> (what failed, full reason), this session
        self.checked: dict[str, bool] = {}  # name -> last Verify result (this session)
        self._rate = _Rate()
        self._download_text = ""
        self.confirm = self._ask  # (question) -> bool; a question box unless replaced

        intro = QLabel(
            "UMT checkpoints fine-tuned on Kinetics. Download one from the zoo or import a local "
            "<code>.pth</code> (MMAction2 or OpenGVLab format), then choose <b>Use</b>. "
            "A file takes a zoo model's place only if its architecture matches the model."
        )
        intro.setWordWrap(True)
        self.message = MessageBar()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for c in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(c, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.Stretch)  # Status: long states elide
        self.table.setTextElideMode(Qt.ElideRight)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.itemDoubleClicked.connect(lambda _item: self.use_selected())

        self.download_button = QPushButton("Download")
        self.cancel_button = QPushButton("Cancel download")
        self.import_button = QPushButton("Import .pth…")
        self.verify_button = QPushButton("Verify")
        self.verify_button.setToolTip("Recompute the file's sha256 and compare it with the one recorded at install")
        self.remove_button = QPushButton("Remove")
        self.use_button = QPushButton("Use this model")
        self.use_button.setDefault(True)
        self.download_button.clicked.connect(self.download_selected)
        self.cancel_button.clicked.connect(self.cancel_download)
        self.import_button.clicked.connect(self.choose_import)
        self.verify_button.clicked.connect(self.verify_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.use_button.clicked.connect(self.use_selected)
        buttons = QHBoxLayout()
        for b in (self.download_button, self.cancel_button, self.import_button, self.verify_button,
                  self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.use_button)

        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.detail.setTextFormat(Qt.RichText)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress_label = QLabel("")
        self.progress_label.setVisible(False)
        self.folder_label = QLabel("")
        self.folder_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        close = QDialogButtonBox(QDialogButtonBox.Close)
        close.rejected.connect(self.close)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        bottom = QHBoxLayout()
        bottom.addWidget(self.folder_label, 1)
        bottom.addWidget(close)
        layout.addLayout(bottom)
        self.resize(1120, 600)
        self.refresh()

    # -- rows ----------------------------------------------------------------------------
    def rows(self) -> list[dict]:
        from ...core.model.zoo import ModelStore, record_mismatch, zoo

        store = ModelStore()
        installed = store.installed()
        out = []
        for entry in zoo().values():
            local = installed.get(entry.name)
            out.append({
                "name": entry.name, "title": entry.title, "arch": entry.arch,
                "labels": f"Kinetics-{entry.num_classes}", "top1": entry.published_top1,
                "size": local.size if local else estimated_size(entry.embed_dim, entry.depth, entry.num_classes),
                "estimated": local is None, "installed": local is not None,
                "origin": local.origin if local else "zoo", "zoo": True, "local": local,
                "partial": store.partial(entry.name) if local is None else None,
                "published_sha256": entry.sha256, "file": store.root / (local.file if local else entry.filename),
                "mismatch": record_mismatch(entry, local) if local else None,
            })
        for name, local in installed.items():
            if name not in zoo():
                out.append({
                    "name": name, "title": name, "arch": local.arch,
                    "labels": f"Kinetics-{local.num_classes}" if local.num_classes in (400, 600, 700, 710)
                    else f"{local.num_classes} classes",
                    "top1": None, "size": local.size, "estimated": False, "installed": True, "origin": "import",
                    "zoo": False, "local": local, "partial": None, "published_sha256": None,
                    "file": store.root / local.file, "mismatch": None,
                })
        self.folder_label.setText(f"Models folder: {store.root}")
        return out

    def state(self, row: dict) -> str:
        """The row's Status text."""
        name = row["name"]
        if name == self.downloading:
            return self._download_text or "Downloading…"
        if name == self.verifying:
            return "Verifying sha256…"
        if name in self.failures:
            what, reason = self.failures[name]
            return f"{what}: {short_reason(reason)}"
        if row["installed"]:
            if row["mismatch"]:
                return f"Wrong file: {short_reason(row['mismatch'])}"
            if self.checked.get(name) is False:
                return "Damaged: sha256 differs"
            if name == self.active:
                return "● Active"
            return "Imported" if row["origin"] == "import" else "Downloaded"
        if row["partial"]:
            have, total = row["partial"]
            of = f" of {human_mb(total)}" if total else ""
            return f"Partial: {human_mb(have)}{of}, resumable"
        return "Not downloaded"

    def sha_text(self, row: dict) -> tuple[str, str]:
        """(cell text, tooltip) of the SHA-256 column."""
        local = row["local"]
        if local is not None:
            short = local.sha256[:12]
            if self.checked.get(row["name"]) is False:
                return f"✗ {short}", f"sha256 {local.sha256}: the file no longer matches it"
            if local.verified:
                when = datetime.fromtimestamp(local.verified).strftime("%Y-%m-%d %H:%M")
                return f"✓ {short}", f"sha256 {local.sha256}, verified {when}"
            return short, f"sha256 {local.sha256} (not verified yet)"
        if row["published_sha256"]:
            return row["published_sha256"][:12], f"published sha256 {row['published_sha256']}"
        return "–", "no published sha256; the first download's is recorded and later downloads must match it"

    def refresh(self) -> None:
        selected = self.selected_name()
        self._rows = self.rows()
        self.table.setRowCount(len(self._rows))
        for r, row in enumerate(self._rows):
            size = human_size(row["size"])
            if row["estimated"]:
                size = "≈ " + size
            sha, sha_tip = self.sha_text(row)
            status = self.state(row)
            values = [row["title"], row["arch"], row["labels"],
                      f"{row['top1']:.2f}%" if row["top1"] is not None else "–", size, sha, status]
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setData(Qt.UserRole, row["name"])
                if c == 0:
                    item.setToolTip(row["name"])
                elif c == 5:
                    item.setToolTip(sha_tip)
                    mono = QFont("monospace")
                    mono.setStyleHint(QFont.Monospace)
                    item.setFont(mono)
                elif c == 6:
                    item.setToolTip(self._full_status(row["name"], status))
                if c in (3, 4):
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if row["name"] == self.active and row["installed"]:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        if selected:
            self.select(selected)
        elif self._rows:
            self.table.selectRow(0)
        self._selection_changed()

    def _full_status(self, name: str, status: str) -> str:
        if name in self.failures:
            what, reason = self.failures[name]
            return f"{what}: {reason}"
        return status

    def _set_status(self, name: str, text: str) -> None:
        for r, row in enumerate(getattr(self, "_rows", [])):
            if row["name"] == name:
                item = self.table.item(r, COLUMNS.index("Status"))
                if item is not None:
                    item.setText(text)
                    item.setToolTip(text)

    def select(self, name: str) -> bool:
        for r, row in enumerate(self._rows):
            if row["name"] == name:
                self.table.selectRow(r)
                self.table.scrollToItem(self.table.item(r, 0))
                return True
        return False

    def selected_name(self) -> str | None:
        items = self.table.selectedItems() if hasattr(self, "_rows") else []
        return items[0].data(Qt.UserRole) if items else None

    def _selected_row(self) -> dict | None:
        name = self.selected_name()
        return next((r for r in getattr(self, "_rows", []) if r["name"] == name), None)

    def status_of(self, name: str) -> str | None:
        """The Status cell of a row as shown."""
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None and item.data(Qt.UserRole) == name:
                return self.table.item(r, COLUMNS.index("Status")).text()
        return None

    def _selection_changed(self) -> None:
        self._update_buttons()
        self._update_detail()

    def _update_buttons(self) -> None:
        row = self._selected_row()
        busy = self.download_job is not None
        can_download = bool(row) and row["zoo"] and not row["installed"] and not busy
        self.download_button.setEnabled(can_download)
        if row and row["partial"] and not row["installed"] and row["name"] != self.downloading:
            self.download_button.setText("Resume download")
        elif row and row["name"] in self.failures and row["zoo"] and not row["installed"]:
            self.download_button.setText("Retry download")
        else:
            self.download_button.setText("Download")
        self.cancel_button.setEnabled(busy)
        self.cancel_button.setVisible(busy)
        removable = bool(row) and (row["installed"] or bool(row["partial"])) and row["name"] != self.downloading
        self.remove_button.setEnabled(removable and row["name"] != self.verifying)
        self.remove_button.setText("Discard partial" if row and not row["installed"] and row["partial"] else "Remove")
        self.verify_button.setEnabled(bool(row) and row["installed"] and self.verify_job is None)
        self.use_button.setEnabled(bool(row) and row["installed"] and not row["mismatch"])

    def _update_detail(self) -> None:
        from ...core.model.zoo import FORMAT_NAMES

        row = self._selected_row()
        if not row:
            self.detail.setText("")
            return
        esc = html.escape
        lines = [f"<b>{esc(row['name'])}</b>"]
        local = row["local"]
        if local is not None:
            how = "imported file" if local.origin == "import" else "downloaded from the zoo"
            lines.append(f"{esc(local.arch)}, {local.num_classes} classes, "
                         f"{FORMAT_NAMES.get(local.format, esc(local.format))} format · {how} · "
                         f"{human_size(local.size)} · <code>{esc(str(row['file']))}</code>")
            _cell, tip = self.sha_text(row)
            lines.append(f"<code>{esc(tip)}</code>")
        elif row["partial"]:
            have, total = row["partial"]
            lines.append(f"{human_mb(have)} of {human_mb(total) if total else 'an unknown size'} received; "
                         "Resume download continues from there, Discard partial deletes it.")
        if row["zoo"] and local is None:
            _cell, tip = self.sha_text(row)
            lines.append(esc(tip[0].upper() + tip[1:]) + ".")
        if row["mismatch"]:
            lines.append(f"This file is not {esc(row['name'])}: it {esc(row['mismatch'])}. Remove it, then "
                         "download the model or import its real file; import this one under another name.")
        if row["name"] in self.failures:
            what, reason = self.failures[row["name"]]
            lines.append(f"{what}: {esc(reason)}")
        self.detail.setText("<br>".join(lines))

    def set_active(self, name: str) -> None:
        self.active = name
        self.refresh()

    def tell(self, kind: str, text: str) -> None:
        """Say something in the dialog; if it is closed, in the main window instead."""
        self.message.show_message(kind, text)
        if not self.isVisible() and self.notifier is not None:
            getattr(self.notifier, kind)(text)

    # -- download --------------------------------------------------------------------------
    def download_selected(self) -> None:
        row = self._selected_row()
        if row and row["zoo"] and not row["installed"]:
            self.download(row["name"])

    def download(self, name: str) -> Job | None:
        if self.download_job is not None:
            self.tell("warning", f"{self.downloading} is still downloading; cancel it first")
            return None
        self.downloading = name
        self.failures.pop(name, None)
        self._rate = _Rate()
        self._download_text = "Downloading…"
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.progress_label.setText(f"Downloading {name}…")
        self.progress_label.setVisible(True)
        self.message.clear()
        self.download_job = self.runner.start(
            Job(download_work, name, name="download"),
            on_result=self._downloaded,
            on_error=lambda text, name=name: self._download_failed(name, text),
            on_progress=self._download_progress,
            on_finished=self._download_finished,
            notify_errors=False,
        )
        self.download_job.signals.cancelled.connect(self._download_cancelled)
        self.refresh()
        return self.download_job

    def cancel_download(self) -> None:
        if self.download_job is not None:
            self.download_job.cancel()
            self.progress_label.setText("Cancelling… (the part received is kept)")

    def _download_progress(self, done: float, total: float, _text: str) -> None:
        if self.downloading is None:
            return
        self._rate.add(done)
        speed = self._rate.speed()
        parts = []
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
            parts.append(f"{100 * done / total:.0f}% of {human_mb(total)}")
        else:
            parts.append(human_mb(done))
        if speed:
            parts.append(f"{human_mb(speed)}/s")
            if total > 0:
                parts.append(f"{human_duration((total - done) / speed)} left")
        self._download_text = "Downloading " + " · ".join(parts)
        self.progress_label.setText(f"{self.downloading}: {human_mb(done)}"
                                    + (f" of {human_mb(total)}" if total > 0 else "")
                                    + (f" · {human_mb(speed)}/s" if speed else ""))
        self._set_status(self.downloading, self._download_text)

    def _downloaded(self, model) -> None:
        self.checked[model.name] = True
        self.tell("success", f"{model.name} downloaded and installed ({human_size(model.size)}, "
                             f"sha256 {model.sha256[:12]}…). Choose “Use this model” to classify with it.")
        if self.notifier is not None and self.isVisible():
            self.notifier.success(f"{model.name} downloaded ({human_size(model.size)})",
                                  action=("Use it", lambda name=model.name: self.activated.emit(name)))
        self.modelsChanged.emit()

    def _download_failed(self, name: str, text: str) -> None:
        self.failures[name] = ("Download failed", text)
        self.tell("error", f"Could not download {name}: {text}")

    def _download_cancelled(self) -> None:
        self.tell("info", "Download cancelled. The part received is kept: “Resume download” continues it.")

    def _download_finished(self) -> None:
        self.download_job = None
        self.downloading = None
        self._download_text = ""
        self.progress.setVisible(False)
        self.progress_label.setVisible(False)
        self.refresh()

    # -- import ------------------------------------------------------------------------------
    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a checkpoint", "", CHECKPOINT_FILTER)
        if path:
            self.import_path(path)

    def import_name(self, path: str | Path) -> str:
        """The name a file goes in under: a zoo model's, when the file carries its file name."""
        from ...core.model.zoo import zoo

        stem = Path(path).stem
        for entry in zoo().values():
            if stem in (entry.name, Path(entry.filename).stem):
                return entry.name
        return stem

    def import_path(self, path: str | Path, name: str | None = None) -> Job | None:
        from ...core.model.zoo import ModelStore

        name = name or self.import_name(path)
        force = False
        current = ModelStore().get(name)
        if current is not None:
            if not self.confirm(f"A model named {name} is already installed ({current.arch}, "
                                f"{current.num_classes} classes). Replace it with {Path(path).name}?"):
                return None
            force = True
        self.progress_label.setText(f"Checking {Path(path).name}…")
        self.progress_label.setVisible(True)
        self.message.clear()
        return self.runner.start(
            Job(import_work, str(path), name, force, name="import"),
            on_result=self._imported,
            on_error=lambda text, name=name, path=path: self._import_failed(name, Path(path), text),
            on_finished=lambda: self.progress_label.setVisible(False),
            notify_errors=False,
        )

    def _imported(self, model) -> None:
        self.failures.pop(model.name, None)
        self.checked[model.name] = True
        self.tell("success", f"Imported {model.name}: {model.arch}, {model.num_classes} classes, "
                             f"sha256 {model.sha256[:12]}….")
        if self.notifier is not None and self.isVisible():
            self.notifier.success(f"Imported {model.name} ({model.arch}, {model.num_classes} classes)",
                                  action=("Use it", lambda name=model.name: self.activated.emit(name)))
        self.refresh()
        self.select(model.name)
        self.modelsChanged.emit()

    def _import_failed(self, name: str, path: Path, text: str) -> None:
        from ...core.model.zoo import zoo

        if name in zoo():
            self.failures[name] = ("Import refused", text)
            self.refresh()
            self.select(name)
        self.tell("error", f"{path.name} was not imported: {text}")

    # -- verify ------------------------------------------------------------------------------
    def verify_selected(self) -> Job | None:
        row = self._selected_row()
        if not row or not row["installed"] or self.verify_job is not None:
            return None
        name = row["name"]
        self.verifying = name
        self.message.clear()
        self.verify_job = self.runner.start(
            Job(verify_work, name, name="verify"),
            on_result=self._verified,
            on_error=lambda text, name=name: self._verify_failed(name, text),
            on_finished=self._verify_finished,
            notify_errors=False,
        )
        self.refresh()
        return self.verify_job

    def _verified(self, model) -> None:
        self.checked[model.name] = True
        self.failures.pop(model.name, None)
        self.tell("success", f"{model.name}: the file matches its sha256 {model.sha256}.")

    def _verify_failed(self, name: str, text: str) -> None:
        self.checked[name] = False
        self.tell("error", f"{name} failed verification: {text}")

    def _verify_finished(self) -> None:
        self.verify_job = None
        self.verifying = None
        self.refresh()

    # -- remove, use -------------------------------------------------------------------------
    def remove_selected(self) -> None:
        row = self._selected_row()
        if not row or not (row["installed"] or row["partial"]) or row["name"] == self.downloading:
            return
        if row["installed"]:
            question = f"Delete the file of {row['name']} ({human_size(row['size'])})?"
        else:
            question = f"Delete the partial download of {row['name']} ({human_mb(row['partial'][0])})?"
        if not self.confirm(question):
            return
        from ...core.errors import UMTError
        from ...core.model.zoo import ModelStore

        try:
            ModelStore().remove(row["name"])  # one unlink: quick enough for the GUI thread
        except UMTError as e:
            self.tell("error", f"Could not remove {row['name']}: {e}")
            return
        self.failures.pop(row["name"], None)
        self.checked.pop(row["name"], None)
        self.tell("info", f"Removed {row['name']}" if row["installed"]
                  else f"Deleted the partial download of {row['name']}")
        self.refresh()
        self.modelsChanged.emit()

    def use_selected(self) -> None:
        row = self._selected_row()
        if row and row["installed"] and not row["mismatch"]:
            self.activated.emit(row["name"])

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.question(self, "Models", question)
        return answer == QMessageBox.Yes
