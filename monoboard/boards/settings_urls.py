"""URLs of the admins' site settings pages, mounted at /settings/."""

from django.urls import path

from monoboard.boards import settings_views as views

app_name = "settings"
urlpatterns = [
    path("", views.home, name="home"),
    path("site/", views.site, name="site"),
    path("branding/", views.branding, name="branding"),
    path("boards/", views.board_list, name="boards"),
    path("boards/new/", views.board_new, name="board_new"),
    path("boards/<int:board_id>/", views.board_edit, name="board_edit"),
    path("boards/<int:board_id>/delete/", views.board_delete, name="board_delete"),
    path("statuses/", views.status_list, name="statuses"),
    path("statuses/new/", views.status_new, name="status_new"),
    path("statuses/<int:status_id>/", views.status_edit, name="status_edit"),
    path("statuses/<int:status_id>/move/", views.status_move, name="status_move"),
    path("statuses/<int:status_id>/delete/", views.status_delete, name="status_delete"),
    path("tags/", views.tag_list, name="tags"),
    path("tags/new/", views.tag_new, name="tag_new"),
    path("tags/<int:tag_id>/", views.tag_edit, name="tag_edit"),
    path("tags/<int:tag_id>/delete/", views.tag_delete, name="tag_delete"),
]
