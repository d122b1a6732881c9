"""Public board pages, post pages and the moderator actions on them.

Views only translate HTTP: reads go through selectors, writes through
services, and who-may-see-what through access (404 for what is hidden).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from monoboard.boards import access, branding, fragments, member_pages, selectors, services
from monoboard.boards.forms import CommentForm, MergeForm, PostEditForm, PostForm, StatusForm
from monoboard.boards.models import Board, Post, SiteSettings, Status
from monoboard.lib.cursor import BadCursor
from monoboard.pagecache import anonymous_page_cache, shared

if TYPE_CHECKING:
    from monoboard.accounts.models import User


# --- helpers ----------------------------------------------------------------------


def post_url(post: Post) -> str:
    return reverse(
        "boards:post",
        kwargs={"board_slug": post.board.slug, "post_id": post.pk, "post_slug": post.slug},
    )


def _signin_url(next_url: str) -> str:
    return f"{reverse('accounts:signin')}?{urlencode({'next': next_url})}"


def _member(request: HttpRequest) -> User | None:
    """The signed-in user, or None for visitors."""
    if access.is_member(request.user):
        return request.user  # type: ignore[return-value]
    return None


def _error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def _load_post(request: HttpRequest, board_slug: str, post_id: int, *, light: bool = False) -> Post:
    post = access.post_or_404(request.user, post_id, light=light)
    if post.board.slug != board_slug:
        raise Http404("No such post")
    return post


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


# --- home, roadmap, settings placeholder ------------------------------------------


@require_safe
@anonymous_page_cache
def home(request: HttpRequest) -> HttpResponse:
    boards = selectors.boards_with_post_counts(request.user)
    return render(request, "boards/home.html", {"boards": boards})


ROADMAP_COLUMN = 50
STATUS_PAGE = 50


@require_safe
@anonymous_page_cache
def roadmap(request: HttpRequest) -> HttpResponse:
    totals = selectors.roadmap_totals(request.user)
    columns = [
        (status, posts, totals.get(status.pk, 0))
        for status, posts in selectors.roadmap(request.user, per_column=ROADMAP_COLUMN)
    ]
    return render(request, "boards/roadmap.html", {"columns": columns})


@require_safe
@anonymous_page_cache
def roadmap_status(request: HttpRequest, status_slug: str) -> HttpResponse:
    """Every listed post of one roadmap status, a page at a time."""
    status = Status.objects.filter(slug=status_slug, on_roadmap=True).first()
    if status is None:
        raise Http404("No such roadmap column")
    raw = request.GET.get("page", "")
    page = int(raw) if raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1
    posts = selectors.status_posts(
        request.user, status, offset=(page - 1) * STATUS_PAGE, limit=STATUS_PAGE + 1
    )
    context = {
        "status": status,
        "posts": posts[:STATUS_PAGE],
        "total": selectors.roadmap_totals(request.user).get(status.pk, 0),
        "page": page,
        "has_next": len(posts) > STATUS_PAGE,
    }
    return render(request, "boards/roadmap_status.html", context)


@require_safe
def settings_home(request: HttpRequest) -> HttpResponse:
    """The old name for the settings pages, which now live under ``settings:``."""
    return redirect("settings:home")


# --- board ------------------------------------------------------------------------


def _board_filters(
    request: HttpRequest, statuses: list[Status], tags: list[Any]
) -> tuple[selectors.PostFilter, dict[str, str]]:
    """Read filters from the query string; unknown values are ignored."""
    params: dict[str, str] = {}
    sort = request.GET.get("sort", "trending")
    if sort not in selectors.SORTS:
        sort = "trending"
    if sort != "trending":
        params["sort"] = sort
    status = next((s for s in statuses if s.slug == request.GET.get("status")), None)
    if status is not None:
        params["status"] = status.slug
    tag = next((t for t in tags if t.slug == request.GET.get("tag")), None)
    if tag is not None:
        params["tag"] = tag.slug
    signed_in = access.is_member(request.user)
    mine = signed_in and request.GET.get("mine") == "1"
    voted = signed_in and request.GET.get("voted") == "1"
    if mine:
        params["mine"] = "1"
    if voted:
        params["voted"] = "1"
    filters = selectors.PostFilter(
        sort=sort,  # type: ignore[arg-type]
        status=status,
        tag=tag,
        mine=mine,
        voted=voted,
    )
    return filters, params


@require_http_methods(["GET", "HEAD", "POST"])
@anonymous_page_cache
def board(request: HttpRequest, board_slug: str) -> HttpResponse:
    the_board = access.board_or_404(request.user, board_slug)
    form = PostForm()
    if request.method == "POST":
        user = _member(request)
        if user is None:
            return redirect(_signin_url(request.path))
        form = PostForm(request.POST)
        if form.is_valid():
            try:
                post = services.post_create(
                    board=the_board,
                    author=user,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    uploads=request.FILES.getlist("images"),
                )
            except ValidationError as exc:
                form.add_error(None, _error_text(exc))
            else:
                messages.success(request, "Thanks! Your post is live.")
                post.board = the_board
                return redirect(post_url(post))
    return _render_board(request, the_board, form, status=400 if form.errors else 200)


#: Query parameters that make a board page one person's own: never shared.
PERSONAL_FILTERS = ("mine", "voted")


def _render_board(
    request: HttpRequest, the_board: Board, form: PostForm, status: int
) -> HttpResponse:
    personal = any(request.GET.get(name) for name in PERSONAL_FILTERS)
    if status != 200 or personal or not shared.shareable(request):
        return _board_page(request, the_board, form, status)

    def build(
        builder: shared.ShellBuilder, viewer: shared.ShellViewer
    ) -> tuple[HttpResponse, dict[str, Any]]:
        response = _board_page(request, the_board, form, status, builder)
        return response, {"posts": getattr(response, "post_ids", [])}

    return shared.serve(
        request,
        f"board:{the_board.pk}",
        build,
        lambda shell: member_pages.board_viewer(request, shell),
    )


def _board_page(
    request: HttpRequest,
    the_board: Board,
    form: PostForm,
    status: int,
    builder: shared.ShellBuilder | None = None,
) -> HttpResponse:
    """The board page, or its shell when ``builder`` is given."""
    statuses = selectors.all_statuses()
    tags = selectors.all_tags()
    filters, params = _board_filters(request, statuses, tags)
    cursor = request.GET.get("cursor") or None
    try:
        page = selectors.board_posts(the_board, request.user, filters, cursor=cursor)
    except BadCursor as exc:
        messages.warning(request, str(exc))
        cursor = None
        page = selectors.board_posts(the_board, request.user, filters)
    fragments.attach_row_html(page.posts, the_board)
    base = {k: v for k, v in params.items() if k != "sort"}
    next_query = urlencode({**params, "cursor": page.next_cursor}) if page.next_cursor else ""
    context = {
        "board": the_board,
        "page": page,
        "filters": filters,
        "params": params,
        "statuses": statuses,
        "tags": tags,
        "form": form,
        "is_later_page": bool(cursor),
        "first_query": urlencode(params),
        "next_query": next_query,
        "sort_links": [
            (s, urlencode({**base, **({"sort": s} if s != "trending" else {})}))
            for s in selectors.SORTS
        ],
    }
    if builder is not None:
        context |= member_pages.shell_context(builder)
        member_pages.add_vote_slots(request, builder, page.posts, context)
    response = render(request, "boards/board.html", context, status=status)
    response.post_ids = [post.pk for post in page.posts]  # type: ignore[attr-defined]
    return response


# --- post page --------------------------------------------------------------------


@require_safe
def post_short(request: HttpRequest, board_slug: str, post_id: int) -> HttpResponse:
    post = _load_post(request, board_slug, post_id)
    return redirect(post_url(post), permanent=True)


@require_safe
@anonymous_page_cache
def post_detail(
    request: HttpRequest, board_slug: str, post_id: int, post_slug: str
) -> HttpResponse:
    sharing = shared.shareable(request) and not access.is_moderator(request.user)
    # A member's page may come from a shared shell: look up only what decides that.
    post = (
        access.post_or_404(request.user, post_id, light=True)
        if sharing
        else selectors.post_detail(post_id, request.user)
    )
    if post.board.slug != board_slug:
        raise Http404("No such post")
    if post.slug != post_slug:
        return redirect(post_url(post), permanent=True)
    if not (sharing and _post_page_shareable(request, post)):
        if sharing:
            post = selectors.post_detail(post_id, request.user)
        return _render_post(request, post, CommentForm())

    reader = request.user

    def build(
        builder: shared.ShellBuilder, viewer: shared.ShellViewer
    ) -> tuple[HttpResponse, dict[str, Any]]:
        full = selectors.post_detail(post_id, reader)  # the reader may see it: checked above
        response = _render_post(request, full, CommentForm(), builder)
        return response, {"comment_authors": getattr(response, "comment_authors", {})}

    return shared.serve(
        request,
        f"post:{post.pk}",
        build,
        lambda shell: member_pages.post_viewer(request, post, shell),
    )


def _post_page_shareable(request: HttpRequest, post: Post) -> bool:
    """A plain member reading someone else's visible post: the page is theirs only in
    its vote, follow and comment controls. Authors, moderators, hidden and merged
    posts get their own rendering."""
    return (
        post.author_id != access.member_id(request.user)
        and post.hidden_at is None
        and post.merged_into_id is None
        and not request.GET.get("merge_q")
    )


COMMENTS_PAGE = 30


def _comments_shown(request: HttpRequest) -> int:
    """How many comments to show: ``?comments=N`` ("Show more" adds a page), at
    least one page; the page works the same without JavaScript."""
    raw = request.GET.get("comments", "")
    wanted = int(raw) if raw.isdigit() and len(raw) < 7 else COMMENTS_PAGE
    return max(COMMENTS_PAGE, wanted - wanted % COMMENTS_PAGE)


def _render_post(
    request: HttpRequest,
    post: Post,
    comment_form: CommentForm,
    builder: shared.ShellBuilder | None = None,
) -> HttpResponse:
    """The post page, or its shell when ``builder`` is given."""
    user = request.user
    is_mod = access.is_moderator(user)
    merge_query = (request.GET.get("merge_q") or "").strip()
    images = selectors.post_attachments(post)
    shown = _comments_shown(request)
    comments = selectors.post_comments(post, limit=shown + 1)
    more_url = ""
    if len(comments) > shown:
        comments = comments[:shown]
        more_url = f"{post_url(post)}?comments={shown + COMMENTS_PAGE}#comment-{comments[-1].pk}"
    viewer_id = access.member_id(user)
    for comment in comments:
        comment.images = images.by_comment.get(comment.pk, [])  # type: ignore[attr-defined]
        comment.mine = is_mod or bool(viewer_id and comment.author_id == viewer_id)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "post": post,
        "board": post.board,
        "post_images": images.on_post,
        "tags": selectors.post_tags(post),
        "comments": comments,
        "more_comments_url": more_url,
        "history": selectors.post_status_history(post),
        "comment_form": comment_form,
        "is_moderator": is_mod,
        "can_edit": access.can_edit_post(user, post),
        "viewer_id": viewer_id,
        "post_url": post_url(post),
        "merge_target": access.visible_merge_target(user, post),
        "merge_query": merge_query,
    }
    if is_mod:
        context["statuses"] = selectors.all_statuses()
        context["voters"] = selectors.post_voters(post)
        context["merged_from"] = list(post.merged_posts.select_related("board"))
        if merge_query and post.merged_into_id is None:
            context["merge_candidates"] = selectors.merge_candidates(post, merge_query)
    authors: dict[int, int] = {}
    if builder is not None:
        context |= member_pages.shell_context(builder)
        context["follow_slot"] = builder.marker("follow")
        member_pages.add_vote_slots(request, builder, [post], context)
        authors = member_pages.add_comment_slots(request, builder, comments, context)
    response = render(request, "boards/post_detail.html", context)
    response.comment_authors = authors  # type: ignore[attr-defined]
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def post_edit(request: HttpRequest, board_slug: str, post_id: int) -> HttpResponse:
    post = _load_post(request, board_slug, post_id)
    if not access.can_edit_post(request.user, post):
        raise PermissionDenied("Only the author or a moderator may edit this post.")
    is_mod = access.is_moderator(request.user)
    tag_choices = [(str(t.pk), t.name) for t in selectors.all_tags()]
    if request.method == "POST":
        form = PostEditForm(request.POST)
        form.fields["tags"].choices = tag_choices  # type: ignore[attr-defined]
        if form.is_valid():
            try:
                services.post_update(
                    post=post,
                    actor=request.user,  # type: ignore[arg-type]
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    tag_ids=[int(t) for t in form.cleaned_data["tags"]] if is_mod else None,
                )
            except ValidationError as exc:
                form.add_error(None, _error_text(exc))
            else:
                messages.success(request, "Post updated.")
                return redirect(post_url(post))
    else:
        form = PostEditForm(
            initial={
                "title": post.title,
                "body": post.body,
                "tags": [str(t.pk) for t in selectors.post_tags(post)],
            }
        )
        form.fields["tags"].choices = tag_choices  # type: ignore[attr-defined]
    context = {"post": post, "board": post.board, "form": form, "is_moderator": is_mod}
    return render(request, "boards/post_edit.html", context, status=400 if form.errors else 200)


# --- votes ------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
def vote(request: HttpRequest, board_slug: str, post_id: int) -> HttpResponse:
    # The vote needs the post and its board, not the status, author and merge
    # target a page shows: joining those was nearly half of a vote's CPU.
    post = _load_post(request, board_slug, post_id, light=True)
    user = _member(request)
    if user is None:
        signin = _signin_url(post_url(post))
        if _wants_json(request):
            return JsonResponse({"error": "Sign in to vote.", "signin_url": signin}, status=401)
        return redirect(signin)
    try:
        result = services.vote_toggle(post=post, user=user)
    except ValidationError as exc:
        if _wants_json(request):
            return JsonResponse({"error": _error_text(exc)}, status=400)
        messages.error(request, _error_text(exc))
        return _back(request, post_url(post))
    if _wants_json(request):
        return JsonResponse({"voted": result.voted, "vote_count": result.vote_count})
    return _back(request, post_url(post))


# --- comments ---------------------------------------------------------------------


@require_POST
def comment_create(request: HttpRequest, board_slug: str, post_id: int) -> HttpResponse:
    post = _load_post(request, board_slug, post_id)
    user = _member(request)
    if user is None:
        return redirect(_signin_url(post_url(post)))
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment = services.comment_create(
                post=post,
                author=user,
                body=form.cleaned_data["body"],
                official=form.cleaned_data["official"],
                uploads=request.FILES.getlist("images"),
            )
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(
                request, "Official response posted." if comment.is_official else "Comment added."
            )
            # Enough pages of comments that the new one (the newest) is shown.
            shown = post.comment_count + 1 + COMMENTS_PAGE
            more = f"?comments={shown}" if shown > 2 * COMMENTS_PAGE else ""
            return redirect(f"{post_url(post)}{more}#comment-{comment.pk}")
    response = _render_post(request, post, form)
    response.status_code = 400
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def comment_edit(
    request: HttpRequest, board_slug: str, post_id: int, comment_id: int
) -> HttpResponse:
    post = _load_post(request, board_slug, post_id)
    comment = selectors.comment_on_post(post, comment_id)
    if comment.deleted_at is not None or not access.can_edit_comment(request.user, comment):
        raise PermissionDenied("Only the author or a moderator may edit this comment.")
    form = CommentForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_update(
                comment=comment,
                actor=request.user,  # type: ignore[arg-type]
                body=form.cleaned_data["body"],
            )
        except ValidationError as exc:
            form.add_error("body", _error_text(exc))
        else:
            messages.success(request, "Comment updated.")
            return redirect(f"{post_url(post)}#comment-{comment.pk}")
    context = {"post": post, "board": post.board, "comment": comment, "form": form}
    return render(request, "boards/comment_edit.html", context, status=400 if form.errors else 200)


@require_POST
def comment_delete(
    request: HttpRequest, board_slug: str, post_id: int, comment_id: int
) -> HttpResponse:
    post = _load_post(request, board_slug, post_id)
    comment = selectors.comment_on_post(post, comment_id)
    services.comment_delete(comment=comment, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, "Comment deleted.")
    return redirect(post_url(post))


@require_POST
def comment_pin(
    request: HttpRequest, board_slug: str, post_id: int, comment_id: int
) -> HttpResponse:
    post = _load_post(request, board_slug, post_id)
    comment = selectors.comment_on_post(post, comment_id)
    pinned = request.POST.get("pinned") == "1"
    try:
        services.comment_set_pinned(
            comment=comment,
            actor=request.user,  # type: ignore[arg-type]
            pinned=pinned,
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "Response pinned." if pinned else "Response unpinned.")
    return redirect(post_url(post))


# --- images -----------------------------------------------------------------------


@require_POST
def attachments_add(request: HttpRequest, board_slug: str, post_id: int) -> HttpResponse:
    """Add images to an existing post (its author or a moderator)."""
    post = _load_post(request, board_slug, post_id)
    user = _member(request)
    if user is None:
        return redirect(_signin_url(post_url(post)))
    try:
        added = services.attachments_add(
            post=post, actor=user, uploads=request.FILES.getlist("images")
        )
    except ValidationError as exc:
        # The page again, with the reason, and a 400 as for any refused form.
        messages.error(request, _error_text(exc))
        response = _render_post(request, post, CommentForm())
        response.status_code = 400
        return response
    messages.success(request, f"Added {len(added)} image{'s' if len(added) != 1 else ''}.")
    return redirect(post_url(post))


@require_POST
def attachment_delete(
    request: HttpRequest, board_slug: str, post_id: int, key: str
) -> HttpResponse:
    post = _load_post(request, board_slug, post_id)
    attachment = selectors.attachment_by_key(key)
    if attachment is None or attachment.post_id != post.pk:
        raise Http404("No such image")
    services.attachment_delete(attachment=attachment, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, "Image removed.")
    return redirect(post_url(post))


# --- moderator tools --------------------------------------------------------------


@require_POST
def post_status(request: HttpRequest, board_slug: str, post_id: int) -> HttpResponse:
    post = _load_post(request, board_slug, post_id)
    access.require_moderator(request.user)
    form = StatusForm(request.POST)
    status = None
    if form.is_valid():
        status = next(
            (s for s in selectors.all_statuses() if s.pk == form.cleaned_data["status"]), None
        )
    if status is None:
        messages.error(request, "Pick one of the statuses.")
        return redirect(post_url(post))
    try:
        change = services.post_set_status(
            post=post,
            actor=request.user,  # type: ignore[arg-type]
            status=status,
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request, f"Status set to {status.name}." if change else "Status unchanged."
        )
    return redirect(post_url(post))


@require_POST
def post_hide(request: HttpRequest, board_slug: str, post_id: int) -> HttpResponse:
    post = _load_post(request, board_slug, post_id)
    hidden = request.POST.get("hidden") == "1"
    services.post_set_hidden(post=post, actor=request.user, hidden=hidden)  # type: ignore[arg-type]
    messages.success(
        request, "Post hidden from everyone but moderators." if hidden else "Post visible again."
    )
    return redirect(post_url(post))


@require_http_methods(["GET", "HEAD", "POST"])
def post_delete(request: HttpRequest, board_slug: str, post_id: int) -> HttpResponse:
    post = _load_post(request, board_slug, post_id)
    access.require_moderator(request.user)
    if request.method == "POST":
        try:
            services.post_delete(post=post, actor=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
            return redirect(post_url(post))
        messages.success(request, f"Deleted “{post.title}”.")
        return redirect("boards:board", board_slug=board_slug)
    return render(request, "boards/post_delete.html", {"post": post, "board": post.board})


@require_POST
def post_merge(request: HttpRequest, board_slug: str, post_id: int) -> HttpResponse:
    post = _load_post(request, board_slug, post_id)
    access.require_moderator(request.user)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick the post to merge into.")
        return redirect(post_url(post))
    target = access.post_or_404(request.user, form.cleaned_data["target"])
    try:
        services.post_merge(source=post, target=target, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect(post_url(post))
    messages.success(request, f"Merged into “{target.title}”; its voters now count there.")
    return redirect(post_url(post))


@require_POST
def post_unmerge(request: HttpRequest, board_slug: str, post_id: int) -> HttpResponse:
    post = _load_post(request, board_slug, post_id)
    try:
        services.post_unmerge(source=post, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "Merge undone; the votes it added were removed.")
    return redirect(post_url(post))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without its token (often an expired page): explain, in the site's look."""
    context = {
        "reason": "This form expired or was sent from another site. Reload the page and try again."
    }
    return render(request, "403.html", context, status=403)


# --- Branding (public, cacheable) ---------------------------------------------------

DEFAULT_FAVICON = Path(__file__).resolve().parent / "static" / "monoboard" / "favicon.ico"


@require_safe
def branding_css(request: HttpRequest) -> HttpResponse:
    """The accent and the admins' custom CSS, as a stylesheet of its own: served
    as text/css it cannot inject markup, and the page's CSP needs no exception."""
    site = SiteSettings.load()
    body = branding.accent_css(site.accent_color)
    if site.custom_css:
        body += "\n/* custom CSS */\n" + site.custom_css + "\n"
    response = HttpResponse(body, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    site = SiteSettings.load()
    if site.favicon and default_storage.exists(site.favicon):
        with default_storage.open(site.favicon) as icon:
            data = icon.read()
    else:
        data = DEFAULT_FAVICON.read_bytes()
    response = HttpResponse(data, content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def logo(request: HttpRequest) -> HttpResponse:
    site = SiteSettings.load()
    if not site.logo or not default_storage.exists(site.logo):
        raise Http404("No logo")
    with default_storage.open(site.logo) as image:
        response = HttpResponse(image.read(), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response
