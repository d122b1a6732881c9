"""Shared fixtures: a persona for each role, and boards to act on."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.test import Client

from monoboard.accounts.models import Role, User
from monoboard.boards.models import Board, Status

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _no_background_metric_writes(settings: Any) -> None:
    """Metric rollups and the slow-query log write rows after a request; they
    would blur query-count assertions. Tests of those features switch them on."""
    settings.METRICS_ROLLUPS = False
    settings.SLOW_QUERY_LOG = False


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: no page, rate-limit or throttle
    count left by another test, whose database rows are gone."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _static_files_without_collectstatic(settings: Any) -> None:
    """Production serves fingerprinted files from collectstatic's manifest;
    tests render pages from the app folders without running it."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Uploaded files go to a folder of the test's own, never to var/media."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


def make_user(email: str, role: str = Role.MEMBER, name: str = "") -> User:
    return User.objects.create_user(email=email, password=PASSWORD, role=role, name=name)


DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(autouse=True)
def _seeded_statuses(request: pytest.FixtureRequest) -> None:
    """A migration seeds the five statuses, but transactional tests empty every
    table when they end; put the seed back for any test that uses the database."""
    if request.node.get_closest_marker("django_db") is None and not (
        DB_FIXTURES & set(request.fixturenames)
    ):
        return
    request.getfixturevalue("_django_db_helper")
    if Status.objects.exists():
        return
    seed = importlib.import_module("monoboard.boards.migrations.0002_seed_statuses")
    for position, (name, slug, color, roadmap, closed, default) in enumerate(seed.STATUSES):
        Status.objects.create(
            name=name,
            slug=slug,
            color=color,
            position=position,
            on_roadmap=roadmap,
            is_closed=closed,
            is_default=default,
        )


@pytest.fixture(autouse=True)
def _empty_counters(request: pytest.FixtureRequest) -> None:
    """Throttle and rate-limit counts live in a database cache table, which
    transactional tests do not empty: start each database test without any."""
    if request.node.get_closest_marker("django_db") is None and not (
        DB_FIXTURES & set(request.fixturenames)
    ):
        return
    request.getfixturevalue("_django_db_helper")
    from monoboard.lib.counters import counter_cache

    counter_cache().clear()


@pytest.fixture(scope="session", autouse=True)
def _child_processes_read_the_test_database_on_replicas(request: pytest.FixtureRequest) -> None:
    """Processes a test starts (``serve``, a worker) inherit DATABASE_REPLICA_URLS,
    which name the real database; point them at the test database, as the
    test's own DATABASE_URL for them does (the replica copies it)."""
    import os
    from urllib.parse import quote, urlsplit

    urls = os.environ.get("DATABASE_REPLICA_URLS", "")
    if not urls:
        return
    request.getfixturevalue("django_db_setup")
    from django.db import connections

    name = quote(str(connections["default"].settings_dict["NAME"]), safe="")
    os.environ["DATABASE_REPLICA_URLS"] = ",".join(
        urlsplit(url.strip())._replace(path=f"/{name}").geturl() for url in urls.split(",")
    )


@pytest.fixture(autouse=True)
def _replica_reads_where_the_test_allows_them(
    request: pytest.FixtureRequest, settings: Any
) -> None:
    """With replicas configured (the stage-4 run), a test reads from them only
    if it names them in ``django_db(databases=...)``: Django refuses queries
    to a database a test did not ask for, and data a test writes outside a
    request belongs to no client, so nothing would make a page wait for it
    to reach the replica. The others read from the primary (REPLICA_READS)."""
    if not settings.DATABASE_REPLICA_URLS:
        return
    marker = request.node.get_closest_marker("django_db")
    databases = marker.kwargs.get("databases") if marker else None
    wanted = databases == "__all__" or any(str(a).startswith("replica") for a in databases or ())
    settings.REPLICA_READS = bool(wanted)


@pytest.fixture
def admin(db: None) -> User:
    return make_user("ada@example.com", Role.ADMIN, "Ada Admin")


@pytest.fixture
def moderator(db: None, admin: User) -> User:
    return make_user("mo@example.com", Role.MODERATOR, "Mo Moderator")


@pytest.fixture
def member(db: None, admin: User) -> User:
    return make_user("mem@example.com", Role.MEMBER, "Mel Member")


@pytest.fixture
def other_member(db: None, admin: User) -> User:
    return make_user("oscar@example.com", Role.MEMBER, "Oscar Other")


@pytest.fixture
def outsider_client(db: None, admin: User) -> Client:
    """A visitor who is not signed in (an admin exists, so no first-run redirect)."""
    return Client()


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin: User) -> Client:
    return client_for(admin)


@pytest.fixture
def moderator_client(moderator: User) -> Client:
    return client_for(moderator)


@pytest.fixture
def member_client(member: User) -> Client:
    return client_for(member)


@pytest.fixture
def public_board(db: None) -> Board:
    return Board.objects.create(name="Feature requests", slug="features", description="Ideas")


@pytest.fixture
def private_board(db: None) -> Board:
    return Board.objects.create(name="Internal", slug="internal", is_private=True)
