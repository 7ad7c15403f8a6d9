"""The application's content store, opened once per app from STORAGE_URL."""

from __future__ import annotations

from flask import Flask, current_app

from content_store import Store, open_store


def init_app(app: Flask) -> None:
    app.extensions["content_store"] = open_store(
        app.config["STORAGE_URL"], max_size=app.config["UPLOAD_MAX_BYTES"]
    )


def get_store() -> Store:
    return current_app.extensions["content_store"]  # type: ignore[no-any-return]


def check() -> None:
    get_store().check()
