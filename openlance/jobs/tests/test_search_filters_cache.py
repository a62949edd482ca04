"""The search pages' filters (hundreds of options and checkboxes) are drawn once per choice
of filters and catalog, then served from the cache (issue 16): what is chosen still shows
as chosen, errors are drawn fresh, and a new skill shows up at once."""

from __future__ import annotations

import re

import pytest

from openlance.catalog.models import Category, Skill
from openlance.catalog.selectors import catalog_version

pytestmark = pytest.mark.django_db

PAGES = ["/search/jobs/", "/search/freelancers/"]


def _filters(html: str) -> str:
    return re.search(r'<details class="filters card".*?Clear all</a>', html, re.S).group(0)


@pytest.mark.parametrize("page", PAGES)
def test_the_same_filters_are_drawn_the_same_and_a_choice_shows_as_chosen(client, page):
    first = _filters(client.get(page, {"q": "writing"}).content.decode())
    again = _filters(client.get(page, {"q": "another text"}).content.decode())
    assert first == again  # the text is not part of the filters' key
    skill = Skill.objects.order_by("name").first()
    chosen = _filters(client.get(page, {"skills": skill.slug}).content.decode())
    assert re.search(rf'value="{skill.slug}"[^>]*checked', chosen)
    assert chosen != first
    cached = _filters(client.get(page, {"skills": skill.slug}).content.decode())
    assert cached == chosen


def test_errors_are_drawn_fresh_not_from_the_cache(client):
    refused = client.get("/search/jobs/", {"fixed_min": "a lot"}).content.decode()
    assert "field-errors" in _filters(refused)
    plain = client.get("/search/jobs/").content.decode()
    assert "field-errors" not in _filters(plain)


def test_a_new_skill_changes_the_catalog_version_and_shows_at_once(client):
    before = catalog_version()
    client.get("/search/jobs/")
    category = Category.objects.order_by("pk").first()
    Skill.objects.create(slug="zig-lang", name="Zig language", category=category)
    assert catalog_version() != before
    assert "Zig language" in _filters(client.get("/search/jobs/").content.decode())
