"""View decorators shared by the admin-only pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from monoboard.core import roles as access

View = Callable[..., HttpResponseBase]


def admin_required(view: View) -> View:
    """Visitors are sent to sign in; signed-in people who are not admins get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not access.is_member(request.user):
            return redirect_to_login(request.get_full_path())
        if not access.is_admin(request.user):
            raise PermissionDenied("Only admins may open this page.")
        return view(request, *args, **kwargs)

    return wrapper
