"""The NinjaAPI object: /api/v1, its routers, auth and problem+json errors."""

from __future__ import annotations

from ninja import NinjaAPI

from monoboard.api import errors
from monoboard.api.auth import api_auth
from monoboard.api.routers import boards, catalog, comments, posts, site, tokens, votes

api = NinjaAPI(
    title="monoboard API",
    version="1",
    description=(
        "Everything the web interface does, for programs. Authenticate with "
        "`Authorization: Bearer mb_...` (a personal API key from your profile) or an "
        "access token from POST /auth/token. Errors are RFC 9457 problem+json. "
        "See docs/api.md."
    ),
    auth=api_auth,
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
for module in (boards, posts, votes, comments, catalog, site, tokens):
    api.add_router("", module.router)
