"""Loading the data as pandas DataFrames with the schema's dtypes.

``load()`` with no version reads the data bundled in the installed package (never the network);
``load(version=...)`` reads a downloaded release (see :mod:`belarus_timeline.downloader`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd

from belarus_timeline.downloader import download
from belarus_timeline.package import DataPackage, bundled_root
from belarus_timeline.tables import read_arrow, table_names, to_pandas, unknown_table


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
    - ``events``: event_id, title, summary, event_type, plover_category, plover_mode, cameo_code,
      start_date, end_date, date_precision, edtf, timezone, place_id, status
    - ``statements``: statement_id, event_id, property, edtf, place_id, rank, rank_reason
    - ``participants``: event_id, actor_id, role
    - ``quotes``: quote_id, utterance_id, event_id, speaker_id, addressee_id, said_on, quote_kind,
      text, source_id, char_start, char_end
    - ``claims``: claim_id, event_id, claimant_id, stated_on, subject, value, unit, comparator,
      qualifier, period, period_expression, excerpt, source_id, char_start, char_end
    - ``event_links``: from_event_id, relation, to_event_id
    - ``link_evidence``: evidence_id, from_event_id, relation, to_event_id, stance, excerpt,
      source_id, char_start, char_end
    - ``evidence``: evidence_id, event_id, aspect, statement_id, stance, date_basis,
      date_expression, date_anchor, excerpt, source_id, char_start, char_end

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
            raise unknown_table(name, list(self._tables)) from None

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._tables[name]
        except KeyError:
            raise AttributeError(str(unknown_table(name, list(self._tables)))) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self._tables]

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self._tables.items())
        return f"Timeline(version={self.version!r}, {sizes})"


def package_for(version: str | None, root: Path | str | None) -> DataPackage:
    if root is not None:
        return DataPackage(root)
    if version is None:
        return DataPackage(bundled_root())
    return DataPackage(download(version))


def read_table(pkg: DataPackage, name: str) -> pd.DataFrame:
    """Read one resource of a package (CSV or Parquet) with the schema's dtypes."""
    return to_pandas(read_arrow(pkg, name, categorical=True), pkg.schema(name))


def load(version: str | None = None, *, root: Path | str | None = None) -> Timeline:
    """Load every table of the timeline.

    With no arguments, the data bundled in the installed package (no network). With
    ``version="1.0.0"``, that published release, downloaded and verified first if it is not in
    the cache. ``root`` reads a package folder (a checkout or an unpacked release) instead.
    """
    pkg = package_for(version, root)
    names = table_names(pkg)
    return Timeline({t: read_table(pkg, r) for t, r in names.items()}, pkg.version, pkg.root)


def load_table(
    name: str, version: str | None = None, *, root: Path | str | None = None
) -> pd.DataFrame:
    """Load one table by name (see :class:`Timeline` for the tables and their columns).

    An unknown name raises :class:`~belarus_timeline.errors.UnknownTableError` listing the
    valid names.
    """
    pkg = package_for(version, root)
    names = table_names(pkg)
    if name not in names:
        raise unknown_table(name, list(names))
    return read_table(pkg, names[name])
