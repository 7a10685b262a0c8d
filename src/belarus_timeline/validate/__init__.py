"""Validation of the data package in layers: package, structural, semantic and provenance.

- **package** (:mod:`.descriptor`): the descriptor's metadata and resources, and reading files;
- **structural** (:mod:`.structural`): what the Table Schemas say (types, required, unique,
  enum, pattern, ranges, primary and foreign keys) plus header and encoding problems, as
  ``frictionless validate`` checks them;
- **semantic** (:mod:`.semantic`): rules across fields and tables that a Table Schema cannot
  express;
- **provenance** (:mod:`.provenance`): archived sources match their hashes, and every excerpt
  equals its span;
- release folders (:mod:`.release`): each Parquet file holds the rows of its CSV twin.

Every check runs over whole columns (pyarrow / numpy / pandas) so validation scales to millions
of rows; findings are built only for the rows that fail. Row numbers count like frictionless's:
the header is row 1, the first data row is row 2. Validation never writes to the package. Every
code a finding can carry is in the catalogue (:mod:`.codes`).
"""

from belarus_timeline.validate.codes import CATALOGUE, Code
from belarus_timeline.validate.report import Finding, Report
from belarus_timeline.validate.runner import validate_package

__all__ = ["CATALOGUE", "Code", "Finding", "Report", "validate_package"]
