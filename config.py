"""Configuration classes.

Values are read from the environment when the application is created (never at
import), with embedded defaults that keep everything under ``instance/`` so a
fresh checkout runs without any server.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_INSTANCE = BASE_DIR / "instance"

MIB = 1024 * 1024


class ConfigError(RuntimeError):
    """Raised when a production configuration lacks a required setting."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret_key(instance: Path) -> str:
    """A key generated once into instance/ so sessions survive restarts of a dev site."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    return key


class Config:
    """Development defaults: SQLite, a local file store and a local index under instance/."""

    ENV_NAME = "development"
    TESTING = False
    DEBUG = False
    REQUIRED: tuple[str, ...] = ()

    def __init__(self, instance_path: Path | None = None) -> None:
        env = os.environ
        missing = [name for name in self.REQUIRED if not env.get(name)]
        if missing:
            raise ConfigError(
                "Production configuration requires environment variables: " + ", ".join(missing)
            )
        instance = Path(env.get("INSTANCE_PATH") or instance_path or DEFAULT_INSTANCE)
        self.INSTANCE_PATH = str(instance)
        self.SECRET_KEY = env.get("SECRET_KEY") or _instance_secret_key(instance)
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL") or (
            f"sqlite:///{instance / 'metodcabinet.sqlite3'}"
        )
        self.STORAGE_URL = env.get("STORAGE_URL") or f"file://{instance / 'storage'}"
        self.SEARCH_INDEX_DIR = env.get("SEARCH_INDEX_DIR") or str(instance / "search-index")
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

        # Sessions: bounded lifetime, cookies that scripts cannot read.
        self.PERMANENT_SESSION_LIFETIME = timedelta(
            minutes=_env_int("SESSION_LIFETIME_MINUTES", 8 * 60)
        )
        self.REMEMBER_COOKIE_DURATION = timedelta(days=_env_int("REMEMBER_DAYS", 14))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        secure = _env_bool("SECURE_COOKIES", self.ENV_NAME == "production")
        self.SESSION_COOKIE_SECURE = secure
        self.REMEMBER_COOKIE_SECURE = secure

        # Login throttling: failures within the window, per account and per address.
        self.LOGIN_WINDOW_MINUTES = _env_int("LOGIN_WINDOW_MINUTES", 15)
        self.LOGIN_MAX_FAILURES_PER_ACCOUNT = _env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)
        self.LOGIN_MAX_FAILURES_PER_ADDRESS = _env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20)

        # Request limits. Uploads stream to storage; ordinary forms stay small.
        self.UPLOAD_MAX_BYTES = _env_int("UPLOAD_MAX_MB", 200) * MIB
        self.MAX_CONTENT_LENGTH = self.UPLOAD_MAX_BYTES + MIB
        self.MAX_FORM_MEMORY_SIZE = 2 * MIB
        self.IMPORT_MAX_ROWS = _env_int("IMPORT_MAX_ROWS", 5000)
        self.IMPORT_MAX_BYTES = _env_int("IMPORT_MAX_MB", 10) * MIB

        # Search: a worker thread inside the site (make run) or a separate
        # `flask index-worker` process (production); extraction runs in a child process.
        self.INDEX_WORKER_THREAD = _env_bool("INDEX_WORKER_THREAD", False)
        self.EXTRACT_TIMEOUT_SECONDS = _env_int("EXTRACT_TIMEOUT_SECONDS", 30)
        # S3 downloads: "redirect" to a short-lived presigned URL, or "stream" through the site.
        self.S3_DOWNLOAD_MODE = env.get("S3_DOWNLOAD_MODE", "redirect")
        self.PRESIGNED_MINUTES = _env_int("PRESIGNED_MINUTES", 10)

        # Courses and documents.
        self.ORGANIZATION_LICENSED = _env_bool("ORGANIZATION_LICENSED", True)
        self.CERTIFICATE_PREFIX = env.get("CERTIFICATE_PREFIX", "ОМС")
        self.CERTIFICATE_ISSUER = env.get(
            "CERTIFICATE_ISSUER",
            "Отдел методического сопровождения Управления образования",
        )
        self.CERTIFICATE_CITY = env.get("CERTIFICATE_CITY", "")
        # Absolute base for the QR code's verification link (behind a proxy, set it).
        self.PUBLIC_BASE_URL = env.get("PUBLIC_BASE_URL", "")

        # The public /verify pages: requests per client address and window, then 429.
        self.VERIFY_RATE_LIMIT = _env_int("VERIFY_RATE_LIMIT", 30)
        self.VERIFY_RATE_WINDOW_SECONDS = _env_int("VERIFY_RATE_WINDOW_SECONDS", 60)

        # Reports: "скоро срок" when the three-year deadline is this many months away.
        self.REGISTER_DUE_SOON_MONTHS = _env_int("REGISTER_DUE_SOON_MONTHS", 6)

        self.BABEL_DEFAULT_LOCALE = "ru"
        self.BABEL_DEFAULT_TIMEZONE = env.get("TIMEZONE", "Europe/Moscow")
        self.LANGUAGES = {"ru": "Русский", "en": "English"}
        self.TIMEZONE = self.BABEL_DEFAULT_TIMEZONE
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
        self.USERS_PER_PAGE = 25

        # --- Logging and audit (app/core/logging_setup.py, app/audit/) ---
        self.LOG_LEVEL = env.get("LOG_LEVEL", "INFO")
        # One line per request (method, path without query string, status, time).
        self.LOG_REQUESTS = _env_bool("LOG_REQUESTS", True)
        # Accept a proxy's X-Request-ID (only a short safe token) instead of a fresh id.
        self.TRUST_REQUEST_ID = _env_bool("TRUST_REQUEST_ID", True)
        # SQL parameters (e-mails, names) stay out of database error messages and logs.
        self.SQLALCHEMY_ENGINE_OPTIONS["hide_parameters"] = True
        self.AUDIT_PER_PAGE = 50
        # --- end of logging and audit ---


class DevConfig(Config):
    ENV_NAME = "development"


class TestConfig(Config):
    __test__ = False  # not a pytest test class despite the name
    ENV_NAME = "testing"
    TESTING = True

    def __init__(self, instance_path: Path | None = None) -> None:
        super().__init__(instance_path)
        self.SECRET_KEY = "test-secret-key"  # noqa: S105 - test-only value
        self.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a hash method name
        # --- accounts: password hashing -------------------------------------------------
        # Cheap argon2id keeps the suite fast; every other config uses OWASP's parameters
        # (m=19 MiB, t=2, p=1), the defaults in app/accounts/passwords.py.
        self.PASSWORD_ARGON2 = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
        self.WTF_CSRF_ENABLED = False  # tests that exercise CSRF switch it back on
        self.SQLALCHEMY_DATABASE_URI = f"sqlite:///{Path(self.INSTANCE_PATH) / 'test.sqlite3'}"
        self.STORAGE_URL = f"file://{Path(self.INSTANCE_PATH) / 'storage'}"
        self.SEARCH_INDEX_DIR = str(Path(self.INSTANCE_PATH) / "search-index")


class ProductionConfig(Config):
    ENV_NAME = "production"
    REQUIRED = ("SECRET_KEY", "DATABASE_URL", "STORAGE_URL")


CONFIGS: dict[str, type[Config]] = {
    "development": DevConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None, instance_path: Path | None = None) -> Config:
    name = name or os.environ.get("APP_ENV", "development")
    try:
        cls = CONFIGS[name]
    except KeyError as exc:
        raise ConfigError(f"Unknown APP_ENV {name!r}; expected one of {sorted(CONFIGS)}") from exc
    return cls(instance_path)
