"""Collections of materials (the bank of advanced pedagogical experience is one)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import permissions
from app.accounts.models import User
from app.core.errors import ValidationError
from app.core.unit_of_work import check, found, unit_of_work
from app.extensions import db
from app.materials.models import Collection, Material, MaterialStatus, material_collections


def list_collections() -> list[Collection]:
    return list(
        db.session.execute(
            select(Collection).order_by(Collection.is_experience_bank.desc(), Collection.name)
        ).scalars()
    )


def list_with_counts() -> list[tuple[Collection, int]]:
    counts = dict(
        db.session.execute(
            select(material_collections.c.collection_id, func.count())
            .join(Material, Material.id == material_collections.c.material_id)
            .where(Material.status == MaterialStatus.PUBLISHED)
            .group_by(material_collections.c.collection_id)
        ).all()
    )
    return [(c, counts.get(c.id, 0)) for c in list_collections()]


def get_collection(collection_id: int, actor: User) -> Collection:
    check(permissions.can_manage_collections(actor))
    return found(db.session.get(Collection, collection_id))


@unit_of_work()
def save_collection(
    name: str, description: str, actor: User, collection: Collection | None = None
) -> Collection:
    check(permissions.can_manage_collections(actor))
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("Укажите название коллекции."), "name")
    collection = collection or Collection(created_by_id=actor.id)
    collection.name = name[:300]
    collection.description = (description or "").strip()[:5000]
    db.session.add(collection)
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise ValidationError(_("Коллекция с таким названием уже есть."), "name") from exc
    return collection


def get_or_create(name: str, actor: User | None) -> Collection:
    name = " ".join(name.split())[:300]
    collection = db.session.execute(
        select(Collection).where(Collection.name == name)
    ).scalar_one_or_none()
    if collection is None:
        collection = Collection(name=name, created_by_id=actor.id if actor else None)
        db.session.add(collection)
        db.session.flush()
    return collection
