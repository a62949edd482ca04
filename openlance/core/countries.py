"""Country names for the codes stored on accounts, profiles and posts."""

from __future__ import annotations

from functools import cache

from django_countries import countries


@cache
def country_name(code: str) -> str:
    """django-countries looks a name up through its translation layer on every call (10 µs,
    twenty times a page of results); the names are settings, fixed while the process runs.
    Kept once per process because the site has one language (`USE_I18N` is off): with
    translations the cache would need the language in its key."""
    return str(countries.name(code))
