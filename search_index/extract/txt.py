"""Plain text in whatever encoding Russian files come in.

Order of evidence: a BOM; UTF-16 without a BOM (NUL or 0x04 bytes at every
other position); valid UTF-8; then the single-byte Cyrillic code pages, scored by how
much the decoded text looks like Russian. Letter frequencies alone separate
cp1251 from KOI8-R well, because decoding one as the other turns common
lowercase letters into rare or uppercase ones.
"""

from __future__ import annotations

import codecs
import os

from search_index.extract.common import (
    NOT_TEXT,
    TOO_MANY_CHARS,
    ExtractionFailed,
    ExtractionLimits,
    TextSink,
)

#: Approximate frequency (per mille) of lowercase letters in Russian prose.
_RUSSIAN_FREQUENCY = {
    "о": 110, "е": 85, "а": 80, "и": 74, "н": 67, "т": 63, "с": 55, "р": 47,
    "в": 45, "л": 44, "к": 35, "м": 32, "д": 30, "п": 28, "у": 26, "я": 20,
    "ы": 19, "ь": 17, "г": 17, "з": 16, "б": 16, "ч": 14, "й": 12, "х": 10,
    "ж": 9, "ш": 7, "ю": 6, "ц": 5, "щ": 4, "э": 3, "ф": 3, "ъ": 1, "ё": 1,
}  # fmt: skip
_SINGLE_BYTE = ("cp1251", "koi8_r", "cp866", "mac_cyrillic")
_SAMPLE = 64 * 1024
_BINARY_BYTES = [bytes([code]) for code in (*range(0, 9), *range(14, 32), 127)]


def _russian_score(text: str) -> float:
    score = 0.0
    for ch in text:
        weight = _RUSSIAN_FREQUENCY.get(ch)
        if weight is not None:
            score += weight
        elif "А" <= ch <= "Я" or ch == "Ё":
            # Capitals are legitimate but rare; mis-decoded text is full of them.
            score += 2
        elif ch.isprintable() or ch in "\r\n\t":
            continue
        else:
            score -= 50
    return score


def _looks_utf16(sample: bytes) -> str | None:
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    # Cyrillic in UTF-16 has 0x04 high bytes, not NULs; Latin text has NULs.
    even_04 = sample[0::2].count(4)
    odd_04 = sample[1::2].count(4)
    if odd + odd_04 > 0.6 * half and even < 0.1 * half:
        return "utf-16-le"
    if even + even_04 > 0.6 * half and odd < 0.1 * half:
        return "utf-16-be"
    return None


def detect_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = data[:_SAMPLE]
    # Before UTF-8: UTF-16 text is often valid UTF-8 too (NUL and 0x04 are
    # ASCII control bytes).
    utf16 = _looks_utf16(sample)
    if utf16 is not None:
        return utf16
    # Text has next to no control bytes besides tab, newlines and form feed.
    controls = sum(sample.count(byte) for byte in _BINARY_BYTES)
    if controls > len(sample) // 50:
        raise ExtractionFailed(NOT_TEXT)
    try:
        # A cut multi-byte sequence at the end of the sample is not an error.
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    return max(_SINGLE_BYTE, key=lambda name: _russian_score(sample.decode(name, "replace")))


def extract(path: str, sink: TextSink, limits: ExtractionLimits) -> str | None:
    # Four bytes per character is the most any supported encoding needs.
    with open(path, "rb") as handle:
        data = handle.read(min(limits.max_file_bytes, limits.max_chars * 4 + 4))
    encoding = detect_encoding(data)
    text = data.decode(encoding, errors="replace")
    sink.add(text.replace("\x00", ""))
    return TOO_MANY_CHARS if os.path.getsize(path) > len(data) else None
