"""URLs of single sign-on and the widget, mounted at /sso/."""

from django.urls import path

from monoboard.sso import views

app_name = "sso"
urlpatterns = [
    path("callback", views.callback, name="callback"),
    path("login/", views.start, name="login"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/boards/<int:board_id>/", views.board_rules, name="board_rules"),
    path("revenue/", views.revenue, name="revenue"),
    path("widget/frame/", views.widget_frame, name="widget_frame"),
    path("widget/identify", views.widget_identify, name="widget_identify"),
]
