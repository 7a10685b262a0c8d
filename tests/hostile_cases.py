"""The hostile corpus: bad inputs a user (or an attacker) can give the toolkit, and what each must
get back, gathered from one module per family (hostile_table, hostile_descriptor, hostile_schema,
hostile_meaning, hostile_release, hostile_cli; the machinery is in hostile_base). Run by
test_hostile.py: every case asserts the exit code, no traceback, valid JSON with --json, the
file/row/field named where one applies, and that no input file changed.
"""

from __future__ import annotations

from hostile_base import VERSION, Case, Ctx
from hostile_cli import CLI_CASES, DOWNLOAD_CASES, EXPORT_CASES
from hostile_descriptor import DESCRIPTOR_CASES
from hostile_meaning import PROVENANCE_CASES, SEMANTIC_CASES
from hostile_release import BUILD_CASES, RELEASE_CASES
from hostile_schema import SCHEMA_CASES
from hostile_table import CSV_CASES, REFERENCE_CASES, VALUE_CASES

__all__ = ["CASES", "VERSION", "Case", "Ctx"]

CASES: list[Case] = [
    *CSV_CASES,
    *VALUE_CASES,
    *REFERENCE_CASES,
    *DESCRIPTOR_CASES,
    *SCHEMA_CASES,
    *PROVENANCE_CASES,
    *SEMANTIC_CASES,
    *RELEASE_CASES,
    *BUILD_CASES,
    *DOWNLOAD_CASES,
    *EXPORT_CASES,
    *CLI_CASES,
]
