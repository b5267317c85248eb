"""`umt-desktop bench [--quick] [--json] [--devices ...] [--models ...] [--batches ...] [--workers N]`."""

from __future__ import annotations

import argparse
import sys

from .common import check_output_file, count, positive_int, print_json


def add_parser(sub) -> None:
    p = sub.add_parser(
        "bench",
        help="measure model and pipeline speed (beside the naive reference and the hardware floor)",
        description=(
            "Time the UMT forward pass (random weights) per view on every device and precision, beside the "
            "reference's naive attention and the floor set by the measured matrix-multiply rate; then "
            "end-to-end classify and evaluation throughput on synthetic videos."
        ),
    )
    p.add_argument("--quick", action="store_true",
                   help="UMT-B at batch 1, one timed pass each, 2 videos (a few minutes on a small CPU)")
    p.add_argument("--models", nargs="+", metavar="SHAPE", choices=["UMT-B", "UMT-L", "tiny"],
                   help="model shapes: UMT-B, UMT-L, tiny (default: UMT-B UMT-L; --quick: UMT-B)")
    p.add_argument("--batches", nargs="+", type=positive_int, metavar="N", help="views per forward pass (default: 1 12)")
    p.add_argument("--devices", nargs="+", metavar="DEVICE", help="cpu, cuda, cuda:N (default: every available device)")
    p.add_argument("--precisions", nargs="+", choices=["float32", "bfloat16", "float16"], metavar="P",
                   help="CUDA precisions (default: float32 bfloat16 float16; the CPU runs float32)")
    p.add_argument("--repeats", type=positive_int, metavar="N", help="timed rounds, the paths interleaved; the best pass is reported (default: 3)")
    p.add_argument("--workers", type=count, default=2, metavar="N", help="decode worker processes (default: 2)")
    p.add_argument("--videos", type=positive_int, metavar="N", help="synthetic videos for the throughput figures (default: 4 on CPU, 32 on CUDA)")
    p.add_argument("--threads", type=positive_int, metavar="N", help="torch threads (default: one per core)")
    p.add_argument("--gemm-size", type=positive_int, metavar="N", help="matrix size of the matmul-rate GEMM (default: 4096)")
    p.add_argument("--no-naive", action="store_true", help="skip the naive reference attention")
    p.add_argument("--no-classify", action="store_true", help="skip the end-to-end classify timing")
    p.add_argument("--no-eval", action="store_true", help="skip the evaluation throughput")
    p.add_argument("--clips", metavar="DIR",
                   help="time the pipelines on these clips (class folders, e.g. from --write-clips) instead of "
                        "writing synthetic ones")
    p.add_argument("--write-clips", metavar="DIR",
                   help="only write the synthetic clips (--videos N, default 256) into DIR, for a later --clips DIR")
    p.add_argument("--no-compile", dest="compile", action="store_false",
                   help="no torch.compile on CUDA (default: a compiled path beside the others, compiled pipelines)")
    p.add_argument("--reference", action=argparse.BooleanOptionalAction, default=None,
                   help="time the reference pipeline (float32, naive, 8-video batches) beside ours (default: on a GPU)")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object instead of tables")
    p.add_argument("--output", metavar="FILE", help="also write the JSON results to FILE")
    p.set_defaults(run=run)




def settings_from_args(args):
    from ..core.bench import BenchSettings

    overrides = {}
    if args.models:
        overrides["models"] = tuple(args.models)
    if args.batches:
        overrides["batches"] = tuple(args.batches)
    if args.devices:
        overrides["devices"] = tuple(args.devices)
    if args.precisions:
        overrides["precisions"] = tuple(args.precisions)
    if args.repeats:
        overrides["repeats"] = args.repeats
    if args.videos:
        overrides["videos"] = args.videos
    if args.threads:
        overrides["threads"] = args.threads
    if args.gemm_size:
        overrides["gemm_size"] = args.gemm_size
    overrides.update(
        workers=args.workers, naive=not args.no_naive, classify=not args.no_classify,
        evaluation=not args.no_eval, reference=args.reference, compile=args.compile, clips=args.clips,
    )
    return BenchSettings.quick(**overrides) if args.quick else BenchSettings(**overrides)


def run(args) -> int:
    from ..core.bench import run_bench
    from ..core.jsonio import dumps

    if args.write_clips:
        from ..core.bench import write_clips

        n = args.videos or 256
        codec = write_clips(args.write_clips, n)
        print(f"{n} {codec} clips in {args.write_clips}", file=sys.stderr)
        return 0
    settings = settings_from_args(args)
    if args.output:
        check_output_file(args.output, "--output")  # before minutes of timing, not after

    def progress(text: str) -> None:
        print(f"bench: {text}", file=sys.stderr, flush=True)

    result = run_bench(settings, progress=progress)
    data = result.to_json()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(dumps(data, indent=1))
    if args.json:
        print_json(data)
    else:
        sys.stdout.write(format_report(data))
        sys.stdout.flush()
    return 0


# -- tables ----------------------------------------------------------------------------
def _num(value, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _times(value) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.rjust(w) if i > 0 and c[:1] in "0123456789-." else c.ljust(w)
                      for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    return "\n".join(out) + "\n"


def format_report(data: dict) -> str:
    m = data["machine"]
    parts = [
        f"machine: {m['cpu']}, {m['cores']} cores ({m['torch_threads']} torch threads, {m['cpu_capability']}), "
        f"torch {m['torch']}, {m['date']}, load average {m['load_average']} -> {m.get('load_average_end')}\n"
    ]
    for g in m.get("gpus", []):
        parts.append(f"gpu: {g['name']} ({g['memory_gb']} GiB), CUDA {m.get('cuda')}\n")
    if data["matmul"]:
        parts.append("\nmatrix multiply (the hardware limit is the fastest back end)\n")
        parts.append(_table(
            ["device", "precision", "backend", "size", "TFLOP/s"],
            [[r["device"], r["precision"], r["backend"], str(r["size"]), f"{r['tflops']:.3f}"] for r in data["matmul"]],
        ))
    if data["forward"]:
        parts.append("\nmodel forward per view (random weights; best of interleaved passes; floor = FLOPs / matmul rate)\n")
        parts.append(_table(
            ["model", "device", "precision", "path", "batch", "ms/view", "floor ms", "of limit", "TFLOP/s", "vs naive"],
            [[r["model"], r["device"], r["precision"], r["path"], str(r["batch"]), f"{r['ms_per_view']:.1f}",
              _num(r.get("floor_ms_per_view"), ".1f"),
              "-" if r.get("floor_fraction") is None else f"{100 * r['floor_fraction']:.0f}%",
              f"{r['tflops']:.3f}",
              "-" if r.get("speedup_vs_naive") is None else f"{r['speedup_vs_naive']:.2f}x"]
             for r in data["forward"]],
        ))
        for r in data["forward"]:
            if r.get("compile_seconds"):
                parts.append(f"{r['model']} {r['device']} {r['precision']} batch {r['batch']}: compiled in "
                             f"{r['compile_seconds']:.1f} s (not in the timing)\n")
    if data["classify"]:
        parts.append("\nclassify one video, 4x3 views (seconds)\n")
        parts.append(_table(
            ["model", "device", "precision", "decode", "preprocess", "model", "total"],
            [[r["model"], r["device"], r["precision"], f"{r['decode_seconds']:.3f}", f"{r['preprocess_seconds']:.3f}",
              f"{r['model_seconds']:.3f}", f"{r['seconds']:.3f}"] for r in data["classify"]],
        ))
    if data["evaluation"]:
        parts.append("\nevaluation throughput, 4x3 views (videos/s; whole: the whole run, start-up included; "
                     "steady: after the first video; start-up: seconds until the first video)\n")
        parts.append(_table(
            ["device", "precision", "workers", "videos", "start-up", "decode only", "model only", "end to end",
             "e2e steady", "steady/bound", "whole/bound", "batch"],
            [[r["device"], r["precision"], str(r["workers"]), str(r["videos"]),
              _num(r.get("full_startup_seconds"), ".2f"),
              _num(r.get("decode_steady_videos_per_s") or r.get("decode_videos_per_s"), ".2f"),
              _num(r.get("model_videos_per_s"), ".3f"),
              _num(r.get("full_videos_per_s"), ".3f"),
              _num(r.get("full_steady_videos_per_s"), ".3f"),
              _pct(r.get("steady_end_to_end_fraction")),
              _pct(r.get("end_to_end_fraction")),
              _num(r.get("batch_videos_per_s"), ".3f")]
             for r in data["evaluation"]],
        ))
        rows = [r for r in data["evaluation"] if r.get("reference_videos_per_s")]
        if rows:
            parts.append("\nreference pipeline beside ours (float32, naive attention, batches of 8 videos, uncompiled)\n")
            parts.append(_table(
                ["device", "videos", "ref whole", "ref steady", "vs ref whole", "vs ref steady"],
                [[r["device"], str(r["videos"]), _num(r.get("reference_videos_per_s"), ".3f"),
                  _num(r.get("reference_steady_videos_per_s"), ".3f"),
                  _times(r.get("speedup_vs_reference")), _times(r.get("steady_speedup_vs_reference"))]
                 for r in rows],
            ))
        warm = [(r["device"], r.get("full_warmup_seconds")) for r in data["evaluation"] if r.get("full_warmup_seconds")]
        for device, seconds in warm:
            parts.append(f"compilation on {device}: {seconds:.1f} s before the timed runs (not in the rates)\n")
    mem = data["memory"]
    gpu = ", ".join(f"{k} {v:.0f} MiB" for k, v in mem.get("gpu_peak_mb", {}).items())
    parts.append(f"\npeak memory: this process {_num(mem['cpu_peak_mb'], '.0f')} MiB"
                 + (f", GPU {gpu}" if gpu else "") + f"; bench took {data['seconds']:.0f} s\n")
    return "".join(parts)
