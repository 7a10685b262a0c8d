"""Differential test: our validator and ``frictionless validate`` find the same errors.

Small synthetic packages (``benchmarks/generate.py``, 300 events) are broken at known rows; both
validators run on each, and every finding of a kind both can detect is reduced to
(resource, row, field, kind). The two sets must be equal, except for the deliberate differences
listed in ``DIFFERENCES`` below (each with its reason). The injected errors must be in both sets,
so an agreement cannot come from both tools seeing nothing.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import frictionless
import pytest

from belarus_timeline.validate import validate_package
from helpers import ROOT, copy_package
from hostile_cases import CASES as HOSTILE

EVENTS = 300
Key = tuple[str, int | None, str | None, str]  # resource, row, field, frictionless error type


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


gen = _generator()

# Our codes that frictionless also checks, and its name for each.
COMPARABLE = {
    "type-error": "type-error",
    "constraint-error": "constraint-error",
    "unique-error": "unique-error",
    "primary-key": "primary-key",
    "foreign-key": "foreign-key",
    "missing-label": "missing-label",
    "extra-label": "extra-label",
    "missing-cell": "missing-cell",
    "extra-cell": "extra-cell",
    "encoding-error": "encoding-error",
}

# Our checks frictionless cannot make (a Table Schema cannot express them), so never compared:
FRICTIONLESS_CANNOT = {
    # semantic: rules across fields, rows and tables
    "end-before-start",
    "precision-mismatch",
    "edtf-mismatch",
    "unknown-timezone",
    "resolved-without-expression",
    "empty-span",
    "outside-event",
    "not-a-participant",
    "half-coordinates",
    "coordinate-precision",
    "self-link",
    "no-evidence",
    "formula-injection",
    "statement-value",
    "duplicate-statement",
    "preferred-not-unique",
    "preferred-mismatch",
    "rank-without-reason",
    "unsupported-statement",
    "statement-mismatch",
    "derivation-mismatch",
    "expression-not-in-excerpt",
    "utterance-mismatch",
    # provenance: the archived texts are not resources
    "hash-mismatch",
    "excerpt-mismatch",
    "span-out-of-range",
    "span-on-furniture",
    "missing-source-text",
    # package rules of ours: frictionless accepts an empty table, a non-SemVer version under
    # the v2 profile, and does not look at the order of otherwise matching columns
    "empty-table",
    "metadata-error",
    "label-order",
}

# Deliberate differences: (reason, which side reports it alone, predicate on the key and the
# package's injected errors).
DIFFERENCES: list[tuple[str, str, Any]] = [
    (
        "We require zero-padded ISO dates (2023-02-05); frictionless also accepts 2023-2-5.",
        "ours",
        lambda k, inj: k[3] == "type-error" and (k[0], k[1], k[2]) in inj.get("unpadded-date", []),
    ),
    (
        "A row of the wrong width is set aside by our reader, its cells unchecked; frictionless "
        "pads it and also reports the padded cell as a required value missing.",
        "frictionless",
        lambda k, inj: (
            k[3] == "constraint-error" and (k[0], k[1], k[2]) in inj.get("missing-cell", [])
        ),
    ),
    (
        "frictionless repeats a file's encoding error in every resource whose foreign keys "
        "read that file; we report it once, on the file itself.",
        "frictionless",
        lambda k, inj: (
            k[3] == "encoding-error" and k[0] not in inj.get("non-utf8-file-resource", [])
        ),
    ),
]

# Each group is one package; kinds with file-level effects get a package of their own.
GROUPS: dict[str, list[str]] = {
    "cells": [
        "malformed-date:3",
        "impossible-date:4",
        "unknown-vocabulary:8",
        "required-cell-empty:11",
        "end-before-start:12",
        "edtf-disagrees:13",
        "month-precision-with-a-day:14",
        "unknown-time-zone:15",
        "formula-like-cell:16",
        "unpadded-date:5",
        "quote-changed-by-one-character:6",
        "offsets-shifted-by-one:7",
        "speaker-not-a-participant:8",
        "quote-outside-its-event:9",
        "dangling-foreign-key:6",
        "dangling-self-reference:15",
        "duplicate-primary-key:7",
        "bad-pattern:10",
        "latitude-out-of-range:20",
        "duplicate-unique:14",
        "below-minimum:9",
        "span-on-furniture:10",
        "not-an-integer:4",
        "not-a-number:5",
        "not-a-uri:3",
        "tampered-archived-text:3",
        "version-not-semver",
    ],
    "encoding": ["non-utf8-file:4"],
    "missing-column": ["missing-required-column"],
    "extra-column": ["unexpected-column"],
    "row-width": ["extra-cell:7", "missing-cell:9"],
    "empty-table": ["empty-required-table"],
}


def _resource(file: str) -> str:
    return Path(file).stem


def _ours(root: Path) -> tuple[set[Key], set[str]]:
    report = validate_package(root, limit=None)
    keys: set[Key] = set()
    codes = set()
    for f in report.findings:
        codes.add(f.code)
        if f.code not in COMPARABLE:
            assert f.code in FRICTIONLESS_CANNOT or f.layer == "package", f
            continue
        row, fld = f.row, f.field
        if f.code in ("missing-label", "extra-label", "encoding-error"):
            row = None  # frictionless gives header and file errors no row
        if f.code == "primary-key":
            fld = None  # the key's fields are the schema's; frictionless names none
        keys.add((_resource(f.file), row, fld, COMPARABLE[f.code]))
    assert not report.truncated
    return keys, codes


def frictionless_report(root: Path) -> dict[str, Any]:
    exe = Path(sys.executable).with_name("frictionless")
    done = subprocess.run(
        [str(exe), "validate", "--json", "datapackage.json"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Exit 1 with nothing on stdout is a crash of the tool, not a verdict.
    assert done.stdout, f"frictionless failed (exit {done.returncode}): {done.stderr[-2000:]}"
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _theirs(report: dict[str, Any]) -> set[Key]:
    keys: set[Key] = set()
    for task in report["tasks"]:
        for e in task["errors"]:
            kind = e["type"]
            row = e.get("rowNumber")
            fld = e.get("fieldName") or None
            if kind == "foreign-key":
                # frictionless names the key's fields only in the note: for "actor_id": ...
                m = re.match(r'for "([^"]+)"', e["note"])
                fld = m.group(1) if m else None
            if kind == "extra-label":
                fld = e.get("label") or None
            if kind in ("missing-label", "extra-label", "encoding-error"):
                row = None
            if kind == "primary-key":
                fld = None
            keys.add((task["name"], row, fld, kind))
    return keys


def _injected(
    manifest: list[dict[str, Any]],
) -> dict[str, list[tuple[str, int | None, str | None]]]:
    out: dict[str, list[tuple[str, int | None, str | None]]] = {}
    for m in manifest:
        out.setdefault(m["kind"], []).append((_resource(m["file"]), m["row"], m["field"]))
        if m["kind"] == "non-utf8-file":
            out.setdefault("non-utf8-file-resource", []).append(_resource(m["file"]))
    return out


@pytest.mark.parametrize("group", list(GROUPS))
def test_we_and_frictionless_report_the_same_errors(group: str, tmp_path: Path) -> None:
    root = tmp_path / group
    manifest = gen.build(EVENTS, 7, root, [gen.parse_injection(s) for s in GROUPS[group]])
    inj = _injected(manifest)
    ours, our_codes = _ours(root)
    theirs = _theirs(frictionless_report(root))

    only_ours = {k for k in ours - theirs if not _excused(k, inj, "ours")}
    only_theirs = {k for k in theirs - ours if not _excused(k, inj, "frictionless")}
    assert not only_ours and not only_theirs, (
        f"only ours: {sorted(only_ours, key=str)}\n"
        f"only frictionless: {sorted(only_theirs, key=str)}"
    )
    # Every injected error is reported (by us always; by both when comparable).
    for m in manifest:
        assert m["code"] in our_codes, m
        if m["code"] in COMPARABLE and m["kind"] != "unpadded-date":
            row = (
                None
                if m["code"] in ("missing-label", "extra-label", "encoding-error")
                else m["row"]
            )
            fld = None if m["code"] in ("primary-key", "encoding-error") else m["field"]
            key = (_resource(m["file"]), row, fld, COMPARABLE[m["code"]])
            assert key in ours and key in theirs, (key, sorted(ours, key=str))


def _excused(key: Key, inj: dict[str, Any], side: str) -> bool:
    return any(who == side and applies(key, inj) for _, who, applies in DIFFERENCES)


def test_an_unsafe_resource_path_is_refused_by_both(tmp_path: Path) -> None:
    root = tmp_path / "escape"
    gen.build(EVENTS, 7, root, [gen.parse_injection("resource-path-escapes")])
    ours = [f for f in validate_package(root).findings if f.code == "unsafe-path"]
    assert [(f.file, f.field, f.value) for f in ours] == [
        ("datapackage.json", "path", "../outside/events.csv")
    ]
    theirs = frictionless_report(root)
    notes = [e["note"] for e in theirs.get("errors", [])]
    assert any("../outside/events.csv" in n and "not safe" in n for n in notes), theirs


def test_a_generated_package_is_valid_for_both(tmp_path: Path) -> None:
    root = tmp_path / "clean"
    assert gen.build(EVENTS, 11, root) == []
    report = validate_package(root)
    assert report.valid, report.to_text()
    assert frictionless_report(root)["valid"] is True


def test_generation_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    gen.build(120, 5, a)
    gen.build(120, 5, b)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


# --- descriptor, Table Schema and dialect errors ------------------------------------------------
# Broken copies of the repository's package from the hostile corpus (hostile_cases.py). Whatever
# frictionless finds wrong with a descriptor, a schema or a declared dialect, we find too, on the
# same resource. (We refuse more: features we do not read, v1 leftovers, versions that are not
# SemVer; those are not compared.) frictionless runs in-process here (the same engine as its CLI,
# three times faster); an exception from it counts as "it could not check this package".

DESCRIPTOR_SCHEMA_DIALECT = [
    "descriptor-not-json",
    "descriptor-deeply-nested",
    "resources-not-a-list",
    "sources-dropped",
    "resource-without-path",
    "resource-path-absolute",
    "resource-path-parent",
    "resource-path-hidden",
    "resource-path-backslash",
    "resource-name-uppercase",
    "resource-duplicated",
    "resource-format-xlsx",
    "resource-inline-data",
    "resource-hash-malformed",
    "resource-bytes-wrong",
    "resource-hash-wrong",
    "encoding-utf16",
    "compression-gzip",
    "dialect-semicolon",
    "dialect-no-header",
    "dialect-two-header-rows",
    "dialect-single-quote",
    "dialect-a-path",
    "dialect-delimiter-a-number",
    "created-a-date",
    "keywords-a-string",
    "remote-profile-refused",
    "schema-missing",
    "schema-not-json",
    "schema-path-escapes",
    "fields-empty",
    "field-without-name",
    "field-name-empty",
    "field-names-repeat",
    "type-typo",
    "type-datetime",
    "format-email",
    "enum-a-string",
    "enum-numbers",
    "pattern-unclosed-bracket",
    "pattern-lookahead",
    "minimum-a-word",
    "required-a-word",
    "constraint-max-length",
    "primary-key-no-such-field",
    "foreign-key-no-such-field",
    "foreign-key-no-such-resource",
    "foreign-key-no-such-remote-field",
    "decimal-char",
]


def _broken_copy(case_id: str, tmp_path: Path) -> Path:
    (case,) = [c for c in HOSTILE if c.id == case_id]

    class _Ctx:  # the part of hostile_cases.Ctx a `validate` case uses
        def pkg(self, name: str = "pkg") -> Path:
            return copy_package(tmp_path / name)

    argv = case.run(_Ctx())  # type: ignore[arg-type]
    return Path(argv[1])


def _named_by_frictionless(root: Path) -> tuple[bool, set[str]]:
    """(invalid, the resources its errors name); invalid with nothing named when frictionless
    cannot check the package at all."""
    try:
        report = frictionless.validate(str(root / "datapackage.json"))
    except Exception:
        return True, set()
    return not report.valid, {t.name for t in report.tasks if t.errors}


def _named_by_us(root: Path) -> tuple[bool, set[str], bool]:
    """(invalid, the resources our findings name, a finding at package level)."""
    report = validate_package(root, limit=None)
    try:
        resources = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
        resources = [r for r in resources["resources"] if isinstance(r, dict)]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        resources = []
    named = set()
    for f in report.findings:
        for r in resources:
            name = str(r.get("name"))
            files = {r.get("path"), r.get("schema") if isinstance(r.get("schema"), str) else None}
            if (
                f.file in files
                or (f.field or "").startswith(f"resources.{name}")
                or f.value == name
                or f"'{name}'" in f.message
            ):
                named.add(name)
    package_level = any(f.layer == "package" for f in report.findings)
    return not report.valid, named, package_level


@pytest.mark.parametrize("case_id", DESCRIPTOR_SCHEMA_DIALECT)
def test_whatever_frictionless_finds_in_descriptors_schemas_and_dialects_we_find(
    case_id: str, tmp_path: Path
) -> None:
    root = _broken_copy(case_id, tmp_path)
    their_invalid, their_names = _named_by_frictionless(root)
    our_invalid, our_names, our_package = _named_by_us(root)
    assert their_invalid, f"{case_id}: frictionless accepts it; pick a case both refuse"
    assert our_invalid, f"{case_id}: frictionless refuses it and we accept it"
    if their_names:
        assert their_names & our_names, (case_id, sorted(their_names), sorted(our_names))
    else:
        assert our_package, case_id
