"""Pydantic models derived from the Table Schemas and the package descriptor.

The Table Schemas in ``schema/`` are canonical: :func:`row_model` builds a model from one at run
time, so the Python types can never disagree with the schema (a test checks field by field).
Use them to check a single new row before appending it to a table::

    Event = row_model("events")
    Event.model_validate({"event_id": "...", ...})
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from belarus_timeline.package import DataPackage, bundled_root
from belarus_timeline.package import Field as SchemaField
from belarus_timeline.semver import parse

_PY_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "date": dt.date,
    "boolean": bool,
}


def _annotation(f: SchemaField) -> Any:
    base: Any = _PY_TYPES[f.type]
    if f.enum is not None:
        base = Literal[f.enum]
    constraints: dict[str, Any] = {}
    if f.pattern is not None and f.type == "string":
        constraints["pattern"] = f.pattern
    if f.minimum is not None:
        constraints["ge"] = f.minimum
    if f.maximum is not None:
        constraints["le"] = f.maximum
    if f.required and f.type == "string":
        constraints["min_length"] = 1
    ann: Any = Annotated[base, Field(**constraints)] if constraints else base
    return ann if f.required else ann | None


@cache
def _row_model(root: str, table: str) -> type[BaseModel]:
    schema = DataPackage(root).schema(table)
    fields: dict[str, Any] = {
        f.name: (
            _annotation(f),
            Field(... if f.required else None, description=f.description),
        )
        for f in schema.fields
    }
    name = "".join(part.capitalize() for part in table.split("_")) + "Row"
    model: type[BaseModel] = create_model(
        name, __config__=ConfigDict(extra="forbid", strict=False), **fields
    )
    return model


def row_model(table: str, root: Path | str | None = None) -> type[BaseModel]:
    """A pydantic model of one row of ``table``, built from its Table Schema."""
    return _row_model(str(Path(root) if root else bundled_root()), table)


def _semver(v: str) -> str:
    parse(v)
    return v


class License(BaseModel):
    name: str | None = None
    path: str | None = None
    title: str | None = None


class Contributor(BaseModel):
    model_config = ConfigDict(extra="allow")
    title: str
    roles: list[str] = []


class PackageMetadata(BaseModel):
    """What our package descriptor must carry beyond the Data Package profile."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    schema_: Literal["https://datapackage.org/profiles/2.0/datapackage.json"] = Field(
        alias="$schema"
    )
    name: Annotated[str, Field(pattern=r"^[a-z0-9._-]+$")]
    title: str
    description: str
    version: Annotated[str, AfterValidator(_semver)]
    created: dt.datetime
    keywords: list[str]
    licenses: list[License]
    contributors: list[Contributor]
    sources: list[dict[str, Any]]
    resources: list[dict[str, Any]]
