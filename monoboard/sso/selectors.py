"""Reads of single sign-on: the site's settings, and the revenue behind posts."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import BigIntegerField, Count, F, Func, OuterRef, Q, Subquery, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce
from django.utils.http import url_has_allowed_host_and_scheme

from monoboard.accounts.models import Company, User
from monoboard.boards import access
from monoboard.boards.models import Post, Vote
from monoboard.sso.models import SSOSettings


def _load() -> SSOSettings:
    return SSOSettings.objects.filter(pk=1).first() or SSOSettings(pk=1)


def sso_settings() -> SSOSettings:
    """The settings row (unsaved defaults before an admin saves any).

    Read from the database each time (one small query, on sign-in and the
    widget's pages only), so the secret is never copied into a shared cache.
    """
    return _load()


# --- revenue of voters (admins) -----------------------------------------------------


@dataclass(frozen=True)
class AskingCompany:
    id: str
    name: str
    plan: str
    monthly_revenue: int
    voters: int


def _sum(field: str) -> Func:
    # A bare SUM (not an aggregate to Django) so the subquery has no GROUP BY.
    return Func(F(field), function="SUM", output_field=BigIntegerField())


def voter_revenue() -> CombinedExpression:
    """The revenue behind a post's votes: each distinct company once, plus people without one."""
    companies = Company.objects.filter(
        pk__in=Vote.objects.filter(post_id=OuterRef(OuterRef("pk"))).values("user__company_id")
    ).values(total=_sum("monthly_revenue"))
    people = User.objects.filter(company__isnull=True, votes__post_id=OuterRef("pk")).values(
        total=_sum("monthly_revenue")
    )
    zero = Value(0, output_field=BigIntegerField())
    return Coalesce(Subquery(companies), zero) + Coalesce(Subquery(people), zero)


def posts_by_revenue(
    actor: User,
    *,
    board_slug: str = "",
    min_revenue: int | None = None,
    company: str = "",
    limit: int = 100,
) -> list[Post]:
    """Listed posts sorted by their voters' revenue (highest first); admins only."""
    access.require_admin(actor)
    posts = (
        Post.objects.filter(is_listed=True, board__in=access.visible_boards(actor))
        .select_related("board", "status")
        .annotate(revenue=voter_revenue())
    )
    if board_slug:
        posts = posts.filter(board__slug=board_slug)
    if min_revenue is not None:
        posts = posts.filter(revenue__gte=min_revenue)
    if company:
        asked = Vote.objects.filter(
            Q(user__company__name__iexact=company) | Q(user__company__external_id=company)
        ).values("post_id")
        posts = posts.filter(pk__in=asked)
    return list(posts.order_by("-revenue", "-vote_count", "-id")[: max(1, min(limit, 500))])


def companies_for_post(actor: User, post: Post) -> list[AskingCompany]:
    """The companies whose people voted for ``post``, biggest revenue first; admins only."""
    access.require_admin(actor)
    rows = (
        Company.objects.filter(people__votes__post=post)
        .annotate(voters=Count("people", distinct=True))
        .order_by("-monthly_revenue", "name", "id")
    )
    return [
        AskingCompany(
            id=c.external_id,
            name=c.name or c.external_id,
            plan=c.plan,
            monthly_revenue=c.monthly_revenue,
            voters=int(c.voters),
        )
        for c in rows
    ]


# --- redirect sign-in --------------------------------------------------------------

#: The redirect settings are read by a middleware on every visitor's request;
#: each process keeps them this long (and drops them at once after its own change).
REDIRECT_MEMO_S = 5.0
_memo: list[tuple[float, SSOSettings]] = []


def redirect_config() -> SSOSettings:
    now = time.monotonic()
    if _memo and now - _memo[0][0] < REDIRECT_MEMO_S:
        return _memo[0][1]
    config = _load()
    _memo[:] = [(now, config)]
    return config


def forget_redirect_config() -> None:
    _memo.clear()


def safe_next(next_url: str) -> str:
    """``next_url`` if it is a path on this site, else "/"."""
    if (
        next_url
        and url_has_allowed_host_and_scheme(next_url, allowed_hosts=None)
        and next_url.startswith("/")
        and not next_url.startswith("//")
        and not any(ord(c) < 32 for c in next_url)
    ):
        return next_url
    return "/"


def login_redirect_url(config: SSOSettings, next_url: str) -> str:
    """The customer's login, told where to send the person back with a token."""
    callback = f"{settings.SITE_URL}/sso/callback?{urlencode({'next': safe_next(next_url)})}"
    glue = "&" if "?" in config.login_url else "?"
    return f"{config.login_url}{glue}{urlencode({'return_to': callback})}"


def post_revenue(post_id: int) -> int:
    """The revenue behind one post's votes (see :func:`voter_revenue`)."""
    rows = Post.objects.filter(pk=post_id).annotate(revenue=voter_revenue())
    found = rows.values_list("revenue", flat=True).first()
    return int(found or 0)
