"""The first-run setup page. A new Client has its own middleware instance, so the
first-run middleware's per-process memory starts empty in each test."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from monoboard.accounts.models import Role, User

SETUP = reverse("accounts:setup")
GOOD_PASSWORD = "first lantern of the board"


def test_first_visit_goes_to_setup_and_creates_the_admin(db: None, real_hashers: None) -> None:
    client = Client()
    home = client.get("/")
    assert home.status_code == 302
    assert home["Location"] == SETUP
    page = client.get(SETUP)
    assert page.status_code == 200
    assert b"Create admin account" in page.content

    mismatch = client.post(
        SETUP,
        {"email": "Boss@Example.com", "name": "Boss", "password": GOOD_PASSWORD, "password2": "x"},
    )
    assert mismatch.status_code == 200
    assert b'value="Boss@Example.com"' in mismatch.content
    assert not User.objects.exists()

    done = client.post(
        SETUP,
        {
            "email": "Boss@Example.com",
            "name": "Boss",
            "password": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD,
        },
    )
    assert done.status_code == 302
    boss = User.objects.get()
    assert (boss.email, boss.role, boss.is_superuser) == ("boss@example.com", Role.ADMIN, True)
    assert boss.password.startswith("argon2")
    assert client.get("/").status_code == 200
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_setup_is_gone_once_an_admin_exists(outsider_client: Client, admin: User) -> None:
    assert outsider_client.get(SETUP).status_code == 404
    response = outsider_client.post(
        SETUP,
        {"email": "intruder@example.com", "password": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert response.status_code == 404
    assert not User.objects.filter(email="intruder@example.com").exists()


def test_setup_reopens_when_no_active_admin_is_left(db: None) -> None:
    User.objects.create_user(
        email="gone@example.com", password=GOOD_PASSWORD, role=Role.ADMIN, is_active=False
    )
    client = Client()
    assert client.get("/").status_code == 302
    assert client.get(SETUP).status_code == 200
