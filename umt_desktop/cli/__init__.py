"""Command-line front end: `umt-desktop COMMAND ...`.

Each command lives in its own module with `add_parser(subparsers)` and
`run(args) -> exit code`. Nothing here imports Qt; `gui` imports it when run.
User errors (`UMTError`) are printed on one line; exit codes: 0 success,
1 failed input, 2 usage error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__

COMMANDS = ["classify", "models", "stream", "eval", "bench", "gui"]


class _Parser(argparse.ArgumentParser):
    """Usage errors on one line too (argparse prints the whole usage first); exit code 2.
    The subcommands' parsers are of this class as well."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = _Parser(
        prog="umt-desktop",
        description="Video action recognition with UMT Kinetics models.",
    )
    parser.add_argument("--version", action="version", version=f"umt-desktop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.set_defaults(command=None)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as e:
            if e.name == f"{__name__}.{name}":
                continue  # command not part of this build
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv and "gui" in COMMANDS:
        argv = ["gui"]  # started from a launcher: open the window
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    from ..core.errors import UMTError

    try:
        return int(args.run(args) or 0)
    except UMTError as e:
        print(f"umt-desktop: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("umt-desktop: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
