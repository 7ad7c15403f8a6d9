"""Limits, results, reasons and the text sink shared by the runner and the worker.

Kept free of heavy imports: the parent process imports it too.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Literal

MIB = 1024 * 1024

Status = Literal["full", "partial", "failed"]

#: The formats text is extracted from.
SUPPORTED_KINDS = frozenset(
    {"pdf", "docx", "doc", "odt", "rtf", "txt", "pptx", "odp", "xlsx", "ods"}
)

# Reasons are shown to users as they are: short and in Russian.
UNSUPPORTED = "формат не поддерживает извлечение текста"
TIMEOUT = "превышен лимит времени"
TIMEOUT_PARTIAL = "превышен лимит времени — текст извлечён частично"
CPU_TIMEOUT = "превышен лимит процессорного времени"
MEMORY = "превышен лимит памяти"
TOO_MANY_CHARS = "превышен лимит символов — текст извлечён частично"
TOO_MANY_PAGES = "превышен лимит страниц — текст извлечён частично"
ARCHIVE_TOO_BIG = "архив слишком большой после распаковки"
ARCHIVE_TOO_MANY = "слишком много файлов в архиве"
ARCHIVE_RATIO = "подозрительно высокая степень сжатия архива"
ARCHIVE_PATHS = "недопустимые имена файлов в архиве"
ENCRYPTED = "документ зашифрован"
CORRUPT = "файл повреждён"
CORRUPT_PARTIAL = "файл повреждён — текст извлечён частично"
XML_FORBIDDEN = "файл содержит недопустимые XML-конструкции"
NOT_FOUND = "файл не найден"
FILE_TOO_BIG = "файл слишком большой"
NOT_TEXT = "файл не похож на текстовый"
TOOL_MISSING = "текст не извлечён: не установлена программа для этого формата"
CRASHED = "сбой при извлечении текста"


@dataclass(frozen=True, slots=True)
class ExtractionLimits:
    """Bounds on one extraction. Defaults suit uploads of teaching materials."""

    wall_seconds: float = 30.0
    cpu_seconds: int = 25
    memory_bytes: int = 512 * MIB
    max_pages: int = 2_000
    max_chars: int = 2_000_000
    max_file_bytes: int = 200 * MIB
    max_unpacked_bytes: int = 200 * MIB
    max_entries: int = 10_000
    #: Entries that inflate beyond this ratio are treated as bombs. Real XML
    #: parts stay well under 200:1, deflated zeros reach about 1000:1; entries
    #: under 1 MiB uncompressed are exempt (tiny XML compresses very well).
    max_ratio: int = 500

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExtractionLimits:
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})


@dataclass(frozen=True, slots=True)
class ExtractionResult:
    text: str
    status: Status
    reason: str | None = None


class ExtractionFailed(Exception):
    """Nothing usable was extracted; ``reason`` is for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SinkFull(Exception):
    """The character limit was reached; what is in the sink is kept."""


class OutOfTime(Exception):
    """The worker's own time budget ran out; what is in the sink is kept."""


class TextSink:
    """Collects text up to ``max_chars`` and then stops the extractor.

    Extractors add text as they go, so the sink is also where a long
    extraction notices that its time is nearly up (``deadline``, a
    ``time.monotonic()`` value) and stops with what it has, before the parent
    has to kill it and nothing is kept.
    """

    def __init__(self, max_chars: int, deadline: float | None = None) -> None:
        self.max_chars = max_chars
        self.deadline = deadline
        self.size = 0
        self._parts: list[str] = []

    def add(self, text: str) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise OutOfTime
        if not text:
            return
        room = self.max_chars - self.size
        if len(text) > room:
            self._parts.append(text[:room])
            self.size = self.max_chars
            raise SinkFull
        self._parts.append(text)
        self.size += len(text)

    def text(self) -> str:
        return "".join(self._parts)

    def __bool__(self) -> bool:
        return self.size > 0
