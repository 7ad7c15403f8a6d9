"""A teacher's personal card (личная карточка учёта повышения квалификации) as an A4 PDF.

Plain Python: takes a ``TeacherCardData`` value, returns PDF bytes; no Flask, no database.
The same data gives the same bytes. Like the certificate, the card is a Russian
document whatever the interface language, so its labels are final Russian text here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import ttf_opensans
from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from app.courses.certificate_pdf import hours_phrase, russian_date


@dataclass(frozen=True)
class CardTraining:
    kind: str  # "platform" (a course finished here) | "external"
    provider: str
    programme: str
    hours: int
    starts_on: date | None
    ends_on: date
    document: str
    status: str  # TrainingStatus value
    record_id: int | None = None  # the ExternalTraining id, for links on the page
    has_scan: bool = False
    review_comment: str = ""


@dataclass(frozen=True)
class TeacherCardData:
    teacher_id: int
    full_name: str
    organization: str
    position: str
    subjects: tuple[str, ...]
    attestation_category: str  # AttestationCategory value, "" for none
    attestation_granted_on: date | None
    attestation_valid_until: date | None
    attestation_order: str
    status: str  # RegisterStatus value
    last_day: date | None
    due_day: date | None
    hours_window: int  # over the last three years, verified only
    hours_year: int  # this calendar year, verified only
    hours_by_year: dict[int, int]
    trainings: tuple[CardTraining, ...]
    on: date  # "as of" date
    issuer: str = ""

    @property
    def attestation_expired(self) -> bool:
        return self.attestation_valid_until is not None and self.attestation_valid_until < self.on


REGISTER_STATUS_LABELS = {
    "ok": "в норме",
    "due_soon": "подходит срок",
    "overdue": "срок прошёл",
    "no_data": "нет сведений",
}
TRAINING_STATUS_LABELS = {
    "verified": "подтверждено",
    "pending": "на проверке",
    "returned": "возвращено на доработку",
}
ATTESTATION_LABELS = {
    "": "без категории",
    "conformity": "соответствие занимаемой должности",
    "first": "первая квалификационная категория",
    "highest": "высшая квалификационная категория",
    "methodist": "педагог-методист",
    "mentor": "педагог-наставник",
}

# --- the page -----------------------------------------------------------------------------

PAGE_W, PAGE_H = 210.0, 297.0  # A4 portrait, mm
MARGIN = 16.0
CONTENT_W = PAGE_W - 2 * MARGIN
PT = 25.4 / 72

NAVY = (27, 52, 92)
GOLD = (181, 145, 72)
INK = (33, 37, 41)
MUTED = (96, 104, 116)
PALE = (238, 242, 248)
STATUS_COLORS = {
    "ok": (25, 118, 62),
    "due_soon": (176, 112, 0),
    "overdue": (176, 30, 36),
    "no_data": MUTED,
}
FAMILY = "OpenSans"


class _CardPDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(CONTENT_W / 2, 5, self.footer_text, align="L")
        self.cell(CONTENT_W / 2, 5, f"Лист {self.page_no()} из {{nb}}", align="R")


def render_teacher_card(data: TeacherCardData) -> bytes:
    """The card as the bytes of an A4 portrait PDF (one page or more)."""
    if not data.full_name.strip():
        raise ValueError("full_name must not be empty")
    pdf = _new_document(data)
    pdf.add_page()
    _header(pdf, data)
    _section(pdf, "Сведения о педагоге")
    _pairs(pdf, _person_pairs(data))
    _section(pdf, "Повышение квалификации (не реже одного раза в три года)")
    _pairs(pdf, _register_pairs(data), status=data.status)
    if data.hours_by_year:
        _section(pdf, "Часы по годам (подтверждённое обучение)")
        _years(pdf, data.hours_by_year)
    _section(pdf, "Пройденное обучение")
    _trainings(pdf, data.trainings)
    _signature(pdf, data)
    return bytes(pdf.output())


def _new_document(data: TeacherCardData) -> _CardPDF:
    pdf = _CardPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(MARGIN, 14, MARGIN)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_creation_date(datetime.combine(data.on, time(), tzinfo=UTC))
    pdf.set_lang("ru")
    pdf.set_title(f"Личная карточка педагога: {' '.join(data.full_name.split())}")
    pdf.set_author(" ".join(data.issuer.split()))
    pdf.set_creator("Методический кабинет")
    pdf.add_font(FAMILY, "", ttf_opensans.OPENSANS_REGULAR.path)
    pdf.add_font(FAMILY, "B", ttf_opensans.OPENSANS_BOLD.path)
    pdf.add_font(FAMILY, "I", ttf_opensans.OPENSANS_ITALIC.path)
    pdf.footer_text = f"Личная карточка: {data.full_name} · на {russian_date(data.on)}"
    return pdf


def _write(
    pdf: FPDF,
    text: str,
    size: float,
    *,
    style: str = "",
    color: tuple[int, int, int] = INK,
    align: str = "L",
    leading: float = 1.35,
) -> None:
    pdf.set_font(FAMILY, style, size)
    pdf.set_text_color(*color)
    pdf.set_x(MARGIN)
    pdf.multi_cell(
        CONTENT_W,
        size * PT * leading,
        " ".join(text.split()),
        align=align,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def _header(pdf: FPDF, data: TeacherCardData) -> None:
    if data.issuer.strip():
        _write(pdf, data.issuer, 9, style="B", color=NAVY, align="C")
        pdf.ln(1.5)
    y = pdf.get_y()
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.35)
    pdf.line(MARGIN, y, PAGE_W - MARGIN, y)
    pdf.ln(3)
    _write(pdf, "ЛИЧНАЯ КАРТОЧКА", 17, style="B", color=NAVY, align="C", leading=1.2)
    _write(
        pdf,
        "учёта повышения квалификации педагогического работника",
        10.5,
        color=NAVY,
        align="C",
    )
    _write(pdf, f"по состоянию на {russian_date(data.on)}", 9, color=MUTED, align="C")
    pdf.ln(3)
    _write(pdf, data.full_name, 15, style="B", color=INK, align="C", leading=1.25)
    pdf.ln(1)


def _section(pdf: FPDF, title: str) -> None:
    if pdf.get_y() > PAGE_H - 45:
        pdf.add_page()
    pdf.ln(3)
    _write(pdf, title, 10.5, style="B", color=NAVY)
    y = pdf.get_y() + 0.5
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(0.25)
    pdf.line(MARGIN, y, PAGE_W - MARGIN, y)
    pdf.ln(2)


def _day(day: date | None) -> str:
    return russian_date(day) if day else "—"


def _person_pairs(data: TeacherCardData) -> list[tuple[str, str]]:
    category = ATTESTATION_LABELS.get(data.attestation_category, data.attestation_category)
    pairs = [
        ("Образовательная организация", data.organization or "—"),
        ("Должность", data.position or "—"),
        ("Предметы", ", ".join(data.subjects) or "—"),
        ("Квалификационная категория", category),
    ]
    if data.attestation_category:
        granted = _day(data.attestation_granted_on)
        if data.attestation_order:
            granted = f"{granted}, приказ №\u00a0{data.attestation_order}"
        pairs.append(("Установлена", granted))
        until = _day(data.attestation_valid_until)
        pairs.append(
            ("Действует до", f"{until} (срок истёк)" if data.attestation_expired else until)
        )
    return pairs


def _register_pairs(data: TeacherCardData) -> list[tuple[str, str]]:
    return [
        ("Состояние", REGISTER_STATUS_LABELS.get(data.status, data.status)),
        ("Последнее обучение", _day(data.last_day)),
        ("Следующее — не позднее", _day(data.due_day)),
        ("За последние три года", hours_phrase(data.hours_window)),
        (f"В {data.on.year} году", hours_phrase(data.hours_year)),
    ]


def _pairs(pdf: FPDF, pairs: list[tuple[str, str]], status: str | None = None) -> None:
    pdf.set_font(FAMILY, "", 9.5)
    pdf.set_text_color(*INK)
    label_style = FontFace(color=MUTED)
    with pdf.table(
        col_widths=(32, 68),
        width=CONTENT_W,
        first_row_as_headings=False,
        borders_layout=TableBordersLayout.NONE,
        line_height=9.5 * PT * 1.35,
        padding=(0.8, 1, 0.8, 0),
        v_align="TOP",
        text_align="LEFT",
    ) as table:
        for n, (label, value) in enumerate(pairs):
            row = table.row()
            row.cell(label, style=label_style)
            if status is not None and n == 0:
                row.cell(value, style=FontFace(emphasis="BOLD", color=STATUS_COLORS.get(status)))
            else:
                row.cell(value)


def _years(pdf: FPDF, years: dict[int, int]) -> None:
    pdf.set_font(FAMILY, "", 9.5)
    pdf.set_text_color(*INK)
    shown = list(years.items())[:12]
    with pdf.table(
        width=min(CONTENT_W, 22.0 * (len(shown) + 1)),
        align="LEFT",
        text_align="CENTER",
        line_height=9.5 * PT * 1.4,
        headings_style=FontFace(emphasis="BOLD", color=NAVY, fill_color=PALE),
        first_row_as_headings=False,
        borders_layout=TableBordersLayout.SINGLE_TOP_LINE,
    ) as table:
        head = table.row()
        head.cell("Год", style=FontFace(emphasis="BOLD", color=NAVY, fill_color=PALE))
        for year, _hours in shown:
            head.cell(str(year), style=FontFace(emphasis="BOLD", color=NAVY, fill_color=PALE))
        row = table.row()
        row.cell("Часов", style=FontFace(color=MUTED))
        for _year, hours in shown:
            row.cell(str(hours))


def _no_break(text: str) -> str:
    """Keep "№" with its number: fpdf2 never breaks a line at a no-break space."""
    return " ".join(text.split()).replace("№ ", "№\u00a0")


def _period(item: CardTraining) -> str:
    end = item.ends_on.strftime("%d.%m.%Y")
    if item.starts_on is None or item.starts_on == item.ends_on:
        return end
    return f"{item.starts_on.strftime('%d.%m.%Y')} – {end}"


def _trainings(pdf: FPDF, items: tuple[CardTraining, ...]) -> None:
    if not items:
        _write(pdf, "Сведений об обучении нет.", 9.5, color=MUTED)
        return
    pdf.set_font(FAMILY, "", 8.5)
    pdf.set_text_color(*INK)
    heading = FontFace(emphasis="BOLD", color=NAVY, fill_color=PALE)
    with pdf.table(
        col_widths=(6, 62, 19, 9, 24, 20),
        width=CONTENT_W,
        text_align=("CENTER", "LEFT", "CENTER", "CENTER", "LEFT", "LEFT"),
        line_height=8.5 * PT * 1.3,
        headings_style=heading,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        padding=(1, 1.2, 1, 1.2),
        v_align="TOP",
        repeat_headings=1,
    ) as table:
        head = table.row()
        for title in ("№", "Программа, организация", "Сроки", "Часы", "Документ", "Статус"):
            head.cell(title)
        for n, item in enumerate(items, 1):
            row = table.row()
            row.cell(str(n))
            where = item.provider if item.kind == "external" else f"{item.provider} (платформа)"
            row.cell(f"«{' '.join(item.programme.split())}»\n{' '.join(where.split())}")
            row.cell(_period(item))
            row.cell(str(item.hours))
            row.cell(_no_break(item.document) or "—")
            label = TRAINING_STATUS_LABELS.get(item.status, item.status)
            color = INK if item.status == "verified" else STATUS_COLORS["due_soon"]
            row.cell(label, style=FontFace(color=color))
    pdf.ln(1.5)
    _write(
        pdf,
        "В реестре учитываются только подтверждённые записи; записи на проверке "
        "и возвращённые на доработку не учитываются.",
        8,
        style="I",
        color=MUTED,
    )


def _signature(pdf: FPDF, data: TeacherCardData) -> None:
    if pdf.get_y() > PAGE_H - 40:
        pdf.add_page()
    pdf.ln(10)
    y = pdf.get_y()
    pdf.set_font(FAMILY, "", 9.5)
    pdf.set_text_color(*INK)
    pdf.set_xy(MARGIN, y)
    label = "Ответственный методист"
    pdf.cell(pdf.get_string_width(label) + 3, 5, label)
    x = pdf.get_x()
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.2)
    pdf.line(x, y + 4.5, x + 45, y + 4.5)
    pdf.line(x + 50, y + 4.5, x + 100, y + 4.5)
    pdf.set_font(FAMILY, "", 7)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(x, y + 5)
    pdf.cell(45, 3, "(подпись)", align="C")
    pdf.set_xy(x + 50, y + 5)
    pdf.cell(50, 3, "(расшифровка)", align="C")
    pdf.set_xy(MARGIN, y + 12)
    pdf.set_font(FAMILY, "", 9.5)
    pdf.set_text_color(*INK)
    pdf.cell(CONTENT_W, 5, f"Дата: {russian_date(data.on)}")
