from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import models
from django.db.models import Count, Max, QuerySet, Subquery, Value

from openlance.catalog.models import Category, Skill
from openlance.core.errors import InvalidInput
from openlance.core.prepared import PreparedRead, SlotKeys


def skills_all() -> QuerySet[Skill]:
    return Skill.objects.select_related("category").order_by("name")


def categories_all() -> QuerySet[Category]:
    return Category.objects.order_by("name")


@dataclass(frozen=True)
class SkillTag:
    """A skill as a list of results shows it, read as plain data: a page of 20 results
    holds some hundred skills, and a model instance each (through a prefetch) cost more
    than the search that found them."""

    name: str
    slug: str


def skill_tags_of(
    links: type[models.Model], owner: str, owner_ids: list[int]
) -> defaultdict[int, list[SkillTag]]:
    """Each owner's skills by name, in one query over the `links` table (a many-to-many's
    through model) whose column `owner` names the owner ("profile_id", "jobpost_id")."""
    tags: defaultdict[int, list[SkillTag]] = defaultdict(list)
    for owner_id, name, slug in _skill_rows(links, owner).rows(owner_ids=owner_ids):
        tags[owner_id].append(SkillTag(name=name, slug=slug))
    return tags


@cache
def _skill_rows(links: type[models.Model], owner: str) -> PreparedRead:
    return PreparedRead(
        lambda: (
            links._default_manager.filter(**{f"{owner}__in": SlotKeys("owner_ids")})
            # By owner first: ordered by the name alone, SQLite walked the whole catalog in
            # name order and probed the links for each skill (a page's skills in 113 µs
            # among 118 skills, where seeking the owners' links and sorting them takes 29).
            .order_by(owner, "skill__name")
            .values_list(owner, "skill__name", "skill__slug")
        )
    )


def skills_by_slugs(slugs: list[str]) -> list[Skill]:
    if not slugs:
        return []
    found = {skill.slug: skill for skill in Skill.objects.filter(slug__in=slugs)}
    return [found[slug] for slug in slugs if slug in found]


def catalog_ids(
    model: type[Category] | type[Skill], slugs: list[str], field: str
) -> tuple[int, ...]:
    """The ids of catalog entries named by slug (API filters); an unknown slug is a 422 on
    `field`, so a typo never silently widens a search."""
    if not slugs:
        return ()
    found = tuple(model.objects.filter(slug__in=slugs).values_list("pk", flat=True))
    if len(found) != len(set(slugs)):
        raise InvalidInput(
            f"Unknown {field}.", field_errors={field: ["Use slugs from the catalog."]}
        )
    return found


def catalog_version() -> str:
    """Names the catalog as it stands, for caches of what is drawn from it (a search page's
    filters). Skills and categories change only by migration: one cheap query tells whether
    this process has seen the catalog in this shape, and the digest of every name is read
    once per shape."""
    (shape,) = _CATALOG_SHAPE.rows()
    return _catalog_digest(shape)


def _shape_of(model: type[Category] | type[Skill]) -> QuerySet[Any]:
    """(rows, highest id) of a catalog table. Django leaves the constant out of GROUP BY,
    so the aggregates are over the whole table, one row even when it is empty."""
    return (
        model._default_manager.order_by()
        .annotate(whole=Value(1))
        .values("whole")
        .annotate(count=Count("id"), top=Max("id"))
    )


# Both tables' shapes in one read: on every search page, a read cost more than its answer.
_CATALOG_SHAPE = PreparedRead(
    lambda: (
        _shape_of(Skill)
        .annotate(
            categories=Subquery(_shape_of(Category).values("count")),
            category_top=Subquery(_shape_of(Category).values("top")),
        )
        .values_list("count", "top", "categories", "category_top")
    )
)


@cache
def _catalog_digest(shape: tuple[int | None, ...]) -> str:
    rows = [
        *Category.objects.order_by("pk").values_list("pk", "slug", "name"),
        *Skill.objects.order_by("pk").values_list("pk", "slug", "name", "category_id"),
    ]
    return hashlib.sha256(repr((shape, rows)).encode()).hexdigest()[:16]
