"""The structural layer: what the Table Schemas say, as ``frictionless validate`` checks it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.package import Field, ForeignKey, TableSchema
from belarus_timeline.validate.codes import Code, emits
from belarus_timeline.validate.columns import (
    Table,
    anchored,
    by_runs,
    key_column,
    mask,
    shown,
)
from belarus_timeline.validate.keys import SEP, Coder, is_in, repeats
from belarus_timeline.validate.report import Collector, Finding


@emits(
    Code.EXTRA_LABEL,
    Code.MISSING_LABEL,
    Code.DUPLICATE_LABEL,
    Code.LABEL_ORDER,
    Code.EXTRA_CELL,
    Code.MISSING_CELL,
    Code.BLANK_ROW,
    Code.EMPTY_TABLE,
    Code.CONSTRAINT_ERROR,
    Code.TYPE_ERROR,
    Code.UNIQUE_ERROR,
    Code.PRIMARY_KEY,
)
def check_table(
    t: Table,
    out: Collector,
    tables: dict[str, Table] | None = None,
    part: str = "all",
    coder: Coder | None = None,
) -> None:
    """Everything a Table Schema says about one table, as frictionless checks it (``tables``,
    all the tables, lets a foreign key's look-up stand in for its pattern check; ``coder``,
    the package's codes, makes that look-up one of integers). ``part``:
    "cells" leaves out the unique and primary-key checks, which need every row (a batch of
    rows); "keys" runs those alone (the batches' rows joined, once their cells had nothing
    to report)."""
    if part != "keys":
        _header(t, out)
        _row_widths(t, out)
    explicit_unique = unique_fields(t.schema)
    pk_codes = [Code.PRIMARY_KEY]
    for f in t.schema.fields:
        if part == "keys" and f.name not in explicit_unique:
            continue
        tc = t.typed.get(f.name)
        if tc is None:
            continue
        if part != "keys":
            _cells(t, f, out, tables or {}, coder)
        if part == "cells":
            continue
        present = ~tc.missing & ~tc.invalid
        # Like frictionless, a field whose constraints say ``unique`` gets unique-errors even
        # when it is also the primary key (which then reports primary-key too); a key field
        # without the constraint gets primary-key only.
        if f.name in explicit_unique:
            if t.schema.primary_key == (f.name,) and not tc.invalid.any():
                pk_codes.insert(0, Code.UNIQUE_ERROR)  # same rows: one pass for both
            else:
                _duplicates(t, [f.name], present, [Code.UNIQUE_ERROR], out, coder)
    if part == "cells":
        return
    if t.schema.primary_key and all(k in t.typed for k in t.schema.primary_key):
        complete = np.ones(t.raw.num_rows, dtype=bool)
        for k in t.schema.primary_key:
            complete &= ~t.typed[k].missing
        _duplicates(t, list(t.schema.primary_key), complete, pk_codes, out, coder)


def unique_fields(schema: TableSchema) -> set[str]:
    """The fields whose constraints say ``unique`` (as the descriptor writes it)."""
    return {
        d["name"]
        for d in schema.descriptor.get("fields", [])
        if isinstance(d, dict) and isinstance(d.get("constraints"), dict)
        if d["constraints"].get("unique") is True and isinstance(d.get("name"), str)
    }


@emits(Code.EXTRA_LABEL, Code.MISSING_LABEL, Code.DUPLICATE_LABEL, Code.LABEL_ORDER)
def _header(t: Table, out: Collector) -> None:
    names = t.schema.field_names
    header = t.raw.header
    first: dict[str, int] = {}
    for i, h in enumerate(header):
        if h in first:
            out.add(
                Finding(
                    "structural",
                    Code.DUPLICATE_LABEL,
                    t.file,
                    message=f"Column {i + 1} repeats the name {h!r} of column {first[h] + 1}; "
                    "only the first is read.",
                    fix="Remove the repeated column, or give it the name the schema has for it.",
                    row=1,
                    field=h,
                    value=h,
                )
            )
            continue
        first[h] = i
        if h not in names:
            out.add(
                Finding(
                    "structural",
                    Code.EXTRA_LABEL,
                    t.file,
                    message=f"Column {i + 1} ({h!r}) is not in the table's schema.",
                    fix=f"Remove the column, or add it to the schema (fields: {names}).",
                    row=1,
                    field=h,
                    value=h,
                )
            )
    for f in t.schema.fields:
        if f.name not in header:
            out.add(
                Finding(
                    "structural",
                    Code.MISSING_LABEL,
                    t.file,
                    message=f"Required column {f.name!r} is missing from the header.",
                    fix=f"Add the column {f.name!r} (header: {','.join(names)}).",
                    row=1,
                    field=f.name,
                )
            )
    # Out of order means the schema's columns appear in another order (extra, missing or
    # repeated columns are reported above, and do not make the rest out of order).
    firsts = [h for h in first if h in names]
    if firsts != [n for n in names if n in header]:
        out.add(
            Finding(
                "structural",
                Code.LABEL_ORDER,
                t.file,
                message="Columns are not in the schema's order.",
                fix=f"Order the header as: {','.join(names)}.",
                row=1,
                value=",".join(header),
            )
        )


@emits(Code.EXTRA_CELL, Code.MISSING_CELL, Code.BLANK_ROW, Code.EMPTY_TABLE)
def _row_widths(t: Table, out: Collector) -> None:
    header = t.raw.header
    for blank in t.raw.blank_rows:
        out.add(
            Finding(
                "structural",
                Code.BLANK_ROW,
                t.file,
                message="The row is blank: no cell has a value.",
                fix="Delete the blank line (an empty row means nothing in a table).",
                row=blank,
            )
        )
    for number, got, expected in t.raw.bad_rows:
        # One finding per missing or surplus cell, as frictionless reports them; missing
        # cells are the row's last columns. The row itself is set aside (its cells unchecked).
        missing = header[got:expected] if got < expected else [None] * (got - expected)
        for name in missing:
            out.add(
                Finding(
                    "structural",
                    Code.EXTRA_CELL if got > expected else Code.MISSING_CELL,
                    t.file,
                    message=f"The row has {got} cells where the header has {expected}.",
                    fix="Quote cells that contain commas; give every row one cell per column.",
                    row=number,
                    field=name,
                )
            )
    if t.raw.num_rows == 0 and not t.raw.bad_rows and not t.raw.blank_rows:
        out.add(
            Finding(
                "structural",
                Code.EMPTY_TABLE,
                t.file,
                message=f"Table {t.name!r} has no data rows; every table of the package must "
                "have at least one.",
                fix="Restore the table's rows (see the previous release).",
            )
        )


@emits(Code.CONSTRAINT_ERROR, Code.TYPE_ERROR)
def _cells(
    t: Table, f: Field, out: Collector, tables: dict[str, Table], coder: Coder | None
) -> None:
    """Required, type, enum, pattern and range of one field's cells."""
    tc = t.typed[f.name]
    strings = t.col(f.name)
    # A field with a bad cell gets one finding per cell, as frictionless reports them.
    if f.required:
        out.rows(
            tc.missing,
            layer="structural",
            code=Code.CONSTRAINT_ERROR,
            file=t.file,
            fld=f.name,
            values=strings,
            message=f"{f.name!r} is required but the cell is empty.",
            fix=f"Fill in {f.name!r}: {f.description}",
        )
    if tc.invalid.any():
        expect = {
            "date": "a real date as YYYY-MM-DD",
            "integer": "a whole number",
            "number": "a number",
            "boolean": "true or false",
            "string": "an absolute URI (scheme://…)",
        }[f.type]
        out.rows(
            tc.invalid,
            layer="structural",
            code=Code.TYPE_ERROR,
            file=t.file,
            fld=f.name,
            values=strings,
            message=f"{f.name!r} must be {expect}.",
            fix=f"Write {expect}, or leave the cell empty if unknown.",
        )
    present = ~tc.missing & ~tc.invalid
    col = tc.values
    if f.enum is not None:
        bad = present & ~mask(pc.is_in(pc.cast(col, pa.string()), pa.array(list(f.enum))))
        out.rows(
            bad,
            layer="structural",
            code=Code.CONSTRAINT_ERROR,
            file=t.file,
            fld=f.name,
            values=strings,
            message=f"{f.name!r} is not in its controlled vocabulary.",
            fix=f"Use one of: {', '.join(f.enum or ())}.",
        )
    if f.pattern is not None and f.type == "string":
        bad = present & ~_pattern_ok(t, f, tables, coder)
        out.rows(
            bad,
            layer="structural",
            code=Code.CONSTRAINT_ERROR,
            file=t.file,
            fld=f.name,
            values=strings,
            message=f"{f.name!r} does not match the pattern {f.pattern}.",
            fix=f"Write it in the form the pattern requires ({f.description})",
        )
    if f.type == "date":
        _loadable_dates(t, f, present, out)
    for bound, op, word in (
        (f.minimum, pc.less, "at least"),
        (f.maximum, pc.greater, "at most"),
    ):
        if bound is not None and f.type in ("integer", "number"):
            bad = present & mask(op(col, pa.scalar(bound, col.type)))
            out.rows(
                bad,
                layer="structural",
                code=Code.CONSTRAINT_ERROR,
                file=t.file,
                fld=f.name,
                values=strings,
                message=f"{f.name!r} must be {word} {bound}.",
                fix=f"Correct the value ({f.description})",
            )


# The days pandas' datetime64[ns] (the loader's date dtype) can hold: a date outside them would
# validate and then fail to load.
LOADABLE_DATES = (dt.date(1677, 9, 22), dt.date(2262, 4, 11))


@emits(Code.CONSTRAINT_ERROR)
def _loadable_dates(t: Table, f: Field, present: np.ndarray, out: Collector) -> None:
    first, last = (pa.scalar(d, pa.date32()) for d in LOADABLE_DATES)
    col = t.typed[f.name].values
    outside = present & mask(pc.or_(pc.less(col, first), pc.greater(col, last)))
    out.rows(
        outside,
        layer="structural",
        code=Code.CONSTRAINT_ERROR,
        file=t.file,
        fld=f.name,
        values=t.col(f.name),
        message=f"{f.name!r} is outside the dates the loader's datetime64[ns] columns hold "
        f"({LOADABLE_DATES[0]} to {LOADABLE_DATES[1]}).",
        fix="Check the year; a date outside that range cannot be loaded with pandas.",
    )


def _duplicates(
    t: Table,
    fields: list[str],
    eligible: np.ndarray,
    codes_out: list[Code],
    out: Collector,
    coder: Coder | None = None,
) -> None:
    if len(fields) == 1 and fields[0] in t.digested:
        _duplicates_hashed(t, fields[0], eligible, codes_out, out)
        return
    if _distinct_codes(t, fields, eligible, coder):
        return
    key = key_column(t, fields)
    rows = np.flatnonzero(eligible)
    # Fast path: as many distinct keys as eligible rows means no duplicates.
    subset = key if len(rows) == len(key) else key.take(pa.array(rows))
    if _distinct(subset):
        return
    # Integer codes per distinct key; a row is a duplicate if an earlier eligible row has its code.
    enc = pc.dictionary_encode(key)
    chunks = enc.chunks if isinstance(enc, pa.ChunkedArray) else [enc]
    codes = np.concatenate(
        [np.zeros(0, np.int64)] + [c.indices.to_numpy(zero_copy_only=False) for c in chunks]
    )
    _report_repeats(t, fields, rows, codes[rows], shown(key), codes_out, out)


def _report_repeats(
    t: Table,
    fields: list[str],
    rows: np.ndarray,
    codes: np.ndarray,
    values: Any,
    codes_out: list[Code],
    out: Collector,
) -> None:
    """A finding for every row of ``rows`` (ascending) whose key (its code in ``codes``, one
    per row of ``rows``) an earlier one has; ``values``: the keys shown, by table row."""
    uniq, first_at = np.unique(codes, return_index=True)
    if len(uniq) == len(rows):
        return
    dup = np.zeros(t.raw.num_rows, dtype=bool)
    dup[rows] = True
    dup[rows[first_at]] = False
    code_of = np.zeros(t.raw.num_rows, dtype=np.int64)
    code_of[rows] = codes
    first = np.zeros(int(codes.max()) + 1 if len(codes) else 0, dtype=np.int64)
    numbers = t.raw.numbers
    first[uniq] = rows[first_at] + 2 if numbers is None else numbers[rows[first_at]]
    label = ", ".join(fields)
    for code in codes_out:
        out.rows(
            dup,
            layer="structural",
            code=code,
            file=t.file,
            fld=fields[0] if len(fields) == 1 else label,
            values=values,
            message=lambda i: f"({label}) repeats row {first[code_of[i]]}; it must be unique.",
            fix=lambda i: "Give the row its own key, or delete the duplicate row.",
        )


def _duplicates_hashed(
    t: Table, name: str, eligible: np.ndarray, codes_out: list[Code], out: Collector
) -> None:
    """``_duplicates`` of a column held as hashes (``Table.digest``): rows with a hash no other
    eligible row has hold a key no other row has; the cells of the rest are read again from
    the file and compared (a duplicate is reported only where the cells are equal)."""
    hashes = t.digests(name)
    assert hashes is not None and t.cells_of is not None
    mine = hashes if eligible.all() else hashes[eligible]
    if not _repeated(np.sort(mine)).any():  # (a radix sort: 10x faster than the argsort below)
        return
    rows = np.flatnonzero(eligible)
    order = np.argsort(mine, kind="stable")
    same = _repeated(mine[order])
    shared = np.zeros(len(rows), dtype=bool)
    shared[1:] |= same
    shared[:-1] |= same
    seen = np.sort(rows[order[shared]])  # the rows whose hash another row has, ascending
    cells = t.cells_of(name, seen)
    codes = np.asarray(pc.dictionary_encode(cells).indices.to_numpy(zero_copy_only=False))
    _report_repeats(t, [name], seen, codes, _Some(seen, shown(cells)), codes_out, out)


def _repeated(ordered: np.ndarray) -> np.ndarray:
    """Whether each value of a sorted array equals the next."""
    out: np.ndarray = ordered[1:] == ordered[:-1]
    return out


@dataclass
class _Some:
    """The cells of some rows (ascending), looked up by table row."""

    rows: np.ndarray
    cells: pa.Array

    def __getitem__(self, i: int) -> Any:
        return self.cells[int(np.searchsorted(self.rows, i))].as_py()


def _distinct_codes(t: Table, fields: list[str], eligible: np.ndarray, coder: Coder | None) -> bool:
    """Whether the eligible rows' keys are all distinct, told from the columns' codes when
    every field is coded, in the table or, for a key of several fields, by ``coder`` (where
    joining the cells costs more than coding them): equal codes are equal cells; with several
    fields, also when no value holds the separator, which could make two tuples join into one
    key string. False when that cannot be told this way: the strings are compared."""
    found = [t.codes(f) for f in fields]
    vocab = t.vocab
    if vocab is not None and all(f is not None for f in found):
        coded = [c for _, c in filter(None, found)]
        if len(coded) > 1 and any(vocab.holds(k, SEP) for k, _ in filter(None, found)):
            return False
    elif coder is not None and len(fields) > 1:  # (one column's cells: sorted, below)
        refs = [(t.name, f) for f in fields]
        coded = [coder.codes(r) for r in refs]
        if len(coded) > 1 and any(coder.holds_sep(r) for r in refs):
            return False
    else:
        return False
    rows = None if eligible.all() else np.flatnonzero(eligible)
    return not repeats([c if rows is None else c[rows] for c in coded])


def _distinct(key: pa.Array | pa.ChunkedArray) -> bool:
    """Whether no two cells of ``key`` (no nulls) are equal: sorted, no cell equals the next.
    A sort holds the indices and one sorted copy (some 2x the column) where a hash set holds
    some 4x (``pc.unique``: 3.3 GB more for evidence's ids at 10M events), and it is faster."""
    n = len(key)
    if n < 2:
        return True
    ordered = key.take(pc.sort_indices(key))
    return not pc.any(pc.equal(ordered.slice(1), ordered.slice(0, n - 1))).as_py()


@emits(Code.FOREIGN_KEY)
def check_foreign_keys(
    tables: dict[str, Table], out: Collector, coder: Coder | None = None
) -> None:
    """Every foreign key's complete values found in its target (``coder``: the package's
    codes, where the key and its target are coded together)."""
    for t in tables.values():
        for fk in t.schema.foreign_keys:
            target_name = fk.resource or t.name
            target = tables.get(target_name)
            if target is None or not all(f in t.typed for f in fk.fields):
                continue
            if not all(f in target.typed for f in fk.reference_fields):
                continue
            complete = np.ones(t.raw.num_rows, dtype=bool)
            for f in fk.fields:
                complete &= ~t.typed[f].missing
            bad = complete & ~_found(t, fk, target, coder)
            label = ", ".join(fk.fields)
            ref = f"{target_name}.{', '.join(fk.reference_fields)}"
            out.rows(
                bad,
                layer="structural",
                code=Code.FOREIGN_KEY,
                file=t.file,
                fld=fk.fields[0] if len(fk.fields) == 1 else label,
                values=shown(key_column(t, list(fk.fields))) if bad.any() else None,
                message=f"No row of {ref} has this value.",
                fix=f"Use an existing {ref} (see {target.file}), or add the row there first.",
            )
        t.forget("found")  # no later check needs them


def _found(t: Table, fk: ForeignKey, target: Table, coder: Coder | None) -> np.ndarray:
    """Rows of ``t`` whose key is a key of ``target`` (remembered: the pattern check uses it)."""

    def compute() -> np.ndarray:
        if len(fk.fields) == 1:  # both columns coded in one dictionary: the codes compare
            mine, theirs = t.codes(fk.fields[0]), target.codes(fk.reference_fields[0])
            if mine is not None and theirs is not None and mine[0] == theirs[0]:
                return is_in(mine[1], theirs[1])
            refs = (t.name, fk.fields[0]), (target.name, fk.reference_fields[0])
            if coder is not None and coder.shared(*refs):
                # (The target's keys hashed once for every key into it, not once each.)
                return is_in(coder.codes(refs[0]), coder.codes(refs[1]))
        remote = key_column(target, list(fk.reference_fields))
        local = key_column(t, list(fk.fields))
        return by_runs(local, lambda c: mask(pc.is_in(c, value_set=remote)))

    found: np.ndarray = t.memo(("found", fk), compute)
    return found


def _matches(t: Table, name: str, pattern: str) -> np.ndarray:
    """Whether each raw cell of ``name`` matches ``pattern`` (remembered: foreign keys into
    this column use it)."""

    def compute() -> np.ndarray:
        regex = anchored(pattern)
        return by_runs(t.col(name), lambda c: mask(pc.match_substring_regex(c, regex)))

    matched: np.ndarray = t.memo(("matches", name, pattern), compute)
    return matched


def _pattern_ok(t: Table, f: Field, tables: dict[str, Table], coder: Coder | None) -> np.ndarray:
    """Whether each cell of ``f`` matches its pattern. A value found among the keys of a
    foreign key's target column with the same pattern, where every non-empty key matches it,
    matches too: only the values not found are run through the regex."""
    pattern = f.pattern or ""
    for fk in t.schema.foreign_keys:
        target = tables.get(fk.resource or t.name)
        if fk.fields != (f.name,) or target is None:
            continue
        (ref,) = fk.reference_fields
        if ref not in target.typed or fk.fields[0] not in t.typed:
            continue
        g = target.schema.field(ref)
        if g.type != "string" or g.pattern is None or anchored(g.pattern) != anchored(pattern):
            continue
        if target.codes(ref) is not None and t.codes(f.name) is None:
            # (Read after its target was coded, a table or a batch of one: looking its cells
            # up would decode and hash the whole target each time; the regex costs less.)
            continue
        if not (_matches(target, ref, g.pattern) | target.typed[ref].missing).all():
            continue
        ok = _found(t, fk, target, coder).copy()
        rest = np.flatnonzero(~ok)
        if len(rest):
            part = t.col(f.name).take(pa.array(rest))
            ok[rest] = mask(pc.match_substring_regex(part, anchored(pattern)))
        return ok
    return _matches(t, f.name, pattern)
