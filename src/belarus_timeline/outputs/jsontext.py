"""Indented JSON as :func:`belarus_timeline.files.json_bytes` writes it, several times faster.

With ``indent``, :func:`json.dumps` leaves its C encoder for a pure-Python chain of generators
(one per nesting level, a few calls per value): most of the time of the large exports. This
writes the same text in one recursive pass that joins string pieces, with strings escaped by
the C ``encode_basestring`` and numbers written as :mod:`json` writes them. Anything it does not
know (a type, a non-string key) is left to :func:`json.dumps`, so the bytes are always the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring
from typing import Any

_INDENT = "  "
#: Pieces of text gathered before they are handed on as one chunk (a few hundred kB).
_FLUSH_PARTS = 20_000
_CONSTANTS = {None: "null", True: "true", False: "false"}


class Unknown(Exception):
    """A value the fast path does not write; the caller falls back to :func:`json.dumps`."""


def _float(o: float) -> str:
    if o != o:
        return "NaN"
    if o == float("inf"):
        return "Infinity"
    if o == -float("inf"):
        return "-Infinity"
    return float.__repr__(o)


def json_scalar(o: Any) -> str:
    """A string, constant or number as :mod:`json` writes it (bool before int, as it does)."""
    t = type(o)
    if t is str:
        return str(encode_basestring(o))
    if o is None or o is True or o is False:
        return _CONSTANTS[o]
    if t is int:
        return int.__repr__(o)
    if t is float:
        return _float(o)
    raise Unknown


def _write(o: Any, level: int, out: list[str]) -> None:
    """Append ``o`` at nesting ``level`` to ``out``."""
    t = type(o)
    if t is dict:
        if not o:
            out.append("{}")
            return
        inner = "\n" + _INDENT * (level + 1)
        first = True
        for k, v in o.items():
            if type(k) is not str:
                raise Unknown  # json turns other keys into strings: leave those to it
            out.append(("{" if first else ",") + inner + encode_basestring(k) + ": ")
            first = False
            tv = type(v)
            if tv is dict or tv is list or tv is tuple:
                _write(v, level + 1, out)
            else:
                out.append(json_scalar(v))
        out.append("\n" + _INDENT * level + "}")
    elif t is list or t is tuple:
        if not o:
            out.append("[]")
            return
        inner = "\n" + _INDENT * (level + 1)
        first = True
        for v in o:
            out.append("[" + inner if first else "," + inner)
            first = False
            tv = type(v)
            if tv is dict or tv is list or tv is tuple:
                _write(v, level + 1, out)
            else:
                out.append(json_scalar(v))
        out.append("\n" + _INDENT * level + "]")
    else:
        out.append(json_scalar(o))


class Stream:
    """A list to write lazily, one item at a time (e.g. a timeline's events), so that a large
    document never has to exist whole; ``items`` is iterated once."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def _item(v: Any, level: int, out: list[str]) -> None:
    """One list item; what the fast path does not know is written by :func:`json.dumps` and
    indented to its level (JSON text has no raw newline inside strings, so this is exact)."""
    mark = len(out)
    try:
        _write(v, level, out)
    except Unknown:
        del out[mark:]
        text = json.dumps(v, indent=2, ensure_ascii=False)
        out.append(text.replace("\n", "\n" + _INDENT * level))


class TextStream(Stream):
    """A :class:`Stream` whose items are already JSON text, indented for their level (the
    list's level + 1), e.g. by :func:`item_text`."""


def item_text(v: Any, level: int) -> str:
    """``v`` as JSON text written as a list item at ``level``."""
    out: list[str] = []
    _item(v, level, out)
    return "".join(out)


def _take(out: list[str]) -> bytes:
    data = "".join(out).encode("utf-8")
    out.clear()
    return data


def _stream(s: Stream, level: int, out: list[str]) -> Iterator[bytes]:
    """Write ``s`` as a list at ``level``, handing on the text written so far every few
    thousand pieces."""
    inner = "\n" + _INDENT * (level + 1)
    first = True
    text = isinstance(s, TextStream)
    for v in s.items:
        out.append("[" + inner if first else "," + inner)
        first = False
        if text:
            out.append(v)
        else:
            _item(v, level + 1, out)
        if len(out) > _FLUSH_PARTS:
            yield _take(out)
    out.append("[]" if first else "\n" + _INDENT * level + "]")


def indented_json_chunks(data: dict[str, Any]) -> Iterator[bytes]:
    """``data`` (a dict whose values may be :class:`Stream` lists) as UTF-8 JSON indented by 2
    with a final newline, in chunks: byte for byte what ``json_bytes`` gives for the same
    dict with each stream as a list."""
    out: list[str] = []
    if not data:
        out.append("{}")
    for i, (k, v) in enumerate(data.items()):
        out.append(("{" if i == 0 else ",") + "\n" + _INDENT + encode_basestring(k) + ": ")
        if isinstance(v, Stream):
            yield from _stream(v, 1, out)
        else:
            _item(v, 1, out)
    if data:
        out.append("\n}")
    out.append("\n")
    yield _take(out)


def indented_json_bytes(data: Any) -> bytes:
    """``data`` as UTF-8 JSON indented by 2 with a final newline: byte for byte what
    ``json_bytes`` (``json.dumps(data, indent=2, ensure_ascii=False)``) gives."""
    out: list[str] = []
    _item(data, 0, out)
    out.append("\n")
    return "".join(out).encode("utf-8")
