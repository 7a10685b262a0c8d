"""The catalogue of finding codes: every code the validator can emit, its layer(s), severity
and a one-line meaning. A check declares the codes it can emit with :func:`emits`; the tests
prove that every code here is produced by at least one bad input and that nothing else is ever
emitted. The README's list of codes is generated from this module (``make docs``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar


class Code(StrEnum):
    """A finding code (the ``code`` of a finding; a ``str``, so it prints and compares as one)."""

    PACKAGE_ERROR = "package-error"
    METADATA_ERROR = "metadata-error"
    DUPLICATE_RESOURCE = "duplicate-resource"
    MISSING_TABLE = "missing-table"
    RESOURCE_ERROR = "resource-error"
    UNSAFE_PATH = "unsafe-path"
    SCHEMA_ERROR = "schema-error"
    DIALECT_ERROR = "dialect-error"
    MISSING_FILE = "missing-file"
    BYTE_COUNT = "byte-count"
    HASH_COUNT = "hash-count"
    ENCODING_ERROR = "encoding-error"
    SOURCE_ERROR = "source-error"
    EXTRA_LABEL = "extra-label"
    MISSING_LABEL = "missing-label"
    DUPLICATE_LABEL = "duplicate-label"
    LABEL_ORDER = "label-order"
    EXTRA_CELL = "extra-cell"
    MISSING_CELL = "missing-cell"
    BLANK_ROW = "blank-row"
    EMPTY_TABLE = "empty-table"
    CONSTRAINT_ERROR = "constraint-error"
    TYPE_ERROR = "type-error"
    UNIQUE_ERROR = "unique-error"
    PRIMARY_KEY = "primary-key"
    FOREIGN_KEY = "foreign-key"
    PARQUET_MISMATCH = "parquet-mismatch"
    FORMULA_INJECTION = "formula-injection"
    CONTROL_CHARACTER = "control-character"
    BIDI_CONTROL = "bidi-control"
    WHITESPACE_ONLY = "whitespace-only"
    END_BEFORE_START = "end-before-start"
    PRECISION_MISMATCH = "precision-mismatch"
    EDTF_MISMATCH = "edtf-mismatch"
    INVALID_EDTF = "invalid-edtf"
    UNKNOWN_TIMEZONE = "unknown-timezone"
    DEPRECATED_TIMEZONE = "deprecated-timezone"
    RESOLVED_WITHOUT_EXPRESSION = "resolved-without-expression"
    EMPTY_SPAN = "empty-span"
    OUTSIDE_EVENT = "outside-event"
    NOT_A_PARTICIPANT = "not-a-participant"
    HALF_COORDINATES = "half-coordinates"
    COORDINATE_PRECISION = "coordinate-precision"
    SELF_LINK = "self-link"
    CYCLE = "cycle"
    LINK_CONTRADICTS_DATES = "link-contradicts-dates"
    NO_EVIDENCE = "no-evidence"
    STATEMENT_VALUE = "statement-value"
    DUPLICATE_STATEMENT = "duplicate-statement"
    PREFERRED_NOT_UNIQUE = "preferred-not-unique"
    PREFERRED_MISMATCH = "preferred-mismatch"
    RANK_WITHOUT_REASON = "rank-without-reason"
    UNSUPPORTED_STATEMENT = "unsupported-statement"
    STATEMENT_MISMATCH = "statement-mismatch"
    DERIVATION_MISMATCH = "derivation-mismatch"
    EXPRESSION_NOT_IN_EXCERPT = "expression-not-in-excerpt"
    UTTERANCE_MISMATCH = "utterance-mismatch"
    MISSING_SOURCE_TEXT = "missing-source-text"
    HASH_MISMATCH = "hash-mismatch"
    SPAN_OUT_OF_RANGE = "span-out-of-range"
    EXCERPT_MISMATCH = "excerpt-mismatch"
    SPAN_ON_FURNITURE = "span-on-furniture"


LAYERS = ("package", "structural", "semantic", "provenance")


@dataclass(frozen=True)
class CodeInfo:
    """What a code means and where it is reported."""

    layers: tuple[str, ...]
    severity: str  # error: the package is invalid
    meaning: str


def _e(layers: str, meaning: str) -> CodeInfo:
    return CodeInfo(tuple(layers.split()), "error", meaning)


CATALOGUE: dict[Code, CodeInfo] = {
    Code.PACKAGE_ERROR: _e(
        "package", "datapackage.json is missing, not JSON, or has no resources list."
    ),
    Code.METADATA_ERROR: _e(
        "package",
        "A package metadata field is missing or malformed (name, version, created...).",
    ),
    Code.DUPLICATE_RESOURCE: _e("package", "Two resources have the same name."),
    Code.MISSING_TABLE: _e(
        "package", "A table of the data model is not listed as a resource of the descriptor."
    ),
    Code.RESOURCE_ERROR: _e(
        "package",
        "A resource's entry breaks the Data Package profile or cannot be read as a table "
        "(name, path, format, hash, bytes...).",
    ),
    Code.UNSAFE_PATH: _e(
        "package provenance",
        "A resource or archive path is absolute, escapes the package, or is otherwise unsafe.",
    ),
    Code.SCHEMA_ERROR: _e(
        "package",
        "A Table Schema cannot be read, breaks the Table Schema profile (a key naming no field, "
        "an unknown type, a bad pattern...) or uses a feature the toolkit does not read.",
    ),
    Code.DIALECT_ERROR: _e(
        "package",
        "A resource declares an encoding, CSV dialect or compression other than the one the "
        "toolkit reads and writes (UTF-8, comma, double quote, one header row).",
    ),
    Code.MISSING_FILE: _e("package", "A resource's data file does not exist."),
    Code.BYTE_COUNT: _e("package", "A file's size differs from the 'bytes' its resource declares."),
    Code.HASH_COUNT: _e("package", "A file's hash differs from the 'hash' its resource declares."),
    Code.ENCODING_ERROR: _e(
        "structural provenance", "A data file or archived text is not valid UTF-8."
    ),
    Code.SOURCE_ERROR: _e("structural", "A data file cannot be parsed as CSV."),
    Code.EXTRA_LABEL: _e("structural", "The header has a column the schema does not define."),
    Code.MISSING_LABEL: _e("structural", "A schema field is missing from the header."),
    Code.DUPLICATE_LABEL: _e("structural", "The header names a column twice."),
    Code.LABEL_ORDER: _e("structural", "The header's columns are not in the schema's order."),
    Code.EXTRA_CELL: _e("structural", "A row has more cells than the header."),
    Code.MISSING_CELL: _e("structural", "A row has fewer cells than the header."),
    Code.BLANK_ROW: _e("structural", "A row with no value in any cell (e.g. a blank line)."),
    Code.EMPTY_TABLE: _e("structural", "A table has no data rows."),
    Code.CONSTRAINT_ERROR: _e(
        "structural", "A cell breaks a constraint: required, enum, pattern, minimum or maximum."
    ),
    Code.TYPE_ERROR: _e(
        "structural",
        "A cell does not fit its field's type or format (date, integer, number, URI...).",
    ),
    Code.UNIQUE_ERROR: _e("structural", "A value of a field declared unique repeats."),
    Code.PRIMARY_KEY: _e("structural", "A primary key repeats."),
    Code.FOREIGN_KEY: _e("structural", "A reference points to no row of the referenced table."),
    Code.PARQUET_MISMATCH: _e(
        "structural", "A release's Parquet file does not hold the rows of its CSV twin."
    ),
    Code.FORMULA_INJECTION: _e(
        "semantic", "A text cell starts with a character a spreadsheet runs as a formula."
    ),
    Code.CONTROL_CHARACTER: _e(
        "semantic",
        "A text cell holds a control character (NUL, ESC, DEL, C1...); tabs and line breaks "
        "only in excerpts of a source.",
    ),
    Code.BIDI_CONTROL: _e(
        "semantic",
        "A text cell holds a bidirectional override or isolate (U+202A-U+202E, U+2066-U+2069).",
    ),
    Code.WHITESPACE_ONLY: _e("semantic", "A text cell holds nothing but whitespace."),
    Code.END_BEFORE_START: _e("semantic", "An event's end_date is before its start_date."),
    Code.PRECISION_MISMATCH: _e(
        "semantic", "Month or year precision, but the dates do not span whole months or years."
    ),
    Code.EDTF_MISMATCH: _e("semantic", "The EDTF string disagrees with the dates and precision."),
    Code.INVALID_EDTF: _e(
        "semantic", "An EDTF date names no real year, month or day (e.g. 2022-13)."
    ),
    Code.UNKNOWN_TIMEZONE: _e("semantic", "Not an IANA time zone name."),
    Code.DEPRECATED_TIMEZONE: _e(
        "semantic", "A deprecated IANA time zone name (e.g. Europe/Kiev for Europe/Kyiv)."
    ),
    Code.RESOLVED_WITHOUT_EXPRESSION: _e(
        "semantic", "A resolved date span without the source's words it was resolved from."
    ),
    Code.EMPTY_SPAN: _e("semantic", "A span whose char_end is not after its char_start."),
    Code.OUTSIDE_EVENT: _e("semantic", "A quote or claim dated outside its event's dates."),
    Code.NOT_A_PARTICIPANT: _e(
        "semantic", "A speaker or claimant who is not a participant of the event."
    ),
    Code.HALF_COORDINATES: _e("semantic", "Only one of latitude and longitude is given."),
    Code.COORDINATE_PRECISION: _e(
        "semantic", "coordinate_precision is 'none' but there are coordinates, or the reverse."
    ),
    Code.SELF_LINK: _e("semantic", "An event linked to itself."),
    Code.CYCLE: _e(
        "semantic", "part_of links, or places' within_place_id, that go round in a cycle."
    ),
    Code.LINK_CONTRADICTS_DATES: _e(
        "semantic", "A precedes or prelude_to link whose events' dates say the opposite."
    ),
    Code.NO_EVIDENCE: _e("semantic", "An event or event link without any span that supports it."),
    Code.STATEMENT_VALUE: _e(
        "semantic",
        "A statement's value does not fit its property (a date needs a valid edtf, a place a "
        "place_id).",
    ),
    Code.DUPLICATE_STATEMENT: _e(
        "semantic",
        "Two statements give one event the same value: cite the second source as evidence.",
    ),
    Code.PREFERRED_NOT_UNIQUE: _e(
        "semantic", "More than one statement of an event's date or place is preferred."
    ),
    Code.PREFERRED_MISMATCH: _e(
        "semantic",
        "An event's date or place is not the value of its preferred statement, or has none.",
    ),
    Code.RANK_WITHOUT_REASON: _e(
        "semantic",
        "A deprecated statement, or a preferred one with alternatives, gives no rank_reason.",
    ),
    Code.UNSUPPORTED_STATEMENT: _e("semantic", "A statement that no evidence span supports."),
    Code.STATEMENT_MISMATCH: _e(
        "semantic",
        "A date or place span names no statement, or one of another event or property.",
    ),
    Code.DERIVATION_MISMATCH: _e(
        "semantic",
        "A date span without date_basis, or a date derivation on a span not about the date.",
    ),
    Code.EXPRESSION_NOT_IN_EXCERPT: _e(
        "semantic", "A date expression that is not, word for word, inside its span's excerpt."
    ),
    Code.UTTERANCE_MISMATCH: _e(
        "semantic", "Renderings of one utterance disagree on its event, speaker or day."
    ),
    Code.MISSING_SOURCE_TEXT: _e("provenance", "A source's archived text does not exist."),
    Code.HASH_MISMATCH: _e(
        "provenance", "An archived text's sha256 differs from the recorded one."
    ),
    Code.SPAN_OUT_OF_RANGE: _e("provenance", "A span ends after the end of its archived text."),
    Code.EXCERPT_MISMATCH: _e(
        "provenance", "The excerpt is not, character for character, the text at its span."
    ),
    Code.SPAN_ON_FURNITURE: _e(
        "provenance",
        "A span overlaps page furniture (breadcrumb, comment count, other headlines, tags).",
    ),
}

F = TypeVar("F", bound=Callable[..., object])

#: Every check function, by qualified name, with the codes it declares.
CHECKS: dict[str, frozenset[Code]] = {}


def emits(*codes: Code) -> Callable[[F], F]:
    """Declare the codes a check can emit (registered in :data:`CHECKS`)."""

    def register(func: F) -> F:
        CHECKS[f"{func.__module__}.{func.__qualname__}"] = frozenset(codes)
        return func

    return register


def catalogue_markdown() -> str:
    """The catalogue as a Markdown table (for the README)."""
    rows = ["| code | layer | severity | meaning |\n", "|---|---|---|---|\n"]
    for code, info in CATALOGUE.items():
        rows.append(f"| `{code}` | {', '.join(info.layers)} | {info.severity} | {info.meaning} |\n")
    return "".join(rows)
