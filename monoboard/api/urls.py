from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, re_path

from monoboard.api import views
from monoboard.api.api import api
from monoboard.api.errors import problem_response

View = Callable[..., HttpResponse]


def _problem_405(view: View) -> View:
    """django-ninja answers a wrong method with plain text; make it problem+json."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "problem" not in response.get("Content-Type", ""):
            allowed = response.get("Allow", "")
            problem = problem_response(405, f"Use one of: {allowed}.")
            problem["Allow"] = allowed
            return problem
        return response

    return wrapped


api_patterns, app_name_v1, namespace_v1 = api.urls
for pattern in api_patterns:
    if isinstance(pattern, URLPattern):
        pattern.callback = _problem_405(pattern.callback)

urlpatterns = [
    path("v1/", (api_patterns, app_name_v1, namespace_v1)),
    # Anything else under /api/v1/ is a problem+json 404, not an HTML page.
    re_path(r"^v1/", views.not_found),
    path("keys/new/", views.key_create, name="api-key-create"),
    path("keys/<int:key_id>/revoke/", views.key_revoke, name="api-key-revoke"),
]
