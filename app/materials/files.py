"""Serving stored files: the one place that decides send_file, streaming or a presigned redirect."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from flask import Response, current_app, redirect, request, send_file
from werkzeug.http import parse_range_header

from app.core.errors import NotFound, StorageFailure
from app.core.storage import get_store
from app.materials import file_types
from content_store import ObjectNotFound, StorageError, content_disposition

STREAM_CHUNK = 1024 * 1024


class StoredBytes(Protocol):
    """What serving needs of a row that points at stored bytes (material, module or scan file)."""

    storage_key: str
    sha256: str
    size: int
    kind: str
    content_type: str
    original_name: str


@dataclass(frozen=True)
class BytesRef:
    """A plain ``StoredBytes`` for rows that keep these facts in columns of their own."""

    storage_key: str
    sha256: str
    size: int
    kind: str
    content_type: str
    original_name: str


def counts_as_download() -> bool:
    """Players and viewers fetch ranges; only a request from the first byte is a download."""
    header = request.headers.get("Range")
    if not header:
        return True
    ranges = parse_range_header(header)
    return bool(ranges and ranges.ranges and ranges.ranges[0][0] == 0)


def _inline_allowed(file: StoredBytes) -> bool:
    kind = file_types.KINDS.get(file.kind)
    return bool(kind and kind.inline)


def file_response(file: StoredBytes, *, inline: bool = False) -> Response:
    """A response delivering the file's bytes; HTML-like content is never shown inline."""
    inline = inline and _inline_allowed(file)
    disposition = "inline" if inline else "attachment"
    store = get_store()
    try:
        path = store.local_path(file.storage_key)
        if path is not None:
            response = send_file(
                path,
                mimetype=file.content_type,
                as_attachment=not inline,
                download_name=file.original_name,
                conditional=True,
                etag=file.sha256,
                max_age=0,
            )
        elif (
            not inline
            and store.supports_presign
            and current_app.config.get("S3_DOWNLOAD_MODE", "redirect") == "redirect"
        ):
            store.stat(file.storage_key)  # a vanished object is a 404 here, not S3's XML error
            url = store.presigned_url(
                file.storage_key,
                timedelta(minutes=current_app.config.get("PRESIGNED_MINUTES", 10)),
                file.original_name,
                file.content_type,
            )
            if url is None:
                response = _stream(file)
            else:
                return redirect(url, code=302)  # type: ignore[return-value]
        else:
            response = _stream(file)
    except ObjectNotFound as exc:
        current_app.logger.error("no bytes at %s (%s)", file.storage_key, file.original_name)
        raise NotFound() from exc
    except StorageError as exc:
        raise StorageFailure(str(exc)) from exc
    response.headers["Content-Disposition"] = content_disposition(file.original_name, disposition)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    if inline:
        # The material page embeds PDFs and pictures; nothing else may frame them.
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        # No sandbox here: Chromium refuses to render a sandboxed PDF.
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
        )
    else:
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _stream(file: StoredBytes) -> Response:
    """Stream from the store with byte ranges, never holding the file in memory."""
    store = get_store()
    size = file.size
    status, offset, length = 200, 0, size
    ranges = parse_range_header(request.headers.get("Range"))
    if ranges is not None and ranges.units == "bytes" and len(ranges.ranges) == 1:
        bounds = ranges.range_for_length(size)
        if bounds is None:
            response = Response(status=416)
            response.headers["Content-Range"] = f"bytes */{size}"
            return response
        offset, end = bounds
        status, length = 206, end - offset
    stream = store.open(file.storage_key, offset=offset, length=length)

    def generate() -> Iterator[bytes]:
        try:
            while chunk := stream.read(STREAM_CHUNK):
                yield chunk
        finally:
            stream.close()

    response = Response(
        generate(), status=status, mimetype=file.content_type, direct_passthrough=True
    )
    response.headers["Content-Length"] = str(length)
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["ETag"] = f'"{file.sha256}"'
    if status == 206:
        response.headers["Content-Range"] = f"bytes {offset}-{offset + length - 1}/{size}"
    return response
