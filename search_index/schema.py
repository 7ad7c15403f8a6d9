"""The Whoosh schema: text fields for ranking, value fields for facets and filters.

The schema is pickled into every index, so the field and format classes here
must stay importable under these names.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable
from typing import Any

from whoosh import columns, fields, formats
from whoosh.analysis import IDAnalyzer

from search_index.analysis import RussianAnalyzer, term_positions

#: Ranked text fields and how much a match in each one counts.
TEXT_FIELDS: dict[str, float] = {
    "title": 3.0,
    "keywords": 2.0,
    "annotation": 1.5,
    "authors": 1.0,
    "body": 1.0,
}

#: Exact-value fields used for filters, permission restrictions and facets.
FACET_FIELDS: tuple[str, ...] = (
    "subject",
    "type",
    "level",
    "organization",
    "collection",
    "year",
    "status",
)

#: ``kind`` is a value field too ("material", "course"), filtered through
#: ``SearchRequest.kinds`` rather than facets.
VALUE_FIELDS: tuple[str, ...] = ("kind", *FACET_FIELDS)

SORT_FIELDS: tuple[str, ...] = ("created", "downloads")

#: The column separator between the values of a multi-valued field.
VALUE_SEPARATOR = "\x1f"

#: Stored body text is cut to this many characters: it only feeds snippets, and
#: a bounded stored record keeps loading a results page cheap.
STORED_BODY_CHARS = 60_000

#: Raised when what a word is indexed as changes, so `check` asks for a
#: reindex: 3 added Snowball stems for words outside the dictionary.
SCHEMA_VERSION = 3


class LemmaPositions(formats.Positions):
    """Positions format that analyses long text in one pass and stores
    positions as a packed array.

    The generic format pulls a Token object through a generator per word and
    pickles a list of deltas per posting; building the term → positions map
    directly and packing positions with ``array`` (one type-code byte, then
    little-endian uint16 or uint32 values) makes both indexing and phrase
    checks several times cheaper, since decoding is a C call instead of
    unpickling plus a Python loop.
    """

    def encode(self, poslist: Any) -> bytes:
        positions = array("H" if not poslist or max(poslist) < 65_536 else "I", poslist)
        if sys.byteorder == "big":
            positions.byteswap()
        return positions.typecode.encode("ascii") + positions.tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        positions = array(chr(valuestring[0]), valuestring[1:])
        if sys.byteorder == "big":
            positions.byteswap()
        return positions.tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        return (len(valuestring) - 1) // (2 if valuestring[0] == ord("H") else 4)

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * self.field_boost

    def word_values(
        self, value: Any, analyzer: Any, **kwargs: Any
    ) -> Iterable[tuple[str, int, float, bytes]]:
        if not isinstance(value, str) or not isinstance(analyzer, RussianAnalyzer):
            return super().word_values(value, analyzer, **kwargs)
        boost = self.field_boost
        encode = self.encode
        return (
            (term, len(poslist), len(poslist) * boost, encode(poslist))
            for term, poslist in term_positions(value).items()
        )


class ValueList(fields.FieldType):
    """A multi-valued exact field: each value is one term and the column holds
    all of them, so facet counting reads one cached column per segment."""

    def __init__(self, stored: bool = False) -> None:
        self.format = formats.Existence()
        self.analyzer = IDAnalyzer()
        self.scorable = False
        self.stored = stored
        self.unique = False
        self.vector = None
        self.spellable = False
        self.column_type = columns.VarBytesColumn()

    def to_column_value(self, value: Any) -> bytes:
        if isinstance(value, str):
            value = [value]
        return VALUE_SEPARATOR.join(value).encode("utf-8")

    def from_column_value(self, value: object) -> list[str]:
        assert isinstance(value, bytes)
        return value.decode("utf-8").split(VALUE_SEPARATOR) if value else []


def _text_field(boost: float, stored: bool) -> fields.TEXT:
    field = fields.TEXT(analyzer=RussianAnalyzer(), stored=stored, phrase=True)
    field.format = LemmaPositions(field_boost=boost)
    return field


def build_schema() -> fields.Schema:
    schema = fields.Schema(
        id=fields.ID(unique=True, stored=True),
        kind=ValueList(stored=True),
        created=fields.NUMERIC(int, bits=64, signed=True, sortable=True, default=0),
        downloads=fields.NUMERIC(int, bits=64, signed=True, sortable=True, default=0),
    )
    for name, boost in TEXT_FIELDS.items():
        schema.add(name, _text_field(boost, stored=name in ("title", "annotation", "body")))
    for name in FACET_FIELDS:
        schema.add(name, ValueList())
    return schema
