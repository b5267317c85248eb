"""`umt-desktop models list|download NAME|import FILE [--name N] [--force]|remove NAME|verify [NAME...]|path`."""

from __future__ import annotations

import sys

from .common import ProgressBar, print_json


def add_parser(sub) -> None:
    p = sub.add_parser("models", help="list, download, import and remove checkpoints",
                       description="Manage the model zoo and locally installed checkpoints.")
    msub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = msub.add_parser("list", help="known and installed models")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(run=run_list)
    dl = msub.add_parser("download", help="download a zoo model (resumes a broken download)")
    dl.add_argument("name", metavar="NAME")
    dl.set_defaults(run=run_download)
    im = msub.add_parser("import", help="copy a local checkpoint file into the model folder")
    im.add_argument("file", metavar="FILE")
    im.add_argument("--name", metavar="N", help="name to install it under (default: the file name); "
                    "a zoo model's name only takes a file of that model's architecture")
    im.add_argument("--force", action="store_true", help="replace an installed model of the same name")
    im.set_defaults(run=run_import)
    rm = msub.add_parser("remove", help="delete an installed model (or an unfinished download of it)")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(run=run_remove)
    vf = msub.add_parser("verify", help="check installed files against their recorded sha256")
    vf.add_argument("names", nargs="*", metavar="NAME", help="default: every installed model")
    vf.set_defaults(run=run_verify)
    path = msub.add_parser("path", help="print the folder that holds installed models")
    path.set_defaults(run=lambda args: print(_store().root) or 0)


def _store():
    from ..core.model.zoo import ModelStore

    return ModelStore()


def run_list(args) -> int:
    from ..core.model.zoo import record_mismatch as zoo_mismatch
    from ..core.model.zoo import zoo

    store = _store()
    installed = store.installed()
    rows = []
    for entry in zoo().values():
        local = installed.get(entry.name)
        partial = store.partial(entry.name) if local is None else None
        wrong = zoo_mismatch(entry, local) if local is not None else None
        rows.append({
            "name": entry.name, "arch": entry.arch, "labels": f"Kinetics-{entry.num_classes}",
            "format": entry.format, "published_top1": entry.published_top1,
            "installed": local is not None, "size": local.size if local else None,
            "origin": local.origin if local else "zoo", "sha256": local.sha256 if local else entry.sha256,
            "partial_bytes": partial[0] if partial else None, "mismatch": wrong,
        })
    for name, local in installed.items():
        if name not in zoo():
            rows.append({
                "name": name, "arch": local.arch, "labels": f"{local.num_classes} classes",
                "format": local.format, "published_top1": None, "installed": True,
                "size": local.size, "origin": "import", "sha256": local.sha256, "partial_bytes": None,
                "mismatch": None,
            })
    if args.json:
        print_json(rows)
        return 0
    width = max(len(r["name"]) for r in rows)
    print(f"{'NAME':<{width}}  {'ARCH':<8}  {'LABELS':<13}  {'FORMAT':<9}  {'TOP-1':>5}  STATUS")
    for r in rows:
        top1 = f"{r['published_top1']:.2f}" if r["published_top1"] is not None else "-"
        if r["installed"] and r["mismatch"]:
            status = f"WRONG FILE: {r['mismatch'].split(', but')[0]} (remove it)"
        elif r["installed"]:
            status = f"installed ({r['size'] / 1e6:.0f} MB)"
        elif r["partial_bytes"] is not None:
            status = f"partial ({r['partial_bytes'] / 1e6:.1f} MB; download resumes it)"
        else:
            status = "-"
        print(f"{r['name']:<{width}}  {r['arch']:<8}  {r['labels']:<13}  {r['format']:<9}  {top1:>5}  {status}")
    print(f"\nmodels folder: {store.root}")
    return 0


def run_download(args) -> int:
    from ..core.errors import OfflineError
    from ..core.model.zoo import zoo_entry

    entry = zoo_entry(args.name)
    bar = ProgressBar(f"downloading {entry.name}", unit="B")
    try:
        model = _store().download(entry.name, progress=lambda done, total: bar.update(done, total))
    except BaseException as e:
        if bar.live:
            bar.close()  # end the line on the terminal; a log gets only the error
        if isinstance(e, OfflineError):
            raise OfflineError(
                f"{e}; or import a checkpoint you already have with "
                f"`umt-desktop models import FILE --name {entry.name}`"
            ) from None
        raise
    bar.close()
    print(f"installed {model.name} ({model.size / 1e6:.1f} MB, sha256 {model.sha256})")
    return 0


def run_import(args) -> int:
    from ..core.errors import ModelExistsError

    try:
        model = _store().import_file(args.file, name=args.name, force=args.force)
    except ModelExistsError as e:
        raise ModelExistsError(f"{e}; add --force to replace it") from None
    print(f"imported {model.name}: {model.arch}, {model.num_classes} classes, {model.format} format, "
          f"sha256 {model.sha256}")
    return 0


def run_remove(args) -> int:
    path = _store().remove(args.name)
    print(f"removed {args.name} ({path})", file=sys.stdout)
    return 0


def run_verify(args) -> int:
    from ..core.errors import UMTError

    store = _store()
    names = args.names or sorted(store.installed())
    bad = 0
    for name in names:
        try:
            model = store.verify(name)
            print(f"ok      {name}  sha256 {model.sha256}")
        except UMTError as e:
            bad += 1
            print(f"FAILED  {name}: {e}")
    return 1 if bad else 0
