"""A small OpenID Connect provider on loopback, for tests and measurements.

Built on Authlib's own server side (``authlib.oauth2.AuthorizationServer``
with the authorization-code grant, PKCE and the OpenID Connect extension),
served by the standard library's WSGI server in a thread on 127.0.0.1. It
signs ID tokens with an RS256 key made at start and publishes discovery,
JWKS and userinfo documents, and it also answers GitHub's endpoints
(``/login/oauth/...`` and ``/api/v3/user``, ``/api/v3/user/emails``) the way
GitHub Enterprise does, so both kinds of client run against real HTTP.

The authorisation page approves at once, as :attr:`LoopbackProvider.user`:
tests set who signs in, and can make the provider misbehave on purpose
(:attr:`nonce_override`, :attr:`code_ttl_s`) to prove the client refuses it.

    with oidc_provider(client_id="board", client_secret="s3cret") as provider:
        provider.issuer  # http://127.0.0.1:<port>
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from authlib.common.security import generate_token
from authlib.oauth2 import AuthorizationServer, OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey

type StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass
class ProviderUser:
    sub: str = "user-1"
    email: str = "grace@example.com"
    email_verified: bool = True
    name: str = "Grace Hopper"


@dataclass
class _Client:
    client_id: str
    client_secret: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return ""

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri.startswith(("http://127.0.0.1", "http://localhost"))

    def check_client_secret(self, client_secret: str) -> bool:
        return client_secret == self.client_secret

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class _Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: ProviderUser
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class _Request(OAuth2Request):
    def __init__(
        self,
        method: str,
        uri: str,
        query: dict[str, str],
        form: dict[str, str],
        headers: dict[str, str],
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self._query = query
        self._form = form
        self.payload = BasicOAuth2Payload({**query, **form})

    @property
    def args(self) -> dict[str, str]:
        return self._query

    @property
    def form(self) -> dict[str, str]:
        return self._form


class LoopbackProvider:
    """The provider's state: clients, codes, tokens and the knobs tests turn."""

    def __init__(self, *, client_id: str, client_secret: str) -> None:
        self.issuer = ""
        self.user = ProviderUser()
        #: Put this nonce in ID tokens instead of the one the client sent.
        self.nonce_override: str | None = None
        #: How long a code may be exchanged; negative: every code is already expired.
        self.code_ttl_s = 60.0
        #: Every request the provider served: "METHOD /path".
        self.requests: list[str] = []
        self.client = _Client(client_id, client_secret)
        self.key = RSAKey.generate_key(2048, parameters={"kid": "loopback-1", "use": "sig"})
        self._codes: dict[str, _Code] = {}
        self._tokens: dict[str, ProviderUser] = {}
        self._nonces: set[str] = set()
        self._lock = threading.Lock()
        self.server = self._authorization_server()

    # --- Authlib's server side --------------------------------------------------

    def _authorization_server(self) -> AuthorizationServer:
        provider = self

        class Server(AuthorizationServer):
            def query_client(self, client_id: str) -> _Client | None:
                return provider.client if client_id == provider.client.client_id else None

            def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
                with provider._lock:
                    provider._tokens[token["access_token"]] = request.user

            def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
                return request

            def create_json_request(self, request: OAuth2Request) -> OAuth2Request:
                return request

            def handle_response(
                self, status: int, body: Any, headers: Iterable[tuple[str, str]]
            ) -> tuple[int, Any, list[tuple[str, str]]]:
                return status, body, list(headers)

            def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
                return None

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
                data = request.payload.data
                with provider._lock:
                    provider._codes[code] = _Code(
                        code=code,
                        client_id=request.client.get_client_id(),
                        redirect_uri=request.payload.redirect_uri,
                        scope=request.payload.scope,
                        user=request.user,
                        nonce=data.get("nonce"),
                        code_challenge=data.get("code_challenge"),
                        code_challenge_method=data.get("code_challenge_method"),
                        expires_at=time.time() + provider.code_ttl_s,
                    )
                    provider._nonces.add(str(data.get("nonce") or ""))

            def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
                found = provider._codes.get(code)
                if found is None or found.client_id != client.client_id:
                    return None
                if found.expires_at <= time.time():
                    return None  # the grant answers invalid_grant
                return found

            def delete_authorization_code(self, authorization_code: _Code) -> None:
                with provider._lock:
                    provider._codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: _Code) -> ProviderUser:
                return authorization_code.user

        class IDToken(OpenIDCode):
            def get_jwt_config(self, grant: Any = None, client: Any = None) -> dict[str, Any]:
                return {
                    "key": provider.key,
                    "alg": "RS256",
                    "iss": provider.issuer,
                    "exp": 300,
                    "kid": "loopback-1",
                }

            def resolve_client_private_key(self, client: Any) -> Any:
                return provider.key

            def get_client_algorithm(self, client: Any) -> str:
                return "RS256"

            def get_client_claims(self, client: Any) -> dict[str, Any]:
                return {
                    "iss": provider.issuer,
                    "aud": [client.get_client_id()],
                    "exp": int(time.time()) + 300,
                }

            def get_encode_header(self, client: Any) -> dict[str, str]:
                return {"alg": "RS256", "kid": "loopback-1"}

            def get_authorization_code_claims(self, authorization_code: Any) -> dict[str, Any]:
                claims = dict(super().get_authorization_code_claims(authorization_code))
                if provider.nonce_override is not None:
                    claims["nonce"] = provider.nonce_override
                return claims

            def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
                return nonce in provider._nonces  # a nonce is used once

            def generate_user_info(self, user: ProviderUser, scope: str) -> UserInfo:
                return provider.user_info(user)

        server = Server()
        server.register_token_generator(
            "default", BearerTokenGenerator(lambda *args, **kwargs: generate_token(42))
        )
        server.register_grant(
            CodeGrant, [CodeChallenge(required=False), IDToken(require_nonce=False)]
        )
        return server

    def user_info(self, user: ProviderUser) -> UserInfo:
        return UserInfo(
            sub=user.sub, email=user.email, email_verified=user.email_verified, name=user.name
        )

    # --- HTTP --------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        form: dict[str, str] = {}
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            form = dict(parse_qsl(environ["wsgi.input"].read(length).decode()))
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        self.requests.append(f"{method} {path}")
        uri = f"{self.issuer}{path}" + (
            f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else ""
        )
        request = _Request(method, uri, query, form, headers)
        status, body, extra = self._route(method, path, request)
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            extra = [*extra, ("Content-Type", "application/json")]
        reason = {
            200: "OK",
            302: "Found",
            400: "Bad Request",
            401: "Unauthorized",
            404: "Not Found",
        }
        start_response(f"{status} {reason.get(status, 'Error')}", extra)
        return [str(body or "").encode()]

    def _route(
        self, method: str, path: str, request: _Request
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        if path == "/.well-known/openid-configuration":
            return 200, self.discovery(), []
        if path == "/jwks":
            return 200, {"keys": [self.key.as_dict(private=False)]}, []
        if path in ("/authorize", "/login/oauth/authorize"):
            request.user = self.user  # signed in at the provider; consent is given at once
            try:
                grant = self.server.get_consent_grant(request, end_user=self.user)
            except OAuth2Error as exc:  # a bad client or redirect address: no redirect
                return 400, {"error": exc.error, "error_description": exc.description}, []
            result: tuple[int, Any, list[tuple[str, str]]] = (
                self.server.create_authorization_response(
                    request, grant_user=self.user, grant=grant
                )
            )
            return result
        if path in ("/token", "/login/oauth/access_token") and method == "POST":
            result = self.server.create_token_response(request)
            return result
        user = self._bearer(request)
        if user is None:
            return 401, {"error": "invalid_token"}, []
        if path == "/userinfo":
            return 200, dict(self.user_info(user)), []
        if path == "/api/v3/user":
            return (
                200,
                {
                    "id": int(user.sub.rsplit("-", 1)[-1]) if user.sub[-1:].isdigit() else user.sub,
                    "login": user.sub,
                    "name": user.name,
                },
                [],
            )
        if path == "/api/v3/user/emails":
            return (
                200,
                [{"email": user.email, "primary": True, "verified": user.email_verified}],
                [],
            )
        return 404, {"error": "not_found"}, []

    def _bearer(self, request: _Request) -> ProviderUser | None:
        auth = request.headers.get("Authorization", "")
        if not auth.lower().startswith(("bearer ", "token ")):
            return None
        return self._tokens.get(auth.split(" ", 1)[1].strip())

    def authorize_url(self, **params: str) -> str:
        return f"{self.issuer}/authorize?{urlencode(params)}"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


class _ThreadingWSGIServer(WSGIServer):
    daemon_threads = True

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self._handle, args=(request, client_address), daemon=True)
        thread.start()

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        finally:
            self.shutdown_request(request)


@contextmanager
def oidc_provider(
    *,
    client_id: str = "monoboard",
    client_secret: str = "loopback-secret",  # noqa: S107
) -> Iterator[LoopbackProvider]:
    """Serve a :class:`LoopbackProvider` on a free 127.0.0.1 port until the block ends."""
    provider = LoopbackProvider(client_id=client_id, client_secret=client_secret)
    httpd = make_server(
        "127.0.0.1", 0, provider, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    provider.issuer = f"http://127.0.0.1:{httpd.server_port}"
    thread = threading.Thread(target=httpd.serve_forever, name="oidc-provider", daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
