from django.urls import path

from monoboard.changelog import feeds, views

app_name = "changelog"

urlpatterns = [
    path("", views.changelog, name="list"),
    path("feed.atom", feeds.ChangelogFeed(), name="feed"),
    path("<int:entry_id>/", views.entry_redirect, name="entry_short"),
    path("<int:entry_id>/<slug:slug>/", views.entry_detail, name="entry"),
    path("images/<str:key>/", views.image_file, name="image"),
    path("admin/", views.admin_list, name="admin"),
    path("admin/new/", views.admin_new, name="admin_new"),
    path("admin/<int:entry_id>/", views.admin_edit, name="admin_edit"),
    path("admin/<int:entry_id>/publish/", views.admin_publish, name="admin_publish"),
    path("admin/<int:entry_id>/schedule/", views.admin_schedule, name="admin_schedule"),
    path("admin/<int:entry_id>/unschedule/", views.admin_unschedule, name="admin_unschedule"),
    path("admin/<int:entry_id>/delete/", views.admin_delete, name="admin_delete"),
    path(
        "admin/<int:entry_id>/images/<str:key>/delete/",
        views.admin_image_delete,
        name="admin_image_delete",
    ),
]
