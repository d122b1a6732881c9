"""Sign-in method tests: an empty cache and no provider metadata kept between tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from monoboard.identity import providers


@pytest.fixture(autouse=True)
def _fresh_state(settings: Any) -> Iterator[None]:
    cache.clear()
    providers.forget_metadata()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    yield
    cache.clear()
    providers.forget_metadata()
