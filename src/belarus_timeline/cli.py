"""The ``belarus-timeline`` command: a thin layer over the library functions.

Exit codes: 0 success, 1 invalid data or a failed operation, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from belarus_timeline.errors import BelarusTimelineError, ValidationFailed

Handler = Callable[[argparse.Namespace], int]


def _cmd_validate(args: argparse.Namespace) -> int:
    from belarus_timeline.validate import validate_package

    path = Path(args.path)
    if not path.exists():
        print(f"belarus-timeline validate: {path}: no such file or folder", file=sys.stderr)
        return 2
    report = validate_package(
        path, limit=None if args.all else args.limit, sources_root=args.sources
    )
    print(report.to_json() if args.json else report.to_text())
    return 0 if report.valid else 1


def _cmd_build(args: argparse.Namespace) -> int:
    from belarus_timeline.release import VersionError, build_release

    try:
        result = build_release(
            args.root, args.dist, previous=args.previous, exports=not args.no_exports
        )
    except VersionError as exc:
        print(f"belarus-timeline build: {exc}", file=sys.stderr)
        return 2
    except ValidationFailed as exc:
        print(exc.report.to_text(), file=sys.stderr)  # type: ignore[attr-defined]
        print(f"belarus-timeline build: {exc}", file=sys.stderr)
        return 1
    print(result.summary())
    return 0


def _resolve_release(spec: str, dist: Path, *, fetch: bool = True) -> Path:
    """A release folder given as a path, or as a version (in dist/, the download cache, or
    downloaded when ``fetch``)."""
    path = Path(spec)
    if path.exists():
        return path
    from belarus_timeline.diff import parse_semver
    from belarus_timeline.release import release_dir_name

    try:
        parse_semver(spec)
    except ValueError:
        raise SystemExit(f"belarus-timeline: {spec!r} is neither a folder nor a version") from None
    local = dist / release_dir_name(spec)
    if local.is_dir():
        return local
    from belarus_timeline.downloader import cache_root, download

    cached = cache_root() / spec
    if not fetch:
        if cached.is_dir():
            return cached
        raise SystemExit(f"belarus-timeline: version {spec} is neither in {dist} nor in {cached}")
    return download(spec)


def _cmd_diff(args: argparse.Namespace) -> int:
    from belarus_timeline.diff import diff_packages
    from belarus_timeline.package import DataPackage

    old = DataPackage(_resolve_release(args.old, Path(args.dist)))
    new = DataPackage(_resolve_release(args.new, Path(args.dist)))
    d = diff_packages(old, new)
    print(d.to_json() if args.json else d.summary())
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from belarus_timeline.release import verify_folder

    folder = _resolve_release(args.target, Path(args.dist), fetch=False)
    checks = verify_folder(folder)
    bad = [c for c in checks if c.status != "ok"]
    if args.json:
        print(json.dumps([c.__dict__ for c in checks], indent=2))
    else:
        for c in checks:
            print(f"{c.status:14} {c.path}" + (f"  ({c.detail})" if c.detail else ""))
        print(f"{folder}: {len(checks) - len(bad)} of {len(checks)} files verified")
    return 1 if bad else 0


def _cmd_publish(args: argparse.Namespace) -> int:
    from belarus_timeline.publish import publish

    target = publish(_resolve_release(args.release, Path(args.dist), fetch=False), args.to)
    print(f"published {target}")
    return 0


def _cmd_download(args: argparse.Namespace) -> int:
    from belarus_timeline.downloader import download

    folder = download(
        args.version,
        tables=args.tables,
        formats=args.format or ("parquet", "csv"),
        base_url=args.base_url,
        dest=args.to,
    )
    print(folder)
    return 0


def _cmd_versions(args: argparse.Namespace) -> int:
    from belarus_timeline.downloader import versions

    print("\n".join(versions()))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from belarus_timeline.export import run_export

    out = run_export(args.format, args.version, Path(args.out) if args.out else None)
    print(out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per job."""
    from belarus_timeline import __version__

    parser = argparse.ArgumentParser(
        prog="belarus-timeline",
        description="Build, check, publish and load the belarus-timeline data package.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "validate", help="validate a data package (structural, semantic, provenance)"
    )
    p.add_argument("path", nargs="?", default=".", help="package folder or datapackage.json")
    p.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    p.add_argument("--limit", type=int, default=100, help="findings listed per field and check")
    p.add_argument("--all", action="store_true", help="list every finding")
    p.add_argument(
        "--sources",
        metavar="DIR",
        help="folder the archived texts' paths are relative to (for a release: the repository)",
    )
    p.set_defaults(handler=_cmd_validate)

    p = sub.add_parser("build", help="validate and build the versioned release into dist/")
    p.add_argument("--root", default=".", help="the package to release (default: .)")
    p.add_argument("--dist", default="dist", help="where releases are built (default: dist)")
    p.add_argument("--previous", help="previous release folder (default: found in dist/)")
    p.add_argument(
        "--no-exports",
        action="store_true",
        help="tables only: no exports, chart or page (for very large corpora)",
    )
    p.set_defaults(handler=_cmd_build)

    p = sub.add_parser("diff", help="rows and schema changed between two releases")
    p.add_argument("old", help="release folder or version")
    p.add_argument("new", help="release folder or version")
    p.add_argument("--dist", default="dist", help="where to look for versions (default: dist)")
    p.add_argument("--json", action="store_true", help="the full diff as JSON")
    p.set_defaults(handler=_cmd_diff)

    p = sub.add_parser("verify", help="re-hash a local release against its manifest")
    p.add_argument("target", help="release folder or version")
    p.add_argument("--dist", default="dist", help="where to look for versions (default: dist)")
    p.add_argument("--json", action="store_true", help="one record per file as JSON")
    p.set_defaults(handler=_cmd_verify)

    p = sub.add_parser("publish", help="lay out a release for a static web server")
    p.add_argument("release", help="release folder or version (in --dist)")
    p.add_argument("--to", required=True, help="the folder the web server serves")
    p.add_argument("--dist", default="dist", help="where to look for versions (default: dist)")
    p.set_defaults(handler=_cmd_publish)

    p = sub.add_parser("download", help="fetch and verify a published release")
    p.add_argument("version", help="the version, e.g. 1.0.0")
    p.add_argument("--tables", nargs="+", metavar="TABLE", help="only these tables")
    p.add_argument("--format", action="append", choices=["parquet", "csv"], help="repeatable")
    p.add_argument("--to", help="download into this folder instead of the cache")
    p.add_argument(
        "--base-url", help="where releases are published (env BELARUS_TIMELINE_BASE_URL)"
    )
    p.set_defaults(handler=_cmd_download)

    p = sub.add_parser("versions", help="list the versions this installation knows")
    p.set_defaults(handler=_cmd_versions)

    from belarus_timeline.export import FORMATS

    p = sub.add_parser("export", help="write the events as TimelineJS, GeoJSON, iCalendar or JSONL")
    p.add_argument("format", choices=FORMATS, metavar="FORMAT", help=", ".join(FORMATS))
    p.add_argument("--version", help="a published release (default: the bundled data)")
    p.add_argument("--out", help="file or folder (default: ./belarus-timeline-<version>.<ext>)")
    p.set_defaults(handler=_cmd_export)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
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
