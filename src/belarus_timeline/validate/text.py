"""Text no cell should hold: control characters, bidirectional overrides and isolates, and cells
of nothing but whitespace.

Control characters (NUL, ESC, DEL, the C1 block...) are invisible, break tools and terminals, and
are never in a source's words; bidirectional overrides and isolates (U+202A-U+202E,
U+2066-U+2069) make text display in another order than it is stored ("Trojan Source"). Tabs and
line breaks are allowed only in the excerpts that must equal a span of an archived text (the
provenance layer checks those character for character); anywhere else a line break is most often
the trace of a stray quote that swallowed the following lines.

The checks read each column's UTF-8 bytes with numpy, chunk by chunk: a scan for the rare
bytes that can start such a character, then a look at the few places found.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from belarus_timeline.tables import cell_bytes, mark_rows
from belarus_timeline.validate.codes import Code, emits
from belarus_timeline.validate.columns import SPAN_TABLES, Table, mask
from belarus_timeline.validate.report import Collector

# Bytes that may start a forbidden character: C0 controls, DEL, and the lead byte of C1 (0xC2).
_C1_LEAD, _BIDI_LEAD = 0xC2, 0xE2
_LAYOUT = (0x09, 0x0A, 0x0D)  # tab, LF, CR: allowed in excerpts only


@emits(Code.CONTROL_CHARACTER, Code.BIDI_CONTROL, Code.WHITESPACE_ONLY)
def check_text(tables: dict[str, Table], out: Collector) -> None:
    """Every text cell of every table."""
    for t in tables.values():
        check_text_table(t, out)


@emits(Code.CONTROL_CHARACTER, Code.BIDI_CONTROL, Code.WHITESPACE_ONLY)
def check_text_table(t: Table, out: Collector) -> None:
    """Every text cell of one table."""
    for f in t.schema.fields:
        if f.type != "string" or f.name not in t.typed:
            continue
        col = t.col(f.name)
        layout_ok = SPAN_TABLES.get(t.name) == f.name
        control, bidi, blank = _scan(col, layout_ok)
        hint = "" if layout_ok else " (a line break here often means a stray quote)"
        blank_fix = f"Write the value, or leave the cell empty if it is unknown ({f.name!r}" + (
            " is required)." if f.required else " may be empty)."
        )
        out.rows(
            control,
            layer="semantic",
            code=Code.CONTROL_CHARACTER,
            file=t.file,
            fld=f.name,
            values=col,
            message=f"The text holds a control character{hint}.",
            fix="Remove it: only the excerpts of a source may hold tabs and line breaks, "
            "and no cell may hold NUL, ESC, DEL or other control characters.",
        )
        out.rows(
            bidi,
            layer="semantic",
            code=Code.BIDI_CONTROL,
            file=t.file,
            fld=f.name,
            values=col,
            message="The text holds a bidirectional override or isolate (U+202A-U+202E, "
            "U+2066-U+2069): it would display in another order than it is stored.",
            fix="Remove the invisible direction characters.",
        )
        out.rows(
            blank,
            layer="semantic",
            code=Code.WHITESPACE_ONLY,
            file=t.file,
            fld=f.name,
            values=col,
            message="The cell holds only whitespace.",
            fix=blank_fix,
        )


def _scan(column: pa.ChunkedArray, layout_ok: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows holding a control character, rows holding a bidi override or isolate, rows of
    whitespace only)."""
    control, bidi, blank = [np.zeros(0, bool)], [np.zeros(0, bool)], [np.zeros(0, bool)]
    for chunk in column.chunks:
        c, b, spaces = _scan_chunk(chunk, layout_ok)
        control.append(c)
        bidi.append(b)
        # Only a chunk holding a byte that can start a whitespace character can have a blank.
        blank.append(mask(pc.utf8_is_space(chunk)) if spaces else np.zeros(len(chunk), bool))
    return np.concatenate(control), np.concatenate(bidi), np.concatenate(blank)


def _scan_chunk(chunk: pa.Array, layout_ok: bool) -> tuple[np.ndarray, np.ndarray, bool]:
    """The chunk's rows holding a control or a bidi character, and whether a byte of it may
    start a whitespace character (<= 0x20, or a lead byte 0xC2 and up: U+0085, U+00A0...)."""
    n = len(chunk)
    control, bidi = np.zeros(n, bool), np.zeros(n, bool)
    if n == 0 or chunk.buffers()[2] is None:
        return control, bidi, False
    chunk = chunk if chunk.type == pa.string() else chunk.cast(pa.string())
    data, offsets = cell_bytes(chunk)
    if len(data) == 0:
        return control, bidi, False
    # Cheap scans first: most columns hold none of these bytes.
    # Min and max first (reductions, no temporary array): bytes 0x7F and up are often absent.
    low_byte, high_byte = int(data.min()), int(data.max())
    if low_byte < 0x20 or (
        high_byte >= 0x7F and (np.count_nonzero(data == 0x7F) or np.count_nonzero(data == _C1_LEAD))
    ):
        low = np.flatnonzero((data < 0x20) | (data == 0x7F))
        if layout_ok:
            low = low[~np.isin(data[low], _LAYOUT)]
        lead = np.flatnonzero(data[:-1] == _C1_LEAD)
        c1 = lead[(data[lead + 1] >= 0x80) & (data[lead + 1] <= 0x9F)]
        mark_rows(control, offsets, np.concatenate([low, c1]))
    if high_byte >= _BIDI_LEAD and np.count_nonzero(data == _BIDI_LEAD):
        lead = np.flatnonzero(data[:-2] == _BIDI_LEAD)
        b1, b2 = data[lead + 1], data[lead + 2]
        hit = ((b1 == 0x80) & (b2 >= 0xAA) & (b2 <= 0xAE)) | (
            (b1 == 0x81) & (b2 >= 0xA6) & (b2 <= 0xA9)
        )
        mark_rows(bidi, offsets, lead[hit])
    return control, bidi, low_byte <= 0x20 or high_byte >= 0xC2
