from django.urls import path

from monoboard.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("admin/", views.endpoint_list, name="endpoints"),
    path("admin/<int:endpoint_id>/", views.endpoint_detail, name="endpoint"),
    path("admin/<int:endpoint_id>/toggle/", views.endpoint_toggle, name="endpoint-toggle"),
    path("admin/<int:endpoint_id>/delete/", views.endpoint_delete, name="endpoint-delete"),
    path(
        "admin/<int:endpoint_id>/deliveries/<int:delivery_id>/replay/",
        views.delivery_replay,
        name="delivery-replay",
    ),
]
