"""The static files storage: WhiteNoise's compressed, hashed files, with their URLs
remembered."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Looking a name up in the manifest and building its URL took about 8 µs, for each of
    the three `{% static %}` of every page. The manifest is read once, when the storage is
    made, so a name's URL cannot change while the storage lives: a change of the static
    settings makes a new storage, and collectstatic's post-processing hashes names without
    going through `url()`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[tuple[str | None, bool, bool], str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        # DEBUG gives the names unhashed; tests turn it on and off.
        key = (name, force, settings.DEBUG)
        found = self._urls.get(key)
        if found is None:
            found = self._urls[key] = super().url(name, force)
        return found
