"""Fixtures of the search tests (posts written through services, consumers drained)."""

from monoboard.search.tests.conftest import (  # noqa: F401
    _plain_static_storage,
    committed,
    make_post,
)
