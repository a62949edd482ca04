"""The uploads' storage remembers URLs without ever answering one Django's would not."""

from __future__ import annotations

import pytest
from django.core.files.storage import FileSystemStorage, storages
from django.test import override_settings

from openlance.core.media_storage import MediaStorage
from openlance.settings import STORAGES

NAMES = ["photos/2026/03/a.jpg", "photos/2026/03/ä b?.png", "/jobs/x#1.pdf", "portfolio/%20.gif"]


def test_uploads_are_stored_by_it():
    assert STORAGES["default"]["BACKEND"] == "openlance.core.media_storage.MediaStorage"
    assert isinstance(storages["default"], MediaStorage)


@pytest.mark.parametrize("name", NAMES)
def test_a_remembered_url_is_the_one_django_builds(name):
    storage = MediaStorage()
    assert storage.url(name) == storage.url(name) == FileSystemStorage().url(name)


def test_a_new_media_url_gives_new_urls():
    storage = MediaStorage()
    before = storage.url(NAMES[0])
    with override_settings(MEDIA_URL="https://cdn.example/media/"):
        assert storage.url(NAMES[0]) == "https://cdn.example/media/photos/2026/03/a.jpg"
    assert storage.url(NAMES[0]) == before
