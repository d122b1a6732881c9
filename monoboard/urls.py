from django.contrib import admin
from django.urls import include, path

from monoboard.accounts.views import django_admin_login

# A database outage answers 503 with Retry-After; anything else stays a 500.
handler500 = "monoboard.lib.unavailable.server_error"

urlpatterns = [
    path("", include("monoboard.ops.urls")),
    path("accounts/", include("monoboard.accounts.urls")),
    path("accounts/", include("monoboard.identity.urls")),
    # Before admin.site.urls: the admin signs in through the product's sign-in.
    path("django-admin/login/", django_admin_login),
    path("django-admin/", admin.site.urls),
    path("events/", include("monoboard.realtime.urls")),
    path("settings/import/", include("monoboard.imports.urls")),
    path("settings/export/", include("monoboard.backup.urls")),
    path("settings/sign-in/", include("monoboard.identity.settings_urls")),
    path("settings/", include("monoboard.boards.settings_urls")),
    path("jobs/", include("monoboard.jobs.urls")),
    path("notifications/", include("monoboard.notifications.urls")),
    path("search/", include("monoboard.search.urls")),
    path("similar/", include("monoboard.similar.urls")),
    path("api/", include("monoboard.api.urls")),
    path("webhooks/", include("monoboard.webhooks.urls")),
    path("changelog/", include("monoboard.changelog.urls")),
    path("sso/", include("monoboard.sso.urls")),
    path("", include("monoboard.boards.urls")),
]
