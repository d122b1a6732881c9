from __future__ import annotations

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
