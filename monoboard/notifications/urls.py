from django.urls import path

from monoboard.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("<int:notification_id>/read/", views.mark_read, name="read"),
    path("<int:notification_id>/open/", views.open_notification, name="open"),
    path("preferences/", views.preferences, name="preferences"),
    path("follow/<int:post_id>/", views.follow, name="follow"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("admin/", views.admin_page, name="admin"),
    path("admin/test/", views.admin_test_email, name="admin_test"),
    path("admin/retry/", views.admin_retry, name="admin_retry"),
]
