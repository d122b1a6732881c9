from django.urls import path

from monoboard.api import views
from monoboard.api.api import api

urlpatterns = [
    path("v1/", api.urls),
    path("keys/new/", views.key_create, name="api-key-create"),
    path("keys/<int:key_id>/revoke/", views.key_revoke, name="api-key-revoke"),
]
