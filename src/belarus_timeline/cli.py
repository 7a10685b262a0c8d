"""The ``belarus-timeline`` command: a thin layer over the library functions.

Exit codes: 0 success, 1 invalid data or a failed operation, 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from belarus_timeline.errors import BelarusTimelineError

Handler = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, Handler] = {}


def _cmd_validate(args: argparse.Namespace) -> int:
    from belarus_timeline.validate import validate_package

    path = Path(args.path)
    if not path.exists():
        print(f"belarus-timeline validate: {path}: no such file or folder", file=sys.stderr)
        return 2
    report = validate_package(path, limit=None if args.all else args.limit)
    print(report.to_json() if args.json else report.to_text())
    return 0 if report.valid else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="belarus-timeline",
        description="Build, check, publish and load the belarus-timeline data package.",
    )
    from belarus_timeline import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "validate", help="validate a data package (structural, semantic, provenance)"
    )
    p.add_argument("path", nargs="?", default=".", help="package folder or datapackage.json")
    p.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    p.add_argument("--limit", type=int, default=100, help="findings listed per field and check")
    p.add_argument("--all", action="store_true", help="list every finding")
    p.set_defaults(handler=_cmd_validate)

    for register in _EXTENSIONS:
        register(sub)
    return parser


# Other modules add their sub-commands here (release, publish, download, export).
_EXTENSIONS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except BelarusTimelineError as exc:
        print(f"belarus-timeline {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
