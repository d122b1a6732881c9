"""A last word of one or two letters is matched as a whole word, never as a prefix.

A one- or two-letter prefix begins a large share of all indexed words, so
matching it made the slowest searches on a large site; three letters are
needed before the last word also matches the words it begins.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from monoboard.search.tests.conftest import MakePost

pytestmark = pytest.mark.django_db


def hit_ids(client: Client, q: str) -> set[int]:
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    return {int(i) for i in re.findall(r'data-post-id="(\d+)"', response.content.decode())}


def test_short_last_word_is_a_whole_word_and_three_letters_make_a_prefix(
    make_post: MakePost, outsider_client: Client
) -> None:
    dashboard = make_post("Export dashboard", "Reports on an export dashboard.")
    ux = make_post("Export UX review", "The UX of the export page.")
    assert hit_ids(outsider_client, "export d") == set()  # "d" is not a prefix of "dashboard"
    assert hit_ids(outsider_client, "export da") == set()
    assert hit_ids(outsider_client, "export ux") == {ux.pk}  # a two-letter whole word matches
    assert hit_ids(outsider_client, "export das") == {dashboard.pk}  # three letters: a prefix
    assert hit_ids(outsider_client, "da") == set()
    assert hit_ids(outsider_client, "das") == {dashboard.pk}
