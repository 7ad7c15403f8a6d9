"""Demo materials in the bank: real files rendered from ``materials.toml``."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Subject, User
from app.demo.district import staff_member
from app.extensions import db


def seed_materials(teachers: list[User]) -> str:
    """About 30 published materials with real files, a few on review and one returned."""
    from datetime import UTC, datetime, timedelta

    from app.demo import documents as demo_files
    from app.materials import services as materials
    from app.materials.models import Material

    methodists = [staff_member("methodist"), staff_member("methodist2"), staff_member("methodist3")]
    subjects = {s.name: s.id for s in db.session.execute(select(Subject)).scalars()}
    bank = materials.experience_bank()
    existing = set(db.session.execute(select(Material.title)).scalars())
    created = 0
    base = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    for n, item in enumerate(demo_files.DEMO_MATERIALS):
        if item.title in existing:
            continue
        by_teacher = n >= len(demo_files.DEMO_MATERIALS) - 4 or item.material_type == "experience"
        author = teachers[(n * 3) % len(teachers)] if by_teacher else methodists[n % 3]
        pending = n >= len(demo_files.DEMO_MATERIALS) - 4
        data = materials.MaterialData(
            title=item.title,
            material_type=item.material_type,
            annotation=item.annotation,
            subject_ids=[subjects[name] for name in item.subjects if name in subjects],
            levels=list(item.levels),
            keywords=", ".join(item.keywords),
            authors=item.authors,
            organization_id=author.organization_id,
            year=item.year,
            usage_terms="Свободное использование в образовательных целях с указанием автора",
            collection_ids=[bank.id] if bank is not None and by_teacher else [],
        )
        upload = materials.upload_from_bytes(demo_files.render(item), item.file_name)
        when = base - timedelta(days=37 * n + (n * 7) % 11)
        if pending:
            material = materials.create_material(
                data, [upload], author, action="submit", created_at=when
            )
            if n == len(demo_files.DEMO_MATERIALS) - 1:
                materials.change_status(
                    material,
                    methodists[0],
                    "return",
                    "Добавьте, пожалуйста, список литературы и уточните планируемые результаты.",
                )
        else:
            material = materials.create_material(
                data, [upload], methodists[n % 3], action="publish", created_at=when
            )
            material.uploaded_by = author
            material.published_at = when + timedelta(days=2)
            db.session.commit()
        created += 1
    return f"Материалов в банке: добавлено {created}."
