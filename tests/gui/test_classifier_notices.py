"""The classifier's notes in the window: a half-precision overflow computed again in float32
is said once in the banner, as the command line says it once on stderr."""

from __future__ import annotations

import numpy as np
import pytest
from tests.helpers.checkpoints import float16_overflowing


def test_a_float16_overflow_is_noted_once_in_the_banner(qtbot, make_window, settings, make_video, drop, tmp_path):
    import torch

    try:
        with torch.autocast("cpu", dtype=torch.float16):
            torch.zeros(1, 2) @ torch.zeros(2, 1)
    except Exception as e:  # pragma: no cover - a CPU without float16 autocast
        pytest.skip(f"no float16 autocast on this CPU: {e}")
    settings["device"], settings["precision"] = "cpu", "float16"
    w = make_window(str(float16_overflowing(tmp_path / "big.pth")))
    assert w.classifier.runtime.precision == "float16"
    drop(w, [make_video(frames=48)])
    qtbot.waitUntil(lambda: any("computed again in float32" in t for t in w.banner.visible_texts()),
                    timeout=60_000)
    qtbot.waitUntil(lambda: w.whole is not None, timeout=60_000)
    qtbot.waitUntil(lambda: not w.live.running(), timeout=60_000)
    assert np.isfinite(w.whole.probs).all()  # the float32 figures are shown
    notes = [n for n in w.notifier.history if "computed again in float32" in n.text]
    assert len(notes) == 1, [n.text for n in notes]  # the stream and the whole video overflow: said once
    assert notes[0].text == "Note: float16 overflowed (NaN or infinite scores); computed again in float32"
    assert notes[0].level == "info"
