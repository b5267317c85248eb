"""Benchmarks: how fast the model and the pipelines run, beside the naive reference and the hardware floor.

    result = run_bench(BenchSettings(models=("UMT-B",), batches=(1, 12)))
    result.to_json()   # everything measured, with the machine it was measured on

One run measures, on every requested device and precision:

- `matmul`: the device's matrix-multiply rate (a large GEMM; every GEMM back end
  torch offers on that device, the fastest one being the hardware limit used below);
- `forward`: model forward time per view for UMT shapes with random weights, for
  the model's own path ("fast"), plain ATen kernels with SDPA ("sdpa", on CPU where
  the fast path runs its linear layers on oneDNN) and the reference's explicit
  attention ("naive"); each row has
  its FLOPs, its "floor" (FLOPs / matmul rate), the fraction of that limit reached and
  its speed-up over the naive float32 path measured side by side;
- `classify`: one end-to-end `Classifier.classify` (4x3 views) split into decode,
  preprocess and model time;
- `evaluation`: videos/s of the evaluation pipeline on a synthetic folder with N
  decode workers: decode only, model only and end to end, batch classification of
  the same folder (`classify FOLDER --output FILE`, the same pipeline) and, on a GPU, the
  reference pipeline (float32, naive attention, batches of 8 videos);
- `memory`: peak resident memory of this process (and of the decode workers) and
  peak GPU memory.

No figure here is asserted anywhere: speed is reported, correctness is tested.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .model import network as _model
from .device import available_devices, resolve
from .errors import Cancelled, UMTError
from .model.network import UMT_B, UMT_L, UMTConfig, random_model

# "tiny" is the shape of the test fixture: a whole bench in seconds, for checks, not for figures.
MODELS: dict[str, UMTConfig] = {
    "UMT-B": UMT_B,
    "UMT-L": UMT_L,
    "tiny": UMTConfig(embed_dim=128, depth=2, num_classes=400),
}
CUDA_PRECISIONS = ("float32", "bfloat16", "float16")
VIEWS_PER_VIDEO = 12  # the published 4x3 protocol
REFERENCE_BATCH_VIDEOS = 8  # MMAction2's test loop: batches of 8 videos, float32, naive attention


@dataclass
class BenchSettings:
    models: tuple[str, ...] = ("UMT-B", "UMT-L")
    batches: tuple[int, ...] = (1, 12)
    devices: tuple[str, ...] | None = None  # None: every available device
    precisions: tuple[str, ...] | None = None  # None: float32 on CPU, float32/bf16/fp16 on CUDA
    repeats: int = 3  # timed rounds per figure (the best pass is reported, the median kept) ...
    min_seconds: float = 2.0  # ... fewer once each path has had this much time
    naive: bool = True  # also time the reference's explicit attention, for the speed-up
    gemm_size: int = 4096
    classify: bool = True
    evaluation: bool = True
    workers: int = 2
    videos: int | None = None  # synthetic folder size; None: 4 on CPU, 256 with CUDA
    reference: bool | None = None  # reference pipeline; None: only on a GPU
    threads: int | None = None  # torch threads; None: torch's default (one per core)
    reader: str = "decord"
    compile: bool = True  # torch.compile on CUDA: a "compiled" forward path, and the pipelines compiled
    clips: str | None = None  # a class-folder tree of clips to use instead of writing synthetic ones

    @classmethod
    def quick(cls, **overrides) -> BenchSettings:
        """Minutes, not tens of minutes, on a small CPU: UMT-B at batch 1, one pass each."""
        base = cls(models=("UMT-B",), batches=(1,), repeats=1, min_seconds=0.0, gemm_size=2048, videos=2)
        return replace(base, **overrides)

    @property
    def pipeline_model(self) -> str:
        return self.models[0]


@dataclass
class BenchResult:
    machine: dict
    settings: dict
    matmul: list[dict] = field(default_factory=list)
    forward: list[dict] = field(default_factory=list)
    classify: list[dict] = field(default_factory=list)
    evaluation: list[dict] = field(default_factory=list)
    memory: dict = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


# -- the machine ---------------------------------------------------------------
def machine_info() -> dict:
    """What the figures were measured on."""
    info = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cpu_capability": _safe(lambda: torch.backends.cpu.get_cpu_capability()),
        "onednn": bool(getattr(_model, "ONEDNN", False)),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": _safe(lambda: [round(x, 2) for x in os.getloadavg()]),
        "gpus": [],
    }
    if torch.cuda.is_available():
        info["cuda"] = torch.version.cuda
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            info["gpus"].append({"name": p.name, "memory_gb": round(p.total_memory / 2**30, 1)})
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _safe(fn):
    try:
        return fn()
    except Exception:
        return None


# -- timing helpers ------------------------------------------------------------
def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn: Callable[[], object], device: torch.device, repeats: int, min_seconds: float,
           check: Callable[[], None]) -> list[float]:
    """Wall times of `fn`, at least one pass, at most `repeats`, fewer once `min_seconds` are spent."""
    times: list[float] = []
    spent = 0.0
    while len(times) < max(1, repeats):
        check()
        _sync(device)
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
        spent += times[-1]
        if min_seconds > 0 and spent >= min_seconds:
            break
    return times


# -- matrix multiply -----------------------------------------------------------
def matmul_rates(device: torch.device, precision: str, size: int, repeats: int,
                 check: Callable[[], None] = lambda: None) -> list[dict]:
    """FLOP/s of a size x size x size GEMM on every back end torch has for this device/dtype."""
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[precision]
    gen = torch.Generator(device="cpu").manual_seed(0)
    a = torch.randn(size, size, generator=gen).to(device, dtype)
    b = torch.randn(size, size, generator=gen).to(device, dtype)
    backends: list[tuple[str, Callable[[], object]]] = [("aten", lambda: torch.mm(a, b))]
    if device.type == "cpu" and dtype == torch.float32 and getattr(_model, "ONEDNN", False):
        backends.append(("onednn", lambda: _model._onednn_linear(a, b, None)))
    rows = []
    flops = 2.0 * size**3
    for name, fn in backends:
        fn()  # warm up: kernels chosen, caches filled
        times = _timed(fn, device, max(3, repeats), 0.0, check)
        best = min(times)
        rows.append({
            "device": str(device), "precision": precision, "backend": name, "size": size,
            "seconds": best, "tflops": flops / best / 1e12,
        })
    return rows


# -- model forward -------------------------------------------------------------
def _paths(device: torch.device, precision: str, naive: bool, compile: bool = False) -> list[str]:
    """Which attention/kernel paths are timed for a device and precision."""
    paths = ["fast"]
    if device.type == "cpu" and getattr(_model, "ONEDNN", False):
        paths.append("sdpa")  # the fast CPU path runs its linears on oneDNN: show plain ATen beside it
    if compile and device.type == "cuda":
        from .device import compile_unavailable

        if compile_unavailable(device) is None:
            paths.append("compiled")  # torch.compile of the fast path (what the pipelines run on CUDA)
    if naive and precision == "float32":
        paths.append("naive")
    return paths


def _set_path(model: torch.nn.Module, path: str) -> None:
    model.naive_attention = path == "naive"
    if hasattr(model, "onednn"):
        model.onednn = path == "fast"


def forward_rows(model_name: str, device: torch.device, precision: str, batches: tuple[int, ...],
                 settings: BenchSettings, check: Callable[[], None],
                 progress: Callable[[str], None]) -> list[dict]:
    """Time the paths in interleaved rounds (fast, sdpa, naive, fast, ...) so that whatever else
    runs on the machine slows them alike; the best pass is the figure, the median is kept too."""
    config = MODELS[model_name]
    runtime = resolve(str(device), precision)
    model = random_model(config).to(device)
    if runtime.dtype is not None:
        model.cast_to_half(runtime.dtype)  # as the classifier does: weights cast once, no autocast
    paths = _paths(device, precision, settings.naive, settings.compile)
    gen = torch.Generator(device="cpu").manual_seed(0)
    rows = []
    # As the classifier runs it: batches compiled, one view (the live window) through CUDA graphs.
    compiled = torch.compile(model, dynamic=False) if "compiled" in paths else None
    compiled_live = torch.compile(model, mode="reduce-overhead", dynamic=False) if compiled is not None else None
    compile_seconds: dict[int, float] = {}

    def step(x: torch.Tensor, path: str = "fast") -> None:
        nonlocal compiled_live
        if path != "compiled":
            model(x)
        elif len(x) == 1 and compiled_live is not None:
            try:
                torch.compiler.cudagraph_mark_step_begin()
                compiled_live(x)
            except Exception:  # CUDA graphs unavailable: the plain compiled model
                compiled_live = None
                compiled(x)
        else:
            compiled(x)

    with torch.inference_mode():
        if device.type == "cuda":
            # Warm-up: kernel selection and the caching allocator. On a CPU the first pass costs
            # milliseconds more against seconds.
            warm = torch.randn(1, 3, config.frames, config.image, config.image, generator=gen).to(device)
            for path in paths:
                if path != "compiled":
                    _set_path(model, path)
                    step(warm)
        for batch in batches:
            x = torch.randn(batch, 3, config.frames, config.image, config.image, generator=gen).to(device)
            times: dict[str, list[float]] = {p: [] for p in paths}
            peak: dict[str, float] = {}
            for round_ in range(max(1, settings.repeats)):
                for path in paths:
                    check()
                    progress(f"forward {config.name} {device} {precision} {path} batch {batch} pass {round_ + 1}")
                    _set_path(model, "fast" if path == "compiled" else path)
                    if device.type == "cuda":
                        if round_ == 0:
                            # batch-specific warm-up (cuBLAS/flash kernels; compilation), outside the timing
                            t_warm = time.perf_counter()
                            step(x, path)
                            _sync(device)
                            if path == "compiled":
                                compile_seconds[batch] = time.perf_counter() - t_warm
                        torch.cuda.reset_peak_memory_stats(device)
                    times[path] += _timed(lambda: step(x, path), device, 1, 0.0, check)
                    if device.type == "cuda":
                        peak[path] = max(peak.get(path, 0.0), torch.cuda.max_memory_allocated(device) / 2**20)
                spent = sum(sum(t) for t in times.values()) / len(paths)
                if settings.min_seconds > 0 and spent >= settings.min_seconds:
                    break
            for path in paths:
                best, median = min(times[path]), statistics.median(times[path])
                row = {
                    "model": config.name, "device": str(device), "precision": precision, "path": path,
                    "batch": batch, "runs": len(times[path]),
                    "ms_per_view": 1000.0 * best / batch,
                    "median_ms_per_view": 1000.0 * median / batch,
                    "gflops_per_view": config.flops_per_view() / 1e9,
                    "tflops": config.flops_per_view() * batch / best / 1e12,
                }
                if path in peak:
                    row["gpu_peak_mb"] = peak[path]
                if path == "compiled":
                    row["compile_seconds"] = compile_seconds.get(batch)
                rows.append(row)
    return rows


def attach_floor(forward: list[dict], matmul: list[dict]) -> None:
    """Add floor time (FLOPs / best measured matmul rate) and speed-up over naive float32 to each row."""
    best: dict[tuple[str, str], float] = {}
    for m in matmul:
        key = (m["device"], m["precision"])
        best[key] = max(best.get(key, 0.0), m["tflops"])
    naive = {(r["model"], r["device"], r["batch"]): r["ms_per_view"]
             for r in forward if r["path"] == "naive" and r["precision"] == "float32"}
    for r in forward:
        rate = best.get((r["device"], r["precision"]))
        if rate:
            floor_ms = r["gflops_per_view"] / (rate * 1e3) * 1e3
            r["floor_ms_per_view"] = floor_ms
            r["floor_fraction"] = floor_ms / r["ms_per_view"]  # 1.0 = at the hardware limit
        else:
            r["floor_ms_per_view"] = r["floor_fraction"] = None
        ref = naive.get((r["model"], r["device"], r["batch"]))
        r["speedup_vs_naive"] = ref / r["ms_per_view"] if ref else None


# -- synthetic videos and checkpoints ------------------------------------------
def write_synthetic_video(path: Path, frames: int = 300, size: tuple[int, int] = (340, 256),
                          fps: float = 30.0, seed: int = 0) -> str:
    """A Kinetics-like clip (10 s, 340x256, 30 fps) with motion; H.264 when ffmpeg is at hand.

    Returns the codec used. Kinetics copies are H.264; OpenCV's MPEG-4 is the fallback.
    """
    import cv2

    width, height = size
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, size=(height, width, 3), dtype=np.uint8)
    blur = cv2.GaussianBlur(base, (0, 0), 6)  # texture that compresses like camera footage

    def frame(i: int) -> np.ndarray:
        img = np.roll(blur, shift=(2 * i) % width, axis=1).copy()
        x = (i * 5) % max(1, width - 40)
        cv2.rectangle(img, (x, height // 3), (x + 40, height // 3 + 60), (255, 255 - i % 255, 0), -1)
        return img

    try:
        import subprocess

        import imageio_ffmpeg

        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "rawvideo",
               "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "-",
               "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(path)]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
        for i in range(frames):
            proc.stdin.write(frame(i).tobytes())
        proc.stdin.close()
        if proc.wait() == 0:
            return "h264"
    except (ImportError, OSError):
        pass
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise UMTError(f"cannot write a test video to {path}")
    for i in range(frames):
        writer.write(frame(i))
    writer.release()
    return "mp4v"


def write_random_checkpoint(config: UMTConfig, path: Path) -> Path:
    """A checkpoint file with random weights, in the OpenGVLab layout `load_checkpoint` reads."""
    torch.save({"model": random_model(config).state_dict()}, path)
    return path


def synthetic_folder(root: Path, videos: int, labels: list[str]) -> tuple[Path, str]:
    """A Kinetics-style class-folder tree of `videos` clips; returns (root, codec)."""
    codec = "mp4v"
    for i in range(videos):
        folder = root / labels[i % len(labels)]
        folder.mkdir(parents=True, exist_ok=True)
        codec = write_synthetic_video(folder / f"clip_{i:03d}.mp4", seed=i)
    return root, codec


# -- end to end ------------------------------------------------------------------
def classify_rows(checkpoint: Path, video: Path, device: str, precision: str, repeats: int,
                  reader: str, check: Callable[[], None], compile: bool = True) -> dict:
    from .classifier import load_classifier

    clf = load_classifier(checkpoint, device=device, precision=precision, reader=reader, compile=compile)
    warmup = clf.warm_up([1, 12])  # compilation (the 1x1 warm-up below, the 4x3 views), counted apart
    clf.classify(video, views="1x1")  # warm-up: decoder and kernels
    runs = []
    for _ in range(max(1, repeats)):
        check()
        result = clf.classify(video, views="4x3")
        _sync(clf.device)
        runs.append(result)
    pick = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]
    return {
        "model": clf.model.config.name, "device": str(clf.device), "precision": clf.runtime.precision,
        "views": pick.views, "runs": len(runs), "seconds": pick.seconds,
        **{f"{k}_seconds": v for k, v in pick.timings.items()},
        "compiled": clf.compiled, "warmup_seconds": warmup,
    }


def evaluation_rows(root: Path, checkpoint: Path, device: str, precision: str, workers: int,
                    reader: str, reference: bool, check: Callable[[], None],
                    progress: Callable[[str], None], compile: bool = True) -> dict:
    """decode-only, model-only and end-to-end videos/s of the evaluation pipeline on one folder.

    Each mode has its whole-run rate (start-up included), its steady rate (after the first video
    came out) and its start-up (worker processes, first decode) apart; compilation happens before
    the timing and is reported as `*_warmup_seconds`.
    """
    from .evaluation.run import measure_throughput

    row: dict = {"device": device, "precision": precision, "workers": workers}
    for mode in ("decode", "model", "full"):
        check()
        progress(f"evaluation {mode} on {device} ({workers} decode workers)")
        m = measure_throughput(root, None if mode == "decode" else checkpoint, mode=mode, workers=workers,
                               device=device, precision=precision, reader=reader, compile=compile)
        row["videos"] = m["videos"]
        row[f"{mode}_videos_per_s"] = m["videos_per_second"]
        row[f"{mode}_steady_videos_per_s"] = m.get("steady_videos_per_second")
        row[f"{mode}_startup_seconds"] = m.get("startup_seconds")
        if mode != "decode":
            row[f"{mode}_warmup_seconds"] = m.get("warmup_seconds")
    # Decoding alone is quick, so its worker start-up is left out (steady rate). End to end is timed
    # whole: "after the first video" would leave out that video's compute when the model is the bound.
    # Batch classification (`classify FOLDER --output FILE`) on the same videos: the same pipeline,
    # so the same videos/s as end to end.
    check()
    progress(f"batch classification on {device} ({workers} decode workers)")
    from .batch import measure_batch

    b = measure_batch(root, checkpoint, workers=workers, device=device, precision=precision, reader=reader)
    row["batch_videos_per_s"] = b["videos_per_second"]
    row["batch_steady_videos_per_s"] = b["steady_videos_per_second"]
    decode = row.get("decode_steady_videos_per_s") or row["decode_videos_per_s"]
    bound = min(decode, row.get("model_steady_videos_per_s") or row["model_videos_per_s"])
    row["end_to_end_fraction"] = row["full_videos_per_s"] / bound if bound else None
    steady = row.get("full_steady_videos_per_s")
    row["steady_end_to_end_fraction"] = steady / bound if bound and steady else None
    if reference:
        check()
        progress(f"reference pipeline on {device} (float32, naive, batches of {REFERENCE_BATCH_VIDEOS})")
        ref = reference_throughput(root, checkpoint, device, workers, reader)
        row["reference_videos_per_s"] = ref["videos_per_second"]
        row["reference_steady_videos_per_s"] = ref["steady_videos_per_second"]
        row["reference_startup_seconds"] = ref["startup_seconds"]
        theirs = ref["videos_per_second"]
        row["speedup_vs_reference"] = row["full_videos_per_s"] / theirs if theirs else None
        theirs, ours = ref["steady_videos_per_second"], row.get("full_steady_videos_per_s")
        row["steady_speedup_vs_reference"] = ours / theirs if ours and theirs else None
    return row


def reference_throughput(root: Path, checkpoint: Path, device: str, workers: int, reader: str) -> dict:
    """The reference's test loop on our decode side: float32, naive attention, 8 videos a batch, uncompiled,
    each batch read back before the next is gathered (the model side as MMAction2's loop runs it; the
    decode side is ours: torch-free workers, views staged once)."""
    from .classifier import load_classifier
    from .evaluation.dataset import KineticsFolder
    from .evaluation.run import time_pipeline

    clf = load_classifier(checkpoint, device=device, precision="float32", reader=reader,
                          naive_attention=True, batch_size=REFERENCE_BATCH_VIDEOS * VIEWS_PER_VIDEO, compile=False)
    if hasattr(clf.model, "onednn"):
        clf.model.onednn = False
    items = sorted(KineticsFolder.open(root).labelled(clf.labels)[0], key=lambda it: it.id)
    jobs = [(i, str(it.path)) for i, it in enumerate(items)]
    # The same timed loop as `measure_throughput`; batches of 8 videos' views, as the reference's loader.
    timing = time_pipeline(jobs, "4x3", clf=clf, reader=reader, workers=workers,
                           batch_size=REFERENCE_BATCH_VIDEOS * VIEWS_PER_VIDEO, overlap=False).to_json()
    return {k: timing[k] for k in ("videos", "videos_per_second", "steady_videos_per_second", "startup_seconds")}


# -- the whole run -----------------------------------------------------------------
def _precisions(device: torch.device, settings: BenchSettings) -> list[str]:
    if device.type == "cpu":
        wanted = settings.precisions or ("float32",)
        return [p for p in wanted if p == "float32"] or ["float32"]
    wanted = settings.precisions or CUDA_PRECISIONS
    out = []
    for p in wanted:
        if p == "bfloat16" and not torch.cuda.is_bf16_supported():
            continue
        out.append(p)
    return out


def _check_settings(settings: BenchSettings) -> None:
    unknown = [m for m in settings.models if m not in MODELS]
    if unknown or not settings.models:
        raise UMTError(f"unknown model shape {', '.join(unknown) or '(none)'} (choose from {', '.join(MODELS)})")
    if not settings.batches or min(settings.batches) < 1:
        raise UMTError("batch sizes must be at least 1")
    if settings.workers < 0:
        raise UMTError("the number of decode workers cannot be negative")


def run_bench(settings: BenchSettings | None = None, *, progress: Callable[[str], None] | None = None,
              cancelled: Callable[[], bool] | None = None, workdir: str | Path | None = None) -> BenchResult:
    """Measure everything `settings` asks for; `progress(text)` before each step; stops when `cancelled()`."""
    settings = settings or BenchSettings()
    _check_settings(settings)
    say = progress or (lambda _text: None)

    def check() -> None:
        if cancelled is not None and cancelled():
            raise Cancelled("benchmark cancelled")

    if settings.threads:
        torch.set_num_threads(settings.threads)
    devices = [torch.device(resolve(d).device) for d in (settings.devices or available_devices())]
    start = time.perf_counter()
    result = BenchResult(machine=machine_info(), settings=asdict(settings))
    if any(d.type == "cuda" for d in devices):
        for d in devices:
            if d.type == "cuda":
                torch.cuda.reset_peak_memory_stats(d)

    for device in devices:
        for precision in _precisions(device, settings):
            check()
            say(f"matmul rate {device} {precision}")
            result.matmul += matmul_rates(device, precision, settings.gemm_size, settings.repeats, check)
    for name in settings.models:
        for device in devices:
            for precision in _precisions(device, settings):
                result.forward += forward_rows(name, device, precision, settings.batches, settings, check, say)
    attach_floor(result.forward, result.matmul)

    if settings.classify or settings.evaluation:
        with tempfile.TemporaryDirectory(prefix="umt-bench-", dir=workdir) as tmp:
            tmp = Path(tmp)
            config = MODELS[settings.pipeline_model]
            say(f"writing a random {config.name} checkpoint and synthetic videos")
            checkpoint = write_random_checkpoint(config, tmp / f"random-{settings.pipeline_model}.pth")
            from .model.labels import kinetics

            labels = kinetics(config.num_classes).names
            for device in devices:
                precision = resolve(str(device)).precision  # the default a user gets on it
                if settings.classify:
                    video = _first_clip(settings.clips) if settings.clips else tmp / "clip.mp4"
                    if not video.exists():
                        write_synthetic_video(video)
                    check()
                    say(f"classify 4x3 on {device}")
                    result.classify.append(classify_rows(checkpoint, video, str(device), precision,
                                                         settings.repeats, settings.reader, check,
                                                         settings.compile))
                if settings.evaluation:
                    n = settings.videos or (256 if device.type == "cuda" else 4)
                    root = tmp / f"videos-{n}"
                    if settings.clips:
                        root = Path(settings.clips)
                        result.settings["codec"] = "given"
                    elif not root.exists():
                        say(f"writing {n} synthetic videos")
                        _, codec = synthetic_folder(root, n, labels)
                        result.settings["codec"] = codec
                    reference = settings.reference if settings.reference is not None else device.type == "cuda"
                    result.evaluation.append(evaluation_rows(root, checkpoint, str(device), precision,
                                                             settings.workers, settings.reader, reference,
                                                             check, say, settings.compile))

    result.memory = peak_memory(devices)
    # Other work on the machine disturbs timings: the load at the end is recorded beside the start.
    result.machine["load_average_end"] = _safe(lambda: [round(x, 2) for x in os.getloadavg()])
    result.seconds = time.perf_counter() - start
    return result


def _first_clip(folder: str | Path) -> Path:
    from .video.readers import is_video_path

    clips = sorted(p for p in Path(folder).rglob("*") if p.is_file() and is_video_path(p))
    if not clips:
        raise UMTError(f"no video files in {folder}")
    return clips[0]


def write_clips(folder: str | Path, videos: int) -> str:
    """Write the bench's synthetic clips once (`bench --write-clips DIR`), for `bench --clips DIR`
    on a machine without an H.264 encoder; returns the codec."""
    from .model.labels import kinetics

    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise UMTError(f"{folder} is not empty; choose a new folder for the clips")
    return synthetic_folder(folder, videos, kinetics(400).names)[1]


def peak_memory(devices: list[torch.device]) -> dict:
    """Peak resident memory (MiB) of this process, and peak GPU memory allocated by torch.

    Decode workers are left out: a spawned child's ru_maxrss counts the parent's pages
    it held between fork and exec, which says nothing about decoding.
    """
    try:
        import resource  # POSIX only

        kib = 1024.0 if platform.system() != "Darwin" else 1024.0 * 1024.0  # ru_maxrss: KiB on Linux, B on macOS
        cpu_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / kib
    except ImportError:
        cpu_peak = None
    out = {"cpu_peak_mb": cpu_peak, "gpu_peak_mb": {}}
    for d in devices:
        if d.type == "cuda":
            out["gpu_peak_mb"][str(d)] = torch.cuda.max_memory_allocated(d) / 2**20
    return out
