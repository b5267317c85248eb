"""Help -> About: what this program is, the versions it runs on, and the licences of the models."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ... import __version__

APP_LICENCE = "Apache-2.0"
CITATION = ("Li, Wang, Li, He, Wang, Qiao: Unmasked Teacher: Towards Training-Efficient Video Foundation "
            "Models. ICCV 2023.")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def runtime_versions() -> list[tuple[str, str]]:
    """(component, version) of everything the results depend on, for bug reports and papers."""
    import PySide6

    rows = [
        ("UMT Desktop", __version__),
        ("Python", f"{platform.python_version()} ({sys.implementation.name}, {platform.machine()})"),
        ("Operating system", platform.platform(terse=True)),
        ("Qt", f"{qVersion()} (PySide6 {PySide6.__version__})"),
    ]
    try:
        import torch  # already loaded once a model is; imported here only for the dialog

        rows.append(("PyTorch", torch.__version__))
        if torch.cuda.is_available():
            names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
            rows.append(("CUDA", f"{torch.version.cuda} — {names}"))
        else:
            built = torch.version.cuda
            rows.append(("CUDA", f"not available (PyTorch built with CUDA {built})" if built else
                         "not available (CPU build of PyTorch)"))
    except Exception as e:  # a broken torch install must not stop the dialog
        rows.append(("PyTorch", f"cannot be imported: {e}".splitlines()[0]))
    rows += [("NumPy", _version("numpy")), ("OpenCV", _version("opencv-python-headless")
                                                   if _version("opencv-python-headless") != "not installed"
                                                   else _version("opencv-python")),
             ("decord", _version("decord"))]
    return rows


def model_licences() -> list[tuple[str, str, str, str]]:
    """(title, name, source, licence) of every checkpoint in the zoo."""
    from ...core.model.zoo import zoo

    return [(e.title, e.name, e.source, e.license) for e in zoo().values()]


def _table(headers: list[str], rows: list[tuple[str, ...]]) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.setEditTriggers(QTableWidget.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectRows)
    table.setWordWrap(False)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            table.setItem(r, c, item)
    header = table.horizontalHeader()
    for c in range(len(headers)):
        header.setSectionResizeMode(c, QHeaderView.ResizeToContents)
    header.setSectionResizeMode(len(headers) - 1, QHeaderView.Stretch)
    return table


class AboutDialog(QDialog):
    """Name, version and purpose; the versions in use (copyable); the zoo's model licences."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About UMT Desktop")
        self.setObjectName("about-dialog")
        layout = QVBoxLayout(self)

        head = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(QApplication.windowIcon().pixmap(64, 64))
        head.addWidget(icon, 0, Qt.AlignTop)
        title = QLabel(
            f"<h2 style='margin:0'>UMT Desktop {__version__}</h2>"
            "<p>Video action recognition on the desktop with Unmasked Teacher (UMT) Kinetics models: "
            "live sliding-window predictions, whole-video results with the published 4 clips × 3 crops "
            f"protocol, and evaluation on a local Kinetics copy.</p><p>Licence: {APP_LICENCE}. "
            f"Please cite the models as: {CITATION}</p>")
        title.setWordWrap(True)
        title.setTextInteractionFlags(Qt.TextSelectableByMouse)
        head.addWidget(title, 1)
        layout.addLayout(head)

        tabs = QTabWidget()
        self.versions = runtime_versions()
        self.versions_table = _table(["Component", "Version"], self.versions)
        tabs.addTab(self.versions_table, "Versions")
        self.licences = model_licences()
        self.licence_table = _table(["Model", "Name", "Source", "Licence"], self.licences)
        tabs.addTab(self.licence_table, "Model licences")
        self.tabs = tabs
        layout.addWidget(tabs, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.copy_button = QPushButton("Copy versions")
        self.copy_button.setToolTip("Copy the versions above, e.g. for a bug report")
        self.copy_button.clicked.connect(self.copy_versions)
        buttons.addButton(self.copy_button, QDialogButtonBox.ActionRole)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.resize(680, 460)

    def versions_text(self) -> str:
        return "\n".join(f"{name}: {value}" for name, value in self.versions)

    def copy_versions(self) -> None:
        QApplication.clipboard().setText(self.versions_text())
