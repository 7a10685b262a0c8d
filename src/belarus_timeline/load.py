"""Loading the data as pandas DataFrames with the schema's dtypes, in the one row order.

- ``load()``: the data bundled in the installed package (never the network);
- ``load(version="1.0.0")`` or ``load(version="latest")``: a published release from the cache,
  verified, with no URL and no connection when it is there; downloaded (and verified) first when
  it is not (see :mod:`belarus_timeline.downloader`);
- ``load(path=...)``: a release folder or zip you have, verified against its manifest and
  checksums first (see :mod:`belarus_timeline.archive`);
- ``load(root=...)``: a package folder as it is (a checkout you are editing), not verified.

Every table comes in the project's one row order, primary-key order
(:func:`belarus_timeline.canonical.sort_by_key`), the order releases are written in: the same
data loads as the same frames, dtypes and order included, whichever way it was reached. A
partial download loads the tables it has and warns which are missing.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from belarus_timeline.archive import open_release
from belarus_timeline.canonical import sort_by_key
from belarus_timeline.downloader import download, local_release, resolve_version
from belarus_timeline.errors import ReleaseError, UnknownTableError, UsageError
from belarus_timeline.package import DESCRIPTOR, DataPackage, Resource, bundled_root
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

    def __init__(
        self,
        tables: dict[str, pd.DataFrame],
        version: str,
        root: Path,
        missing: Iterable[str] = (),
    ) -> None:
        self._tables = tables
        self.version = version
        self.root = root
        #: Tables of the release that are not here (a partial download), in package order.
        self.missing = tuple(missing)

    def _error(self, name: str) -> UnknownTableError:
        if name in self.missing:
            return UnknownTableError(
                f"Table {name!r} of version {self.version} is not in {self.root} (a partial "
                f"download). Fetch it with bt.download({self.version!r}, tables=[{name!r}]) or "
                f"`belarus-timeline download {self.version} --tables {name}`."
            )
        return unknown_table(name, list(self._tables))

    def __getitem__(self, name: str) -> pd.DataFrame:
        try:
            return self._tables[name]
        except KeyError:
            raise self._error(name) from None

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._tables[name]
        except KeyError:
            raise AttributeError(str(self._error(name))) from None

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
    """The package at ``root``, the bundled one, or a whole release from the cache (downloaded
    first if needed)."""
    if root is not None:
        return DataPackage(root)
    if version is None:
        return DataPackage(bundled_root())
    return DataPackage(download(version))


def read_table(pkg: DataPackage, name: str) -> pd.DataFrame:
    """Read one resource of a package (CSV or Parquet) with the schema's dtypes, in the one
    row order (primary key)."""
    schema = pkg.schema(name)
    return to_pandas(sort_by_key(read_arrow(pkg, name, categorical=True), schema), schema)


def read_tables(pkg: DataPackage, chosen: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    """:func:`read_table` of each (table -> resource), in that order. Tables are read side by
    side: Parquet decoding and the conversions run in Arrow and numpy, which release the GIL."""
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        frames = list(pool.map(lambda res: read_table(pkg, res), chosen.values()))
    return dict(zip(chosen, frames, strict=True))


def _resources(pkg: DataPackage) -> dict[str, list[Resource]]:
    """Each table's resources, Parquet first (faster to read and already typed)."""
    out: dict[str, list[Resource]] = {}
    for r in pkg.resources:
        out.setdefault(str(r.descriptor.get("x-table", r.name)), []).append(r)
    for rs in out.values():
        rs.sort(key=lambda r: not r.path.endswith(".parquet"))
    return out


def _readable(r: Resource, verified: frozenset[str]) -> bool:
    schema = r.descriptor.get("schema")
    return r.path in verified and (not isinstance(schema, str) or schema in verified)


def _check_names(tables: Iterable[str] | None, known: list[str]) -> list[str] | None:
    if tables is None:
        return None
    wanted = list(dict.fromkeys(tables))
    for name in wanted:
        if name not in known:
            raise unknown_table(name, known)
    return wanted


def _from_release(
    folder: Path, verified: frozenset[str], tables: Iterable[str] | None, source: Path
) -> Timeline:
    """The verified tables of a release folder; a table none of whose files verified is
    reported missing (a warning names them and how to fetch them)."""
    if DESCRIPTOR not in verified:
        raise ReleaseError(f"{source}: {DESCRIPTOR} is missing; download the release again.")
    pkg = DataPackage(folder)
    choices = _resources(pkg)
    wanted = _check_names(tables, list(choices)) or list(choices)
    chosen: dict[str, str] = {}
    missing: list[str] = []
    for table in wanted:
        r = next((r for r in choices[table] if _readable(r, verified)), None)
        if r is None:
            missing.append(table)
        else:
            chosen[table] = r.name
    if not chosen:
        raise ReleaseError(
            f"{source}: none of the tables {', '.join(wanted)} of version {pkg.version} is "
            f"there. Fetch them with `belarus-timeline download {pkg.version}`."
        )
    if missing:
        warnings.warn(
            f"Version {pkg.version} in {source} is a partial download: loaded "
            f"{', '.join(chosen)}; missing {', '.join(missing)}. Fetch the rest with "
            f"bt.download({pkg.version!r}) or `belarus-timeline download {pkg.version}`.",
            stacklevel=3,
        )
    return Timeline(read_tables(pkg, chosen), pkg.version, source, missing)


def _data_files(paths: Iterable[str]) -> list[str]:
    """The files a load reads: the descriptor, schemas and tables (not exports or the page)."""
    return [p for p in paths if p == DESCRIPTOR or p.split("/")[0] in ("data", "parquet", "schema")]


def _from_cache(version: str, tables: Iterable[str] | None) -> Timeline:
    """A release from the cache without a connection when it is there, downloaded if not.

    With ``tables`` given, those tables are fetched if they are missing; without, the cache is
    used as it is as soon as it holds any table of the version (a partial download)."""
    version = resolve_version(version)
    tables = list(tables) if tables is not None else None

    def look() -> tuple[Path, frozenset[str]] | None:
        local = local_release(version, paths=())  # the trusted manifest, nothing hashed yet
        if local is None:
            return None
        paths = _data_files(f.path for f in local.manifest.files)
        local = local_release(version, paths=paths)
        assert local is not None
        return local.folder, local.verified

    found = look()
    if found is None or not _has_tables(found, tables):
        download(version, tables=tables)
        found = look()
    assert found is not None
    return _from_release(found[0], found[1], tables, found[0])


def _has_tables(found: tuple[Path, frozenset[str]], tables: list[str] | None) -> bool:
    """Whether the cached files hold the wanted tables (any table at all, when none is named)."""
    folder, verified = found
    if DESCRIPTOR not in verified:
        return False
    choices = _resources(DataPackage(folder))
    have = [t for t, rs in choices.items() if any(_readable(r, verified) for r in rs)]
    if tables is None:
        return bool(have)
    # An unknown name is not fetched: reading says which names there are.
    return all(t in have for t in tables if t in choices)


def load(
    version: str | None = None,
    *,
    path: Path | str | None = None,
    root: Path | str | None = None,
    tables: Iterable[str] | None = None,
) -> Timeline:
    """Load the tables of the timeline (all of them, or ``tables``).

    - no argument: the data bundled in the installed package (no network);
    - ``version="1.0.0"`` or ``"latest"``: that published release, from the cache with no URL
      and no connection when it is there, else downloaded and verified first;
    - ``path=``: a release folder or zip, verified against its manifest and checksums first;
    - ``root=``: a package folder as it is (e.g. a checkout), not verified.

    A partial download loads the tables it has; a warning names the missing ones, and
    ``Timeline.missing`` lists them.
    """
    given = [n for n, v in (("version", version), ("path", path), ("root", root)) if v is not None]
    if len(given) > 1:
        raise UsageError(f"Pass one of version=, path= and root=, not {' and '.join(given)}.")
    if path is not None:
        with open_release(path) as rel:
            return _from_release(rel.folder, rel.verified, tables, Path(path))
    if version is not None:
        return _from_cache(version, tables)
    pkg = DataPackage(root if root is not None else bundled_root())
    names = table_names(pkg)
    wanted = _check_names(tables, list(names)) or list(names)
    return Timeline(read_tables(pkg, {t: names[t] for t in wanted}), pkg.version, pkg.root)


def load_table(
    name: str,
    version: str | None = None,
    *,
    path: Path | str | None = None,
    root: Path | str | None = None,
) -> pd.DataFrame:
    """Load one table by name (see :class:`Timeline` for the tables and their columns); from a
    release, only that table's files are read (and downloaded, if they are missing).

    An unknown name raises :class:`~belarus_timeline.errors.UnknownTableError` listing the
    valid names.
    """
    return load(version, path=path, root=root, tables=[name])[name]
