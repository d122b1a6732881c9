"""Statuses and tags need a letter or digit in their name: the name makes the
address (slug) that filters and the API use, and an empty one would name nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from monoboard.accounts.models import User
from monoboard.api.tests.conftest import ApiClient, key_for
from monoboard.boards.models import Status, Tag

pytestmark = pytest.mark.django_db

NAMES = ["!!!", "---", "  ?! ", "★☆"]


@pytest.mark.parametrize("name", NAMES)
def test_settings_pages_refuse_a_name_without_letters_or_digits(
    admin_client: Client, name: str
) -> None:
    statuses, tags = Status.objects.count(), Tag.objects.count()
    page = admin_client.post(reverse("settings:status_new"), {"name": name, "color": "#336699"})
    assert page.status_code in (200, 400)
    assert "letter or digit" in page.content.decode()
    page = admin_client.post(reverse("settings:tag_new"), {"name": name, "color": "#336699"})
    assert page.status_code in (200, 400)
    assert "letter or digit" in page.content.decode()
    assert Status.objects.count() == statuses and Tag.objects.count() == tags
    assert not Status.objects.filter(slug="").exists() and not Tag.objects.filter(slug="").exists()


@pytest.mark.parametrize("name", NAMES)
def test_api_refuses_a_name_without_letters_or_digits(admin: User, name: str) -> None:
    api = ApiClient(key_for(admin))
    for path in ("/statuses", "/tags"):
        response = api.post(path, {"name": name})
        assert response.status_code == 422, (path, response.content)
        assert "name" in response.content.decode()
    assert not Status.objects.filter(slug="").exists() and not Tag.objects.filter(slug="").exists()
