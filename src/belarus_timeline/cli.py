"""The ``belarus-timeline`` command: a thin layer over the library functions.

One error boundary (:func:`main`) maps every outcome to an exit code:

- 0 success;
- 1 invalid data or a failed operation (findings, or one line saying what failed and why);
- 2 a usage error: one line naming the argument (argparse's own errors included);
- 3 an unexpected internal error: one line saying so and how to report it (``--debug`` shows
  the traceback);
- 130 interrupted.

With ``--json`` the command prints valid JSON on stdout whatever happens.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa

from belarus_timeline.curate import add_source, fix_offsets, locate
from belarus_timeline.diff import diff_packages
from belarus_timeline.downloader import (
    LATEST,
    cache_root,
    download,
    published_versions,
    verify_release,
    versions,
)
from belarus_timeline.errors import (
    BelarusTimelineError,
    UsageError,
    ValidationFailed,
    VersionError,
)
from belarus_timeline.manifest import registered_versions
from belarus_timeline.outputs.formats import FORMATS, run_export
from belarus_timeline.package import DESCRIPTOR, DataPackage, bundled_version
from belarus_timeline.progress import quiet
from belarus_timeline.project import ISSUES
from belarus_timeline.publish import publish, publish_all
from belarus_timeline.release import build_release, fetch_releases, release_dir_name
from belarus_timeline.semver import is_semver
from belarus_timeline.snapshot import read_snapshot
from belarus_timeline.validate import validate_package

PROG = "belarus-timeline"
ISSUES_URL = ISSUES

Handler = Callable[[argparse.Namespace], int]


def _cmd_validate(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    if path.is_file() and path.name != DESCRIPTOR:
        raise UsageError(
            f"{path} is a file, not a data package: pass the package's folder or its {DESCRIPTOR}"
        )
    _returning_pool()
    fixes = fix_offsets(path) if args.fix_offsets else None
    if fixes is not None and not args.json:
        for f in [*fixes.fixed, *fixes.left]:
            print(f.to_text())
    report = validate_package(
        path, limit=None if args.all else args.limit, sources_root=args.sources
    )
    if args.json:
        data = report.to_dict() | ({"offsets": fixes.to_dict()} if fixes is not None else {})
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(report.to_text())
    return 0 if report.valid else 1


def _returning_pool() -> None:
    """Arrow's jemalloc pool for this process, unless ARROW_DEFAULT_MEMORY_POOL chooses one:
    the validator frees large columns table after table, and jemalloc gives their pages back to
    the system where mimalloc (the default) keeps more of them (peak RSS 1.18 GB instead of
    1.33 GB at 1M events). Buffers already allocated stay with their own pool."""
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:
        return
    with contextlib.suppress(NotImplementedError):  # a pyarrow built without jemalloc
        pa.set_memory_pool(pa.jemalloc_memory_pool())


def _cmd_add_source(args: argparse.Namespace) -> int:
    added = add_source(
        args.root,
        args.file,
        source_id=args.id,
        title=args.title,
        publisher=args.publisher,
        published=args.published,
        url=args.url,
        language=args.language,
        contributors=args.contributors,
        rights=args.rights,
        notes=args.notes,
    )
    if args.json:
        print(json.dumps({"ok": True, **added.__dict__}, indent=2, ensure_ascii=False))
    else:
        print(added.next_steps())
    return 0


def _cmd_locate(args: argparse.Namespace) -> int:
    found = locate(args.root, args.source_id, args.excerpt)
    print(
        json.dumps(found.to_dict(), indent=2, ensure_ascii=False) if args.json else found.to_text()
    )
    return 0 if found.matches else 1


def _cmd_build(args: argparse.Namespace) -> int:
    root = Path(args.root)
    if not (root / DESCRIPTOR).is_file() and not (root.is_file() and root.name == DESCRIPTOR):
        raise UsageError(f"--root {root}: no {DESCRIPTOR} there; give the package's folder")
    try:
        result = build_release(
            args.root,
            args.dist,
            previous=args.previous,
            exports=not args.no_exports,
            fetch_previous=args.fetch_previous,
        )
    except ValidationFailed as exc:
        report = exc.report.to_dict()  # type: ignore[attr-defined]
        if args.json:  # the findings, not only the verdict
            failure = {"kind": "invalid", "message": str(exc)}
            print(json.dumps({"ok": False, "error": failure, "report": report}, indent=2))
            return 1
        print(exc.report.to_text(), file=sys.stderr)  # type: ignore[attr-defined]
        raise
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.summary())
    return 0


def _resolve_release(
    spec: str, dist: Path, *, fetch: bool = True, registry: Path | None = None
) -> Path:
    """A release folder given as a path, or as a version (in dist/, kept in the ``registry``,
    in the download cache, or downloaded when ``fetch``)."""
    path = Path(spec)
    if path.exists():
        return path
    if not is_semver(spec):
        raise UsageError(f"{spec!r} is neither a folder nor a version (MAJOR.MINOR.PATCH)")
    local = dist / release_dir_name(spec)
    if local.is_dir():
        return local
    kept = read_snapshot(registry, spec) if registry is not None else None
    if kept is not None:  # the version's data kept in the repository (releases/<version>/)
        return kept.root
    cached = cache_root() / spec
    if not fetch:
        if cached.is_dir():
            return cached
        raise UsageError(f"version {spec} is neither in {dist} nor in {cached}")
    return download(spec)


def _cmd_diff(args: argparse.Namespace) -> int:
    registry = Path(args.registry)
    old = DataPackage(_resolve_release(args.old, Path(args.dist), registry=registry))
    new = DataPackage(_resolve_release(args.new, Path(args.dist), registry=registry))
    d = diff_packages(old, new)
    print(d.to_json() if args.json else d.summary())
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    folder = _resolve_release(args.target, Path(args.dist), fetch=False)
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a release folder")
    result = verify_release(folder, registry=args.registry, base_url=args.base_url)
    checks = result.checks
    bad = [c for c in checks if c.status != "ok"]
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        for c in checks:
            print(f"{c.status:14} {c.path}" + (f"  ({c.detail})" if c.detail else ""))
        print(
            f"{folder}: {len(checks) - len(bad)} of {len(checks)} files verified against "
            f"{result.trusted_by}"
        )
    return 1 if bad else 0


def _done(args: argparse.Namespace, text: str, **data: Any) -> int:
    """Print the outcome of a command: ``text``, or with --json an object with ``data``."""
    print(json.dumps({"ok": True, **data}, indent=2, ensure_ascii=False) if args.json else text)
    return 0


def _cmd_publish(args: argparse.Namespace) -> int:
    if args.all:
        if args.release:
            raise UsageError("give a release or --all, not both")
        registry = Path(args.root) / "releases"
        never: list[str] = []
        if args.fetch_missing:
            absent = [
                v
                for v in registered_versions(registry)
                if not (Path(args.dist) / release_dir_name(v)).is_dir()
            ]
            published = set(published_versions()) if absent else set()
            never = [v for v in absent if v not in published]
            for v in never:
                print(f"{v}: recorded but never published; nothing to keep", file=sys.stderr)
            fetch_releases([v for v in absent if v in published], args.dist)
        targets = publish_all(args.dist, args.to, registry, never_published=never)
    else:
        spec = args.release or bundled_version()
        release = _resolve_release(spec, Path(args.dist), fetch=False)
        targets = [publish(release, args.to, registry=args.registry)]
    return _done(
        args,
        "\n".join(f"published {t}" for t in targets),
        published=[str(t) for t in targets],
    )


def _cmd_download(args: argparse.Namespace) -> int:
    folder = download(
        args.version,
        tables=args.tables,
        formats=args.format or ("parquet", "csv"),
        base_url=args.base_url,
        dest=args.to,
    )
    return _done(args, str(folder), folder=str(folder))


def _cmd_versions(args: argparse.Namespace) -> int:
    known = versions()
    return _done(args, "\n".join(known), versions=known)


def _cmd_export(args: argparse.Namespace) -> int:
    out = run_export(args.format, args.version, Path(args.out) if args.out else None)
    return _done(args, str(out), path=str(out))


class _Parser(argparse.ArgumentParser):
    """argparse that raises :class:`UsageError` instead of exiting, so that the error boundary
    answers in the requested form (text or JSON)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _common(p: argparse.ArgumentParser, *, json_flag: bool = True, dist: bool = False) -> None:
    if json_flag:
        p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    if dist:
        p.add_argument("--dist", default="dist", help="where to look for versions (default: dist)")
    p.add_argument("--debug", action="store_true", help="show the traceback of internal errors")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _add_validate(sub: Any) -> None:
    p = sub.add_parser(
        "validate", help="validate a data package (structural, semantic, provenance)"
    )
    p.add_argument("path", nargs="?", default=".", help="package folder or datapackage.json")
    p.add_argument(
        "--limit", type=_positive, default=100, help="findings listed per field and check"
    )
    p.add_argument("--all", action="store_true", help="list every finding")
    p.add_argument(
        "--fix-offsets",
        action="store_true",
        help="first rewrite the offsets of spans whose text occurs exactly once in its source",
    )
    p.add_argument(
        "--sources",
        metavar="DIR",
        type=_existing_dir,
        help="folder the archived texts' paths are relative to (for a release: the repository)",
    )
    _common(p)
    p.set_defaults(handler=_cmd_validate)


def _add_release_commands(sub: Any) -> None:
    p = sub.add_parser("build", help="validate and build the versioned release into dist/")
    p.add_argument("--root", default=".", help="the package to release (default: .)")
    p.add_argument(
        "--dist", default="dist", type=_folder, help="where releases are built (default: dist)"
    )
    p.add_argument(
        "--previous",
        type=_existing_dir,
        help="previous release folder (default: in dist/, else releases/<version>/)",
    )
    p.add_argument(
        "--fetch-previous",
        action="store_true",
        help="download older recorded versions missing from --dist first (verified)",
    )
    p.add_argument(
        "--no-exports",
        action="store_true",
        help="tables only: no exports, chart or page (for very large corpora)",
    )
    _common(p)
    p.set_defaults(handler=_cmd_build)

    p = sub.add_parser("diff", help="rows and schema changed between two releases")
    p.add_argument("old", help="release folder or version")
    p.add_argument("new", help="release folder or version")
    p.add_argument(
        "--registry",
        default="releases",
        help="where versions' kept data is (default: releases)",
    )
    _common(p, dist=True)
    p.set_defaults(handler=_cmd_diff)

    p = sub.add_parser(
        "verify", help="re-hash a local release against the manifest recorded for its version"
    )
    p.add_argument("target", help="release folder or version")
    _registry(p)
    p.add_argument(
        "--base-url",
        help="check against the published index.json there when the version is not recorded "
        "(env BELARUS_TIMELINE_BASE_URL)",
    )
    _common(p, dist=True)
    p.set_defaults(handler=_cmd_verify)

    p = sub.add_parser("publish", help="lay out a release for a static web server")
    p.add_argument(
        "release", nargs="?", help="release folder or version in --dist (default: the current)"
    )
    p.add_argument("--to", required=True, type=_folder, help="the folder the web server serves")
    p.add_argument(
        "--all", action="store_true", help="every version recorded in ROOT/releases (the site)"
    )
    p.add_argument("--root", default=".", help="the repository, for --all (default: .)")
    p.add_argument(
        "--fetch-missing",
        action="store_true",
        help="with --all: download recorded versions missing from --dist first (verified)",
    )
    _registry(p)
    _common(p, dist=True)
    p.set_defaults(handler=_cmd_publish)


def _registry(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--registry",
        metavar="DIR",
        type=_existing_dir,
        help="the recorded manifests (default: the releases/ shipped in the package)",
    )


def _add_distribution_commands(sub: Any) -> None:
    p = sub.add_parser("download", help="fetch and verify a published release")
    p.add_argument("version", type=_version, help="the version, e.g. 1.0.0, or latest")
    p.add_argument("--tables", nargs="+", metavar="TABLE", help="only these tables")
    p.add_argument("--format", action="append", choices=["parquet", "csv"], help="repeatable")
    p.add_argument("--to", type=_folder, help="download into this folder instead of the cache")
    p.add_argument(
        "--base-url",
        help="where releases are published (env BELARUS_TIMELINE_BASE_URL; default: "
        "the configuration file's base_url, else the project's site)",
    )
    _common(p)
    p.set_defaults(handler=_cmd_download)

    p = sub.add_parser("versions", help="list the versions this installation knows")
    _common(p)
    p.set_defaults(handler=_cmd_versions)

    p = sub.add_parser("export", help="write the events as TimelineJS, GeoJSON, iCalendar or JSONL")
    p.add_argument("format", choices=FORMATS, metavar="FORMAT", help=", ".join(FORMATS))
    p.add_argument(
        "--version", type=_version, help="a published release (default: the bundled data)"
    )
    p.add_argument(
        "--out",
        type=_output,
        help="file or folder (default: ./belarus-timeline-<version>.<ext>)",
    )
    _common(p)
    p.set_defaults(handler=_cmd_export)


def _add_curation_commands(sub: Any) -> None:
    p = sub.add_parser("add-source", help="archive a source text and add its row to sources")
    p.add_argument("file", help="the text, UTF-8, as published")
    p.add_argument("--id", required=True, help="source_id: lowercase words joined by '-'")
    p.add_argument("--title", required=True, help="headline as published")
    p.add_argument("--publisher", required=True, help="publisher as it names itself")
    p.add_argument("--published", required=True, help="publication date, YYYY-MM-DD")
    p.add_argument("--url", help="canonical URL, only if known")
    p.add_argument("--language", default="en", help="BCP 47 tag (default: en)")
    p.add_argument("--contributors", help="people credited in the text, as credited")
    p.add_argument("--rights", help="rights in the text (default: the publisher's, kept to check)")
    p.add_argument("--notes", help="where the metadata comes from")
    p.add_argument("--root", default=".", help="the package (default: .)")
    _common(p)
    p.set_defaults(handler=_cmd_add_source)

    p = sub.add_parser("locate", help="find a passage's offsets in an archived source")
    p.add_argument("source_id", help="the source (sources.source_id)")
    p.add_argument("excerpt", help="the words (straight or curly quotes and apostrophes alike)")
    p.add_argument("--root", default=".", help="the package (default: .)")
    _common(p)
    p.set_defaults(handler=_cmd_locate)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give 1 or more (or --all to list every one)")
    return value


def _version(text: str) -> str:
    if not is_semver(text) and text != LATEST:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a version (MAJOR.MINOR.PATCH) nor {LATEST!r}"
        )
    return text


def _existing_dir(text: str) -> str:
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text}: no such folder")
    return text


def _folder(text: str) -> str:
    """A folder to write into: it may not exist yet, but it may not be a file, nor lie under
    one."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder")
    _no_file_above(path, text)
    return text


def _output(text: str) -> str:
    """A file (or folder) to write: whatever of its parents exists must be folders."""
    _no_file_above(Path(text), text)
    return text


def _no_file_above(path: Path, text: str) -> None:
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise argparse.ArgumentTypeError(f"{text}: {parent} is a file, not a folder")
            return


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per job."""
    parser = _Parser(
        prog=PROG,
        description="Build, check, publish and load the belarus-timeline data package.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {bundled_version()}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    _add_validate(sub)
    _add_release_commands(sub)
    _add_distribution_commands(sub)
    _add_curation_commands(sub)
    return parser


def _say(argv: Sequence[str], command: str, kind: str, message: str) -> None:
    """One line on stderr; with --json also a JSON object on stdout."""
    message = " ".join(message.split()) if kind == "usage" else message
    print(f"{PROG} {command}: {message}".rstrip(), file=sys.stderr)
    if "--json" in argv:
        print(json.dumps({"ok": False, "error": {"kind": kind, "message": message}}, indent=2))


def _printable_streams() -> None:
    """Text that is not valid Unicode (a lone surrogate from a JSON escape in a descriptor) is
    printed escaped rather than crashing the output; JSON stays valid (``\\udc80``)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), "")
    _printable_streams()
    said = io.StringIO()  # what argparse prints for --help and --version
    try:
        with contextlib.redirect_stdout(said) if "--json" in argv else contextlib.nullcontext():
            args = build_parser().parse_args(argv)
        handler: Handler = args.handler
        with quiet(args.quiet):
            return handler(args)
    except SystemExit as exc:  # --help and --version exit through argparse
        code = int(exc.code or 0) if isinstance(exc.code, int | None) else 2
        if "--json" in argv:
            print(json.dumps({"ok": code == 0, "text": said.getvalue()}, indent=2))
        return code
    except (UsageError, VersionError) as exc:
        _say(argv, command, "usage", f"{exc} (see `{PROG} {command} --help`)".strip())
        return 2
    except BelarusTimelineError as exc:
        _say(argv, command, "failed", str(exc))
        return 1
    except OSError as exc:
        # The machine refused (permission, disk full, a file where a folder is needed): not a
        # bug of ours, and the message says which file.
        where = f"{exc.filename}: " if exc.filename else ""
        _say(argv, command, "failed", f"{where}{exc.strerror or exc}.")
        return 1
    except KeyboardInterrupt:
        _say(argv, command, "interrupted", "interrupted")
        return 130
    except Exception as exc:
        if "--debug" in argv:
            raise
        _say(
            argv,
            command,
            "internal",
            f"internal error ({type(exc).__name__}: {exc}). This is a bug: please report it at "
            f"{ISSUES_URL} with the output of the same command run with --debug.",
        )
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
