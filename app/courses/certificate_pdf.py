"""Rendering a course certificate (удостоверение / сертификат участника) as a one-page PDF.

Plain Python: takes a ``CertificateData`` value, returns PDF bytes; no Flask, no database.
The output is deterministic: the same data gives the same bytes.

The name is never inflected. Russian would want the dative ("выдано Ивановой Марии
Петровне"), and automatic inflection of names is error-prone, so the text uses
constructions that take the name in the nominative and fit any gender:
"подтверждает, что <ФИО> … освоил(а) программу …".
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import partial

import segno
import ttf_opensans
from babel import Locale
from babel.dates import format_date
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

QUALIFICATION = "qualification"
PARTICIPATION = "participation"
DOCUMENT_TYPES = (QUALIFICATION, PARTICIPATION)

# The document is printed in Russian whatever the visitor's language.
RUSSIAN = Locale.parse("ru")
# One wording per CLDR plural category of Russian; Babel decides which applies.
HOURS_WORDS = {
    "one": "академический час",
    "few": "академических часа",
    "many": "академических часов",
    "other": "академического часа",
}


@dataclass(frozen=True)
class CertificateData:
    number: str  # "ОМС-2026-00042"
    document_type: str  # QUALIFICATION | PARTICIPATION
    full_name: str  # "Иванова Мария Петровна", printed as given (nominative)
    organization: str  # the teacher's organization, may be ""
    course_title: str
    hours: int  # academic hours
    started_on: date | None  # None: only the completion date is printed
    completed_on: date
    issued_on: date
    issuer: str  # the office that issues the document
    city: str  # "г. Заречный"
    verify_url: str  # absolute URL, encoded into the QR code exactly as given
    duplicate: bool = False  # a reissued duplicate is marked «ДУБЛИКАТ»
    check_code: str = ""  # printed under the number: with it /verify shows the whole record


def hours_phrase(hours: int) -> str:
    """``72`` → "72 академических часа", with the Russian plural of the number."""
    if hours < 0:
        raise ValueError(f"hours must not be negative: {hours}")
    return f"{hours} {HOURS_WORDS[RUSSIAN.plural_form(hours)]}"


def russian_date(d: date) -> str:
    """``date(2026, 3, 12)`` → "12 марта 2026 г." (the month in the genitive, as CLDR has it)."""
    return format_date(d, "d MMMM y 'г.'", locale=RUSSIAN)


NBSP = "\u00a0"
_NO_BREAK_RULES = (
    # short words, numbers and "№" stay with the word after them: "в 5–9 классах", "№ 3"
    (re.compile(r"(?<![\w-])(\w{1,2}|№) "), rf"\1{NBSP}"),
    # initials and "г." stay with the name after them: "И. И. Иванова", "г. Заречный"
    (re.compile(r"(?<![\w-])([А-ЯЁA-Z]\.|г\.) (?=[А-ЯЁA-Z])"), rf"\1{NBSP}"),
    # "г." stays with its year, a dash with the word before it
    (re.compile(r"(?<=\d) (г\.)"), rf"{NBSP}\1"),
    (re.compile(r" ([—–])"), rf"{NBSP}\1"),
)


def _typeset(text: str) -> str:
    """Collapse whitespace and put no-break spaces where Russian typography wants them.

    fpdf2 never breaks a line at a no-break space and prints it as a plain space.
    """
    text = " ".join(text.split())
    for pattern, replacement in _NO_BREAK_RULES:
        text = pattern.sub(replacement, text)
    return text


# --- the page -----------------------------------------------------------------------------

PAGE_W, PAGE_H = 297.0, 210.0  # A4 landscape, mm
CONTENT_X = 26.0
CONTENT_W = PAGE_W - 2 * CONTENT_X
BAND_TOP = 147.0  # the bottom band: QR code, registration data, signature
QR_SIZE = 35.0
PT = 25.4 / 72  # one typographic point in mm

NAVY = (27, 52, 92)
GOLD = (181, 145, 72)
PALE_GOLD = (247, 241, 226)
INK = (33, 37, 41)
MUTED = (96, 104, 116)
RED = (176, 30, 36)

FAMILY = "OpenSans"
SEMIBOLD = "OpenSansSemiBold"

WORDING = {
    QUALIFICATION: {
        "title": "УДОСТОВЕРЕНИЕ",
        "subtitle": "о повышении квалификации",
        "lead": "Настоящее удостоверение подтверждает, что",
        "action": "освоил(а) дополнительную профессиональную программу повышения квалификации",
        "period": "Сроки обучения",
        "one_day": "Дата обучения",
    },
    PARTICIPATION: {
        "title": "СЕРТИФИКАТ",
        "subtitle": "участника",
        "lead": "Настоящий сертификат подтверждает, что",
        "action": "принял(а) участие в обучении по программе",
        "period": "Сроки проведения",
        "one_day": "Дата проведения",
    },
}


def render_certificate(data: CertificateData) -> bytes:
    """The certificate as the bytes of a one-page A4 landscape PDF."""
    _check(data)
    wording = WORDING[data.document_type]
    pdf = _new_document(data, wording)
    pdf.add_page()
    _draw_frame(pdf)
    header_bottom = _draw_header(pdf, data, wording)
    _draw_body(pdf, data, wording, top=header_bottom + 4, bottom=BAND_TOP - 3)
    _draw_band(pdf, data)
    return bytes(pdf.output())


def _check(data: CertificateData) -> None:
    if data.document_type not in DOCUMENT_TYPES:
        raise ValueError(f"unknown document type: {data.document_type!r}")
    if data.started_on and data.started_on > data.completed_on:
        raise ValueError("the course cannot start after it was completed")
    for name in ("number", "full_name", "course_title", "verify_url"):
        if not getattr(data, name).strip():
            raise ValueError(f"{name} must not be empty")


def _new_document(data: CertificateData, wording: dict[str, str]) -> FPDF:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(CONTENT_X, 15, CONTENT_X)
    pdf.set_creation_date(datetime.combine(data.issued_on, time(), tzinfo=UTC))
    pdf.set_lang("ru")
    pdf.set_title(f"{wording['title'].capitalize()} № {data.number}")
    pdf.set_subject(" ".join(data.course_title.split()))
    pdf.set_author(" ".join(data.issuer.split()))
    pdf.set_creator("Методический кабинет")
    pdf.add_font(FAMILY, "", ttf_opensans.OPENSANS_REGULAR.path)
    pdf.add_font(FAMILY, "B", ttf_opensans.OPENSANS_BOLD.path)
    pdf.add_font(FAMILY, "I", ttf_opensans.OPENSANS_ITALIC.path)
    pdf.add_font(SEMIBOLD, "", ttf_opensans.OPENSANS_SEMIBOLD.path)
    return pdf


def _draw_frame(pdf: FPDF) -> None:
    """A double frame with a pale band between the lines and diamonds in the corners."""
    outer, inner = 7.0, 11.0
    pdf.set_fill_color(*PALE_GOLD)
    pdf.rect(outer, outer, PAGE_W - 2 * outer, PAGE_H - 2 * outer, style="F")
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(inner, inner, PAGE_W - 2 * inner, PAGE_H - 2 * inner, style="F")
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(0.9)
    pdf.rect(outer, outer, PAGE_W - 2 * outer, PAGE_H - 2 * outer)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.35)
    pdf.rect(inner, inner, PAGE_W - 2 * inner, PAGE_H - 2 * inner)
    pdf.set_line_width(0.2)
    pdf.rect(inner + 1.3, inner + 1.3, PAGE_W - 2 * inner - 2.6, PAGE_H - 2 * inner - 2.6)
    middle = (outer + inner) / 2
    for x in (middle, PAGE_W - middle):
        for y in (middle, PAGE_H - middle):
            _diamond(pdf, x, y, 3.2, NAVY)
            _diamond(pdf, x, y, 1.4, GOLD)


def _diamond(pdf: FPDF, x: float, y: float, r: float, color: tuple[int, int, int]) -> None:
    pdf.set_fill_color(*color)
    pdf.polygon([(x, y - r), (x + r, y), (x, y + r), (x - r, y)], style="F")


def _ornament(pdf: FPDF, y: float, half_width: float) -> None:
    """A gold rule with a diamond in the middle, centred on the page."""
    cx = PAGE_W / 2
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.3)
    pdf.line(cx - half_width, y, cx - 4, y)
    pdf.line(cx + 4, y, cx + half_width, y)
    _diamond(pdf, cx, y, 1.8, GOLD)


def _text(
    pdf: FPDF,
    text: str,
    *,
    y: float,
    size: float,
    family: str = FAMILY,
    style: str = "",
    color: tuple[int, int, int] = INK,
    x: float = CONTENT_X,
    w: float = CONTENT_W,
    align: str = "C",
    leading: float = 1.3,
    wrap: WrapMode = WrapMode.WORD,
    draw: bool = True,
) -> float:
    """Write wrapped text starting at ``y`` (or only measure it); returns the height used."""
    pdf.set_font(family, style, size)
    pdf.set_text_color(*color)
    line_h = size * PT * leading
    pdf.set_xy(x, y)
    lines = pdf.multi_cell(
        w, line_h, text, align=align, wrapmode=wrap, dry_run=True, output="LINES"
    )
    if draw:
        pdf.set_xy(x, y)
        pdf.multi_cell(
            w, line_h, text, align=align, wrapmode=wrap, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    return len(lines) * line_h


def _draw_header(pdf: FPDF, data: CertificateData, wording: dict[str, str]) -> float:
    """Issuer, title, number and the duplicate mark; returns the y below them."""
    y = 17.0
    if data.issuer.strip():
        y += _text(
            pdf, _typeset(data.issuer), y=y, size=10.5, family=SEMIBOLD, color=NAVY, leading=1.35
        )
    y += 2.5
    _ornament(pdf, y, 60)
    y += 3.5
    if data.duplicate:
        _draw_duplicate_mark(pdf, y + 1)
    pdf.set_char_spacing(1.5)
    y += _text(pdf, wording["title"], y=y, size=30, style="B", color=NAVY, leading=1.15)
    pdf.set_char_spacing(0)
    y += _text(pdf, wording["subtitle"], y=y, size=15, family=SEMIBOLD, color=NAVY, leading=1.2)
    y += 0.5
    y += _text(pdf, f"№ {data.number}", y=y, size=11, color=MUTED)
    return y


def _draw_duplicate_mark(pdf: FPDF, top: float) -> None:
    """«ДУБЛИКАТ» in a red double box, level with the title at the right."""
    w, h = 46.0, 11.0
    x = PAGE_W - CONTENT_X - w
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.7)
    pdf.rect(x, top, w, h)
    pdf.set_line_width(0.25)
    pdf.rect(x + 1, top + 1, w - 2, h - 2)
    pdf.set_char_spacing(1.2)
    _text(
        pdf,
        "ДУБЛИКАТ",
        y=top + (h - 14 * PT) / 2,
        size=14,
        style="B",
        color=RED,
        x=x,
        w=w,
        leading=1,
    )
    pdf.set_char_spacing(0)


def _period(data: CertificateData, wording: dict[str, str]) -> str:
    completed = russian_date(data.completed_on)
    if data.started_on is None:
        return f"Дата завершения: {completed}"
    if data.started_on == data.completed_on:
        return f"{wording['one_day']}: {completed}"
    return f"{wording['period']}: с {russian_date(data.started_on)} по {completed}"


def _draw_body(
    pdf: FPDF, data: CertificateData, wording: dict[str, str], *, top: float, bottom: float
) -> None:
    """The statement, centred in the space between header and band; shrinks long texts to fit."""
    scale = 1.0
    height = _body(pdf, data, wording, top, scale, draw=False)
    while height > bottom - top and scale > 0.55:
        scale -= 0.05
        height = _body(pdf, data, wording, top, scale, draw=False)
    _body(pdf, data, wording, top + max(0.0, (bottom - top - height) * 0.4), scale, draw=True)


def _body(
    pdf: FPDF,
    data: CertificateData,
    wording: dict[str, str],
    y: float,
    scale: float,
    *,
    draw: bool,
) -> float:
    start = y
    text: Callable[..., float] = partial(_text, pdf, draw=draw)
    y += text(wording["lead"], y=y, size=12 * scale, color=MUTED)
    y += 1.5 * scale
    y += text(
        " ".join(data.full_name.split()), y=y, size=24 * scale, style="B", color=NAVY, leading=1.25
    )
    if data.organization.strip():
        y += text(_typeset(data.organization), y=y, size=11.5 * scale, style="I", color=INK)
    y += 2.5 * scale
    y += text(wording["action"], y=y, size=12 * scale, color=MUTED)
    y += 1 * scale
    title = f"«{_typeset(data.course_title)}»"
    y += text(title, y=y, size=15 * scale, family=SEMIBOLD, color=INK, leading=1.3)
    y += 3 * scale
    facts = f"Объём: {_typeset(hours_phrase(data.hours))}  ·  {_typeset(_period(data, wording))}"
    y += text(facts, y=y, size=11.5 * scale, color=INK)
    return y - start


def _draw_band(pdf: FPDF, data: CertificateData) -> None:
    """QR code with its caption, registration data and the signature line."""
    top = BAND_TOP
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.2)
    pdf.line(CONTENT_X, top, PAGE_W - CONTENT_X, top)

    qr_y = top + 5
    pdf.image(_qr_png(data.verify_url), x=CONTENT_X - 2, y=qr_y, w=QR_SIZE, h=QR_SIZE)
    caption_x, caption_w = CONTENT_X + QR_SIZE + 3, 58.0  # clear of the quiet zone
    y = qr_y + 4
    y += _text(
        pdf,
        "Проверить подлинность:",
        y=y,
        size=8.5,
        family=SEMIBOLD,
        color=NAVY,
        x=caption_x,
        w=caption_w,
        align="L",
    )
    _text(
        pdf,
        data.verify_url,
        y=y + 0.5,
        size=7.5,
        color=MUTED,
        x=caption_x,
        w=caption_w,
        align="L",
        wrap=WrapMode.CHAR,
        leading=1.25,
    )

    col_x, col_w = 128.0, 62.0
    y = top + 9
    rows = [("Регистрационный номер", data.number)]
    if data.check_code:
        rows.append(("Код проверки", data.check_code))
    rows.append(("Дата выдачи", russian_date(data.issued_on)))
    gap = 2.5 if len(rows) < 3 else 1.2
    if len(rows) == 3:
        y -= 3
    for label, value in rows:
        y += _text(pdf, label, y=y, size=8.5, color=MUTED, x=col_x, w=col_w, align="L")
        y += _text(
            pdf, value, y=y, size=11, family=SEMIBOLD, color=INK, x=col_x, w=col_w, align="L"
        )
        y += gap
    if data.city.strip():
        _text(pdf, _typeset(data.city), y=y, size=10, color=INK, x=col_x, w=col_w, align="L")

    sign_x, sign_right = 196.0, PAGE_W - CONTENT_X
    line_y = top + 26
    label = "Руководитель"
    _text(pdf, label, y=line_y - 5.2, size=11, color=INK, x=sign_x, w=40, align="L")
    line_x = sign_x + pdf.get_string_width(label) + 3
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.25)
    pdf.line(line_x, line_y, sign_right, line_y)
    _text(pdf, "(подпись)", y=line_y + 0.8, size=7, color=MUTED, x=line_x, w=sign_right - line_x)
    _text(pdf, "М. П.", y=line_y + 9, size=10, color=MUTED, x=sign_x, w=20, align="L")


def _qr_png(url: str) -> io.BytesIO:
    """The URL as a QR code (error level M) in a PNG.

    The image keeps a 2-module margin; the blank page around it completes the quiet zone.
    """
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False, boost_error=False).save(
        buffer, kind="png", scale=10, border=2
    )
    buffer.seek(0)
    return buffer
