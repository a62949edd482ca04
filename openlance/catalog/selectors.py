from __future__ import annotations

from django.db.models import QuerySet

from openlance.catalog.models import Category, Skill


def skills_all() -> QuerySet[Skill]:
    return Skill.objects.select_related("category").order_by("name")


def categories_all() -> QuerySet[Category]:
    return Category.objects.order_by("name")


def skills_by_slugs(slugs: list[str]) -> list[Skill]:
    found = {skill.slug: skill for skill in Skill.objects.filter(slug__in=slugs)}
    return [found[slug] for slug in slugs if slug in found]
