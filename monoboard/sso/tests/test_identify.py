"""Signed-token single sign-on through the pages people and customers' apps use."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.test import Client

from monoboard.accounts.models import Company, User
from monoboard.boards.models import Board
from monoboard.sso.models import UsedToken
from monoboard.sso.tests.conftest import (
    JWKSServer,
    admin_client,
    claims,
    hs256,
    make_secret,
    save_settings,
)

pytestmark = pytest.mark.django_db


def callback(token: str, next_url: str = "/") -> Any:
    client = Client()
    response = client.get("/sso/callback", {"token": token, "next": next_url})
    return client, response


def refused(token: str) -> str:
    people, companies = User.objects.count(), Company.objects.count()
    _, response = callback(token)
    assert response.status_code == 400
    assert User.objects.count() == people, "a refused token made a person"
    assert Company.objects.count() == companies, "a refused token made a company"
    return html.unescape(response.content.decode())


def test_secret_is_shown_once_and_a_new_one_retires_the_old(admin: User) -> None:
    first = make_secret(admin)
    again = admin_client(admin).get("/sso/settings/")
    assert first not in again.content.decode()
    assert "A secret is set" in again.content.decode()
    second = make_secret(admin)
    assert second != first
    assert "signature does not match" in refused(hs256(first))
    _, response = callback(hs256(second))
    assert response.status_code == 302


def test_members_cannot_see_the_settings(admin: User, member: User) -> None:
    client = Client()
    client.force_login(member)
    assert client.get("/sso/settings/").status_code == 403
    assert client.post("/sso/settings/", {"action": "secret"}).status_code == 403
    assert Client().get("/sso/settings/").status_code == 302  # to sign in


def test_callback_creates_the_person_signs_them_in_and_follows_next(
    secret: str, admin: User
) -> None:
    board = Board.objects.create(name="Ideas", slug="ideas")
    token = hs256(
        secret,
        avatar="https://cdn.customer.example/pat.png",
        company={"id": "acme", "name": "Acme Ltd", "monthly_revenue": 1200},
        plan="Pro",
        roles=["beta", "Staff"],
    )
    client, response = callback(token, f"/b/{board.slug}/")
    assert response.status_code == 302
    assert response["Location"] == f"/b/{board.slug}/"
    pat = User.objects.get(external_id="cust-1")
    assert (pat.email, pat.name, pat.plan) == ("pat@customer.example", "Pat Customer", "pro")
    assert pat.avatar_url == "https://cdn.customer.example/pat.png"
    assert pat.company is not None and pat.company.name == "Acme Ltd"
    assert pat.company.monthly_revenue == 1200
    assert pat.sso_roles == ",beta,staff,"
    assert not pat.has_usable_password()
    page = client.get(f"/b/{board.slug}/")
    assert "Pat Customer" in page.content.decode()


def test_a_later_token_updates_the_same_person(secret: str) -> None:
    callback(hs256(secret))
    callback(
        hs256(
            secret,
            email="pat@new.example",
            name="Pat Renamed",
            company={"id": "acme", "name": "Acme", "monthly_revenue": 900},
        )
    )
    assert User.objects.filter(external_id="cust-1").count() == 1
    pat = User.objects.get(external_id="cust-1")
    assert (pat.email, pat.name) == ("pat@new.example", "Pat Renamed")
    assert Company.objects.get(external_id="acme").monthly_revenue == 900


def test_an_existing_account_is_matched_by_email(secret: str, member: User) -> None:
    client, response = callback(hs256(secret, id="ext-9", email=member.email.upper()))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.external_id == "ext-9"
    assert User.objects.filter(email__iexact=member.email).count() == 1
    assert client.session["_auth_user_id"] == str(member.pk)


def test_an_email_of_another_sso_id_is_refused(secret: str) -> None:
    callback(hs256(secret, id="one", email="same@customer.example"))
    text = refused(hs256(secret, id="two", email="same@customer.example"))
    assert "belongs to another single sign-on user id" in text


def test_expired_tokens_are_refused(secret: str) -> None:
    now = int(time.time())
    assert "expired" in refused(hs256(secret, iat=now - 600, exp=now - 300))


def test_a_replayed_token_is_refused_until_it_expires(secret: str) -> None:
    token = hs256(secret)
    _, first = callback(token)
    assert first.status_code == 302
    assert "already used" in refused(token)
    assert UsedToken.objects.count() == 1


def test_wrongly_signed_tokens_are_refused(secret: str) -> None:
    assert "signature does not match" in refused(hs256("not-the-secret-" + secret))
    token = hs256(secret)
    head, _, sig = token.split(".")
    tampered = jwt.utils.base64url_encode(
        json.dumps({**claims(), "email": "mallory@evil.example"}).encode()
    ).decode()
    assert "signature does not match" in refused(f"{head}.{tampered}.{sig}")


def test_alg_none_and_other_algorithms_are_refused(secret: str) -> None:
    unsigned = jwt.encode(claims(), "", algorithm="none")
    assert "alg: none" in refused(unsigned)
    hs512 = jwt.encode(claims(), secret * 2, algorithm="HS512")
    assert "not accepted" in refused(hs512)
    assert "not a signed token" in refused("garbage")
    _, response = callback("")
    assert response.status_code == 400


def test_required_claims_and_bad_fields_make_no_person(secret: str) -> None:
    assert "'jti'" in refused(hs256(secret, jti=None))
    assert "'exp'" in refused(hs256(secret, exp=None))
    assert "names no user" in refused(hs256(secret, id=None))
    assert "valid email" in refused(hs256(secret, email="not-an-address"))
    assert "avatar" in refused(hs256(secret, avatar="javascript:alert(1)"))
    assert "monthly_revenue" in refused(hs256(secret, monthly_revenue=-5))
    assert "monthly_revenue" in refused(hs256(secret, monthly_revenue=1e30))
    assert "company.monthly_revenue" in refused(
        hs256(secret, company={"id": "a", "monthly_revenue": "lots"})
    )
    assert "'roles'" in refused(hs256(secret, roles=["a,b"]))
    assert "'roles'" in refused(hs256(secret, roles=[f"r{i}" for i in range(21)]))
    assert "'roles'" in refused(hs256(secret, roles="admin"))
    assert "control characters" in refused(hs256(secret, name="Pat\x00"))
    assert "control characters" in refused(hs256(secret, id="a\x00"))
    assert "control characters" in refused(hs256(secret, plan="pro\x00"))
    assert "control characters" in refused(hs256(secret, company={"id": "a", "name": "A\x00"}))
    assert "control characters" in refused(hs256(secret, roles=["a\x00"]))
    assert "company" in refused(hs256(secret, company="Acme"))
    assert "lives too long" in refused(hs256(secret, exp=int(time.time()) + 7 * 86400))


def test_audience_and_issuer_are_checked_when_set(admin: User, secret: str) -> None:
    response = save_settings(admin, issuer="https://app.customer.example", audience="board")
    assert response.status_code == 302
    assert "another audience" in refused(
        hs256(secret, iss="https://app.customer.example", aud="elsewhere")
    )
    assert "another issuer" in refused(hs256(secret, iss="https://evil.example", aud="board"))
    assert "'aud'" in refused(hs256(secret, iss="https://app.customer.example"))
    _, ok = callback(hs256(secret, iss="https://app.customer.example", aud="board"))
    assert ok.status_code == 302


def test_no_secret_means_hs256_is_refused(admin: User) -> None:
    assert "no shared secret" in refused(hs256("any-secret-of-at-least-32-characters"))


def _rsa_jwk(kid: str) -> tuple[Any, dict[str, Any]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return key, {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def _ec_jwk(kid: str) -> tuple[Any, dict[str, Any]]:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    return key, {**jwk, "kid": kid, "alg": "ES256", "use": "sig"}


def test_rs256_and_es256_through_a_jwks_url(admin: User, jwks: JWKSServer, settings: Any) -> None:
    settings.SSO_JWKS_REFETCH_S = 0  # a rotated key is fetched at once
    rsa_key, rsa_jwk = _rsa_jwk("r1")
    ec_key, ec_jwk = _ec_jwk("e1")
    jwks.keys = [rsa_jwk, ec_jwk]
    assert save_settings(admin, jwks_url=jwks.url).status_code == 302

    token = jwt.encode(claims(id="rsa-user"), rsa_key, algorithm="RS256", headers={"kid": "r1"})
    _, response = callback(token)
    assert response.status_code == 302
    token = jwt.encode(
        claims(id="ec-user", email="ec@customer.example"),
        ec_key,
        algorithm="ES256",
        headers={"kid": "e1"},
    )
    _, response = callback(token)
    assert response.status_code == 302
    assert set(
        User.objects.filter(external_id__isnull=False).values_list("external_id", flat=True)
    ) == {
        "rsa-user",
        "ec-user",
    }
    assert jwks.hits >= 1

    other_key, _ = _rsa_jwk("r1")  # same kid, a key the customer never published
    forged = jwt.encode(claims(id="forged"), other_key, algorithm="RS256", headers={"kid": "r1"})
    assert "signature does not match" in refused(forged)
    unknown = jwt.encode(claims(id="x"), rsa_key, algorithm="RS256", headers={"kid": "nope"})
    assert "matches this token's key id" in refused(unknown)
    # A rotated key is fetched again when a token names it.
    new_key, new_jwk = _rsa_jwk("r2")
    jwks.keys = [new_jwk]
    rotated = jwt.encode(
        claims(id="rotated", email="r@customer.example"),
        new_key,
        algorithm="RS256",
        headers={"kid": "r2"},
    )
    _, response = callback(rotated)
    assert response.status_code == 302


def test_hs256_signed_with_the_public_key_is_refused(admin: User, jwks: JWKSServer) -> None:
    """Algorithm confusion: with only a JWKS URL set, an HMAC token has no key."""
    _, rsa_jwk = _rsa_jwk("r1")
    jwks.keys = [rsa_jwk]
    save_settings(admin, jwks_url=jwks.url)
    # Signed by hand: PyJWT itself refuses to use a public key as an HMAC secret.
    b64 = jwt.utils.base64url_encode
    signing_input = (
        b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        + b"."
        + b64(json.dumps(claims()).encode())
    )
    mac = hmac.new(json.dumps(rsa_jwk).encode(), signing_input, hashlib.sha256).digest()
    token = (signing_input + b"." + b64(mac)).decode()
    assert "no shared secret" in refused(token)


def test_unreachable_jwks_is_a_clear_error(admin: User) -> None:
    save_settings(admin, jwks_url="http://127.0.0.1:9/jwks.json")
    key, _ = _rsa_jwk("r1")
    token = jwt.encode(claims(), key, algorithm="RS256", headers={"kid": "r1"})
    assert "could not be fetched" in refused(token)


def test_redirect_sign_in_sends_visitors_to_the_customer_login(admin: User, secret: str) -> None:
    response = save_settings(
        admin, login_url="https://app.customer.example/login?from=board", redirect_mode="signin"
    )
    assert response.status_code == 302
    visitor = Client()
    away = visitor.get("/accounts/signin/", {"next": "/roadmap/"})
    assert away.status_code == 302
    target = urlsplit(away["Location"])
    assert target.netloc == "app.customer.example"
    query = parse_qs(target.query)
    assert query["from"] == ["board"]
    back = urlsplit(query["return_to"][0])
    assert back.path == "/sso/callback"
    assert parse_qs(back.query)["next"] == ["/roadmap/"]
    # The customer's login sends the person back with a token.
    landed = visitor.get(back.path, {"token": hs256(secret), "next": "/roadmap/"})
    assert landed.status_code == 302 and landed["Location"] == "/roadmap/"
    # Staff can still use their password.
    assert Client().get("/accounts/signin/", {"password": "1"}).status_code == 200
    assert Client().get("/").status_code == 200


def test_redirect_everything_sends_every_page_but_sign_in_itself(admin: User) -> None:
    save_settings(admin, login_url="https://app.customer.example/login", redirect_mode="all")
    away = Client().get("/roadmap/")
    assert away.status_code == 302
    assert away["Location"].startswith("https://app.customer.example/login?return_to=")
    assert Client().get("/accounts/signin/", {"password": "1"}).status_code == 200
    assert Client().get("/sso/callback").status_code == 400
    member_client = admin_client(admin)
    assert member_client.get("/roadmap/").status_code == 200


def test_a_foreign_next_is_not_followed(secret: str) -> None:
    _, response = callback(hs256(secret), "https://evil.example/")
    assert response["Location"] == "/"
    _, response = callback(hs256(secret, jti="j2"), "//evil.example/")
    assert response["Location"] == "/"
    _, response = callback(hs256(secret, jti="j3"), "/roadmap/\x00\r\nX: y")
    assert response["Location"] == "/"


def test_bad_settings_are_explained_and_nothing_is_saved(admin: User) -> None:
    response = save_settings(
        admin,
        jwks_url="ftp://x",
        redirect_mode="all",
        widget_origins="https://ok.example\nnot a url",
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Enter an http(s) address." in text
    assert "Redirect sign-in needs your login URL." in text
    assert "is not an origin" in text
    assert "https://ok.example" in text  # what was typed is kept
    again = admin_client(admin).get("/sso/settings/")
    assert "ftp://x" not in again.content.decode()
