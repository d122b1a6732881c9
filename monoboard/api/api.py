"""The NinjaAPI object: /api/v1, its routers, auth and problem+json errors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser

from monoboard.api import errors
from monoboard.api.auth import api_auth
from monoboard.api.routers import (
    attachments,
    boards,
    catalog,
    changelog,
    comments,
    companies,
    posts,
    site,
    tokens,
    votes,
)
from monoboard.api.schemas import Problem

PROBLEM_RESPONSE = {
    "description": "An error, as RFC 9457 problem details",
    "content": {errors.PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


class ObjectBodyParser(Parser):
    """Every request body of this API is a JSON object. Without this check a
    PATCH with ``[]``, ``"x"`` or ``1`` passed as "change nothing" and
    answered 200; now it is a 400 problem (errors.BodyNotObject)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise errors.BodyNotObject
        return data


class MonoboardAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """The generated schema, plus the problem+json answer every operation may give."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {})["Problem"] = Problem.model_json_schema()
        for path_item in schema["paths"].values():
            for operation in path_item.values():
                operation.setdefault("responses", {}).setdefault("default", PROBLEM_RESPONSE)
        return schema


api = MonoboardAPI(
    title="monoboard API",
    version="1",
    description=(
        "Everything the web interface does, for programs. Authenticate with "
        "`Authorization: Bearer mb_...` (a personal API key from your profile) or an "
        "access token from POST /auth/token. Errors are RFC 9457 problem+json. "
        "See docs/api.md."
    ),
    auth=api_auth,
    parser=ObjectBodyParser(),
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
for module in (
    boards,
    posts,
    votes,
    comments,
    attachments,
    catalog,
    site,
    tokens,
    changelog,
    companies,
):
    api.add_router("", module.router)
