"""The Evaluate tab's charts, painted with QPainter from the palette at paint time
(a theme switch repaints them in the new colours).

- `ClassBars`: every class of a checkpoint as one labelled horizontal bar (worst
  first), the class name on the axis; a class at 0 % still shows its empty track
  and its number. Tall: it lives in a scroll area and paints only the visible rows.
- `BarChart`: a short titled list of labelled bars (best classes, worst classes).
- `ConfusedChart`: the most frequent mistakes, true class → predicted class, both
  names readable, with the count.
- `RunsChart`: top-1 of one checkpoint over its past runs against its published top-1.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

ROW = 20  # pixels per bar row


def _colours(widget: QWidget) -> tuple[QColor, QColor, QColor]:
    """(text, bar, track) from the widget's current palette."""
    pal = widget.palette()
    text = pal.color(QPalette.ColorRole.WindowText)
    bar = pal.color(QPalette.ColorRole.Highlight)
    track = QColor(text)
    track.setAlpha(40)  # an empty track stays visible in both themes (0 % classes)
    return text, bar, track


def _percent(value: float) -> str:
    return f"{value:.1f} %"


def _bar(p: QPainter, x: float, y: float, width: float, filled: float, bar: QColor, track: QColor) -> None:
    """A bar of row `y`: its whole track, then `filled` pixels of it in the bar colour."""
    p.fillRect(QRectF(x, y + 4, width, ROW - 8), track)
    p.fillRect(QRectF(x, y + 4, filled, ROW - 8), bar)


class _Painted(QWidget):
    empty_text = "No results yet"

    def _title(self, p: QPainter, title: str, text: QColor) -> float:
        fm = p.fontMetrics()
        font = p.font()
        font.setBold(True)
        p.setFont(font)
        p.setPen(text)
        p.drawText(QRectF(4, 2, self.width() - 8, fm.height()), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   QFontMetrics(font).elidedText(title, Qt.TextElideMode.ElideRight, self.width() - 8))
        font.setBold(False)
        p.setFont(font)
        return fm.height() + 8

    def _begin(self, p: QPainter, title: str, has_data: bool) -> tuple[tuple[QColor, QColor, QColor], float | None]:
        """Colours (text, bar, track) and the title painted; the top of the content, or None when
        there is no data (the empty text is painted instead)."""
        colours = _colours(self)
        top = self._title(p, title, colours[0])
        if not has_data:
            self._empty(p, top, colours[0])
            return colours, None
        return colours, top

    def _bar_columns(self, fm: QFontMetrics, labels: list[str], share: float, widest_value: str
                     ) -> tuple[float, float, float, float]:
        """(label width, bar x, bar width, value width) of a list of label | bar | value rows;
        the labels take at most `share` of the width."""
        label_w = min(self.width() * share, max(fm.horizontalAdvance(label) for label in labels) + 10)
        value_w = fm.horizontalAdvance(widest_value) + 10
        bar_x = label_w + 4
        return label_w, bar_x, max(20.0, self.width() - bar_x - value_w - 6), value_w

    def _bar_row(self, p: QPainter, y: float, columns: tuple[float, float, float, float], label: str,
                 fraction: float, value: str, colours: tuple[QColor, QColor, QColor]) -> None:
        """One row: the label right-aligned, the bar filled to `fraction` (0-1) over its track, the value."""
        label_w, bar_x, bar_w, value_w = columns
        text, bar, track = colours
        fm = p.fontMetrics()
        p.setPen(text)
        p.drawText(QRectF(4, y, label_w - 8, ROW), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                   fm.elidedText(label, Qt.TextElideMode.ElideRight, int(label_w - 8)))
        _bar(p, bar_x, y, bar_w, bar_w * fraction, bar, track)
        p.drawText(QRectF(bar_x + bar_w + 6, y, value_w, ROW), Qt.AlignmentFlag.AlignVCenter, value)

    def _empty(self, p: QPainter, top: float, text: QColor, message: str | None = None) -> None:
        muted = QColor(text)
        muted.setAlpha(200)
        p.setPen(muted)
        p.drawText(QRectF(4, top, self.width() - 8, max(ROW, self.height() - top)),
                   Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, message or self.empty_text)


class ClassBars(_Painted):
    """Per-class accuracy: one row per class, name | bar | value (videos)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: list[tuple[str, float, int]] = []  # label, accuracy %, videos
        self.title = "Per-class accuracy"
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._resize()

    def set_classes(self, per_class: list[dict], title: str = "Per-class accuracy") -> None:
        self.values = sorted(((c["label"], float(c["accuracy"]), int(c.get("videos", 0))) for c in per_class),
                             key=lambda v: (v[1], v[0]))
        mean = sum(v[1] for v in self.values) / len(self.values) if self.values else 0.0
        self.title = f"{title}: {len(self.values)} classes, worst first, mean {_percent(mean)}" if self.values else title
        self._resize()
        self.update()

    def _resize(self) -> None:
        h = 30 + ROW * max(2, len(self.values))
        self.setMinimumHeight(h)
        self.setMaximumHeight(h)
        self.updateGeometry()

    def sizeHint(self) -> QSize:
        return QSize(360, 30 + ROW * max(2, len(self.values)))

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        (text, bar, track), top = self._begin(p, self.title, bool(self.values))
        if top is None:
            return
        columns = self._bar_columns(p.fontMetrics(), [v[0] for v in self.values], 0.45, "100.0 % (9999)")
        visible = event.rect()
        first = max(0, int((visible.top() - top) // ROW))
        last = min(len(self.values), int((visible.bottom() - top) // ROW) + 2)
        for i in range(first, last):
            label, acc, videos = self.values[i]
            self._bar_row(p, top + i * ROW, columns, label, max(0.0, min(1.0, acc / 100)),
                          f"{_percent(acc)} ({videos})" if videos else _percent(acc), (text, bar, track))


class BarChart(_Painted):
    """A titled list of labelled bars, e.g. the worst classes (values in %, or counts)."""

    def __init__(self, title: str, suffix: str = "%", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title, self.suffix = title, suffix
        self.items: list[tuple[str, float]] = []
        self.note = ""
        self.maximum = 100.0
        self.setMinimumHeight(60)

    def set_items(self, items: list[tuple[str, float]], maximum: float | None = None, note: str = "",
                  empty: str | None = None) -> None:
        self.items = list(items)
        self.note = note
        self.empty_text = empty or _Painted.empty_text
        self.maximum = maximum if maximum is not None else max([v for _, v in items] + [1.0])
        self.setMinimumHeight(30 + ROW * max(2, len(self.items)) + (ROW if note else 0))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(300, 30 + ROW * max(4, len(self.items)) + (ROW if self.note else 0))

    def _value(self, value: float) -> str:
        return _percent(value) if self.suffix == "%" else f"{value:g}{self.suffix}"

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        (text, bar, track), top = self._begin(p, self.title, bool(self.items))
        if top is None:
            return
        fm = p.fontMetrics()
        columns = self._bar_columns(fm, [label for label, _ in self.items], 0.55, self._value(100.0))
        for i, (label, value) in enumerate(self.items):
            frac = 0.0 if self.maximum <= 0 else max(0.0, min(1.0, value / self.maximum))
            self._bar_row(p, top + i * ROW, columns, label, frac, self._value(value), (text, bar, track))
        if self.note:
            p.drawText(QRectF(4, top + len(self.items) * ROW, self.width() - 8, ROW),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                       fm.elidedText(self.note, Qt.TextElideMode.ElideRight, self.width() - 8))


class ConfusedChart(_Painted):
    """Most confused pairs: true class → predicted class, and how many videos."""

    empty_text = "No mistakes between classes"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = "Most confused pairs (true class → predicted class)"
        self.items: list[tuple[str, str, int]] = []
        self.setMinimumHeight(60)

    def set_pairs(self, confused: list[dict]) -> None:
        self.items = [(c["true"], c["predicted"], int(c["count"])) for c in confused]
        self.setMinimumHeight(30 + ROW * max(2, len(self.items)))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(420, 30 + ROW * max(4, len(self.items)))

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        (text, bar, track), top = self._begin(p, self.title, bool(self.items))
        if top is None:
            return
        fm = p.fontMetrics()
        arrow = " → "
        arrow_w = fm.horizontalAdvance(arrow)
        count_w = fm.horizontalAdvance(f"{max(c for _, _, c in self.items)} videos") + 10
        bar_w = min(120.0, max(30.0, self.width() * 0.15))
        # The rest is shared by the two names; each gets what it needs up to half of it.
        names_w = max(60.0, self.width() - bar_w - count_w - arrow_w - 16)
        need_true = max(fm.horizontalAdvance(t) for t, _, _ in self.items)
        need_pred = max(fm.horizontalAdvance(pr) for _, pr, _ in self.items)
        true_w = min(need_true, max(names_w / 2, names_w - need_pred))
        pred_w = names_w - true_w
        biggest = max(c for _, _, c in self.items)
        for i, (true, pred, count) in enumerate(self.items):
            y = top + i * ROW
            p.setPen(text)
            p.drawText(QRectF(4, y, true_w, ROW), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                       fm.elidedText(true, Qt.TextElideMode.ElideRight, int(true_w)))
            p.drawText(QRectF(4 + true_w, y, arrow_w, ROW), Qt.AlignmentFlag.AlignVCenter, arrow)
            p.drawText(QRectF(4 + true_w + arrow_w, y, pred_w, ROW), Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(pred, Qt.TextElideMode.ElideRight, int(pred_w)))
            x = 8 + true_w + arrow_w + pred_w
            _bar(p, x, y, bar_w, bar_w * count / biggest, bar, track)
            p.drawText(QRectF(x + bar_w + 6, y, count_w, ROW), Qt.AlignmentFlag.AlignVCenter,
                       f"{count} video{'s' if count != 1 else ''}")


class RunsChart(_Painted):
    """Top-1 of one checkpoint in each finished run (oldest left), the published top-1 dashed."""

    empty_text = "No finished run of this checkpoint yet"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = ""
        self.points: list[dict] = []  # created, top1, views, run_id
        self.published: float | None = None
        self.current: str | None = None
        self.setMinimumHeight(160)

    def set_series(self, name: str, points: list[dict], published: float | None, current: str | None = None) -> None:
        self.name = name
        self.points = sorted(points, key=lambda q: q["created"])
        self.published, self.current = published, current
        self.setToolTip("\n".join(
            f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(q['created']))}  {q['views']}  {q['top1']:.2f} %"
            f"  (run {q['run_id']})" for q in self.points[-30:]
        ))
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(420, 220)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        title = f"Top-1 of {self.name} over runs" if self.name else "Top-1 over runs"
        if self.published is not None:
            title += f" (published {self.published:.2f} %)"
        (text, bar, _track), top = self._begin(p, title, bool(self.points))
        if top is None:
            return
        fm = p.fontMetrics()
        values = [q["top1"] for q in self.points] + ([self.published] if self.published is not None else [])
        lo, hi = min(values), max(values)
        pad = max(2.0, (hi - lo) * 0.15)
        lo, hi = max(0.0, lo - pad), min(100.0, hi + pad)
        left = 8 + fm.horizontalAdvance("100.0 %")
        right = self.width() - 12
        bottom = self.height() - fm.height() - 10  # room for the date axis
        legend_h = fm.height() + 4
        plot_top = top + legend_h
        height = max(10.0, bottom - plot_top)

        def y_of(v: float) -> float:
            return bottom - height * (v - lo) / (hi - lo if hi > lo else 1.0)

        grid = QColor(text)
        grid.setAlpha(60)
        for k in range(5):
            v = lo + (hi - lo) * k / 4
            y = y_of(v)
            p.setPen(grid)
            p.drawLine(QPointF(left, y), QPointF(right, y))
            p.setPen(text)
            p.drawText(QRectF(0, y - fm.height() / 2, left - 4, fm.height()), Qt.AlignmentFlag.AlignRight,
                       f"{v:.0f} %" if hi - lo >= 8 else f"{v:.1f} %")
        n = len(self.points)

        def x_of(i: int) -> float:
            return left + 10 + ((right - left - 20) * i / (n - 1) if n > 1 else (right - left - 20) / 2)

        if self.published is not None:
            pen = QPen(text, 1.5, Qt.PenStyle.DashLine)
            p.setPen(pen)
            y = y_of(self.published)
            p.drawLine(QPointF(left, y), QPointF(right, y))
        path = QPainterPath()
        for i, q in enumerate(self.points):
            point = QPointF(x_of(i), y_of(q["top1"]))
            path.moveTo(point) if i == 0 else path.lineTo(point)
        p.setPen(QPen(bar, 2))
        p.drawPath(path)
        for i, q in enumerate(self.points):
            point = QPointF(x_of(i), y_of(q["top1"]))
            radius = 5.5 if q["run_id"] == self.current else 4.0
            p.setPen(QPen(bar, 2))
            p.setBrush(bar if q["views"] == "4x3" else self.palette().color(QPalette.ColorRole.Base))
            p.drawEllipse(point, radius, radius)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(text)
        first = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.points[0]["created"]))
        p.drawText(QRectF(left, bottom + 4, right - left, fm.height()), Qt.AlignmentFlag.AlignLeft, first)
        if n > 1:
            last = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.points[-1]["created"]))
            p.drawText(QRectF(left, bottom + 4, right - left, fm.height()), Qt.AlignmentFlag.AlignRight, last)
        # Legend: filled = 4x3, hollow = 1x1, dashed = published.
        x = left
        y = top + legend_h / 2 - 2
        for filled, label in ((True, "4x3 run"), (False, "1x1 run")):
            p.setPen(QPen(bar, 2))
            p.setBrush(bar if filled else self.palette().color(QPalette.ColorRole.Base))
            p.drawEllipse(QPointF(x + 5, y), 4, 4)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(text)
            p.drawText(QPointF(x + 14, y + fm.ascent() / 2 - 1), label)
            x += 24 + fm.horizontalAdvance(label)
        if self.published is not None:
            p.setPen(QPen(text, 1.5, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, y), QPointF(x + 22, y))
            p.setPen(text)
            p.drawText(QPointF(x + 28, y + fm.ascent() / 2 - 1), "published")
