"""The hostile corpus (hostile_cases.py), run through the command line in-process.

For every case: the exit code; no traceback; with --json, valid JSON on stdout whatever happens;
the finding's file, row and field where one applies (or the text the answer must contain); no
input file changed, and nothing written but the downloader's empty lock files (unless the case is
a success that builds something); usage errors on one line. Then the same command without --json
must give the same exit code, again without a traceback.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from belarus_timeline import downloader as dl
from belarus_timeline import release, tablefiles
from belarus_timeline.cli import main
from belarus_timeline.publish import publish
from belarus_timeline.release import build_release
from belarus_timeline.validate import runner
from helpers import copy_package
from hostile_cases import CASES, VERSION, Case, Ctx


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One package, one release of it (recorded in its own registry) and one published tree,
    served on 127.0.0.1, for every case to copy from."""
    base = tmp_path_factory.mktemp("hostile")
    template = copy_package(base / "pkg")
    d = json.loads((template / "datapackage.json").read_text(encoding="utf-8"))
    d["version"] = VERSION
    (template / "datapackage.json").write_text(json.dumps(d, indent=2, ensure_ascii=False) + "\n")
    with (template / "CHANGELOG.md").open("a", encoding="utf-8") as fh:
        fh.write(f"\n## [{VERSION}] - 2026-12-01\n\nThe hostile corpus's release.\n")
    registry = base / "registry"
    release = build_release(template, base / "dist", registry=registry, exports=False).path
    www = base / "www"
    publish(release, www / "_published", registry=registry)
    handler = functools.partial(_Quiet, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {
        "template": template,
        "release": release,
        "registry": registry,
        "www": www,
        "url": f"http://127.0.0.1:{server.server_address[1]}",
    }
    server.shutdown()
    server.server_close()


def digest(root: Path) -> dict[str, str]:
    """sha256 and mode of every file (links not followed) under ``root``."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            out[str(p.relative_to(root))] = "link:" + str(p.readlink())
        elif p.is_file():
            data = p.read_bytes()
            out[str(p.relative_to(root))] = hashlib.sha256(data).hexdigest() + oct(p.stat().st_mode)
    return out


_EMPTY = hashlib.sha256(b"").hexdigest()


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _located(case: Case, report: dict[str, Any]) -> bool:
    """The report holds a finding of the case's code at the case's file, row and field."""
    return any(
        e["code"] == case.code
        and (case.file is None or e["file"] == case.file)
        and (case.row is None or e["row"] == case.row)
        and (case.field is None or e["field"] == case.field)
        for e in report.get("errors", [])
    )


def _check_unchanged(case: Case, before: dict[str, str], after: dict[str, str]) -> None:
    changed = sorted(k for k, v in before.items() if after.get(k) != v)
    assert not changed, f"input files changed or removed: {changed}"
    new = sorted(set(after) - set(before))
    if not case.creates:  # a lock file (empty) is all a refused command may leave
        stray = [n for n in new if not (n.endswith(".lock") and after[n].startswith(_EMPTY))]
        assert not stray, f"files written by a refused command: {stray}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_case(
    case: Case,
    session: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _check_case(case, session, tmp_path, monkeypatch, capsys)


BUILDS = [c for c in CASES if c.id.startswith("build-")]


@pytest.mark.parametrize("spill", [False, True], ids=["read-whole", "from-disk"])
@pytest.mark.parametrize("case", BUILDS, ids=[c.id for c in BUILDS])
def test_hostile_build_case_of_a_package_too_large_to_keep(
    case: Case,
    spill: bool,
    session: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The same answers when the build lets the validator slim its tables and reads each
    table again to write it (above runner.WHOLE_MAX_BYTES of CSV), whole or, with
    ``spill``, in batches with its rows put in order on disk (above SPILL_MIN_BYTES)."""
    _too_large_to_keep(monkeypatch, spill)
    _check_case(case, session, tmp_path, monkeypatch, capsys)


def _too_large_to_keep(monkeypatch: pytest.MonkeyPatch, spill: bool) -> None:
    """Build as for a package above runner.WHOLE_MAX_BYTES: each table read again to be
    written, whole or, with ``spill``, in batches put in order on disk."""
    monkeypatch.setattr(runner, "WHOLE_MAX_BYTES", 0)
    if spill:
        monkeypatch.setattr(tablefiles, "SPILL_MIN_BYTES", 0)


def _check_case(
    case: Case,
    session: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    for name in (dl.ENV_BASE_URL, dl.ENV_OFFLINE, dl.ENV_TIMEOUT):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(dl.ENV_CACHE, str(work / "cache"))
    monkeypatch.setattr(dl, "BACKOFF_S", 0.0)
    monkeypatch.chdir(work)
    ctx = Ctx(work, **session)
    argv = case.run(ctx)
    before = digest(work)

    code, out, err = _run([*argv, "--json"], capsys)
    assert "Traceback" not in out + err, err
    assert code == case.exit, f"exit {code}, expected {case.exit}\n{out[-3000:]}\n{err[-2000:]}"
    answer = json.loads(out)  # valid JSON, whatever happened
    text = json.dumps(answer, ensure_ascii=False) + err
    if case.code is not None:
        assert _located(case, answer), json.dumps(answer.get("errors", answer), indent=1)[-4000:]
    if case.absent is not None:
        assert case.absent not in {e["code"] for e in answer.get("errors", [])}, text[-3000:]
    if case.says is not None:
        assert case.says in text, text[-3000:]
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err
    _check_unchanged(case, before, digest(work))
    if case.after is not None:
        case.after(ctx)

    before = digest(work)
    code, out, err = _run(argv, capsys)
    assert "Traceback" not in out + err, err
    assert code == case.exit, f"without --json: exit {code}\n{out[-2000:]}\n{err[-2000:]}"
    command = argv[0] if argv else ""
    if code == 1 and command == "validate":
        assert out.startswith("INVALID"), out[:2000]
    elif code == 1 and command == "verify" and out:
        assert "files verified against" in out.splitlines()[-1], out[-2000:]
    elif code == 2:
        assert len(err.strip().splitlines()) == 1, err
    elif code != 0:  # one line saying what failed (after the findings, for a build)
        assert err.strip().splitlines()[-1].startswith(f"belarus-timeline {command}: "), err
    _check_unchanged(case, before, digest(work))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_validate_case_read_in_batches(
    case: Case,
    session: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every validate case gives the same answer with each large table read in batches of a
    few rows (checked, slimmed and coded batch by batch, then joined; a table with a finding
    read again whole) as with every table read whole."""
    work, www = tmp_path / "work", tmp_path / "www"
    work.mkdir()
    www.mkdir()  # a case's site goes here, not into the served tree that test_hostile_case uses
    (www / "_published").symlink_to(session["www"] / "_published")
    monkeypatch.chdir(work)
    argv = case.run(Ctx(work, **{**session, "www": www}))
    if argv[:1] != ["validate"]:
        pytest.skip("not a validate case")
    whole = _run([*argv, "--json"], capsys)
    monkeypatch.setattr(runner, "WHOLE_MAX_BYTES", 0)  # read in turn, whatever its size
    monkeypatch.setattr(runner, "_BATCH_BYTES", 1024)  # the package's large tables: 2-7 batches
    batched = _run([*argv, "--json"], capsys)
    assert "Traceback" not in batched[1] + batched[2], batched[2]
    assert (batched[0], json.loads(batched[1])) == (whole[0], json.loads(whole[1]))


def test_the_corpus_is_large_and_covers_every_family() -> None:
    families = {c.family for c in CASES}
    assert {
        "csv",
        "values",
        "references",
        "descriptor",
        "schema",
        "provenance",
        "semantics",
        "release",
        "download",
        "export",
        "cli",
    } <= families
    assert len({c.id for c in CASES}) == len(CASES) >= 200


def test_a_build_killed_midway_is_cleaned_by_the_next(
    session: dict[str, Any], tmp_path: Path
) -> None:
    """A build process killed after writing its temporary release, before placing it: dist/
    holds no release and no visible file, and the next build removes the leftover."""
    pkg = tmp_path / "pkg"
    shutil.copytree(session["template"], pkg)
    dist = tmp_path / "dist"
    code = (
        "import os, signal, sys\n"
        "from belarus_timeline import release\n"
        "real = release._write_release\n"
        "def killed(*a, **k):\n"
        "    real(*a, **k)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "release._write_release = killed\n"
        "release.build_release(sys.argv[1], sys.argv[2], registry=sys.argv[3], exports=False)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(pkg), str(dist), str(tmp_path / "reg")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == -9, done.stderr[-2000:]
    left = sorted(p.name for p in dist.iterdir())
    assert len(left) == 1 and left[0].startswith(".tmp-build-"), left
    assert not (tmp_path / "reg").exists(), "nothing recorded by a build that did not finish"
    built = build_release(pkg, dist, registry=tmp_path / "reg", exports=False)
    assert built.status == "built"
    assert sorted(p.name for p in dist.iterdir()) == sorted(
        [built.path.name, built.zip_path.name]
    ), "the leftover is gone"


def _quote_opened_in_the_last_cell(data: bytes) -> bytes:
    """The last row's last cell opens a quote it never closes: the row keeps its width (the
    cell runs to the end of the file), only the count of the quotes shows it."""
    at = data.rstrip(b"\n").rindex(b",") + 1
    return data[:at] + b'"' + data[at:]


# A table written between the build's validation and its reading again to be written: the
# bytes it holds then (a defect: a quote never closed was written as one cell to the end).
CHANGED_SINCE_VALIDATED = {
    "not UTF-8": lambda data: data.replace(b"\n", b"\n\xff", 2),
    "ends inside a character": lambda data: data.rstrip(b"\n") + b"\xe2\x80",
    "a quote never closed": _quote_opened_in_the_last_cell,
}


@pytest.mark.parametrize("spill", [False, True], ids=["read-whole", "from-disk"])
@pytest.mark.parametrize("change", CHANGED_SINCE_VALIDATED, ids=list(CHANGED_SINCE_VALIDATED))
def test_a_table_written_while_it_is_built_is_refused(
    change: str,
    spill: bool,
    session: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The build validates the package, then reads each table again to write it: a table
    written in between is refused with one line naming it, no traceback, no release."""
    pkg = tmp_path / "pkg"
    shutil.copytree(session["template"], pkg)
    path = pkg / "data" / "events.csv"
    real = release.validate_package

    def validated_then_written(*args: Any, **kwargs: Any) -> Any:
        report = real(*args, **kwargs)
        path.write_bytes(CHANGED_SINCE_VALIDATED[change](path.read_bytes()))
        return report

    _too_large_to_keep(monkeypatch, spill)  # the table is read again, not kept
    monkeypatch.setattr(release, "validate_package", validated_then_written)
    dist = tmp_path / "dist"
    argv = ["build", "--root", str(pkg), "--dist", str(dist), "--no-exports", "--quiet"]
    code, out, err = _run(argv, capsys)
    assert "Traceback" not in out + err, err
    assert code == 1, f"exit {code}\n{out[-2000:]}\n{err[-2000:]}"
    last = err.strip().splitlines()[-1]
    assert last.startswith("belarus-timeline build: ") and "events.csv" in last, err
    assert not dist.exists() or not [p for p in dist.iterdir() if not p.name.startswith(".")]


@pytest.mark.parametrize(
    ("argv", "exit_code"),
    [
        (["validate", "{pkg}", "--json"], 1),
        (["verify", "1.0", "--json"], 2),
        (["download", "../../evil", "--json"], 2),
    ],
)
def test_the_installed_command_end_to_end(
    argv: list[str], exit_code: int, session: dict[str, Any], tmp_path: Path
) -> None:
    """The real entry point in a process of its own: exit code, JSON, no traceback."""
    pkg = tmp_path / "pkg"
    shutil.copytree(session["template"], pkg)
    (pkg / "data" / "events.csv").write_bytes(b"\x00")
    exe = Path(sys.executable).with_name("belarus-timeline")
    done = subprocess.run(
        [str(exe), *(a.format(pkg=pkg) for a in argv)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == exit_code, done.stderr[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
    json.loads(done.stdout)


_JUNK: list[Any] = [None, 7, -1, "", "x", [], {}, True, 1.5, ["a"], {"a": 1}, "../x", "\udc80"]


def _value_paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _value_paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:2]):
            yield from _value_paths(v, (*prefix, i))


def _sweep() -> list[tuple[str, tuple[Any, ...], Any]]:
    """Every value of the descriptor and of two schemas, replaced by junk of another type: a
    fixed sample (seeded), so the test is the same on every run."""
    import random

    from helpers import ROOT

    rng = random.Random(10)
    out = []
    for name in ("datapackage.json", "schema/events.json", "schema/places.json"):
        doc = json.loads((ROOT / name).read_text(encoding="utf-8"))
        for path in _value_paths(doc):
            out.append((name, path, rng.choice(_JUNK)))
    return rng.sample(out, min(len(out), 120))


_SWEEP = _sweep()


@pytest.mark.parametrize(
    ("name", "path", "junk"),
    _SWEEP,
    ids=[f"{n}:{'.'.join(map(str, p))}={j!a}" for n, p, j in _SWEEP],
)
def test_no_value_of_a_descriptor_or_schema_crashes_the_validator(
    name: str,
    path: tuple[Any, ...],
    junk: Any,
    session: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path / "pkg"
    shutil.copytree(session["template"], root)
    doc = json.loads((root / name).read_text(encoding="utf-8"))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = junk
    (root / name).write_text(json.dumps(doc), encoding="utf-8")
    before = digest(root)
    code, out, err = _run(["validate", str(root), "--json"], capsys)
    assert code in (0, 1) and "Traceback" not in out + err, err
    json.loads(out)
    assert digest(root) == before
