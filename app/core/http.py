"""Small request helpers shared by the blueprints."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def safe_next_url(target: str | None) -> str | None:
    """Accept only a local path: no scheme, no host, no protocol-relative ``//``."""
    if not target:
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return None
    return target


def client_address() -> str:
    # Behind a proxy, ProxyFix (configured by the operator) rewrites remote_addr.
    return (request.remote_addr or "unknown")[:64]


def page_arg(name: str = "page") -> int:
    try:
        value = int(request.args.get(name, "1"))
    except ValueError:
        return 1
    return min(max(value, 1), 10_000)


def safe_referrer() -> str | None:
    """The page a form was posted from, if it is on this site: where to show a refusal."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next_url(path)
