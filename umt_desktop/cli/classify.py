"""`umt-desktop classify VIDEO... (--model NAME | --checkpoint FILE)`."""

from __future__ import annotations

import sys

from ..core.options import DEFAULT_PROTOCOL, DEFAULT_READER, PROTOCOL_NAMES, READER_NAMES
from .common import add_device_options, add_model_options, positive_int, print_json


def add_parser(sub) -> None:
    p = sub.add_parser(
        "classify",
        help="classify whole videos (top-k Kinetics classes)",
        description="Classify whole videos with the published 4 clips x 3 crops protocol (or 1x1).",
    )
    p.add_argument("videos", nargs="+", metavar="VIDEO")
    add_model_options(p)
    add_device_options(p)
    p.add_argument("--views", default=DEFAULT_PROTOCOL, choices=PROTOCOL_NAMES, help="test protocol (default: 4x3, the published one)")
    p.add_argument("--topk", type=positive_int, default=5, metavar="K")
    p.add_argument("--batch-size", type=positive_int, default=12, metavar="N", help="views per forward pass (default: 12)")
    p.add_argument("--reader", default=DEFAULT_READER, choices=READER_NAMES, help="video decoder (default: decord)")
    p.add_argument("--json", action="store_true", help="one JSON object per video per line")
    p.set_defaults(run=run)




def run(args) -> int:
    from ..core.classifier import load_classifier
    from ..core.errors import UMTError

    clf = load_classifier(
        args.checkpoint or args.model,
        device=args.device,
        precision=args.precision,
        labels=args.labels,
        batch_size=args.batch_size,
        reader=args.reader,
    )
    failed = 0
    for video in args.videos:
        try:
            result = clf.classify(video, views=args.views, topk=args.topk)
        except UMTError as e:
            failed += 1
            if args.json:
                print_json({"video": video, "error": str(e)})
            else:
                print(f"{video}: error: {e}", file=sys.stderr)
            continue
        if args.json:
            print_json(result.to_json())
        else:
            print(f"{video}  ({result.views}, {result.seconds:.2f} s, {clf.name} on {clf.runtime.label})")
            for rank, t in enumerate(result.top, 1):
                print(f"  {rank}. {t.score * 100:6.2f}%  {t.label}  [{t.index}]")
            sys.stdout.flush()
    return 1 if failed else 0
