"""Demo methodical materials: realistic Russian documents for the materials bank.

The texts are data: ``materials.toml`` beside this module describes 34 materials
the way a methodist files them (title, annotation, type, subjects, levels,
authors) with the topic-specific prose of each, and the sentence patterns by
type. This module puts them together: ``body_text`` gives the Russian prose a
file carries, so the search engine has something worth finding (including
inflected forms of the words in the titles), and ``render`` turns a material
into the bytes of a real PDF, DOCX or PPTX file.

Everything is deterministic: the same material always yields the same text and
the same bytes (fixed document dates, fixed ZIP timestamps). No Flask here.
"""

from __future__ import annotations

import io
import tomllib
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("materials.toml")

MATERIAL_TYPES = (
    "development",
    "lesson_plan",
    "recommendations",
    "work_program",
    "presentation",
    "textbook",
    "experience",
    "normative",
    "video",
    "other",
)
LEVELS = ("preschool", "primary", "basic", "secondary", "vocational", "supplementary")
FILE_FORMATS = ("pdf", "docx", "pptx")

_GRADES = {"primary": (1, 4), "basic": (5, 9), "secondary": (10, 11)}
_STANDARDS = {
    "preschool": "ФГОС ДО",
    "primary": "ФГОС НОО",
    "basic": "ФГОС ООО",
    "secondary": "ФГОС СОО",
    "vocational": "ФГОС СПО",
}


@dataclass(frozen=True)
class DemoMaterial:
    title: str
    annotation: str
    material_type: str
    subjects: tuple[str, ...]
    levels: tuple[str, ...]
    keywords: tuple[str, ...]
    authors: str
    year: int
    file_format: str
    file_name: str


@dataclass(frozen=True)
class _Noun:
    """The material's own name in the oblique cases, so the prose can inflect it."""

    acc: str
    gen: str
    dat: str
    ins: str
    prep: str


@dataclass(frozen=True)
class _Source:
    material: DemoMaterial
    details: str  # topic-specific sentences, the heart of the body text
    noun: _Noun | None = None  # overrides the type's default name


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


_DATA = _load(DATA_FILE)
_DISTRICT_GENITIVE: str = _DATA["district_genitive"]
_OFFICE: str = _DATA["office"]
_SUBJECT_GENITIVE: dict[str, str] = _DATA["subject_genitive"]
_OTHER_AUDIENCE: dict[str, str] = _DATA["other_audience"]
SUBJECTS = (*_SUBJECT_GENITIVE, *_OTHER_AUDIENCE)
_NOUNS = {name: _Noun(**cases) for name, cases in _DATA["nouns"].items()}
_TYPE_NOUNS = {kind: _NOUNS[kind] for kind in MATERIAL_TYPES}
_INTRO: dict[str, str] = _DATA["intro"]
_USAGE: dict[str, str] = _DATA["usage"]


def _source(entry: dict[str, Any]) -> _Source:
    material = DemoMaterial(
        title=entry["title"],
        annotation=entry["annotation"],
        material_type=entry["material_type"],
        subjects=tuple(entry["subjects"]),
        levels=tuple(entry["levels"]),
        keywords=tuple(entry["keywords"]),
        authors=entry["authors"],
        year=entry["year"],
        file_format=entry["file_format"],
        file_name=entry["file_name"],
    )
    noun = _NOUNS[entry["noun"]] if "noun" in entry else None
    return _Source(material, entry["details"], noun)


_SOURCES: tuple[_Source, ...] = tuple(_source(entry) for entry in _DATA["materials"])
DEMO_MATERIALS: tuple[DemoMaterial, ...] = tuple(source.material for source in _SOURCES)
_BY_MATERIAL = {source.material: source for source in _SOURCES}


# --- the body text -----------------------------------------------------------------


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " и " + items[-1]


def _audience(material: DemoMaterial) -> str:
    """Who the material is for, in the dative: «учителям математики и информатики»."""
    subjects, levels = material.subjects, material.levels
    if levels == ("preschool",):
        return "воспитателям и специалистам дошкольных образовательных организаций"
    teachers = "преподавателям" if levels == ("vocational",) else "учителям"
    taught = [_SUBJECT_GENITIVE[s] for s in subjects if s in _SUBJECT_GENITIVE]
    parts = [f"{teachers} {_join(taught)}"] if taught else []
    parts += [_OTHER_AUDIENCE[s] for s in subjects if s in _OTHER_AUDIENCE]
    return _join(parts) or "педагогам образовательных организаций"


def _learners(levels: tuple[str, ...]) -> str:
    """The learners, in the genitive (= accusative): «обучающихся 5–11 классов»."""
    parts = []
    grades = [_GRADES[level] for level in LEVELS if level in levels and level in _GRADES]
    if grades:
        first, last = grades[0][0], grades[-1][1]
        parts.append(f"обучающихся {first}–{last} классов")
    if "preschool" in levels:
        parts.insert(0, "детей дошкольного возраста")
    if "vocational" in levels:
        parts.append("студентов профессиональных образовательных организаций")
    if "supplementary" in levels:
        parts.append("детей, занимающихся в объединениях дополнительного образования")
    return _join(parts) or "обучающихся"


_REQUIREMENTS = {
    "nom": "требования",
    "gen": "требований",
    "dat": "требованиям",
    "ins": "требованиями",
}


def _standards(levels: tuple[str, ...], case: str) -> str:
    """The requirements the material follows, in the given case."""
    noun = _REQUIREMENTS[case]
    standards = [_STANDARDS[level] for level in LEVELS if level in levels and level in _STANDARDS]
    parts = [f"{noun} {_join(standards)}"] if standards else []
    if "supplementary" in levels:
        parts.append(f"{noun} к дополнительным общеобразовательным программам")
    return ", а также ".join(parts) or f"{noun} ФГОС"


def _levels_paragraph(material: DemoMaterial) -> str:
    learners = _learners(material.levels)
    if material.material_type == "normative":
        return (
            "Действие документа распространяется на образовательные организации округа"
            f" и касается {learners}; его положения согласованы"
            f" с {_standards(material.levels, 'ins')}."
        )
    who = "студентов" if material.levels == ("vocational",) else "детей"
    return (
        f"Материал ориентирован на {learners}. При отборе содержания учтены возрастные"
        f" особенности {who} и {_standards(material.levels, 'nom')}, а задания направлены"
        " на достижение личностных, метапредметных и предметных результатов."
    )


def body_text(material: DemoMaterial) -> str:
    """The Russian prose that ``render`` puts in the file: paragraphs split by blank lines."""
    source = _BY_MATERIAL.get(material)
    details = source.details if source else material.annotation
    noun = (source.noun if source else None) or _TYPE_NOUNS[material.material_type]
    fields = {
        "acc": noun.acc,
        "gen": noun.gen,
        "dat": noun.dat,
        "ins": noun.ins,
        "prep": noun.prep,
        "audience": _audience(material),
        "district": _DISTRICT_GENITIVE,
        "standards": _standards(material.levels, "gen"),
        "standards_dat": _standards(material.levels, "dat"),
    }
    paragraphs = [
        _INTRO[material.material_type].format(**fields),
        details,
        _levels_paragraph(material),
        _USAGE[material.material_type].format(**fields),
        f"Сведения о разработчиках: {material.authors.rstrip('.')}. Год подготовки:"
        f" {material.year}. Ключевые слова: {', '.join(material.keywords)}.",
    ]
    return "\n\n".join(paragraphs)


def _paragraphs(material: DemoMaterial) -> list[str]:
    return body_text(material).split("\n\n")


# --- rendering ----------------------------------------------------------------------


def render(material: DemoMaterial) -> bytes:
    """The bytes of the material's file in its format; the same bytes on every call."""
    renderers = {"pdf": _render_pdf, "docx": _render_docx, "pptx": _render_pptx}
    try:
        renderer = renderers[material.file_format]
    except KeyError:
        raise ValueError(f"unknown demo file format: {material.file_format!r}") from None
    return renderer(material)


def _document_date(material: DemoMaterial) -> datetime:
    return datetime(material.year, 9, 1, 10, 0, 0)  # fixed, so the bytes are reproducible


def _subtitle(material: DemoMaterial) -> str:
    return f"{material.authors.rstrip('.')}. {material.year} г."


def _render_pdf(material: DemoMaterial) -> bytes:
    import ttf_opensans
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_font("OpenSans", "", str(ttf_opensans.OPENSANS_REGULAR.path))
    pdf.add_font("OpenSans", "B", str(ttf_opensans.OPENSANS_BOLD.path))
    pdf.add_font("OpenSans", "I", str(ttf_opensans.OPENSANS_ITALIC.path))
    pdf.set_title(material.title)
    pdf.set_author(material.authors)
    pdf.set_subject(material.annotation)
    pdf.set_keywords(", ".join(material.keywords))
    pdf.set_creator("metodcabinet demo")
    pdf.set_lang("ru")
    pdf.set_creation_date(_document_date(material))
    pdf.add_page()
    line = {"align": "L", "new_x": XPos.LMARGIN, "new_y": YPos.NEXT}

    pdf.set_font("OpenSans", "", 9)
    pdf.set_text_color(110, 110, 110)
    pdf.multi_cell(0, 5, _OFFICE, **line)
    pdf.ln(6)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("OpenSans", "B", 16)
    pdf.multi_cell(0, 8, material.title, **line)
    pdf.ln(2)
    pdf.set_font("OpenSans", "I", 10)
    pdf.multi_cell(0, 5, _subtitle(material), **line)
    pdf.ln(6)
    pdf.set_font("OpenSans", "", 11)
    for paragraph in _paragraphs(material):
        pdf.multi_cell(0, 6, paragraph, **line)
        pdf.ln(3)
    return bytes(pdf.output())


def _render_docx(material: DemoMaterial) -> bytes:
    from docx import Document

    document = Document()
    props = document.core_properties
    props.title = material.title
    props.author = material.authors
    props.keywords = ", ".join(material.keywords)
    props.language = "ru-RU"
    props.last_modified_by = material.authors
    props.revision = 1
    props.created = props.modified = _document_date(material)

    document.add_paragraph(_OFFICE)
    document.add_heading(material.title, level=1)
    document.add_paragraph().add_run(_subtitle(material)).italic = True
    for paragraph in _paragraphs(material):
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue(), _document_date(material))


# Content slides: a heading and the body paragraphs it carries (by index).
_SLIDES = (
    ("Назначение материала", (0,)),
    ("Содержание", (1,)),
    ("Для кого предназначен", (2,)),
    ("Как использовать", (3, 4)),
)


def _render_pptx(material: DemoMaterial) -> bytes:
    from pptx import Presentation
    from pptx.util import Inches, Pt

    body = _paragraphs(material)
    deck = Presentation()
    props = deck.core_properties
    props.title = material.title
    props.author = material.authors
    props.keywords = ", ".join(material.keywords)
    props.language = "ru-RU"
    props.last_modified_by = material.authors
    props.revision = 1
    props.created = props.modified = _document_date(material)

    title_slide = deck.slides.add_slide(deck.slide_layouts[0])
    title_slide.shapes.title.text = material.title
    for run in title_slide.shapes.title.text_frame.paragraphs[0].runs:
        run.font.size = Pt(30)
    title_slide.placeholders[1].text = _subtitle(material)
    for run in title_slide.placeholders[1].text_frame.paragraphs[0].runs:
        run.font.size = Pt(18)

    for heading, indexes in _SLIDES:
        slide = deck.slides.add_slide(deck.slide_layouts[5])  # "Title Only"
        slide.shapes.title.text = heading
        box = slide.shapes.add_textbox(Inches(0.6), Inches(1.7), Inches(8.8), Inches(5.3))
        frame = box.text_frame
        frame.word_wrap = True
        for n, index in enumerate(indexes):
            paragraph = frame.paragraphs[0] if n == 0 else frame.add_paragraph()
            paragraph.text = body[index]
            paragraph.space_after = Pt(10)
            for run in paragraph.runs:
                run.font.size = Pt(16 if len(indexes) == 1 else 14)
    buffer = io.BytesIO()
    deck.save(buffer)
    return _fixed_zip(buffer.getvalue(), _document_date(material))


def _fixed_zip(data: bytes, when: datetime) -> bytes:
    """Rewrite an OOXML package with fixed entry timestamps, so its bytes are reproducible."""
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(entry.filename))
    return out.getvalue()
