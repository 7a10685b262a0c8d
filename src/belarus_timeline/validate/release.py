"""Release folders: each Parquet resource must hold exactly the rows of its CSV twin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from belarus_timeline.canonical import content_hash, sort_by_key
from belarus_timeline.package import DataPackage
from belarus_timeline.tables import typed_table
from belarus_timeline.validate.codes import Code, emits
from belarus_timeline.validate.columns import (
    Table,
    is_parquet,
)
from belarus_timeline.validate.report import Collector, Finding


@emits(Code.PARQUET_MISMATCH)
def check_parquet_twins(
    pkg: DataPackage,
    usable: Mapping[str, Any],
    tables: dict[str, Table],
    changed: set[str],
    out: Collector,
) -> None:
    """A Parquet resource (in a release) must hold exactly the rows of its CSV twin: the
    CSV is what the checks above read, so equal content hashes carry them over. A pair in
    which either file differs from its declared hash is not compared: that finding already
    names the file that changed."""
    for u in usable.values():
        r = u.resource
        if not is_parquet(r.path) or not (pkg.root / r.path).is_file():
            continue
        twin = tables.get(str(r.descriptor.get("x-table", "")))
        if r.path in changed or (twin is not None and twin.file in changed):
            continue
        problem = None
        if twin is None:
            problem = "it has no CSV twin (x-table) to be checked against"
        else:
            try:
                schema = u.schema
                data = pq.read_table(pkg.root / r.path, columns=schema.field_names)
                csv_data = sort_by_key(typed_table(twin.raw, twin.schema), twin.schema)
                if content_hash(sort_by_key(data, schema)) != content_hash(csv_data):
                    problem = f"its rows differ from those of {twin.file}"
            except (OSError, KeyError, pa.ArrowException) as exc:
                problem = f"it cannot be read as Parquet with its schema ({exc})"
        if problem is not None:
            out.add(
                Finding(
                    "structural",
                    Code.PARQUET_MISMATCH,
                    r.path,
                    message=f"Parquet resource {r.name!r}: {problem}.",
                    fix="Rebuild the release with `belarus-timeline build`.",
                )
            )
