"""Findings and the report: what the validator says, and how it is collected."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa


@dataclass(frozen=True)
class Finding:
    """One problem, located precisely enough to fix it."""

    layer: str  # package | structural | semantic | provenance
    code: str  # e.g. type-error, foreign-key, end-before-start, excerpt-mismatch
    file: str  # path relative to the package root
    message: str
    fix: str
    row: int | None = None  # frictionless numbering: header = 1, first data row = 2
    field: str | None = None
    value: str | None = None

    def to_text(self) -> str:
        where = self.file + (f":{self.row}" if self.row is not None else "")
        what = f" field {self.field!r}" if self.field else ""
        value = f" value {clip(self.value)!r}" if self.value is not None else ""
        return f"{where}:{what}{value}: {self.message} Fix: {self.fix}"


def clip(value: str | None, n: int = 80) -> str | None:
    if value is None or len(value) <= n:
        return value
    return value[: n - 1] + "…"


@dataclass
class Report:
    """The result of validating a package."""

    root: str
    findings: list[Finding] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    truncated: dict[str, int] = field(default_factory=dict)  # check -> findings not listed
    notes: list[str] = field(default_factory=list)  # checks skipped, and why

    @property
    def valid(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "root": self.root,
            "error_count": len(self.findings) + sum(self.truncated.values()),
            "rows": self.rows,
            "errors": [asdict(f) for f in self.findings],
            "truncated": self.truncated,
            "notes": self.notes,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        total = sum(self.rows.values())
        notes = "".join(f"\nnote: {n}" for n in self.notes)
        if self.valid:
            layers = (
                "structural and semantic" if self.notes else "structural, semantic and provenance"
            )
            return (
                f"VALID: {self.root}\n"
                f"{len(self.rows)} tables, {total} rows; {layers} checks passed.{notes}"
            )
        lines = [f"INVALID: {self.root}"]
        for layer in ("package", "structural", "semantic", "provenance"):
            group = [f for f in self.findings if f.layer == layer]
            if group:
                lines.append(f"\n{layer} ({len(group)}):")
                lines.extend("  " + f.to_text() for f in group)
        for check, n in self.truncated.items():
            lines.append(f"  … and {n} more {check} findings not listed")
        count = len(self.findings) + sum(self.truncated.values())
        lines.append(f"\n{count} error(s).{notes}")
        return "\n".join(lines)


class Collector:
    """Gathers findings, listing at most ``limit`` per (file, field, code).

    ``numbering`` maps a file to the row number of each row read from it, for files whose
    reader set rows aside (blank, or of the wrong width); other files' row ``i`` is row
    ``i + 2``."""

    def __init__(
        self, report: Report, limit: int | None, numbering: dict[str, np.ndarray] | None = None
    ) -> None:
        self.report, self.limit = report, limit
        self.counts: dict[tuple[str, str | None, str], int] = {}
        self.numbering: dict[str, np.ndarray] = {} if numbering is None else numbering

    def sub(self) -> Collector:
        """A fresh collector with the same limit and row numbering (for a parallel job)."""
        return Collector(Report(self.report.root), self.limit, self.numbering)

    def row_number(self, file: str, i: int) -> int:
        """The row number (header = 1) of data row ``i`` (0-based) of ``file``."""
        numbers = self.numbering.get(file)
        return i + 2 if numbers is None else int(numbers[i])

    def merge(self, other: Collector) -> None:
        """Append the findings, truncation counts and limits of another collector."""
        self.report.findings.extend(other.report.findings)
        for k, v in other.report.truncated.items():
            self.report.truncated[k] = self.report.truncated.get(k, 0) + v
        for key, n in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + n

    def room(self, file: str, fld: str | None, code: str) -> int | None:
        if self.limit is None:
            return None
        return max(self.limit - self.counts.get((file, fld, code), 0), 0)

    def add(self, f: Finding) -> None:
        key = (f.file, f.field, f.code)
        n = self.counts.get(key, 0)
        self.counts[key] = n + 1
        if self.limit is not None and n >= self.limit:
            name = f"{f.file}:{f.field or '-'}:{f.code}"
            self.report.truncated[name] = self.report.truncated.get(name, 0) + 1
        else:
            self.report.findings.append(f)

    def rows(
        self,
        mask: np.ndarray,
        *,
        layer: str,
        code: str,
        file: str,
        fld: str | None,
        values: Any,
        message: str | Callable[[int], str],
        fix: str | Callable[[int], str],
    ) -> None:
        """Add one finding per True in ``mask`` (positions are 0-based data rows)."""
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        room = self.room(file, fld, code)
        listed = idx if room is None else idx[:room]
        # Values are fetched only for the rows listed, in one take: never a whole column.
        picked = pick(values, listed)
        for i, v in zip(listed.tolist(), picked, strict=True):
            self.add(
                Finding(
                    layer,
                    code,
                    file,
                    message=message if isinstance(message, str) else message(i),
                    fix=fix if isinstance(fix, str) else fix(i),
                    row=self.row_number(file, i),
                    field=fld,
                    value=None if v is None else str(v),
                )
            )
        rest = len(idx) - len(listed)
        if rest:
            name = f"{file}:{fld or '-'}:{code}"
            self.report.truncated[name] = self.report.truncated.get(name, 0) + rest
            self.counts[(file, fld, code)] = self.counts.get((file, fld, code), 0) + rest


def pick(values: Any, rows: np.ndarray) -> list[Any]:
    """``values[rows]`` as Python objects, for an Arrow array, a numpy array or ``None``."""
    if values is None:
        return [None] * len(rows)
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return list(values.take(pa.array(rows, pa.int64())).to_pylist())
    return [values[i] for i in rows.tolist()]


def cell(values: pa.Array | pa.ChunkedArray, i: int) -> Any:
    """One cell as a Python object (for messages of failing rows only)."""
    return values[i].as_py()
