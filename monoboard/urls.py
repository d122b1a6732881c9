from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("monoboard.ops.urls")),
    path("accounts/", include("monoboard.accounts.urls")),
    path("django-admin/", admin.site.urls),
    path("", include("monoboard.boards.urls")),
]
