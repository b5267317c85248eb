"""What a saliency map of one live window costs, beside classifying that window.

    python docs/explain_cost.py                      # CPU: the tiny fixture and UMT-B/16 with random weights
    python docs/explain_cost.py --device cuda --runs 20

For each model: the median time of `Classifier.classify_frames` on one 8-frame window (what
the live loop spends per window) and of the map the window's "Why this label" toggle adds
(`core.streaming.explainer.explain_clip`: gradient x activation in float32, one view, sized
to and blended over 8 thumbnails of 171 x 96). Prints a Markdown table. Run it from a
source checkout (the tiny checkpoint is in tests/fixtures). No timed assertion depends on it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny_umt.pth"


def _classifier(name: str, device: str, precision: str):
    from umt_desktop.core.classifier import Classifier, load_classifier
    from umt_desktop.core.device import resolve
    from umt_desktop.core.model.checkpoint import FORMATS, Checkpoint
    from umt_desktop.core.model.labels import labels_for
    from umt_desktop.core.model.network import UMT_B, random_model

    if name == "tiny":
        return load_classifier(TINY, device=device, precision=precision, compile=False)
    checkpoint = Checkpoint(model=random_model(UMT_B).eval(), format="mmaction2", preprocessing=FORMATS["mmaction2"])
    return Classifier(checkpoint, labels_for(400), resolve(device, precision), name="UMT-B/16 (random weights)",
                      compile=False)


def _median_ms(fn, runs: int) -> float:
    fn()  # warm-up (and the float32 copy of a half-precision model, made once)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def measure(name: str, device: str, precision: str, runs: int) -> tuple[str, str, float, float]:
    import numpy as np
    import torch

    from umt_desktop.core.streaming.engine import WindowClip
    from umt_desktop.core.streaming.explainer import explain_clip

    clf = _classifier(name, device, precision)
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (8, 224, 224, 3), dtype=np.uint8)
    thumbs = [rng.integers(0, 256, (96, 171, 3), dtype=np.uint8) for _ in range(8)]
    clip = WindowClip(0, 1.0, 0.0, list(range(8)), frames, clf)

    def sync():
        if clf.device.type == "cuda":
            torch.cuda.synchronize(clf.device)

    with torch.inference_mode():
        classify = _median_ms(lambda: (clf.classify_frames(frames), sync()), runs)
    explain = _median_ms(lambda: (explain_clip(clip, 0, thumbs), sync()), runs)
    return clf.name, clf.runtime.label, classify, explain


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--models", nargs="+", default=["tiny", "umt-b"], choices=["tiny", "umt-b"])
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, median of {args.runs} runs\n")
    print("| model | device | classify one window | its saliency map | map / window |")
    print("| --- | --- | --- | --- | --- |")
    for name in args.models:
        model, device, classify, explain = measure(name, args.device, args.precision, args.runs)
        print(f"| {model} | {device} | {classify:.0f} ms | {explain:.0f} ms | {explain / classify:.1f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
