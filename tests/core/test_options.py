"""core.options: one definition of the shared defaults, bounds and value types, torch-free."""

import subprocess
import sys

import pytest

from umt_desktop.core import options
from umt_desktop.core.errors import UMTError
from umt_desktop.core.options import STRIDE, Smoothing, file_path_of, frame_stride, is_live_source
from umt_desktop.core.settings import DEFAULTS, Settings
from umt_desktop.core.streaming.sources import CameraSource, FileSource, NetworkSource, open_source


def test_importing_options_does_not_import_torch_numpy_or_qt():
    code = (
        "import sys\n"
        "import umt_desktop.core.options\n"
        "bad = sorted(m for m in ('torch', 'numpy', 'cv2', 'decord', 'PySide6') if m in sys.modules)\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_building_the_cli_parser_does_not_import_torch():
    code = (
        "import sys\n"
        "from umt_desktop.cli import build_parser\n"
        "build_parser().parse_args(['stream', 'a.mp4', '--checkpoint', 'x.pth', '--stride', '0.04'])\n"
        "assert 'torch' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_settings_defaults_are_the_shared_ones():
    assert DEFAULTS["span"] == options.DEFAULT_SPAN and DEFAULTS["stride"] == options.DEFAULT_STRIDE
    assert DEFAULTS["smoothing"] == options.DEFAULT_SMOOTHING and DEFAULTS["topk"] == options.DEFAULT_TOPK
    assert DEFAULTS["threshold"] == options.DEFAULT_THRESHOLD


@pytest.mark.parametrize("bounds", [options.SPAN, options.STRIDE, options.THRESHOLD, options.TOPK])
def test_settings_use_the_shared_bounds(bounds):
    key = {"top-k": "topk"}.get(bounds.name, bounds.name)
    s = Settings()
    s[key] = type(DEFAULTS[key])(bounds.low)
    s[key] = type(DEFAULTS[key])(bounds.high)
    for bad in (bounds.low - 0.01 if bounds.name != "top-k" else 0, bounds.high + 1):
        with pytest.raises(ValueError):
            s[key] = type(DEFAULTS[key])(bad)


def test_stride_bounds():
    assert STRIDE.check(0.04) == 0.04
    for bad in (1e-9, 0.0, -1.0, 31.0, float("nan"), float("inf"), 10**400):
        assert bad not in STRIDE
        with pytest.raises(ValueError, match="stride must lie between 0.04 and 30 s"):
            STRIDE.check(bad)


@pytest.mark.parametrize("text", ["off", "none", "raw", "ema", "EMA", "ema:0.3", "ema:.3", "ema:1", " mean ", "mean:5",
                                  "mean:100"])
def test_one_smoothing_parser_for_the_engine_and_the_settings(text):
    parsed = Smoothing.parse(text)
    s = Settings()
    s["smoothing"] = text
    assert s["smoothing"] == str(parsed)  # stored in its canonical form
    assert Smoothing.parse(s["smoothing"]) == parsed


@pytest.mark.parametrize("text", ["ema:0", "ema:1.5", "ema:nan", "ema:inf", "mean:0", "mean:101", "mean:1e3", "median",
                                  "off:3", "ema:x", "mean:9" * 200])
def test_bad_smoothing_is_refused_alike(text):
    with pytest.raises(UMTError):
        Smoothing.parse(text)
    with pytest.raises(ValueError):
        Settings()["smoothing"] = text


@pytest.mark.parametrize(
    "spec, live, kind",
    [
        ("camera:0", True, CameraSource),
        ("rtsp://127.0.0.1:1/x", True, NetworkSource),
        ("http://127.0.0.1:1/x.mp4", True, NetworkSource),
        ("file:///videos/a%20b.mp4", False, FileSource),
        ("FILE:///videos/a.mp4", False, FileSource),
        ("/videos/a.mp4", False, FileSource),
        ("clip.mp4", False, FileSource),
    ],
)
def test_one_definition_of_a_live_source(spec, live, kind):
    assert is_live_source(spec) is live
    assert isinstance(open_source(spec), kind)  # the core's sources agree (not opened)


def test_file_urls_become_paths():
    assert file_path_of("file:///videos/a%20b.mp4") == "/videos/a b.mp4"
    assert file_path_of("file://localhost/videos/a.mp4") == "/videos/a.mp4"
    assert file_path_of("/videos/a.mp4") == "/videos/a.mp4"
    assert open_source("file:///videos/a%20b.mp4").path.as_posix() == "/videos/a b.mp4"


def test_stride_below_one_frame_is_raised_to_it():
    assert frame_stride(0.5, 25.0) == (0.5, None)
    assert frame_stride(0.04, 25.0) == (0.04, None)
    stride, note = frame_stride(0.05, 10.0)
    assert stride == pytest.approx(0.1) and "10 fps" in note and "0.1 s" in note
    assert frame_stride(0.05, None) == (0.05, None)
