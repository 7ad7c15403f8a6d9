"""The catalog: filtering, sorting and paging published materials; favourites; related."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, delete, func, select, text
from sqlalchemy.orm import defer, joinedload, selectinload
from werkzeug.datastructures import MultiDict

from app import permissions
from app.accounts.models import Organization, Subject, User
from app.core.models import utcnow
from app.core.unit_of_work import check, unit_of_work
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

PER_PAGE = 20

# What a card shows beyond the row itself, loaded for a whole page in one query each:
# a list page costs the same number of queries for 3 materials as for 20.
CARD_LOADS = (
    selectinload(Material.subjects),
    selectinload(Material.level_rows),
    # Many-to-one: a join adds no rows, and saves a query.
    joinedload(Material.organization),
    # The folded copy of the texts is for the fallback search only; it can be long.
    defer(Material.search_text),
)
STATUS_ROW_LOADS = (selectinload(Material.uploaded_by),)

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


def _page(query: Select[Any], number: int) -> Pagination:
    return db.paginate(query, page=number, per_page=PER_PAGE, error_out=False)


def catalog_page(user: User, filters: CatalogFilters, number: int) -> Pagination:
    return _page(catalog_query(user, filters).options(*CARD_LOADS), number)


def mine_page(user: User, number: int) -> Pagination:
    return _page(my_materials_query(user).options(*STATUS_ROW_LOADS), number)


def favourites_page(user: User, number: int) -> Pagination:
    return _page(favourites_query(user).options(*CARD_LOADS), number)


def review_page(user: User, number: int) -> Pagination:
    check(permissions.is_reviewer(user))
    return _page(review_queue_query().options(*STATUS_ROW_LOADS), number)


# Distinct years by walking the index on ``year`` (one probe per year, as a loose index
# scan would), then keeping the years some published material has: a handful of index
# lookups where a DISTINCT over the published rows reads every one of them.
_PUBLISHED_YEARS = text(
    """
    WITH RECURSIVE known(year) AS (
        SELECT min(year) FROM materials
        UNION ALL
        SELECT (SELECT min(m.year) FROM materials m WHERE m.year > known.year)
        FROM known WHERE known.year IS NOT NULL
    )
    SELECT year FROM known
    WHERE year IS NOT NULL AND EXISTS (
        SELECT 1 FROM materials p WHERE p.year = known.year AND p.status = :status
    )
    ORDER BY year DESC
    """
)


@dataclass
class FilterOptions:
    """Rows of (id, name) or (id, short_name): a select box needs no loaded objects."""

    subjects: list[Any]
    organizations: list[Any]
    collections: list[Any]
    years: list[int]


def filter_options() -> FilterOptions:
    """What the catalog's filters offer: only values some published material has.

    EXISTS probes use the indexes on the link columns, so the cost follows the number
    of subjects and organizations, not of materials.
    """
    published = Material.status == MaterialStatus.PUBLISHED
    years = db.session.execute(_PUBLISHED_YEARS, {"status": MaterialStatus.PUBLISHED.value})
    subjects = db.session.execute(
        select(Subject.id, Subject.name)
        .where(
            select(material_subjects.c.material_id)
            .join(Material, Material.id == material_subjects.c.material_id)
            .where(material_subjects.c.subject_id == Subject.id, published)
            .exists()
        )
        .order_by(Subject.name)
    ).all()
    organizations = db.session.execute(
        select(Organization.id, Organization.short_name)
        .where(
            select(Material.id)
            .where(Material.organization_id == Organization.id, published)
            .exists()
        )
        .order_by(Organization.short_name)
    ).all()
    collections = db.session.execute(
        select(Collection.id, Collection.name).order_by(Collection.name)
    ).all()
    return FilterOptions(subjects, organizations, collections, [int(y) for (y,) in years])


def related_materials(material: Material, user: User, limit: int = 5) -> list[Material]:
    subject_ids = [s.id for s in material.subjects]
    if not subject_ids:
        return []
    query = catalog_query(user, CatalogFilters(subject_ids=subject_ids, sort="downloads"))
    query = query.where(Material.id != material.id).limit(limit)
    return list(db.session.execute(query.options(*CARD_LOADS)).scalars())


def is_favourite(user: User, material: Material) -> bool:
    return (
        db.session.execute(
            select(Favourite).where(
                Favourite.user_id == user.id, Favourite.material_id == material.id
            )
        ).first()
        is not None
    )


def _insert_unless_present(values: dict[str, Any]) -> None:
    """A double click inserts once: the second INSERT finds the row and does nothing."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(Favourite).values(**values).on_conflict_do_nothing())


@unit_of_work()
def toggle_favourite(user: User, material: Material) -> bool:
    """Returns whether the material is a favourite afterwards."""
    check(permissions.can_view_material(user, material))
    if is_favourite(user, material):
        db.session.execute(
            delete(Favourite).where(
                Favourite.user_id == user.id, Favourite.material_id == material.id
            )
        )
        return False
    _insert_unless_present({"user_id": user.id, "material_id": material.id, "created_at": utcnow()})
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
