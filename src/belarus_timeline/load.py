"""Loading the data as pandas DataFrames with the schema's dtypes.

``load()`` with no version reads the data bundled in the installed package (never the network);
``load(version=...)`` reads a downloaded release (see :mod:`belarus_timeline.downloader`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from belarus_timeline.errors import PackageError, UnknownTableError
from belarus_timeline.package import DataPackage, bundled_root
from belarus_timeline.tables import read_raw, to_pandas, typed_table


class Timeline(Mapping[str, pd.DataFrame]):
    """One DataFrame per table, by attribute (``tl.events``) or by key (``tl["events"]``).

    Tables and their columns (see the data dictionary in the README for every field):

    - ``sources``: source_id, title, publisher, published, url, language, contributors,
      archive_path, sha256, rights, notes
    - ``source_furniture``: source_id, char_start, char_end, excerpt, kind
    - ``places``: place_id, name, kind, country, latitude, longitude, coordinate_precision,
      coordinate_source, geonames_id, wikidata_qid, within_place_id
    - ``actors``: actor_id, name, kind, country, role, wikidata_qid
    - ``actor_aliases``: actor_id, alias, language, script, alias_kind
    - ``events``: event_id, title, summary, event_type, plover_category, plover_mode,
      cameo_code, start_date, end_date, date_precision, edtf, timezone, date_basis,
      date_expression, date_anchor, place_id, status
    - ``participants``: event_id, actor_id, role
    - ``quotes``: quote_id, event_id, speaker_id, addressee_id, said_on, quote_kind, text,
      source_id, char_start, char_end
    - ``claims``: claim_id, event_id, claimant_id, stated_on, subject, value, unit, comparator,
      qualifier, period, period_expression, excerpt, source_id, char_start, char_end
    - ``event_links``: from_event_id, relation, to_event_id, excerpt, source_id, char_start,
      char_end
    - ``evidence``: evidence_id, event_id, aspect, excerpt, source_id, char_start, char_end

    Dtypes: dates ``datetime64[ns]``; integers ``Int64`` (nullable); numbers ``float64``;
    controlled vocabularies ``category`` (categories in schema order); other text ``string``.
    """

    def __init__(self, tables: dict[str, pd.DataFrame], version: str, root: Path) -> None:
        self._tables = tables
        self.version = version
        self.root = root

    def __getitem__(self, name: str) -> pd.DataFrame:
        try:
            return self._tables[name]
        except KeyError:
            raise _unknown(name, list(self._tables)) from None

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._tables[name]
        except KeyError:
            raise AttributeError(str(_unknown(name, list(self._tables)))) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self._tables]

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self._tables.items())
        return f"Timeline(version={self.version!r}, {sizes})"


def _unknown(name: str, names: list[str]) -> UnknownTableError:
    return UnknownTableError(f"No table named {name!r}. The tables are: {', '.join(names)}.")


def _package_for(version: str | None, root: Path | str | None) -> DataPackage:
    if root is not None:
        return DataPackage(root)
    if version is None:
        return DataPackage(bundled_root())
    from belarus_timeline.downloader import download

    return DataPackage(download(version))


def read_arrow(pkg: DataPackage, name: str, *, categorical: bool = False) -> pa.Table:
    """One resource of a package (CSV or Parquet) as an Arrow table typed by its schema.

    With ``categorical``, Parquet vocabulary columns come dictionary-encoded (for pandas)."""
    if name not in pkg.table_names:
        raise _unknown(name, pkg.table_names)
    schema = pkg.schema(name)
    path = pkg.path_of(pkg.resource(name).path)
    if path.suffix == ".parquet":
        if not categorical:
            return pq.read_table(path, columns=schema.field_names)
        # Controlled vocabularies dictionary-encoded on read: categoricals for the price of
        # looking up their few distinct values.
        vocabularies = [f.name for f in schema.fields if f.enum is not None and f.type == "string"]
        return pq.read_table(path, columns=schema.field_names, read_dictionary=vocabularies)
    raw = read_raw(path)
    if raw.bad_rows:
        raise PackageError(f"{path}: rows of the wrong width; run `belarus-timeline validate`.")
    return typed_table(raw, schema)


def read_table(pkg: DataPackage, name: str) -> pd.DataFrame:
    """Read one resource of a package (CSV or Parquet) with the schema's dtypes."""
    return to_pandas(read_arrow(pkg, name, categorical=True), pkg.schema(name))


def load(version: str | None = None, *, root: Path | str | None = None) -> Timeline:
    """Load every table of the timeline.

    With no arguments, the data bundled in the installed package (no network). With
    ``version="1.0.0"``, that published release, downloaded and verified first if it is not in
    the cache. ``root`` reads a package folder (a checkout or an unpacked release) instead.
    """
    pkg = _package_for(version, root)
    names = _table_names(pkg)
    return Timeline({t: read_table(pkg, r) for t, r in names.items()}, pkg.version, pkg.root)


def load_table(
    name: str, version: str | None = None, *, root: Path | str | None = None
) -> pd.DataFrame:
    """Load one table by name (see :class:`Timeline` for the tables and their columns).

    An unknown name raises :class:`~belarus_timeline.errors.UnknownTableError` listing the
    valid names.
    """
    pkg = _package_for(version, root)
    names = _table_names(pkg)
    if name not in names:
        raise _unknown(name, list(names))
    return read_table(pkg, names[name])


def _table_names(pkg: DataPackage) -> dict[str, str]:
    """Table name -> resource name. A release lists each table twice (``events`` as CSV and
    ``events-parquet``); Parquet is preferred as it is faster to read and already typed."""
    out: dict[str, str] = {}
    for r in pkg.resources:
        table = r.descriptor.get("x-table", r.name)
        if table not in out or r.path.endswith(".parquet"):
            out[table] = r.name
    return out
