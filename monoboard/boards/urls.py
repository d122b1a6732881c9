"""Public routes: home, roadmap, boards, posts and the actions on them."""

from django.urls import URLPattern, URLResolver, path

from monoboard.boards import attachment_views, views

app_name = "boards"

post = "b/<slug:board_slug>/p/<int:post_id>/"
comment = post + "comments/<int:comment_id>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("roadmap/", views.roadmap, name="roadmap"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("branding.css", views.branding_css, name="branding_css"),
    path("branding/logo.png", views.logo, name="logo"),
    path("roadmap/<slug:status_slug>/", views.roadmap_status, name="roadmap_status"),
    path("b/<slug:board_slug>/", views.board, name="board"),
    path(
        "b/<slug:board_slug>/p/<int:post_id>-<slug:post_slug>/",
        views.post_detail,
        name="post",
    ),
    path(post, views.post_short, name="post_short"),
    path(post + "edit/", views.post_edit, name="post_edit"),
    path(post + "vote/", views.vote, name="vote"),
    path(post + "comments/", views.comment_create, name="comment_create"),
    path(comment + "edit/", views.comment_edit, name="comment_edit"),
    path(comment + "delete/", views.comment_delete, name="comment_delete"),
    path(comment + "pin/", views.comment_pin, name="comment_pin"),
    path(post + "status/", views.post_status, name="post_status"),
    path(post + "hide/", views.post_hide, name="post_hide"),
    path(post + "delete/", views.post_delete, name="post_delete"),
    path(post + "merge/", views.post_merge, name="post_merge"),
    path(post + "unmerge/", views.post_unmerge, name="post_unmerge"),
    path(post + "images/", views.attachments_add, name="attachments_add"),
    path(post + "images/<slug:key>/delete/", views.attachment_delete, name="attachment_delete"),
    # Attachment files: checked against the post's visibility on every request.
    path("attachments/<slug:key>/", attachment_views.attachment_file, name="attachment"),
    path(
        "attachments/<slug:key>/thumb/", attachment_views.attachment_thumb, name="attachment_thumb"
    ),
    # The settings pages are mounted at /settings/ by the project URLconf;
    # this name is kept so older links and templates still reverse.
    path("settings/", views.settings_home, name="settings"),
]
