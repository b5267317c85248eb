"""GPU probe beside the bench: precision on the fixtures, the live window, decode scaling.

    python docs/bench_probe.py CLIPS_DIR all docs/bench-cuda-probe.json     # CLIPS_DIR from bench --write-clips
    python docs/bench_probe.py "" precision out.json                       # the fixture precision only
"""
import json, statistics, sys, time
from pathlib import Path

import numpy as np
import torch

from umt_desktop import load_classifier
from umt_desktop.core.bench import write_random_checkpoint
from umt_desktop.core.model.network import UMT_B


def main():
    global out
    out = {"torch": torch.__version__, "cuda": torch.version.cuda}
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    out["gpu"] = torch.cuda.get_device_name(0) if dev == "cuda" else None
    F = Path("tests/fixtures")
    ref = json.loads((F / "reference.json").read_text())
    clips = sys.argv[1] if len(sys.argv) > 1 else None
    part = sys.argv[2] if len(sys.argv) > 2 else "all"


    def dump():
        Path(sys.argv[3] if len(sys.argv) > 3 else "probe.json").write_text(json.dumps(out, indent=1))


    # 1. default GPU precision vs float32 on the fixtures (4x3)
    prec = {}
    for precision in (["float32", "float16", "bfloat16"] if dev == "cuda" else ["float32"]):
        for compile in ((False, True) if dev == "cuda" and precision == "float16" else (False,)):
            if part == "decode":
                break
            try:
                clf = load_classifier(F / "tiny_umt.pth", device=dev, precision=precision, compile=compile)
                worst = 0.0
                for v in ref["videos"]:
                    p = clf.classify(F / v["file"]).probs
                    worst = max(worst, float(np.abs(p - np.array(v["probs"])).max()))
                prec[f"{precision}{'-compiled' if compile else ''}"] = worst
            except Exception as e:
                prec[f"{precision}{'-compiled' if compile else ''}"] = f"error: {type(e).__name__}: {e}"[:300]
            print("precision", precision, compile, prec[f"{precision}{'-compiled' if compile else ''}"], flush=True)
    out["fixture_max_abs_diff_vs_reference"] = prec
    dump()

    # 2. the live window: one 8-frame view through the classifier (UMT-B random weights, default precision)
    ck = write_random_checkpoint(UMT_B, Path("/tmp/umtb.pth"))
    live = {}
    frames = np.random.default_rng(0).integers(0, 255, (8, 256, 340, 3), dtype=np.uint8)
    for compile in ((True, False) if dev == "cuda" else (False,)):
        if part in ("decode", "precision"):
            break
        try:
            clf = load_classifier(ck, device=dev, compile=compile)
            t0 = time.perf_counter()
            clf.warm_up([1])
            warm = time.perf_counter() - t0
            views = torch.from_numpy(np.ascontiguousarray(frames[:, 16:240, 58:282])).unsqueeze(0)
            for _ in range(5):
                clf.predict_views(views)
            model_ms, window_ms = [], []
            for _ in range(50):
                if dev == "cuda":
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
                clf.predict_views(views)  # copy, model, read back
                model_ms.append(1e3 * (time.perf_counter() - t0))
                t0 = time.perf_counter()
                clf.classify_frames(frames)  # resize, crop, copy, model, read back: what the stream engine runs
                window_ms.append(1e3 * (time.perf_counter() - t0))
            live["compiled" if compile else "eager"] = {
                "precision": clf.runtime.precision, "compiled": clf.compiled, "note": clf.compile_note,
                "warmup_seconds": warm, "predict_ms_median": statistics.median(model_ms),
                "predict_ms_min": min(model_ms), "classify_frames_ms_median": statistics.median(window_ms)}
        except Exception as e:
            live["compiled" if compile else "eager"] = f"error: {type(e).__name__}: {e}"[:300]
        print("live", live, flush=True)
    out["live_window_umt_b"] = live
    dump()

    # 3. decode scaling with workers (the bench's clips)
    if clips and part in ("all", "decode"):
        from umt_desktop.core.evaluation.run import measure_throughput
        scaling = []
        for w in (1, 4, 8, 14):
            m = measure_throughput(clips, None, mode="decode", workers=w, limit=96 if w > 1 else 16)
            scaling.append({"workers": w, **{k: m.get(k) for k in ("videos", "videos_per_second", "steady_videos_per_second", "startup_seconds")}})
            print("decode", scaling[-1], flush=True)
        out["decode_scaling"] = scaling
        dump()


if __name__ == "__main__":
    main()
