"""The widget's server side: identify for the frame (origin-checked, no cookie),
the frame's framing policy, and the size visitors download."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from django.test import Client

from monoboard.accounts.models import User
from monoboard.sso.tests.conftest import hs256, save_settings

pytestmark = pytest.mark.django_db

ORIGIN = "https://app.customer.example"


def identify(body: Any, raw: bool = False) -> Any:
    data = body if raw else json.dumps(body)
    return Client(enforce_csrf_checks=True).post(
        "/sso/widget/identify", data, content_type="application/json"
    )


@pytest.fixture
def listed(admin: User, secret: str) -> str:
    assert (
        save_settings(admin, widget_origins=f"{ORIGIN}\nhttps://other.example").status_code == 302
    )
    return secret


def test_identify_gives_an_access_token_and_sets_no_cookie(listed: str) -> None:
    response = identify({"token": hs256(listed), "origin": ORIGIN})
    assert response.status_code == 200
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    body = response.json()
    assert body["user"]["name"] == "Pat Customer" and body["expires_in"] > 0
    me = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["email"] == "pat@customer.example"


def test_an_unlisted_origin_is_refused_and_makes_no_one(listed: str) -> None:
    response = identify({"token": hs256(listed), "origin": "https://evil.example"})
    assert response.status_code == 400
    assert response.json()["error"] == "This site is not allowed to embed the feedback widget."
    assert not User.objects.filter(external_id="cust-1").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "Send a JSON object"),
        ("[1, 2]", "Send a JSON object"),
        (json.dumps({"token": "x.y.z", "origin": ORIGIN}), "not a signed token"),
        (json.dumps({"origin": ORIGIN}), "No token was given."),
    ],
)
def test_bad_requests_get_a_clear_error(listed: str, body: str, message: str) -> None:
    response = identify(body, raw=True)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not User.objects.filter(external_id__isnull=False).exists()


def test_a_replayed_widget_token_is_refused(listed: str) -> None:
    token = hs256(listed)
    assert identify({"token": token, "origin": ORIGIN}).status_code == 200
    again = identify({"token": token, "origin": ORIGIN})
    assert again.status_code == 400 and "already used" in again.json()["error"]


def test_the_frame_may_be_embedded_only_by_listed_origins(listed: str) -> None:
    response = Client().get("/sso/widget/frame/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert f"frame-ancestors {ORIGIN} https://other.example" in policy
    assert "X-Frame-Options" not in response
    assert json.dumps([ORIGIN, "https://other.example"]) in response.content.decode()


def test_with_no_origins_nobody_may_embed_the_frame(admin: User) -> None:
    response = Client().get("/sso/widget/frame/")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_other_pages_still_refuse_framing(listed: str) -> None:
    response = Client().get("/")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_widget_is_small(listed: str) -> None:
    """What a visitor downloads, gzip-compressed: the loader, then the panel."""
    client = Client()
    sizes = {}
    for path in (
        "/static/sso/widget.js",
        "/sso/widget/frame/",
        "/static/sso/frame.js",
        "/static/sso/frame.css",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        content = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
        sizes[path] = len(gzip.compress(content, 9))
    assert sizes["/static/sso/widget.js"] < 2_000  # on every page of the customer's app
    assert sum(sizes.values()) < 10_000  # when the panel first opens
