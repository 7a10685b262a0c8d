"""Hostile inputs, downloads, exports and the command line."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hostile_base import (
    ACTORS,
    CLI,
    VERSION,
    Case,
    Ctx,
    Mutation,
    deep_json,
    json_edit,
    put,
    replace,
    unlink,
)

# --- download ----------------------------------------------------------------------------------


def D(  # `download` from a private copy of the published tree, tampered
    id: str,
    tamper: Mutation,
    exit: int,
    says: str | None = None,
    *,
    args: tuple[str, ...] = (),
    version: str = VERSION,
    creates: bool = False,
    after: Callable[[Ctx], None] | None = None,
) -> Case:
    def run(ctx: Ctx) -> list[str]:
        url = ctx.site(id)
        tamper(ctx.www / id)
        return ["download", version, "--base-url", url, "--to", str(ctx.dir / "out"), *args]

    return Case(id, "download", run, exit, says=says, creates=creates, after=after)


def _index_edit(change: Callable[[dict[str, Any]], Any]) -> Mutation:
    return json_edit("index.json", change)


def _republish_manifest(change: Callable[[dict[str, Any]], Any]) -> Mutation:
    """Edit the published manifest and record its new sha256 in index.json: a publisher (or
    attacker) in full control of the tree."""

    def run(root: Path) -> None:

        json_edit(f"{VERSION}/manifest.json", change)(root)
        digest = hashlib.sha256((root / VERSION / "manifest.json").read_bytes()).hexdigest()
        _index_edit(lambda i: i["versions"][VERSION].__setitem__("manifest_sha256", digest))(root)

    return run


def _only_verified_files(ctx: Ctx) -> None:
    """An interrupted download keeps only files that verified (the next run resumes)."""
    out = ctx.dir / "out"
    published = ctx.www / "_published" / VERSION
    kept = [p for p in out.rglob("*") if p.is_file() and ".locks" not in p.parts]
    assert ACTORS not in {p.relative_to(out).as_posix() for p in kept}
    for p in kept:
        assert p.read_bytes() == (published / p.relative_to(out)).read_bytes(), p


def _lock_inside(ctx: Ctx) -> None:
    from belarus_timeline.downloader import verify_release

    out = ctx.dir / "out"
    assert (out / ".locks").is_dir(), sorted(p.name for p in out.iterdir())
    assert sorted(p.name for p in ctx.dir.iterdir()) == ["out"], "nothing beside the folder"
    # The lock inside the folder does not make the download fail its verification.
    checked = verify_release(out, base_url=f"{ctx.url}/download-lock-inside-the-folder")
    assert checked.ok, [c for c in checked.checks if c.status != "ok"]


DOWNLOAD_CASES = [
    CLI(
        "download-two-part-version",
        "download",
        ["download", "1.0", "--base-url", "{url}"],
        2,
        "1.0",
    ),
    CLI(
        "download-path-as-version",
        "download",
        ["download", "../../evil", "--base-url", "{url}"],
        2,
        "evil",
    ),
    CLI("download-version-newline", "download", ["download", "1.0.1\n", "--base-url", "{url}"], 2),
    CLI(
        "download-to-a-file",
        "download",
        ["download", VERSION, "--base-url", "{url}", "--to", "{dir}/f"],
        2,
        "not a folder",
        prepare=lambda ctx: (ctx.dir / "f").write_text("x"),
    ),
    CLI("download-format-xml", "download", ["download", VERSION, "--format", "xml"], 2, "xml"),
    CLI(
        "download-no-base-url",
        "download",
        ["download", VERSION, "--to", "{dir}/out"],
        1,
        "BELARUS_TIMELINE_BASE_URL",
    ),
    D("download-unpublished-version", lambda root: None, 1, "not published", version="9.9.9"),
    D("download-index-malformed", put("index.json", b"{"), 1, "refused"),
    D("download-index-deeply-nested", put("index.json", deep_json(100_000)), 1, "refused"),
    D(
        "download-index-versions-a-list",
        _index_edit(lambda i: i.__setitem__("versions", [])),
        1,
        "refused",
    ),
    D(
        "download-manifest-swapped",
        replace(f"{VERSION}/manifest.json", b'"version"', b'"version" ', 1),
        1,
        "does not match",
    ),
    D(
        "download-file-tampered",
        replace(f"{VERSION}/{ACTORS}", b"Vladimir Putin", b"Vladimir Putln"),
        1,
        "does not verify",
        creates=True,  # the files fetched before it stay: each one verified
        after=_only_verified_files,
    ),
    D(
        "download-file-missing",
        unlink(f"{VERSION}/{ACTORS}"),
        1,
        "404",
        creates=True,
        after=_only_verified_files,
    ),
    D(
        "download-manifest-path-escapes",
        _republish_manifest(lambda m: m["files"][0].__setitem__("path", "../../escaped")),
        1,
        "refused",
    ),
    D(
        "download-manifest-absolute-path",
        _republish_manifest(lambda m: m["files"][0].__setitem__("path", "/tmp/escaped")),
        1,
        "refused",
    ),
    D(
        "download-manifest-overwrites-itself",
        _republish_manifest(lambda m: m["files"][0].__setitem__("path", "manifest.json")),
        1,
        "refused",
    ),
    D(
        "download-manifest-other-version",
        _republish_manifest(lambda m: m.__setitem__("version", "2.0.0")),
        1,
        "not " + VERSION,
    ),
    D("download-unknown-table", lambda root: None, 1, "No table", args=("--tables", "nothing")),
    D("download-lock-inside-the-folder", lambda root: None, 0, creates=True, after=_lock_inside),
]


# --- export ------------------------------------------------------------------------------------

EXPORT_CASES = [
    CLI("export-two-part-version", "export", ["export", "geojson", "--version", "1.0"], 2, "1.0"),
    CLI("export-path-as-version", "export", ["export", "geojson", "--version", "../x"], 2),
    CLI("export-unknown-format", "export", ["export", "kml"], 2, "kml"),
    CLI(
        "export-out-under-a-file",
        "export",
        ["export", "geojson", "--out", "{dir}/f/x.geojson"],
        2,
        "not a folder",
        prepare=lambda ctx: (ctx.dir / "f").write_text("x"),
    ),
    CLI(
        "export-unpublished-version",
        "export",
        ["export", "geojson", "--version", "9.9.9"],
        1,
        "BELARUS_TIMELINE_BASE_URL",
    ),
    CLI("export-into-a-folder", "export", ["export", "jsonl", "--out", "{dir}"], 0, creates=True),
    CLI(
        "export-to-a-file",
        "export",
        ["export", "ics", "--out", "{dir}/events.ics"],
        0,
        creates=True,
    ),
]


# --- the command line --------------------------------------------------------------------------

CLI_CASES = [
    CLI("no-command", "cli", [], 2),
    CLI("unknown-command", "cli", ["frobnicate"], 2, "frobnicate"),
    CLI("unknown-option", "cli", ["validate", "--frobnicate"], 2, "frobnicate"),
    CLI("limit-zero", "cli", ["validate", "{pkg}", "--limit", "0"], 2, "--limit"),
    CLI("limit-negative", "cli", ["validate", "{pkg}", "--limit", "-3"], 2, "--limit"),
    CLI("limit-a-word", "cli", ["validate", "{pkg}", "--limit", "many"], 2, "--limit"),
    CLI("validate-missing-path", "cli", ["validate", "{dir}/nowhere"], 2, "nowhere"),
    CLI(
        "validate-a-csv-file", "cli", ["validate", "{pkg}/data/events.csv"], 2, "not a data package"
    ),
    CLI(
        "validate-sources-missing",
        "cli",
        ["validate", "{pkg}", "--sources", "{dir}/nowhere"],
        2,
        "--sources",
    ),
    CLI("validate-an-empty-folder", "cli", ["validate", "{dir}"], 1, "package-error"),
    CLI("validate-the-descriptor-file", "cli", ["validate", "{pkg}/datapackage.json"], 0),
    CLI("diff-not-a-version", "cli", ["diff", "{rel}", "not-a-version"], 2, "not-a-version"),
    CLI("diff-two-part-version", "cli", ["diff", "{rel}", "1.0"], 2, "1.0"),
    CLI("diff-unknown-version", "cli", ["diff", "{rel}", "9.9.9", "--dist", "{dir}"], 1),
    CLI("verify-two-part-version", "cli", ["verify", "1.0"], 2, "1.0"),
    CLI("verify-unknown-version", "cli", ["verify", "9.9.9", "--dist", "{dir}"], 2, "9.9.9"),
    CLI("verify-a-file", "cli", ["verify", "{pkg}/datapackage.json"], 2, "not a release folder"),
    CLI("verify-a-package-not-a-release", "cli", ["verify", "{pkg}"], 1, "manifest"),
    CLI(
        "verify-registry-missing",
        "cli",
        ["verify", "{rel}", "--registry", "{dir}/nowhere"],
        2,
        "--registry",
    ),
    CLI(
        "verify-against-the-published-index",
        "cli",
        ["verify", "{rel}", "--base-url", "{url}/_published"],
        0,
        "index.json",
    ),
    CLI(
        "publish-to-a-file",
        "cli",
        ["publish", "{rel}", "--to", "{dir}/f", "--registry", "{registry}"],
        2,
        "not a folder",
        prepare=lambda ctx: (ctx.dir / "f").write_text("x"),
    ),
    CLI("publish-two-part-version", "cli", ["publish", "1.0", "--to", "{dir}/www"], 2, "1.0"),
    CLI(
        "publish-unknown-version",
        "cli",
        ["publish", "9.9.9", "--to", "{dir}/www", "--dist", "{dir}"],
        2,
        "9.9.9",
    ),
    CLI(
        "publish-not-recorded",
        "cli",
        ["publish", "{rel}", "--to", "{dir}/www", "--registry", "{dir}/empty"],
        1,
        "not recorded",
        prepare=lambda ctx: (ctx.dir / "empty").mkdir(),
    ),
    CLI(
        "publish-over-a-malformed-index",
        "cli",
        ["publish", "{rel}", "--to", "{dir}/www", "--registry", "{registry}"],
        1,
        "index",
        prepare=lambda ctx: (
            (ctx.dir / "www").mkdir(),
            (ctx.dir / "www" / "index.json").write_text("{"),
        ),
    ),
    CLI("help", "cli", ["validate", "--help"], 0),
    CLI("version", "cli", ["--version"], 0),
    CLI("versions-json", "cli", ["versions", "--json"], 0, "1.0.0"),
]
