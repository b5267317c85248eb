"""Render every main state of the window into PNGs, in the light and the dark theme.

    python docs/gallery/render.py                    # all states, both themes -> docs/gallery/*.png
    python docs/gallery/render.py --theme dark       # one theme
    python docs/gallery/render.py --only playing about --out /tmp/gallery

Run it from a source checkout (it uses the tiny test checkpoint in tests/fixtures
and the video helpers in tests/helpers). Nothing is downloaded: videos are
synthetic, the model manager downloads from an HTTP server on 127.0.0.1, and
the evaluation runs on a mini Kinetics folder written for the run. Settings,
models and history live in a temporary folder, so the user's are left alone.

The window is driven the way a person uses it (menu actions, buttons, drops);
each theme renders in its own process, as the window starts in one theme.
Qt renders offscreen unless QT_QPA_PLATFORM says otherwise (`xvfb-run -a` works too).
A state that does not come up in time is reported and the others still render;
the exit status is 1 when any state failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "fixtures" / "tiny_umt.pth"
ZOO_NAME = "umt-base-p16-res224_kinetics710-pre-ft_u8_k400-rgb"
SIZE = (1360, 860)

STATES = (
    "first-start",  # no model installed: the "No model yet" panel
    "playing",  # a file paused mid-way: live window, overlay, timeline, filmstrip, chart
    "explain",  # the same, with "Why this label" on: saliency maps on the filmstrip
    "whole-video",  # the file played to the end: whole-video 4x3 result and the complete timeline
    "failed-source",  # a damaged file was opened
    "preferences",
    "about",
    "shortcuts",
    "models",  # model manager: an imported checkpoint and the zoo
    "models-downloading",  # a download in progress
    "models-cancelled",  # a cancelled download (partial file kept)
    "models-offline",  # a download that cannot reach the server
    "evaluate-running",  # Evaluate during a run
    "evaluate-results",  # Evaluate after a run
)


# -- the parent: one process per theme ------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--theme", choices=("light", "dark", "both"), default="both")
    parser.add_argument("--only", nargs="+", choices=STATES, metavar="STATE", help=f"some of: {', '.join(STATES)}")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="folder for the PNGs")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return render_theme(args.theme, args.only or list(STATES), args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    status = 0
    for theme in ("light", "dark") if args.theme == "both" else (args.theme,):
        cmd = [sys.executable, __file__, "--worker", "--theme", theme, "--out", str(args.out)]
        if args.only:
            cmd += ["--only", *args.only]
        env = dict(os.environ)
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        status = max(status, subprocess.run(cmd, env=env).returncode)
    return status


# -- the worker: one theme, every state -------------------------------------------------
class Gallery:
    def __init__(self, theme: str, out: Path) -> None:
        self.theme, self.out = theme, out
        self.failed: list[str] = []

    def wait(self, condition, seconds: float = 120.0) -> bool:
        from PySide6.QtCore import QEventLoop
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents(QEventLoop.AllEvents, 50)
            if condition():
                return True
            time.sleep(0.02)
        return False

    def settle(self, seconds: float = 0.4) -> None:
        self.wait(lambda: False, seconds)

    def save(self, state: str, widget) -> None:
        self.settle()
        path = self.out / f"{state}-{self.theme}.png"
        if not widget.grab().save(str(path)):
            self.fail(state, f"cannot write {path}")
            return
        print(f"  {path.name}")

    def fail(self, state: str, why: str) -> None:
        self.failed.append(state)
        print(f"  {state}-{self.theme}: {why}", file=sys.stderr)


def _fresh(window) -> None:
    """Dismiss the messages of earlier states (errors stay until dismissed), so each shows its own."""
    banner = getattr(window, "banner", None)
    if banner is not None and hasattr(banner, "clear"):
        banner.clear()


def _menu_action(window, menu: str, text: str):
    top = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == menu)
    return next(a for a in top.actions() if a.text().replace("&", "").startswith(text))


def _dialog(object_name: str):
    from PySide6.QtWidgets import QApplication

    return next((w for w in QApplication.topLevelWidgets() if w.objectName() == object_name and w.isVisible()), None)


def _window(settings, model):
    from umt_desktop.gui.main_window import MainWindow

    window = MainWindow(settings, model=model)
    window.settings_persist = False
    window.resize(*SIZE)
    window.show()
    return window


def _mirror(delay: float):
    """An HTTP server on 127.0.0.1 that serves the tiny checkpoint under any name, `delay` s per 64 KiB."""
    data = TINY.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                for start in range(0, len(data), 64 * 1024):
                    self.wfile.write(data[start: start + 64 * 1024])
                    time.sleep(delay)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def render_theme(theme: str, states: list[str], out: Path) -> int:
    home = Path(tempfile.mkdtemp(prefix="umt-gallery-"))
    os.environ["UMT_DESKTOP_DATA_DIR"] = str(home / "data")
    os.environ["UMT_DESKTOP_CONFIG_DIR"] = str(home / "config")
    os.environ.pop("UMT_DESKTOP_MIRROR", None)
    sys.path.insert(0, str(ROOT))
    from tests.helpers.videos import write_video
    from umt_desktop.core.settings import Settings
    from umt_desktop.gui.app import application

    app = application(theme=theme)
    app.setApplicationDisplayName("UMT Desktop")
    g = Gallery(theme, out)
    print(f"{theme}:")
    settings = Settings.load()
    settings["span"], settings["stride"] = 2.0, 0.5

    if "first-start" in states:
        window = _window(settings, model=None)
        g.save("first-start", window)
        window.close()

    window = _window(settings, model=str(TINY))
    if not g.wait(lambda: window.classifier is not None, 120):
        g.fail("playing", "the tiny model did not load")
        return 1
    video = write_video(home / "street_dance.mp4", frames=240, size=(640, 360), fps=24.0)

    if "playing" in states or "explain" in states or "whole-video" in states:
        _fresh(window)
        window.open_sources([str(video)])
        if g.wait(lambda: window.predictions_shown >= 10, 180):
            if "playing" in states or "explain" in states:
                window.play_action.trigger()  # pause, as Space would
                g.wait(lambda: window.live.paused(), 10)
                if "playing" in states:
                    g.save("playing", window)
                if "explain" in states:
                    window.page.explain_button.click()
                    if g.wait(lambda: window.filmstrip.showing_heat and not window.filmstrip.heat_older, 60):
                        g.save("explain", window)
                    else:
                        g.fail("explain", "no saliency map came")
                    window.page.explain_button.click()
                window.play_action.trigger()
        else:
            g.fail("playing", "no live prediction")
        if "whole-video" in states:
            if g.wait(lambda: window.whole is not None and not window.live.running(), 240):
                g.save("whole-video", window)
            else:
                g.fail("whole-video", "the file did not finish")

    for name, menu, text, object_name in (("preferences", "File", "Preferences", "preferences-dialog"),
                                          ("about", "Help", "About", "about-dialog"),
                                          ("shortcuts", "Help", "Keyboard shortcuts", "shortcuts-dialog")):
        if name in states:
            _menu_action(window, menu, text).trigger()
            if g.wait(lambda object_name=object_name: _dialog(object_name) is not None, 10):
                dialog = _dialog(object_name)
                g.save(name, dialog)
                dialog.close()
            else:
                g.fail(name, f"{menu} -> {text} opened nothing")

    if "failed-source" in states:
        _fresh(window)
        broken = home / "damaged.mp4"
        broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4096))
        before = len(window.notifier.history)
        window.open_sources([str(broken)])
        if g.wait(lambda: any(n.level == "error" for n in window.notifier.history[before:]), 60):
            g.save("failed-source", window)
        else:
            g.fail("failed-source", "no error was shown")

    model_states = [s for s in states if s.startswith("models")]
    if model_states:
        _render_models(g, window, model_states)

    if "evaluate-running" in states or "evaluate-results" in states:
        _render_evaluate(g, window, home, states)

    window.close()
    print(f"{theme}: {len(states) - len(set(g.failed))} of {len(states)} states rendered")
    return 1 if g.failed else 0


def _render_models(g: Gallery, window, states: list[str]) -> None:
    dialog = window.models.show_manager()
    dialog.resize(1100, 560)
    if "models" in states:
        job = dialog.import_path(str(TINY), name="tiny-k400")
        g.wait(lambda: job._done.is_set(), 60)
        dialog.refresh()
        dialog.select(ZOO_NAME)
        g.save("models", dialog)
    if "models-downloading" in states or "models-cancelled" in states:
        server = _mirror(delay=0.3)
        os.environ["UMT_DESKTOP_MIRROR"] = f"http://127.0.0.1:{server.server_address[1]}"
        dialog.select(ZOO_NAME)
        dialog.download(ZOO_NAME)
        g.settle(4.0)
        if "models-downloading" in states:
            g.save("models-downloading", dialog)
        dialog.cancel_download()
        if not g.wait(lambda: not window.runner.running(), 30):
            g.fail("models-cancelled", "the download did not stop")
        if "models-cancelled" in states:
            dialog.refresh()
            dialog.select(ZOO_NAME)
            g.save("models-cancelled", dialog)
        server.shutdown()
        server.server_close()
    if "models-offline" in states:
        import socket

        with socket.socket() as s:  # a port nothing listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        os.environ["UMT_DESKTOP_MIRROR"] = f"http://127.0.0.1:{port}"
        name = "umt-large-p16-res224_kinetics710-pre-ft_u8_k400-rgb"
        dialog.select(name)
        dialog.download(name)
        g.settle(0.5)
        if g.wait(lambda: not window.runner.running(), 60):  # the download gave up
            g.save("models-offline", dialog)
        else:
            g.fail("models-offline", "the download neither failed nor ended")
    os.environ.pop("UMT_DESKTOP_MIRROR", None)
    dialog.close()


def _render_evaluate(g: Gallery, window, home: Path, states: list[str]) -> None:
    from tests.helpers.mini_kinetics import make_folders, probabilities, truth

    root = make_folders(home / "kinetics", truth(probabilities("1x1", n=12)))
    _fresh(window)
    window.tabs.setCurrentWidget(window.eval_page)
    panel = window.eval_panel
    panel.configure(root, checkpoints=[str(TINY)], views="1x1", device="cpu")
    g.wait(lambda: "videos in" in panel.summary_label.text(), 60)
    done = []
    panel.finished.connect(lambda ok: done.append(ok))
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.mouseClick(panel.start_button, Qt.LeftButton)  # as a person starts it

    def part_done() -> bool:  # the first progress line ("Run …: 3 of 13 videos, …") of a run still going
        return " of " in panel.status_label.text() and "videos" in panel.status_label.text()

    if "evaluate-running" in states:
        if g.wait(lambda: part_done() or bool(done), 120) and not done:
            g.save("evaluate-running", window)
        else:
            g.fail("evaluate-running", "the run ended before it could be shown (or never started)")
    if "evaluate-results" in states:
        if g.wait(lambda: bool(done), 300) and done[0]:
            g.save("evaluate-results", window)
        else:
            g.save("evaluate-results", window)  # kept, so the failure can be seen
            g.fail("evaluate-results", "the run did not finish" if not done else "the run failed")
    window.tabs.setCurrentIndex(0)


if __name__ == "__main__":
    sys.exit(main())
