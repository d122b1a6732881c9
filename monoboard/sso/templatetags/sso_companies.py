"""``{% post_companies post user %}``: which companies asked for a post (admins only)."""

from __future__ import annotations

from typing import Any

from django import template

from monoboard.accounts.models import User
from monoboard.boards import access
from monoboard.boards.models import Post
from monoboard.sso import selectors

register = template.Library()


@register.inclusion_tag("sso/_post_companies.html")
def post_companies(post: Post, user: Any) -> dict[str, Any]:
    if not isinstance(user, User) or not access.is_admin(user):
        return {"companies": [], "revenue": 0, "hidden": True}
    companies = selectors.companies_for_post(user, post)
    return {"companies": companies, "revenue": selectors.post_revenue(post.pk)}
