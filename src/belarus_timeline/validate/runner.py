"""Running the layers in order (independent checks side by side) into one report."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

from belarus_timeline.errors import PackageError
from belarus_timeline.package import DataPackage
from belarus_timeline.tables import RawTable, read_raw
from belarus_timeline.validate.batches import NotClean, cells_at, clean_batches, prefetched
from belarus_timeline.validate.codes import Code, emits
from belarus_timeline.validate.columns import SPAN_TABLES, Table, is_parquet
from belarus_timeline.validate.descriptor import (
    check_declared_files,
    check_metadata,
    check_resources,
    load_tables,
    read_table,
)
from belarus_timeline.validate.graph import DOMAINS as GRAPH_DOMAINS
from belarus_timeline.validate.graph import READS as GRAPH_READS
from belarus_timeline.validate.graph import check_graph
from belarus_timeline.validate.keys import Coder
from belarus_timeline.validate.provenance import READS as PROVENANCE_READS
from belarus_timeline.validate.provenance import (
    Texts,
    check_provenance,
    check_spans_of,
    furniture_of,
    source_texts,
)
from belarus_timeline.validate.release import check_parquet_twins
from belarus_timeline.validate.report import Collector, Finding, Report
from belarus_timeline.validate.semantic import DOMAINS as SEMANTIC_DOMAINS
from belarus_timeline.validate.semantic import READS as SEMANTIC_READS
from belarus_timeline.validate.semantic import check_formulas, check_semantic, check_span_order
from belarus_timeline.validate.statements import (
    DERIVATION_READS,
    check_derivations,
    check_statements,
)
from belarus_timeline.validate.statements import DOMAINS as STATEMENTS_DOMAINS
from belarus_timeline.validate.statements import READS as STATEMENTS_READS
from belarus_timeline.validate.structural import (
    check_foreign_keys,
    check_table,
    unique_fields,
)
from belarus_timeline.validate.text import check_text, check_text_table
from belarus_timeline.validate.vocab import Vocabularies


@emits(Code.PACKAGE_ERROR)
def validate_package(
    root: Path | str,
    *,
    limit: int | None = 100,
    sources_root: Path | str | None = None,
    tables_out: dict[str, Table] | None = None,
) -> Report:
    """Validate the data package at ``root`` (a folder or its ``datapackage.json``).

    ``limit`` caps the findings listed per (file, field, check); the rest are counted in
    ``Report.truncated``. ``None`` lists them all. ``sources_root`` is the folder the sources'
    ``archive_path`` is relative to (default: the package itself). A release folder carries no
    archived texts: without ``sources_root`` its provenance layer is skipped (and the report
    says so), and each Parquet resource is checked to hold the same rows as its CSV twin.
    ``tables_out`` receives the tables read (by resource name), for a build to write them
    without reading the files again.
    """
    report = Report(str(root))
    out = Collector(report, limit)
    try:
        pkg = DataPackage(root)
    except PackageError as exc:
        out.add(
            Finding(
                "package",
                Code.PACKAGE_ERROR,
                "datapackage.json",
                message=str(exc),
                fix="Make the descriptor valid JSON with a 'resources' list.",
            )
        )
        return report
    report.root = str(pkg.root)
    # The descriptor and every schema first: only resources that pass are read.
    check_metadata(pkg, out)
    usable = check_resources(pkg, out)
    with ThreadPoolExecutor(_WORKERS) if _WORKERS > 1 else nullcontext() as pool:
        # Arrow and numpy release the GIL: independent checks run side by side, each into a
        # collector of its own, merged in the sequential order (a single thread's report).
        changed = check_declared_files(pkg, usable, out, pool)
        base = _texts_base(pkg, sources_root, report)
        streamed = tables_out is None and _in_turn(pkg, usable)
        coder: Coder | None = None  # (read in turn, the tables hold their codes)
        if streamed:
            tables, local = _read_in_turn(pkg, usable, out, pool, base)
        else:
            (tables, coder), local = _read_all(pkg, usable, out, pool), _Local()
        if tables_out is not None:
            tables_out.update(tables)
        for t in tables.values():
            t.forget("matches")  # only check_table uses them
        jobs: list[Callable[[Collector], None]] = [
            partial(check_foreign_keys, tables, coder=coder),
            partial(check_semantic, tables, formulas=not streamed, spans=local.spans, coder=coder),
            partial(check_statements, tables, part="head" if streamed else "all", coder=coder),
            partial(check_statements, tables, part="tail") if streamed else _nothing,
            partial(check_text, {} if streamed else tables),
            partial(check_graph, tables, coder=coder),
            _nothing
            if base is None or local.provenance is not None
            else partial(check_provenance, pkg, tables, base),
            partial(check_parquet_twins, pkg, usable, tables, changed),
        ]
        side_by_side = None if streamed and _very_large(pkg, usable) else pool
        fk, sem, head, tail, text, graph, prov, twins = _run(side_by_side, out, jobs, _FIRST)
    # The findings of the checks run table by table go where their layer's job puts them.
    for sub in [
        *local.table,
        *(fk, *local.formulas, sem, head, *local.derivations, tail, *local.text, text, graph),
        *(local.provenance or [prov]),
        twins,
    ]:
        out.merge(sub)
    return report


def _texts_base(pkg: DataPackage, sources_root: Path | str | None, report: Report) -> Path | None:
    """The folder the archived texts' paths are relative to; None for a release checked
    without ``sources_root`` (it carries no texts: the report says the layer is skipped)."""
    if sources_root is None and (pkg.root / "manifest.json").is_file():
        report.notes.append(
            "provenance checks skipped: a release does not carry the archived source "
            "texts; pass --sources <repository checkout> to check every span."
        )
        return None
    return Path(sources_root).resolve() if sources_root is not None else pkg.root


# Up to this much CSV, the tables are read whole and every table's checks run side by side;
# above it, each table is read in turn (a large one in batches) and slimmed to the columns the
# checks across tables read. Whole is faster, in turn holds less: at 1M events (1.2 GB of
# CSV) 19.8 s in 2.8 GB against 31.9 s in 1.2 GB; at 10M (12.6 GB) only in turn fits under
# 6 GB. The build keeps the validator's tables up to the same size (one read per file).
WHOLE_MAX_BYTES = 2 << 30


def _csv_size(pkg: DataPackage, usable: dict[str, Any]) -> int:
    """The bytes of the usable resources' files."""
    paths = [pkg.root / u.resource.path for u in usable.values()]
    return sum(p.stat().st_size for p in paths if p.is_file())


# Above this much CSV, the layers across tables run one after the other: at 10M events (12.6 GB)
# their temporaries side by side took GBs on top of the tables held; at 1M (1.2 GB) the peak
# is the reading of the largest table, and running them side by side saves seconds.
_LAYERS_IN_TURN_BYTES = 4 << 30


def _very_large(pkg: DataPackage, usable: dict[str, Any]) -> bool:
    """Whether the layers across tables run in turn, not side by side (their whole-column
    temporaries would add up on top of the tables held)."""
    return _csv_size(pkg, usable) >= _LAYERS_IN_TURN_BYTES


# The layers' jobs (as validate_package lists them) started longest first, as measured at 1M
# events: statements, provenance, semantic, then the rest.
_FIRST = [2, 6, 1, 3, 4, 0, 5, 7]


def _nothing(out: Collector) -> None:
    """A job left out (its findings come from the checks run table by table)."""


@dataclass
class _Local:
    """The collectors of the checks run on each table as it was read, in table order."""

    table: list[Collector] = field(default_factory=list)  # check_table
    formulas: list[Collector] = field(default_factory=list)  # the semantic layer's first part
    derivations: list[Collector] = field(default_factory=list)  # in the statements layer
    text: list[Collector] = field(default_factory=list)  # check_text
    # The semantic layer's span order (None when it runs once every table is read).
    spans: list[Collector] | None = None
    # The provenance layer (the texts, then each span table's spans): None when it runs once
    # every table is read.
    provenance: list[Collector] | None = None


def _in_turn(pkg: DataPackage, usable: dict[str, Any]) -> bool:
    """Whether the tables are read in turn: above WHOLE_MAX_BYTES, when they can be."""
    return _csv_size(pkg, usable) > WHOLE_MAX_BYTES and _streamable(usable)


def _streamable(usable: dict[str, Any]) -> bool:
    """Whether the tables can be read and checked one by one, each slimmed to the columns the
    checks across tables read: CSV files only (a release's Parquet twins are compared with
    whole tables), each file read by one resource (so no two tables share a finding limit)."""
    paths = [u.resource.path for u in usable.values()]
    return len(set(paths)) == len(paths) and not any(is_parquet(p) for p in paths)


def _read_all(
    pkg: DataPackage, usable: dict[str, Any], out: Collector, pool: ThreadPoolExecutor | None
) -> tuple[dict[str, Table], Coder]:
    """Every table read, then each table's own checks (the tables kept whole); the tables and
    their codes, one coder for every check: each domain's columns (every event_id column)
    hashed once, not once per foreign key and per layer."""
    tables = load_tables(pkg, usable, out, pool)
    coder = Coder(tables, shared_domains(usable))
    for t in tables.values():
        _count(t, out)
    files = [t.file for t in tables.values()]
    if len(set(files)) == len(files):  # findings of different tables never share a limit
        jobs: list[Callable[[Collector], None]] = [
            partial(check_table, t, tables=tables, coder=coder) for t in tables.values()
        ]
        rows = [t.raw.num_rows for t in tables.values()]
        largest = sorted(range(len(jobs)), key=lambda i: -rows[i])
        for sub in _run(pool, out, jobs, largest):
            out.merge(sub)
    else:
        for t in tables.values():
            check_table(t, out, tables, coder=coder)
    return tables, coder


def _read_in_turn(
    pkg: DataPackage,
    usable: dict[str, Any],
    out: Collector,
    pool: ThreadPoolExecutor | None,
    base: Path | None,
) -> tuple[dict[str, Table], _Local]:
    """Each table read (the next one read meanwhile), checked on its own (schema, text cells,
    formula cells, date derivations, spans when the texts are known), then slimmed to the
    columns the checks across tables read: memory holds one or two whole tables, not every
    one, and a large table a batch of rows at a time (``_read_batched``). ``base``: where the
    archived texts are (None: no provenance layer)."""
    names = _reading_order(pkg, usable)
    prov = _Provenance(base, out) if base is not None and _spans_in_turn(names) else None
    keep = kept_columns(usable, spans_checked=prov is not None)
    vocab = shared_vocabularies(usable)
    tables: dict[str, Table] = {}
    reads: dict[str, Future[RawTable]] = {}
    # By table, the collectors of its read and of its own checks: merged in the resource
    # order at the end, so the report does not depend on the reading order.
    found: dict[str, list[Collector]] = {}

    batched = {n for n in names if _in_batches(pkg, n, usable[n])}

    def start(k: int) -> None:
        if pool is not None and k < len(names) and names[k] not in batched:
            path = pkg.root / usable[names[k]].resource.path
            if path.is_file():
                reads[usable[names[k]].resource.path] = pool.submit(read_raw, path)

    start(0)
    for k, name in enumerate(names):
        start(k + 1)
        if name in batched:
            joined = _read_batched(pkg, name, usable[name], tables, (keep, vocab), prov, pool, out)
            if joined is not None:
                tables[name], found[name] = joined
                continue
        read = out.sub()
        t = read_table(pkg, name, usable[name], reads, read)
        found[name] = [read]
        reads.pop(usable[name].resource.path, None)
        if t is None:
            continue
        tables[name] = t
        _count(t, out)  # (its row numbers are needed by its checks)
        jobs: list[Callable[[Collector], None]] = [
            partial(check_table, t, tables=tables),
            partial(check_text_table, t),
            partial(check_formulas, t),
            partial(check_derivations, tables) if name == "evidence" else _nothing,
            partial(check_span_order, t),
        ]
        if prov is not None:
            jobs.append(partial(prov.run, name, tables))
        # In turn, on this thread (the pool reads the next table meanwhile): side by side,
        # their temporaries would add up on top of the whole table.
        subs = _run(None, out, jobs)
        found[name] += subs[:5]
        if prov is not None:
            prov.done(name, subs[-1])
        t.slim(keep.get(name, set()), vocab)
        pa.default_memory_pool().release_unused()
    local = _Local(provenance=prov.collectors() if prov is not None else None, spans=[])
    ordered = [n for n in usable if n in found]
    for name in ordered:
        out.merge(found[name][0])
    for name in [n for n in ordered if n in tables]:
        out.report.rows[name] = out.report.rows.pop(name)  # in the resource order
        table, text, formulas, derivations = found[name][1:5]
        local.table.append(table)
        local.text.append(text)
        local.formulas.append(formulas)
        local.derivations += [derivations] if name == "evidence" else []
    local.spans = [found[n][5] for n in SPAN_TABLES if n in tables and n in found]
    return {n: tables[n] for n in ordered if n in tables}, local


# Rows of a large table checked at a time, in bytes of cells (about as many bytes of CSV):
# a batch, its typed columns and its checks' temporaries take about 4x that, far below a
# whole table of millions of events, and the few batches per table keep per-batch costs
# (reading the cited texts again for each batch's spans) small.
_BATCH_BYTES = 256 << 20


def _in_batches(pkg: DataPackage, name: str, u: Any) -> bool:
    """Whether a table is read in batches: a CSV file larger than a batch (sources and
    source_furniture, read first for the spans of the others, are read whole)."""
    path = pkg.root / u.resource.path
    return (
        name not in ("sources", "source_furniture")
        and path.is_file()
        and path.stat().st_size > _BATCH_BYTES
    )


def _read_batched(
    pkg: DataPackage,
    name: str,
    u: Any,
    tables: dict[str, Table],
    kept: tuple[dict[str, set[str]], Vocabularies],
    prov: _Provenance | None,
    pool: ThreadPoolExecutor | None,
    out: Collector,
) -> tuple[Table, list[Collector]] | None:
    """A clean table read and checked a batch of rows at a time (the pool reading the next
    batch meanwhile), each batch slimmed to the columns kept and its keys, the batches joined;
    with the collectors of its read and its own checks (as ``_read_in_turn`` lists them).
    None when the file is not clean or a batch's checks found anything: the caller reads the
    table whole, so every finding comes from the whole-table checks (exactly as before)."""
    keep, vocab = kept
    keys = set(u.schema.primary_key) | unique_fields(u.schema)
    # Key fields no later check reads whose unique check compares a cell alone: held as
    # hashes (the cells of the rows whose hashes collide read again from the file).
    compound = set(u.schema.primary_key) if len(u.schema.primary_key) > 1 else set()
    hashable = keys - keep.get(name, set()) - compound
    path = pkg.root / u.resource.path
    parts: list[Table] = []
    batches = prefetched(clean_batches(path, _BATCH_BYTES), pool)
    try:
        for header, cells in batches:
            t = tables[name] = Table(name, u.resource.path, u.schema, RawTable(header, cells))
            jobs: list[Callable[[Collector], None]] = [
                partial(check_table, t, tables=tables, part="cells"),
                partial(check_text_table, t),
                partial(check_formulas, t),
                partial(check_derivations, tables) if name == "evidence" else _nothing,
                partial(check_span_order, t),
            ]
            if prov is not None:
                jobs.append(partial(prov.run, name, tables))
            if any(s.report.findings or s.report.truncated for s in _run(None, out, jobs)):
                raise NotClean("a finding")
            t.forget("found")  # looked up in this batch alone when the key is the table's own
            t.slim(keep.get(name, set()) | keys, vocab, part=True)
            t.digest({f for f in hashable if t.has(f) and f not in t.coded})
            t.cells_of = partial(cells_at, path)
            parts.append(t)
            pa.default_memory_pool().release_unused()
    except NotClean:
        tables.pop(name, None)
        return None
    finally:
        batches.close()
    if not parts:
        tables.pop(name, None)
        return None
    return _joined(name, parts, keep, tables, prov, out)


def _joined(
    name: str,
    parts: list[Table],
    keep: dict[str, set[str]],
    tables: dict[str, Table],
    prov: _Provenance | None,
    out: Collector,
) -> tuple[Table, list[Collector]]:
    """The batches of a table joined, its unique and primary-key checks run over every row,
    its key columns then dropped unless kept."""
    t = Table.concat(parts)
    parts.clear()
    _count(t, out)
    # Its read, check_table, text, formulas, derivations, span order.
    subs = [out.sub() for _ in range(6)]
    check_table(t, subs[1], tables, part="keys")
    dropped = t.dropped
    t.slim(keep.get(name, set()))
    t.dropped = t.dropped | dropped
    if prov is not None:
        prov.done(name, out.sub())
    pa.default_memory_pool().release_unused()
    return t, subs


def _reading_order(pkg: DataPackage, usable: dict[str, Any]) -> list[str]:
    """The tables in the order they are read: sources and source_furniture first (the spans
    of the others are checked against them as each is read), then the largest files first, so
    the largest table is whole while the fewest others are held (slimmed) beside it."""

    def size(name: str) -> int:
        path = pkg.root / usable[name].resource.path
        return path.stat().st_size if path.is_file() else 0

    first = [n for n in ("sources", "source_furniture") if n in usable]
    rest = sorted((n for n in usable if n not in first), key=lambda n: -size(n))
    return first + rest


def _spans_in_turn(names: list[str]) -> bool:
    """Whether the sources table comes before every span table, and source_furniture before
    the others (their spans are then checked as each is read)."""
    spans = [k for k, n in enumerate(names) if n in SPAN_TABLES]
    first = [names.index(n) for n in ("sources",) if n in names]
    furniture = [names.index(n) for n in ("source_furniture",) if n in names]
    return all(k > f for k in spans for f in first) and all(
        k > f for k in spans for f in furniture if names[k] != "source_furniture"
    )


class _Provenance:
    """The provenance layer as the tables are read: the archived texts when sources is read,
    the furniture when source_furniture is, the spans of each span table when it is read."""

    def __init__(self, base: Path, out: Collector) -> None:
        self.base = base
        self.texts: Texts | None = None
        self.furniture: Any = None  # provenance's furniture spans, once read
        self.first = out.sub()
        self.spans: dict[str, Collector] = {}

    def run(self, name: str, tables: dict[str, Table], out: Collector) -> None:
        if name == "sources":
            self.texts = source_texts(tables, self.base, out)
            return
        if self.texts is None:
            return
        if name == "source_furniture":
            self.furniture = furniture_of(tables, self.texts)
        if name in SPAN_TABLES:
            check_spans_of(name, tables, self.texts, self.furniture, out)

    def done(self, name: str, sub: Collector) -> None:
        if name == "sources":
            self.first = sub
        elif name in SPAN_TABLES:
            self.spans[name] = sub

    def collectors(self) -> list[Collector]:
        """The findings in the layer's order: the texts', then each span table's."""
        return [self.first, *(self.spans[n] for n in SPAN_TABLES if n in self.spans)]


def kept_columns(usable: dict[str, Any], *, spans_checked: bool = False) -> dict[str, set[str]]:
    """By table, the columns the checks across tables read: those each layer declares, and
    the fields of every foreign key and of the keys they point to. Evidence's date
    derivations and the span order are checked with the table; so are the spans' texts with
    ``spans_checked``."""
    keep: dict[str, set[str]] = {}
    layers = [SEMANTIC_READS, STATEMENTS_READS, GRAPH_READS]
    for reads in [*layers, *([] if spans_checked else [PROVENANCE_READS])]:
        for name, columns in reads.items():
            keep.setdefault(name, set()).update(columns)
    keep["evidence"] -= set(DERIVATION_READS)
    if not spans_checked:  # provenance reads the excerpt later
        keep["evidence"] |= PROVENANCE_READS["evidence"]
    for name, u in usable.items():
        for fk in u.schema.foreign_keys:
            keep.setdefault(name, set()).update(fk.fields)
            keep.setdefault(fk.resource or name, set()).update(fk.reference_fields)
    return keep


def shared_domains(usable: dict[str, Any]) -> list[list[tuple[str, str]]]:
    """The sets of columns compared with one another: each layer's domains, each foreign key
    with the key it points to (merged where they share a column, by whoever codes them)."""
    domains = [*SEMANTIC_DOMAINS, *STATEMENTS_DOMAINS, *GRAPH_DOMAINS]
    for name, u in usable.items():
        for fk in u.schema.foreign_keys:
            for a, b in zip(fk.fields, fk.reference_fields, strict=False):
                domains.append([(name, a), (fk.resource or name, b)])
    return domains


def shared_vocabularies(usable: dict[str, Any]) -> Vocabularies:
    """The dictionaries the kept columns are coded in: one per set of columns compared with
    one another (:func:`shared_domains`)."""
    return Vocabularies(shared_domains(usable))


def _count(t: Table, out: Collector) -> None:
    """The table's rows in the report, and its row numbers for the findings."""
    out.report.rows[t.name] = t.raw.num_rows
    if t.raw.numbers is not None:
        out.numbering[t.file] = t.raw.numbers


_WORKERS = max(1, min(4, os.cpu_count() or 1))


def _run(
    pool: ThreadPoolExecutor | None,
    out: Collector,
    jobs: list[Callable[[Collector], None]],
    first: list[int] | None = None,
) -> list[Collector]:
    """Run ``jobs`` in parallel (in turn without a pool), each with a collector of its own; the
    collectors, for the caller to merge in job order (different jobs never share a (file,
    field, code) limit). ``first``: the order to start them in, longest first, so that no
    long job starts last and runs alone while the other threads idle."""
    subs = [out.sub() for _ in jobs]
    if pool is None:
        for job, sub in zip(jobs, subs, strict=True):
            job(sub)
    else:
        first = [i for i in dict.fromkeys(first or []) if i < len(jobs)]
        order = [*first, *(i for i in range(len(jobs)) if i not in first)]  # each job once
        for future in [pool.submit(jobs[i], subs[i]) for i in order]:
            future.result()
    return subs
