from __future__ import annotations

import re
from typing import Any

from monoboard.api.tests.conftest import ApiClient


def test_openapi_lists_every_resource(anon_api: ApiClient) -> None:
    response = anon_api.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/boards", "/api/v1/boards/{slug}/posts", "/api/v1/posts/{post_id}/vote",
                 "/api/v1/posts/{post_id}/comments", "/api/v1/search", "/api/v1/me",
                 "/api/v1/auth/token"):  # fmt: skip
        assert path in paths


def test_docs_page_uses_bundled_assets_not_a_cdn(anon_api: ApiClient) -> None:
    response = anon_api.get("/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn." not in html and "unpkg" not in html


def test_docs_page_sends_the_csrf_token_for_signed_in_try_outs(member_client: Any) -> None:
    html = member_client.get("/api/v1/docs").content.decode()
    assert 'data-api-csrf="true"' in html
    assert re.search(r'data-csrf-token="[A-Za-z0-9]{32,}"', html)


def test_every_operation_documents_its_problem_answers(anon_api: ApiClient) -> None:
    schema = anon_api.get("/openapi.json").json()
    assert set(schema["components"]["schemas"]["Problem"]["required"]) == {
        "type", "title", "status", "detail", "errors"
    }  # fmt: skip
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            default = operation["responses"]["default"]
            assert "application/problem+json" in default["content"]
