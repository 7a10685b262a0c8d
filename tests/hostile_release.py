"""Hostile inputs, releases: validate, verify, publish and build a tampered release."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from semver import Version

from hostile_base import (
    ACTORS,
    ACTORS_PQ,
    CLI,
    CURRENT,
    PB,
    RV,
    VERSION,
    VF,
    Case,
    Ctx,
    Mutation,
    cell,
    cells,
    deep_json,
    desc,
    json_edit,
    put,
    raw,
    replace,
    resource,
    unlink,
)

# --- releases: validate, verify, publish, build ------------------------------------------------


def _parquet_edit(path: str, column: str, value: str) -> Mutation:
    def run(root: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pq.read_table(root / path)
        col = table.column(column).to_pylist()
        col[0] = value
        i = table.column_names.index(column)
        table = table.set_column(i, column, pa.array(col, table.schema.field(column).type))
        pq.write_table(table, root / path)

    return run


def _manifest_edit(change: Callable[[dict[str, Any]], Any]) -> Mutation:
    return json_edit("manifest.json", change)


def _consistent_tamper(root: Path) -> None:
    """Edit a file and its entries in the folder's own manifest and SHA256SUMS together."""

    replace(ACTORS, b"Vladimir Putin", b"Vladimir Putln")(root)
    data = (root / ACTORS).read_bytes()
    digest = hashlib.sha256(data).hexdigest()

    def change(m: dict[str, Any]) -> None:
        for f in m["files"]:
            if f["path"] == ACTORS:
                f["sha256"], f["bytes"] = digest, len(data)

    _manifest_edit(change)(root)
    manifest = (root / "manifest.json").read_bytes()
    sums = [f"{f['sha256']}  {f['path']}\n" for f in json.loads(manifest)["files"]]
    sums.append(f"{hashlib.sha256(manifest).hexdigest()}  manifest.json\n")
    (root / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")


def _redeclare(path: str) -> Mutation:
    def run(root: Path) -> None:
        from helpers import redeclare_hash

        redeclare_hash(root, path)

    return run


def _symlink_same_content(root: Path) -> None:
    target = root.parent / "outside.csv"
    shutil.copy(root / ACTORS, target)
    (root / ACTORS).unlink()
    (root / ACTORS).symlink_to(target)


RELEASE_CASES = [
    RV(
        "release-csv-and-parquet-changed-together",
        cells(
            replace(ACTORS, b"Vladimir Putin", b"Vladimir Putln"),
            _parquet_edit(ACTORS_PQ, "name", "Vladimir Putln"),
        ),
        "hash-count",
        ACTORS,
    ),
    RV(
        "release-csv-changed-blames-the-csv",
        replace(ACTORS, b"Vladimir Putin", b"Vladimir Putln"),
        "hash-count",
        ACTORS,
        absent="parquet-mismatch",
    ),
    RV(
        "release-parquet-changed",
        _parquet_edit(ACTORS_PQ, "name", "Vladimir Putln"),
        "hash-count",
        ACTORS_PQ,
    ),
    RV(
        "release-parquet-changed-and-redeclared",
        cells(_parquet_edit(ACTORS_PQ, "name", "Vladimir Putln"), _redeclare(ACTORS_PQ)),
        "parquet-mismatch",
        ACTORS_PQ,
    ),
    RV(
        "release-parquet-garbage-redeclared",
        cells(put(ACTORS_PQ, b"PAR1 not parquet"), _redeclare(ACTORS_PQ)),
        "parquet-mismatch",
        ACTORS_PQ,
    ),
    RV("release-parquet-deleted", unlink(ACTORS_PQ), "missing-file", ACTORS_PQ),
    RV("release-csv-bytes-redeclared", resource("actors", bytes=1), "byte-count", ACTORS),
    RV(
        "release-csv-blank-line-redeclared",
        cells(raw(ACTORS, lambda d: d + b"\n"), _redeclare(ACTORS)),
        "blank-row",
        ACTORS,
    ),
    RV(
        "release-x-table-a-list",
        resource("actors-parquet", **{"x-table": ["actors"]}),
        "parquet-mismatch",
        ACTORS_PQ,
    ),
    RV(
        "release-parquet-without-twin",
        resource("actors-parquet", **{"x-table": "nowhere"}),
        "parquet-mismatch",
        ACTORS_PQ,
    ),
    VF("verify-extra-file", put("evil.sh", b"#!/bin/sh\nrm -rf ~\n"), "evil.sh"),
    VF("verify-hidden-extra-file", put(".evil", b"x"), ".evil"),
    VF("verify-extra-file-in-subfolder", put("data/evil.csv", b"a\n1\n"), "data/evil.csv"),
    VF("verify-file-and-own-manifest-edited", _consistent_tamper, "data/actors.csv"),
    VF(
        "verify-file-changed",
        replace(ACTORS, b"Vladimir Putin", b"Vladimir Putln"),
        "hash-mismatch",
    ),
    VF("verify-file-truncated", raw(ACTORS, lambda d: d[:10]), "size-mismatch"),
    VF("verify-file-deleted", unlink(ACTORS), "missing"),
    VF("verify-file-a-link", _symlink_same_content, "not-a-file"),
    VF("verify-sums-edited", raw("SHA256SUMS", lambda d: d.replace(b"0", b"1", 1)), "SHA256SUMS"),
    VF("verify-sums-deleted", unlink("SHA256SUMS"), "SHA256SUMS"),
    VF(
        "verify-manifest-files-empty",
        _manifest_edit(lambda m: m.__setitem__("files", [])),
        "at least one file",
    ),
    VF(
        "verify-manifest-files-a-string",
        _manifest_edit(lambda m: m.__setitem__("files", "all")),
        "refused",
    ),
    VF("verify-manifest-not-json", put("manifest.json", b"{"), "not JSON"),
    VF("verify-manifest-empty", put("manifest.json", b""), "refused"),
    VF(
        "verify-manifest-deeply-nested",
        put("manifest.json", deep_json(100_000)),
        "nested too deeply",
    ),
    VF("verify-manifest-missing", unlink("manifest.json"), "cannot read"),
    VF(
        "verify-manifest-version-not-semver",
        _manifest_edit(lambda m: m.__setitem__("version", "1.0")),
        "refused",
    ),
    VF(
        "verify-manifest-path-escapes",
        _manifest_edit(lambda m: m["files"][0].__setitem__("path", "../evil")),
        "refused",
    ),
    VF(
        "verify-manifest-entry-dropped",
        _manifest_edit(lambda m: m["files"].pop(0)),
        "manifest.json",
    ),
    VF(
        "verify-manifest-claims-recorded-version",
        _manifest_edit(lambda m: m.__setitem__("version", CURRENT)),
        "hash-mismatch",
        registry=False,
    ),
    VF("verify-not-recorded-no-index", lambda root: None, "own manifest", registry=False),
    VF("verify-empty-folder-is-not-a-file", lambda root: (root / "empty").mkdir(), "ok", exit=0),
    PB(
        "publish-tampered", replace(ACTORS, b"Vladimir Putin", b"Vladimir Putln"), "data/actors.csv"
    ),
    PB("publish-extra-file", put("evil.sh", b"x"), "evil.sh"),
    PB("publish-own-manifest-edited-too", _consistent_tamper, "data/actors.csv"),
    PB(
        "publish-manifest-files-empty",
        _manifest_edit(lambda m: m.__setitem__("files", [])),
        "at least one file",
    ),
]


def _with_registry(ctx: Ctx) -> Path:
    root = ctx.pkg()
    shutil.copytree(ctx.registry, root / "releases")
    return root


def B(  # `build` of a package copy whose registry recorded the session's release
    id: str,
    mutate: Mutation,
    exit: int,
    says: str | None = None,
    *,
    dist: Callable[[Ctx], Path] | None = None,
    creates: bool = False,
    after: Callable[[Ctx], None] | None = None,
) -> Case:
    def run(ctx: Ctx) -> list[str]:
        root = _with_registry(ctx)
        mutate(root)
        target = dist(ctx) if dist is not None else ctx.dir / "dist"
        return ["build", "--root", str(root), "--dist", str(target), "--no-exports"]

    return Case(id, "release", run, exit, says=says, creates=creates, after=after)


def _dist_with_release(ctx: Ctx) -> Path:
    dist = ctx.dir / "dist"
    dist.mkdir()
    shutil.copytree(ctx.release, dist / f"belarus-timeline-{VERSION}")
    return dist


def _dist_a_file(ctx: Ctx) -> Path:
    (ctx.dir / "dist").write_text("not a folder")
    return ctx.dir / "dist"


def _zip_a_folder(ctx: Ctx) -> Path:
    dist = ctx.dir / "dist"
    (dist / f"belarus-timeline-{VERSION}.zip").mkdir(parents=True)
    return dist


def _version(v: str, changelog: bool = True) -> Mutation:
    def run(root: Path) -> None:
        desc(lambda d: d.__setitem__("version", v))(root)
        if changelog:
            with (root / "CHANGELOG.md").open("a", encoding="utf-8") as fh:
                fh.write(f"\n## [{v}] - 2026-12-01\n\nTest.\n")

    return run


_DEAD_PID = 4_194_305  # above Linux's largest pid_max: no such process


def _leftovers(ctx: Ctx) -> Path:
    import socket

    dist = _dist_with_release(ctx)
    host = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
    (dist / f".tmp-build-{_DEAD_PID}-{host}-belarus-timeline-{VERSION}-abcd1234" / "data").mkdir(
        parents=True
    )
    (dist / f".tmp-belarus-timeline-{VERSION}-k2j3h4g5").mkdir()
    (dist / f".tmp-build-{os.getpid()}-{host}-belarus-timeline-x-live").mkdir()  # alive: kept
    return dist


def _no_leftovers(ctx: Ctx) -> None:
    names = sorted(p.name for p in (ctx.dir / "dist").iterdir())
    assert not any(n.startswith(".tmp-build-4194305") for n in names), names
    assert not any(n.startswith(".tmp-belarus-timeline-") for n in names), names
    assert any(n.startswith(f".tmp-build-{os.getpid()}-") for n in names), names


BUILD_CASES = [
    B(
        "build-changed-cell-same-version",
        replace(ACTORS, b"Vladimir Putin", b"Vladimir Putln"),
        1,
        "other content",
        dist=_dist_with_release,
    ),
    B(
        "build-changed-cell-empty-dist",
        replace(ACTORS, b"Vladimir Putin", b"Vladimir Putln"),
        1,
        "recorded",
    ),
    B("build-lower-version", _version("0.9.0"), 1, "only go up"),
    B("build-version-two-parts", _version("1.0"), 2, "1.0"),
    B("build-version-newline", _version("1.0.1\n", changelog=False), 2, "semantic version"),
    B("build-invalid-data", cell("events", 4, "end_date", "2000-01-01"), 1, "end_date"),
    B(
        "build-no-changelog-section",
        _version(str(Version.parse(VERSION).bump_minor()), changelog=False),
        1,
        "CHANGELOG",
        dist=_dist_with_release,
    ),
    B("build-dist-a-file", lambda root: None, 2, "not a folder", dist=_dist_a_file),
    B("build-zip-a-folder", lambda root: None, 1, "zip", dist=_zip_a_folder),
    B(
        "build-cleans-leftovers",
        lambda root: None,
        0,
        dist=_leftovers,
        creates=True,
        after=_no_leftovers,
    ),
    CLI(
        "build-root-missing",
        "release",
        ["build", "--root", "{dir}/nowhere", "--dist", "{dir}/dist"],
        2,
        "nowhere",
    ),
    CLI(
        "build-previous-missing",
        "release",
        ["build", "--root", "{pkg}", "--dist", "{dir}/dist", "--previous", "{dir}/nowhere"],
        2,
        "nowhere",
    ),
]
