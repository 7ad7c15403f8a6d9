"""Methodist-facing course pages."""

from app.courses import bp  # noqa: F401
