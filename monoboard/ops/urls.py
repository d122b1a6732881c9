from django.urls import path

from monoboard.ops import views
from monoboard.ops.metrics.views import metrics

app_name = "ops"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("ops/scale/", views.scale, name="scale"),
]
