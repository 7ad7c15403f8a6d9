"""The public check of a document: its check code, what the page may show, and the throttle.

Registration numbers are sequential, so a number alone must not open a person's
data (152-ФЗ): without the check code the page says only whether the document is
valid. The code is an HMAC of the number under a key derived from ``SECRET_KEY``
for this one purpose, shortened to ``CODE_LENGTH`` base32 characters; it is
printed on the document and carried by its QR link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, select

from app.core.db_support import upsert
from app.core.unit_of_work import unit_of_work
from app.courses.models import Certificate, CertificateStatus, VerifyThrottle
from app.extensions import db

CODE_LENGTH = 10  # 50 bits: guessing one code takes ~10^15 tries at the throttle's pace
CODE_PURPOSE = b"metodcabinet/certificate-check-code/v1"
CLIENT_PURPOSE = b"metodcabinet/verify-throttle-client/v1"
NUMBER_RE = re.compile(r"^[0-9A-Za-zА-Яа-яЁё]{1,10}-\d{4}-\d{5,}$")


def _key(purpose: bytes) -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, purpose, hashlib.sha256).digest()


def check_code(number: str) -> str:
    """The document's check code: ten characters of A–Z and 2–7."""
    digest = hmac.new(_key(CODE_PURPOSE), number.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:CODE_LENGTH]


def normalize_code(raw: str | None) -> str:
    """What a person typed, as the code is written: capitals, no spaces or dashes."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())[: CODE_LENGTH * 2]


def code_matches(number: str, raw: str | None) -> bool:
    given = normalize_code(raw)
    # compare_digest on bytes: the time taken says nothing about how much of it was right.
    return bool(given) and hmac.compare_digest(given.encode(), check_code(number).encode())


def find_by_number(number: str) -> Certificate | None:
    number = (number or "").strip()
    if not NUMBER_RE.match(number):
        return None
    return db.session.execute(
        select(Certificate).where(Certificate.number == number)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Verification:
    """What /verify may show: the status to anyone, the record only with the right code."""

    number: str
    valid: bool
    certificate: Certificate | None  # None unless the code was right


def verify(number: str, code: str | None) -> Verification | None:
    """None when there is no such document; the record itself only with its check code."""
    certificate = find_by_number(number)
    if certificate is None:
        return None
    return Verification(
        number=certificate.number,
        valid=certificate.status != CertificateStatus.REVOKED,
        certificate=certificate if code_matches(certificate.number, code) else None,
    )


# --- the throttle --------------------------------------------------------------------------


def _client_key(address: str) -> str:
    return hmac.new(_key(CLIENT_PURPOSE), address.encode(), hashlib.sha256).hexdigest()[:32]


@unit_of_work()
def allow_request(address: str, now: float | None = None) -> bool:
    """Count one request of ``address`` in this minute; False once it is over the limit.

    A row per client and minute in the database, so every worker and host shares the
    count; the first request of a new minute deletes the finished minutes.
    """
    limit = int(current_app.config["VERIFY_RATE_LIMIT"])
    window = int(current_app.config["VERIFY_RATE_WINDOW_SECONDS"])
    minute = int((time.time() if now is None else now) // window)
    client = _client_key(address)
    stmt = upsert(VerifyThrottle).values(client=client, minute=minute, hits=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["client", "minute"], set_={"hits": VerifyThrottle.hits + 1}
    ).returning(VerifyThrottle.hits)
    hits = int(db.session.execute(stmt).scalar_one())
    if hits == 1:
        db.session.execute(delete(VerifyThrottle).where(VerifyThrottle.minute < minute))
    return hits <= limit
