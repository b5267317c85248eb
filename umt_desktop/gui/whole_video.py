"""The whole-video result of a file: the published protocol (4 clips × 3 crops) as one
background job through the window's JobRunner, shown in the Classify page's panel.

Its failure is said once for a broken file: the session decides whether the stream's own
message already covers it (`Session.whole_failed`).
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from .widgets.topk_panel import ScoreRow
from .workers import Job, classify_video

NBSP = "\u00a0"  # a number stays with its unit when the line wraps


class WholeVideo(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        self.job: Job | None = None

    def classify(self) -> Job | None:
        w = self.w
        if w.classifier is None or not w.session.is_file:
            return None
        run, path, clf = w.session.runs.current, w.source, w.classifier
        w.page.whole_progress.setVisible(True)
        w.whole_panel.clear("Classifying the whole video (4 clips × 3 crops)…")
        w.whole_header.setText("")
        job = Job(classify_video, clf, path, "4x3", w.settings["topk"], name="whole-video classification")
        self.job = job
        w.runner.start(job, on_result=lambda result: self._done(result, run, clf),
                       on_error=lambda message: self._failed(message, run),
                       on_finished=lambda: self._finished(job), notify_errors=False)
        return job

    def _done(self, result, run, clf) -> None:
        w = self.w
        if clf is not w.classifier or w.closing or not w.session.set_whole(result, clf.name, run):
            return  # another file or another model since this job started
        w.whole_panel.set_rows([ScoreRow(t.index, t.label, t.score) for t in result.top])
        t = result.timings
        w.whole_header.setText(
            f"{result.seconds:.2f}{NBSP}s with {clf.name} (decode{NBSP}{t.get('decode', 0):.2f}{NBSP}s, "
            f"model{NBSP}{t.get('model', 0):.2f}{NBSP}s)")
        w.whole_header.setToolTip(f"12 views; {clf.runtime.label}")
        w.wholeVideoShown.emit(result)
        w.update_actions()

    def _failed(self, message: str, run) -> None:
        w = self.w
        if not w.session.is_current(run):
            return
        if not w.session.failed:
            w.whole_panel.clear("The whole video could not be classified")
            w.whole_header.setText(message)
        now = w.session.whole_failed(message, run)
        if now:
            w.notifier.error(now)

    def _finished(self, job: Job) -> None:
        if job is self.job:
            self.job = None
            self.w.page.whole_progress.setVisible(False)
