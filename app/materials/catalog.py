"""The catalog: filtering, sorting and paging published materials; favourites; related."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from app import permissions
from app.accounts.models import Organization, Subject, User
from app.extensions import db
from app.materials.models import (
    Collection,
    EducationLevel,
    Favourite,
    Material,
    MaterialLevel,
    MaterialStatus,
    MaterialType,
    material_collections,
    material_subjects,
)

SORTS = {
    "new": (Material.published_at.desc(), Material.id.desc()),
    "downloads": (Material.download_count.desc(), Material.id.desc()),
    "title": (Material.sort_title.asc(), Material.id.asc()),
}


def _ids(args: MultiDict[str, str], name: str) -> list[int]:
    return [int(v) for v in args.getlist(name) if v.isdigit()][:50]


@dataclass
class CatalogFilters:
    subject_ids: list[int] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    organization_ids: list[int] = field(default_factory=list)
    collection_ids: list[int] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    sort: str = "new"

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> CatalogFilters:
        sort = args.get("sort", "new")
        return cls(
            subject_ids=_ids(args, "subject"),
            levels=[v for v in args.getlist("level") if v in set(EducationLevel)],
            types=[v for v in args.getlist("type") if v in set(MaterialType)],
            organization_ids=_ids(args, "org"),
            collection_ids=_ids(args, "collection"),
            years=[y for y in _ids(args, "year") if 1900 < y < 2200],
            sort=sort if sort in SORTS else "new",
        )

    @property
    def active(self) -> bool:
        return any(
            (self.subject_ids, self.levels, self.types, self.organization_ids,
             self.collection_ids, self.years)
        )  # fmt: skip


def apply_filters(query: Select[Any], filters: CatalogFilters) -> Select[Any]:
    if filters.subject_ids:
        query = query.where(
            Material.id.in_(
                select(material_subjects.c.material_id).where(
                    material_subjects.c.subject_id.in_(filters.subject_ids)
                )
            )
        )
    if filters.collection_ids:
        query = query.where(
            Material.id.in_(
                select(material_collections.c.material_id).where(
                    material_collections.c.collection_id.in_(filters.collection_ids)
                )
            )
        )
    if filters.levels:
        query = query.where(
            Material.id.in_(
                select(MaterialLevel.material_id).where(MaterialLevel.level.in_(filters.levels))
            )
        )
    if filters.types:
        query = query.where(Material.material_type.in_(filters.types))
    if filters.organization_ids:
        query = query.where(Material.organization_id.in_(filters.organization_ids))
    if filters.years:
        query = query.where(Material.year.in_(filters.years))
    return query


def catalog_query(user: User, filters: CatalogFilters) -> Select[Any]:
    """Published materials only: the catalog is what the district reads."""
    query = select(Material).where(Material.status == MaterialStatus.PUBLISHED)
    query = permissions.visible_materials(user, query)
    return apply_filters(query, filters).order_by(*SORTS[filters.sort])


@dataclass
class FilterOptions:
    subjects: list[Subject]
    organizations: list[Organization]
    collections: list[Collection]
    years: list[int]


def filter_options() -> FilterOptions:
    published = select(Material.id).where(Material.status == MaterialStatus.PUBLISHED)
    years = db.session.execute(
        select(Material.year)
        .distinct()
        .where(Material.status == MaterialStatus.PUBLISHED, Material.year.is_not(None))
        .order_by(Material.year.desc())
    ).scalars()
    subjects = db.session.execute(
        select(Subject)
        .where(
            Subject.id.in_(
                select(material_subjects.c.subject_id).where(
                    material_subjects.c.material_id.in_(published)
                )
            )
        )
        .order_by(Subject.name)
    ).scalars()
    organizations = db.session.execute(
        select(Organization)
        .where(
            Organization.id.in_(
                select(Material.organization_id).where(Material.status == MaterialStatus.PUBLISHED)
            )
        )
        .order_by(Organization.short_name)
    ).scalars()
    collections = db.session.execute(select(Collection).order_by(Collection.name)).scalars()
    return FilterOptions(list(subjects), list(organizations), list(collections), list(years))


def related_materials(material: Material, user: User, limit: int = 5) -> list[Material]:
    subject_ids = [s.id for s in material.subjects]
    if not subject_ids:
        return []
    query = catalog_query(user, CatalogFilters(subject_ids=subject_ids, sort="downloads"))
    query = query.where(Material.id != material.id).limit(limit)
    return list(db.session.execute(query).scalars())


def is_favourite(user: User, material: Material) -> bool:
    return (
        db.session.execute(
            select(Favourite).where(
                Favourite.user_id == user.id, Favourite.material_id == material.id
            )
        ).first()
        is not None
    )


def toggle_favourite(user: User, material: Material) -> bool:
    """Returns whether the material is a favourite afterwards."""
    if is_favourite(user, material):
        db.session.execute(
            delete(Favourite).where(
                Favourite.user_id == user.id, Favourite.material_id == material.id
            )
        )
        db.session.commit()
        return False
    db.session.add(Favourite(user_id=user.id, material_id=material.id))
    try:
        db.session.commit()
    except IntegrityError:  # a double click: it is a favourite either way
        db.session.rollback()
    return True


def favourites_query(user: User) -> Select[Any]:
    query = (
        select(Material)
        .join(Favourite, Favourite.material_id == Material.id)
        .where(Favourite.user_id == user.id)
        .order_by(Favourite.created_at.desc())
    )
    return permissions.visible_materials(user, query)


def my_materials_query(user: User) -> Select[Any]:
    return (
        select(Material)
        .where(Material.uploaded_by_id == user.id)
        .order_by(Material.updated_at.desc(), Material.id.desc())
    )


def review_queue_query() -> Select[Any]:
    return (
        select(Material)
        .where(Material.status == MaterialStatus.REVIEW)
        .order_by(Material.updated_at.asc())
    )


def count_in_review() -> int:
    return int(
        db.session.execute(
            select(func.count())
            .select_from(Material)
            .where(Material.status == MaterialStatus.REVIEW)
        ).scalar_one()
    )
